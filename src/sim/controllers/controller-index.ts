/**
 * Which objects each controller instance controls, shared by every controller that asks, like
 * an indexer of client-go's shared informer factory: one per resource per cluster, kept from one
 * watch, so 100,000 pod events update one index rather than one per controller. It also keeps
 * the objects with no controller per namespace (for adoption). It holds keys only: lookups read
 * each object live from the registry, so a sync never acts on a stale copy. Controllers also
 * `track` their own writes, so a sync that runs before the watch event arrives does not create
 * the same pod twice (the job upstream's expectations do).
 */
import type { Registry } from '../api/rest/registry.ts';
import { controllerRefOf } from '../kinds/pod.ts';
import type { ResourceType } from '../kinds/registry.ts';
import type { KubeObject } from '../object.ts';
import { subscribe } from './controller.ts';
import { keyOf, splitKey } from './work-queue.ts';

const NONE: ReadonlyMap<string, string> = new Map();
const shared = new WeakMap<Registry, Map<string, ControllerIndex>>();

export class ControllerIndex {
  /** owner uid ('' for none) → … */
  private readonly byOwner = new Map<string, Map<string, string>>();
  /** namespace → key → uid, of objects without a controller. */
  private readonly orphansByNamespace = new Map<string, Map<string, string>>();
  /** object uid → owner uid ('' for none). */
  private readonly ownerOf = new Map<string, string>();
  private users = 0;
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly registry: Registry,
    private readonly resource: ResourceType,
  ) {}

  /** The cluster's index of `resource`; `acquire` it in start() and `release` it in stop(). */
  static of(registry: Registry, resource: ResourceType): ControllerIndex {
    let indexes = shared.get(registry);
    if (!indexes) shared.set(registry, (indexes = new Map()));
    const key = registry.storeKey(resource);
    let index = indexes.get(key);
    if (!index) indexes.set(key, (index = new ControllerIndex(registry, resource)));
    return index;
  }

  /** The first user loads what exists (the informer's initial list) and starts the watch. */
  acquire(): void {
    if (this.users++ > 0) return;
    for (const obj of this.registry.list(this.resource, {}).items) this.track(obj);
    this.unsubscribe = subscribe(this.registry, this.resource, (type, event) => {
      if (type === 'DELETED') this.forget(event.object);
      else this.track(event.object);
    });
  }

  release(): void {
    if (this.users === 0 || --this.users > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.byOwner.clear();
    this.orphansByNamespace.clear();
    this.ownerOf.clear();
  }

  track(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const owner = controllerRefOf(obj)?.uid ?? '';
    const before = this.ownerOf.get(uid);
    if (before !== undefined && before !== owner) this.drop(before, obj, key, uid);
    this.ownerOf.set(uid, owner);
    this.bucket(owner, obj).set(key, uid);
  }

  forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const owner = this.ownerOf.get(uid);
    this.ownerOf.delete(uid);
    if (owner !== undefined)
      this.drop(owner, obj, keyOf(obj.metadata.namespace, obj.metadata.name ?? ''), uid);
  }

  /** Keys of the objects whose controllerRef names `ownerUid`. */
  ownedKeys(ownerUid: string): Iterable<string> {
    return (this.byOwner.get(ownerUid) ?? NONE).keys();
  }

  /** The live objects `ownerUid` controls. */
  controlledBy(ownerUid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.ownedKeys(ownerUid)) {
      const { namespace, name } = splitKey(key);
      const obj = this.registry.find(this.resource, namespace, name);
      // A name reused by an object of another owner (or none) is not ours; its own events fix the index.
      if (obj && controllerRefOf(obj)?.uid === ownerUid) out.push(obj);
    }
    return out;
  }

  /** Keys of the objects in `namespace` without a controller. */
  orphans(namespace: string): Iterable<string> {
    return (this.orphansByNamespace.get(namespace) ?? NONE).keys();
  }

  private bucket(owner: string, obj: KubeObject): Map<string, string> {
    const map = owner === '' ? this.orphansByNamespace : this.byOwner;
    const id = owner === '' ? (obj.metadata.namespace ?? '') : owner;
    let keys = map.get(id);
    if (!keys) map.set(id, (keys = new Map()));
    return keys;
  }

  private drop(owner: string, obj: KubeObject, key: string, uid: string): void {
    const map = owner === '' ? this.orphansByNamespace : this.byOwner;
    const id = owner === '' ? (obj.metadata.namespace ?? '') : owner;
    const keys = map.get(id);
    // Only the same object: a key reused by a newer object (a StatefulSet pod recreated under its name) stays.
    if (keys?.get(key) !== uid) return;
    keys.delete(key);
    if (keys.size === 0) map.delete(id);
  }
}
