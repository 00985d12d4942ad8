/**
 * An informer-style index of one resource by controller: which objects (by `namespace/name`)
 * name a given uid as their controller, and which have no controller at all, per namespace.
 * Controllers keep it current from watch events and read the objects themselves live from the
 * registry, so a stale or reordered event can at worst leave a key that no longer resolves.
 */
import { controllerRefOf } from '../kinds/pod.ts';
import type { KubeObject } from '../object.ts';
import type { WatchEventType } from '../store/object-store.ts';
import { keyOf } from './work-queue.ts';

const NONE: ReadonlySet<string> = new Set();

export class OwnerIndex {
  private readonly byController = new Map<string, Set<string>>();
  private readonly orphansByNamespace = new Map<string, Set<string>>();
  /** key → controller uid ('' for no controller), so a change of controller moves the key. */
  private readonly ownerOf = new Map<string, string>();
  private readonly namespaceOf = new Map<string, string>();

  /** Applies a watch event. */
  apply(type: WatchEventType, obj: KubeObject): void {
    if (type === 'DELETED') this.remove(obj);
    else this.upsert(obj);
  }

  /** Records `obj` under its current controller (or as an orphan). */
  upsert(obj: KubeObject): void {
    const namespace = obj.metadata.namespace ?? '';
    const key = keyOf(namespace, obj.metadata.name ?? '');
    const owner = controllerRefOf(obj)?.uid ?? '';
    const before = this.ownerOf.get(key);
    if (before === owner) return;
    if (before !== undefined) this.detach(key, before);
    this.ownerOf.set(key, owner);
    this.namespaceOf.set(key, namespace);
    const bucket =
      owner === '' ? this.bucket(this.orphansByNamespace, namespace) : this.bucket(this.byController, owner);
    bucket.add(key);
  }

  remove(obj: KubeObject): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const before = this.ownerOf.get(key);
    if (before === undefined) return;
    this.detach(key, before);
    this.ownerOf.delete(key);
    this.namespaceOf.delete(key);
  }

  /** Keys of the objects whose controllerRef names `uid`. */
  owned(uid: string): ReadonlySet<string> {
    return this.byController.get(uid) ?? NONE;
  }

  /** Keys of the objects in `namespace` without a controller. */
  orphans(namespace: string): ReadonlySet<string> {
    return this.orphansByNamespace.get(namespace) ?? NONE;
  }

  private detach(key: string, owner: string): void {
    if (owner === '') {
      const namespace = this.namespaceOf.get(key) ?? '';
      const set = this.orphansByNamespace.get(namespace);
      set?.delete(key);
      if (set?.size === 0) this.orphansByNamespace.delete(namespace);
    } else {
      const set = this.byController.get(owner);
      set?.delete(key);
      if (set?.size === 0) this.byController.delete(owner);
    }
  }

  private bucket(map: Map<string, Set<string>>, id: string): Set<string> {
    let set = map.get(id);
    if (!set) map.set(id, (set = new Set()));
    return set;
  }
}
