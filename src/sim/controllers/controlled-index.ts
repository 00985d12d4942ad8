/**
 * Which objects each controller instance controls, like an informer indexer keyed by controller
 * uid: a sync finds its pods (or revisions) here instead of listing every pod. The index is kept
 * from watch events and from the controller's own creates (so a sync that runs before the
 * ADDED event arrives does not create the same pod twice, the job upstream's expectations do).
 * It holds keys only: lookups read each object live from the registry and keep those still
 * controlled by the owner, so a sync never acts on a stale copy.
 */
import type { Registry } from '../api/rest/registry.ts';
import type { ResourceType } from '../kinds/registry.ts';
import { controllerRefOf } from '../kinds/pod.ts';
import type { KubeObject } from '../object.ts';
import type { StoreEvent, WatchEventType } from '../store/object-store.ts';
import { keyOf, splitKey } from './work-queue.ts';

export class ControlledIndex {
  /** owner uid → object key → object uid. */
  private readonly byOwner = new Map<string, Map<string, string>>();
  /** object uid → owner uid. */
  private readonly ownerOf = new Map<string, string>();

  /** `ownerKind` limits the index to objects that kind controls (a Job controller has no use for ReplicaSet pods). */
  constructor(
    private readonly registry: Registry,
    private readonly resource: ResourceType,
    private readonly ownerKind?: string,
  ) {}

  /** Loads what exists now (the informer's initial list). */
  load(): void {
    for (const obj of this.registry.list(this.resource, {}).items) this.track(obj);
  }

  observe(type: WatchEventType, event: StoreEvent): void {
    if (type === 'DELETED') this.forget(event.object);
    else this.track(event.object);
  }

  track(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    const ref = controllerRefOf(obj);
    const owner = ref && (this.ownerKind === undefined || ref.kind === this.ownerKind) ? ref.uid : undefined;
    const before = this.ownerOf.get(uid);
    if (before !== undefined && before !== owner) this.drop(before, key, uid);
    if (!owner) {
      this.ownerOf.delete(uid);
      return;
    }
    this.ownerOf.set(uid, owner);
    let keys = this.byOwner.get(owner);
    if (!keys) this.byOwner.set(owner, (keys = new Map()));
    keys.set(key, uid);
  }

  forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const owner = this.ownerOf.get(uid);
    this.ownerOf.delete(uid);
    if (owner !== undefined) this.drop(owner, keyOf(obj.metadata.namespace, obj.metadata.name ?? ''), uid);
  }

  /** The live objects `ownerUid` controls. */
  controlledBy(ownerUid: string): KubeObject[] {
    const keys = this.byOwner.get(ownerUid);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const key of keys.keys()) {
      const { namespace, name } = splitKey(key);
      const obj = this.registry.find(this.resource, namespace, name);
      // A name reused by an object of another owner (or none) is not ours; its own events fix the index.
      if (obj && controllerRefOf(obj)?.uid === ownerUid) out.push(obj);
    }
    return out;
  }

  /** Owners that control at least one indexed object. */
  ownerUids(): IterableIterator<string> {
    return this.byOwner.keys();
  }

  private drop(owner: string, key: string, uid: string): void {
    const keys = this.byOwner.get(owner);
    // Only the same object: a key reused by a newer object (a StatefulSet pod recreated under its name) stays.
    if (keys?.get(key) !== uid) return;
    keys.delete(key);
    if (keys.size === 0) this.byOwner.delete(owner);
  }
}
