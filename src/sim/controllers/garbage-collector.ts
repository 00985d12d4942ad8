/**
 * Owner-reference garbage collection (pkg/controller/garbagecollector), for the three
 * propagation policies:
 * - Background: the owner is gone at once; dependents whose owners are all gone are deleted.
 * - Foreground: the owner waits with the `foregroundDeletion` finalizer until dependents that
 *   block owner deletion are gone; dependents are deleted in foreground too.
 * - Orphan: the `orphan` finalizer makes the collector strip the ownerReference from every
 *   dependent, then release the owner.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { RESOURCES, type ResourceType, resourceForKind } from '../kinds/registry.ts';
import type { KubeObject } from '../object.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';

interface Ref {
  resource: ResourceType;
  namespace: string | undefined;
  name: string;
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private stops: (() => void)[] = [];
  /** uid → where the object lives, for every object. */
  private readonly byUid = new Map<string, Ref>();
  /** owner uid → uids of its dependents. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(private readonly registry: Registry) {}

  start(): void {
    for (const r of RESOURCES) {
      // Views (events.k8s.io) share their storage's objects; Binding stores nothing.
      if (r.kind === 'Binding' || r.storage) continue;
      for (const obj of this.registry.list(r, {}).items) this.track(r, obj);
      this.stops.push(
        subscribe(this.registry, r, (type, event) => {
          if (type === 'DELETED') this.onGone(event.object);
          else this.onChange(r, event.object, event.previous);
        }),
      );
    }
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
  }

  private track(r: ResourceType, obj: KubeObject, previous?: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.byUid.set(uid, { resource: r, namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' });
    for (const ref of previous?.metadata.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(uid);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
  }

  private onChange(r: ResourceType, obj: KubeObject, previous?: KubeObject): void {
    this.track(r, obj, previous);
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp) {
      if (finalizers.includes('orphan')) this.orphan(r, obj);
      else if (finalizers.includes('foregroundDeletion')) this.foreground(r, obj);
    }
    // A dependent created (or re-pointed) at owners that no longer exist is collected, like
    // the collector's "virtual" owner verification.
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length > 0 && !obj.metadata.deletionTimestamp && refs.every((ref) => this.ownerGone(obj, ref))) {
      this.deleteDependent(obj, 'Background');
    }
  }

  private onGone(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(uid);
      // A foreground owner waiting on this dependent may now be free.
      const owner = this.byUid.get(ref.uid);
      const live = owner ? this.registry.find(owner.resource, owner.namespace, owner.name) : undefined;
      if (owner && live?.metadata.finalizers?.includes('foregroundDeletion'))
        this.foreground(owner.resource, live);
    }
    for (const depUid of this.dependents.get(uid) ?? []) {
      const dep = this.lookup(depUid);
      if (!dep || dep.metadata.deletionTimestamp) continue;
      // Read live: the dependent may have been orphaned (its reference removed) since it was indexed.
      const refs = dep.metadata.ownerReferences ?? [];
      if (!refs.some((ref) => ref.uid === uid)) continue;
      if (refs.every((ref) => ref.uid === uid || this.ownerGone(dep, ref)))
        this.deleteDependent(dep, 'Background');
      // attemptToDeleteItem: with owners still alive, only the dangling reference goes.
      else this.dropOwnerReference(dep, uid);
    }
    this.dependents.delete(uid);
  }

  private ownerGone(dependent: KubeObject, ref: OwnerReference): boolean {
    const where = this.byUid.get(ref.uid);
    if (where) return false;
    const r = resourceForKind(ref.apiVersion, ref.kind);
    if (!r) return false; // Unknown owner kinds are left alone, as the collector does with unresolvable references.
    const live = this.registry.find(r, r.namespaced ? dependent.metadata.namespace : undefined, ref.name);
    return live?.metadata.uid !== ref.uid;
  }

  private lookup(uid: string): KubeObject | undefined {
    const ref = this.byUid.get(uid);
    return ref ? this.registry.find(ref.resource, ref.namespace, ref.name) : undefined;
  }

  private deleteDependent(dep: KubeObject, policy: 'Background' | 'Foreground'): void {
    const where = dep.metadata.uid ? this.byUid.get(dep.metadata.uid) : undefined;
    if (!where) return;
    ignoreGone(() =>
      this.registry.delete(where.resource, where.namespace, where.name, {
        propagationPolicy: policy,
        preconditions: { uid: dep.metadata.uid },
      }),
    );
  }

  private orphan(r: ResourceType, owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    for (const depUid of [...(this.dependents.get(uid) ?? [])]) {
      const dep = this.lookup(depUid);
      if (dep) this.dropOwnerReference(dep, uid);
    }
    this.removeFinalizer(r, owner, 'orphan');
  }

  private foreground(r: ResourceType, owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    let blocking = 0;
    for (const depUid of [...(this.dependents.get(uid) ?? [])]) {
      const dep = this.lookup(depUid);
      if (!dep) continue;
      const refs = dep.metadata.ownerReferences ?? [];
      const ref = refs.find((o) => o.uid === uid);
      if (!ref) continue;
      // attemptToDeleteItem: a dependent that another live owner still holds only loses this reference.
      const otherOwnersAlive = refs.some((o) => o.uid !== uid && !this.ownerGone(dep, o));
      if (otherOwnersAlive) {
        this.dropOwnerReference(dep, uid);
        continue;
      }
      if (ref.blockOwnerDeletion) blocking++;
      // Foreground only matters for dependents that have dependents of their own.
      const policy = (this.dependents.get(depUid)?.size ?? 0) > 0 ? 'Foreground' : 'Background';
      if (!dep.metadata.deletionTimestamp) this.deleteDependent(dep, policy);
    }
    if (blocking === 0) this.removeFinalizer(r, owner, 'foregroundDeletion');
  }

  private dropOwnerReference(dep: KubeObject, ownerUid: string): void {
    const where = dep.metadata.uid ? this.byUid.get(dep.metadata.uid) : undefined;
    if (!where) return;
    const next = structuredClone(dep);
    next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter(
      (ref) => ref.uid !== ownerUid,
    );
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    ignoreGone(() =>
      this.registry.replace(where.resource, dep, next, { manager: 'kube-controller-manager' }),
    );
  }

  private removeFinalizer(r: ResourceType, obj: KubeObject, finalizer: string): void {
    const live = this.registry.find(r, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!live || live.metadata.uid !== obj.metadata.uid) return;
    const next = structuredClone(live);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    ignoreGone(() => this.registry.replace(r, live, next, { manager: 'kube-controller-manager' }));
  }
}
