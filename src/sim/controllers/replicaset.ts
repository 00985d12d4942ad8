/**
 * The replicaset controller (pkg/controller/replicaset, 1.32): keeps `spec.replicas` active pods
 * that match the selector and name the ReplicaSet as controller. It adopts matching orphans and
 * releases owned pods that stopped matching (ControllerRefManager.ClaimPods), creates missing
 * pods from the template in slow-start batches (1, 2, 4, …, at most 500 a sync), deletes
 * surplus pods in ActivePodsWithRanks order, and reports replicas / fullyLabeledReplicas /
 * readyReplicas / availableReplicas / observedGeneration and the ReplicaFailure condition.
 *
 * Unlike upstream it reads pods live from the registry (indexed by controller uid from watch
 * events) rather than from an informer cache, so it needs no creation/deletion expectations:
 * its own writes are visible to its next sync at once.
 */
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import {
  controllerRefOf,
  controllerRefTo,
  isPodActive,
  isPodAvailable,
  isPodReady,
  type SimPod,
} from '../kinds/pod.ts';
import { PODS, REPLICASETS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual, type Writable } from '../object.ts';
import { labelSelectorFromSpec, type LabelSelector } from '../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import { ControllerIndex } from './controller-index.ts';
import { podsToDelete } from './pod-deletion-rank.ts';
import { podFromTemplate } from './pod-template.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

export type SimReplicaSet = ReplicaSet & KubeObject;

const SOURCE: EventSource = { component: 'replicaset-controller' };
const MANAGER = { manager: 'kube-controller-manager' };
/** replicaset.BurstReplicas: the most pods one sync creates or deletes. */
const BURST_REPLICAS = 500;
/**
 * Pod creations allowed per turn of the event loop across all syncs. Upstream spreads the same
 * work over API round trips; here it is synchronous, and 1,000 ReplicaSets × 100 pods in one
 * queue drain would keep API clients waiting for seconds. A sync over budget creates what it
 * may and comes back on the next turn, which is indistinguishable from slow API responses.
 */
const CREATES_PER_TURN = 500;
/** workqueue.DefaultControllerRateLimiter's per-item backoff: 5ms doubling up to 1000s. */
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1_000_000;

class TurnBudget {
  private used = 0;
  private armed = false;

  constructor(private readonly limit: number) {}

  remaining(): number {
    if (!this.armed) {
      this.armed = true;
      setImmediate(() => {
        this.used = 0;
        this.armed = false;
      });
    }
    return Math.max(0, this.limit - this.used);
  }

  spend(n: number): void {
    this.used += n;
  }
}

interface ManageResult {
  /** manageReplicasErr: the first failed create or delete. */
  error?: ApiError | Error;
  /** Creations were cut short by the per-turn budget: sync again soon. */
  truncated?: boolean;
}

const isNamespaceTerminating = (error: unknown): boolean =>
  error instanceof ApiError && (error.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly queue: WorkQueue;
  private readonly pods: ControllerIndex;
  private readonly replicaSets: ControllerIndex;
  private readonly rsByNamespace = new Map<string, Set<string>>();
  private readonly failures = new Map<string, number>();
  private readonly budget = new TurnBudget(CREATES_PER_TURN);
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('replicaset', ctx.clock, (key) => this.sync(key));
    this.pods = ControllerIndex.of(ctx.registry, PODS);
    this.replicaSets = ControllerIndex.of(ctx.registry, REPLICASETS);
  }

  start(): void {
    const { registry } = this.ctx;
    // The informers' initial list.
    this.pods.acquire();
    this.replicaSets.acquire();
    for (const rs of registry.list(REPLICASETS, {}).items) this.trackReplicaSet('ADDED', rs);
    this.stops.push(
      subscribe(registry, REPLICASETS, (type, event) => {
        this.trackReplicaSet(type, event.object);
        this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? ''));
      }),
      subscribe(registry, PODS, (type, event) => {
        this.onPod(type, event.object as SimPod, event.previous as SimPod | undefined);
      }),
    );
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.queue.stop();
    this.pods.release();
    this.replicaSets.release();
  }

  // ---------------------------------------------------------------------------------------------
  // Event handlers (addPod / updatePod / deletePod)

  private trackReplicaSet(type: string, rs: KubeObject): void {
    const namespace = rs.metadata.namespace ?? '';
    const key = keyOf(namespace, rs.metadata.name ?? '');
    let keys = this.rsByNamespace.get(namespace);
    if (type === 'DELETED') {
      this.replicaSets.forget(rs);
      keys?.delete(key);
      if (keys?.size === 0) this.rsByNamespace.delete(namespace);
      this.failures.delete(key);
      return;
    }
    this.replicaSets.track(rs);
    if (!keys) this.rsByNamespace.set(namespace, (keys = new Set()));
    keys.add(key);
  }

  private onPod(type: string, pod: SimPod, previous: SimPod | undefined): void {
    const ref = controllerRefOf(pod);
    const oldRef = previous ? controllerRefOf(previous) : undefined;
    if (type === 'MODIFIED' && oldRef && oldRef.uid !== ref?.uid) this.enqueueRef(pod, oldRef);
    if (ref) {
      const rs = this.enqueueRef(pod, ref);
      // A pod that just became ready becomes available minReadySeconds later; nothing else
      // would wake the ReplicaSet then (upstream adds a second against clock skew).
      const minReady = rs?.spec?.minReadySeconds ?? 0;
      if (rs && type === 'MODIFIED' && minReady > 0 && previous && !isPodReady(previous) && isPodReady(pod)) {
        this.queue.addAfter(keyOf(rs.metadata.namespace, rs.metadata.name ?? ''), minReady * 1000 + 1000);
      }
      return;
    }
    if (type === 'DELETED') return;
    // An orphan: wake every ReplicaSet that could adopt it, when something relevant changed.
    const relevant =
      type === 'ADDED' ||
      !semanticEqual(previous?.metadata.labels, pod.metadata.labels) ||
      oldRef !== undefined;
    if (relevant) for (const key of this.replicaSetsMatching(pod)) this.queue.add(key);
  }

  /** resolveControllerRef + enqueue; returns the ReplicaSet when the reference resolves. */
  private enqueueRef(pod: SimPod, ref: OwnerReference): SimReplicaSet | undefined {
    if (ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.ctx.registry.find(REPLICASETS, pod.metadata.namespace, ref.name) as
      SimReplicaSet | undefined;
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    this.queue.add(keyOf(rs.metadata.namespace, rs.metadata.name ?? ''));
    return rs;
  }

  /** GetPodReplicaSets: ReplicaSets in the pod's namespace whose (non-empty) selector matches it. */
  private replicaSetsMatching(pod: SimPod): string[] {
    const out: string[] = [];
    for (const key of this.rsByNamespace.get(pod.metadata.namespace ?? '') ?? []) {
      const { namespace, name } = splitKey(key);
      const rs = this.ctx.registry.find(REPLICASETS, namespace, name) as SimReplicaSet | undefined;
      const selector = rs && selectorOf(rs);
      if (selector && !selector.empty && selector.matches(pod.metadata.labels)) out.push(key);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // syncReplicaSet

  private sync(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const rs = this.ctx.registry.find(REPLICASETS, namespace, name) as SimReplicaSet | undefined;
    if (!rs) {
      this.failures.delete(key);
      return undefined;
    }
    // An invalid selector is logged upstream and not retried.
    const selector = selectorOf(rs);
    if (!selector) return undefined;

    const active = this.claimPods(rs, selector);
    const result: ManageResult = rs.metadata.deletionTimestamp ? {} : this.manageReplicas(rs, active);
    const status = this.calculateStatus(rs, active, result.error);
    const written = this.writeStatus(rs, status);

    if (result.error) {
      const n = this.failures.get(key) ?? 0;
      this.failures.set(key, n + 1);
      return Math.min(BACKOFF_BASE_MS * 2 ** n, BACKOFF_MAX_MS);
    }
    this.failures.delete(key);
    if (result.truncated) return 1;
    const replicas = written.spec?.replicas ?? 1;
    const minReady = written.spec?.minReadySeconds ?? 0;
    if (
      minReady > 0 &&
      (written.status?.readyReplicas ?? 0) === replicas &&
      (written.status?.availableReplicas ?? 0) !== replicas
    ) {
      return minReady * 1000;
    }
    return undefined;
  }

  /**
   * FilterActivePods then ClaimPods: the active pods this ReplicaSet controls after adopting
   * matching orphans and releasing owned pods that no longer match.
   */
  private claimPods(rs: SimReplicaSet, selector: LabelSelector): SimPod[] {
    const { registry } = this.ctx;
    const uid = rs.metadata.uid ?? '';
    const namespace = rs.metadata.namespace ?? '';
    const deleting = Boolean(rs.metadata.deletionTimestamp);
    const claimed: SimPod[] = [];
    const release: SimPod[] = [];
    for (const key of this.pods.ownedKeys(uid)) {
      const pod = registry.find(PODS, namespace, splitKey(key).name) as SimPod | undefined;
      if (!pod || controllerRefOf(pod)?.uid !== uid || !isPodActive(pod)) continue;
      if (selector.matches(pod.metadata.labels)) claimed.push(pod);
      else if (!deleting) release.push(pod);
    }
    const adopt: SimPod[] = [];
    if (!deleting) {
      for (const key of this.pods.orphans(namespace)) {
        const pod = registry.find(PODS, namespace, splitKey(key).name) as SimPod | undefined;
        if (!pod || controllerRefOf(pod) || !isPodActive(pod)) continue;
        if (selector.matches(pod.metadata.labels)) adopt.push(pod);
      }
    }
    for (const pod of release) this.releasePod(pod, uid);
    for (const pod of adopt) {
      const adopted = this.adoptPod(rs, pod);
      if (adopted) claimed.push(adopted);
    }
    return claimed;
  }

  private adoptPod(rs: SimReplicaSet, pod: SimPod): SimPod | undefined {
    const next = structuredClone(pod);
    next.metadata.ownerReferences = [...(pod.metadata.ownerReferences ?? []), controllerRefTo(rs)];
    try {
      const adopted = this.ctx.registry.replace(PODS, pod, next, MANAGER) as SimPod;
      this.pods.track(adopted);
      return adopted;
    } catch (error) {
      if (error instanceof ApiError && (error.code === 404 || error.code === 409 || error.code === 422))
        return undefined;
      throw error;
    }
  }

  private releasePod(pod: SimPod, uid: string): void {
    const next = structuredClone(pod);
    next.metadata.ownerReferences = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    ignoreGone(() => this.pods.track(this.ctx.registry.replace(PODS, pod, next, MANAGER)));
  }

  private manageReplicas(rs: SimReplicaSet, active: SimPod[]): ManageResult {
    const diff = active.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) return this.createPods(rs, Math.min(-diff, BURST_REPLICAS));
    if (diff > 0) return this.deletePods(rs, active, Math.min(diff, BURST_REPLICAS));
    return {};
  }

  /** slowStartBatch: batches of 1, 2, 4, … until one of them fails. */
  private createPods(rs: SimReplicaSet, wanted: number): ManageResult {
    const allowed = Math.min(wanted, this.budget.remaining());
    let created = 0;
    for (let batch = Math.min(allowed, 1); batch > 0; batch = Math.min(2 * batch, allowed - created)) {
      for (let i = 0; i < batch; i++) {
        try {
          this.createPod(rs);
        } catch (error) {
          // A terminating namespace refuses every create: nothing to report, nothing to retry.
          if (isNamespaceTerminating(error)) return {};
          const message = error instanceof Error ? error.message : String(error);
          this.ctx.events.record(SOURCE, rs, 'Warning', 'FailedCreate', `Error creating: ${message}`);
          return { error: error instanceof Error ? error : new Error(message) };
        } finally {
          this.budget.spend(1);
        }
      }
      created += batch;
    }
    return allowed < wanted ? { truncated: true } : {};
  }

  /** controller.GetPodFromTemplate + CreatePods (errors go back to slowStartBatch). */
  private createPod(rs: SimReplicaSet): void {
    const body = podFromTemplate(rs.spec?.template, rs);
    const pod = this.ctx.registry.create(PODS, rs.metadata.namespace, body, MANAGER);
    this.pods.track(pod);
    this.ctx.events.record(
      SOURCE,
      rs,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${pod.metadata.name ?? ''}`,
    );
  }

  private deletePods(rs: SimReplicaSet, active: SimPod[], count: number): ManageResult {
    const victims = podsToDelete(active, this.relatedPods(rs), count, this.ctx.clock.now());
    let first: ApiError | Error | undefined;
    for (const pod of victims) {
      const name = pod.metadata.name ?? '';
      try {
        this.ctx.registry.delete(PODS, pod.metadata.namespace, name, {});
        this.ctx.events.record(SOURCE, rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } catch (error) {
        if (error instanceof ApiError && error.code === 404) continue;
        const message = error instanceof Error ? error.message : String(error);
        this.ctx.events.record(SOURCE, rs, 'Warning', 'FailedDelete', `Error deleting: ${message}`);
        first ??= error instanceof Error ? error : new Error(message);
      }
    }
    return first ? { error: first } : {};
  }

  /**
   * getIndirectlyRelatedPods: the pods of every ReplicaSet with the same controller (the
   * Deployment's other revisions), for ranking doubled-up nodes. None for an unowned ReplicaSet.
   */
  private relatedPods(rs: SimReplicaSet): SimPod[] {
    const owner = controllerRefOf(rs);
    if (!owner) return [];
    const { registry } = this.ctx;
    const namespace = rs.metadata.namespace ?? '';
    const out: SimPod[] = [];
    const seen = new Set<string>();
    for (const key of this.replicaSets.ownedKeys(owner.uid)) {
      const sibling = registry.find(REPLICASETS, namespace, splitKey(key).name) as SimReplicaSet | undefined;
      const selector = sibling && selectorOf(sibling);
      if (!sibling || !selector) continue;
      for (const podKey of this.pods.ownedKeys(sibling.metadata.uid ?? '')) {
        if (seen.has(podKey)) continue;
        const pod = registry.find(PODS, namespace, splitKey(podKey).name) as SimPod | undefined;
        if (pod && selector.matches(pod.metadata.labels)) {
          seen.add(podKey);
          out.push(pod);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  private calculateStatus(rs: SimReplicaSet, active: SimPod[], error: Error | undefined): ReplicaSetStatus {
    const templateLabels = Object.entries(rs.spec?.template?.metadata?.labels ?? {});
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const now = this.ctx.clock.now();
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const pod of active) {
      const labels = pod.metadata.labels ?? {};
      if (templateLabels.every(([k, v]) => labels[k] === v)) fullyLabeled++;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
    }
    let conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
    const failure = conditions.find((c) => c.type === 'ReplicaFailure');
    if (error && !failure) {
      const diff = active.length - (rs.spec?.replicas ?? 1);
      conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        lastTransitionTime: this.ctx.clock.timestamp(now),
        reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '',
        message: error.message,
      });
    } else if (!error && failure) {
      conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    }
    // ReplicaSetStatus's wire form: replicas always, the other counters omitted when zero.
    return {
      replicas: active.length,
      ...(fullyLabeled ? { fullyLabeledReplicas: fullyLabeled } : {}),
      ...(ready ? { readyReplicas: ready } : {}),
      ...(available ? { availableReplicas: available } : {}),
      ...(rs.metadata.generation ? { observedGeneration: rs.metadata.generation } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    };
  }

  /** updateReplicaSetStatus: writes only when a counter, the generation or a condition changed. */
  private writeStatus(rs: SimReplicaSet, status: ReplicaSetStatus): SimReplicaSet {
    const old: Partial<ReplicaSetStatus> = rs.status ?? {};
    const unchanged =
      (old.replicas ?? 0) === status.replicas &&
      (old.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
      (old.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
      (old.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
      (rs.metadata.generation ?? 0) === (old.observedGeneration ?? 0) &&
      semanticEqual(old.conditions ?? [], status.conditions ?? []);
    if (unchanged) return rs;
    const next = structuredClone(rs) as Writable<SimReplicaSet>;
    next.status = status;
    let written = rs;
    ignoreGone(() => {
      written = this.ctx.registry.replace(REPLICASETS, rs, next, {
        ...MANAGER,
        subresource: 'status',
      }) as SimReplicaSet;
    });
    return written;
  }
}

/** metav1.LabelSelectorAsSelector, or undefined for a selector that does not parse. */
function selectorOf(rs: SimReplicaSet): LabelSelector | undefined {
  try {
    return labelSelectorFromSpec(rs.spec?.selector);
  } catch {
    return undefined;
  }
}
