/**
 * The deployment controller (pkg/controller/deployment, 1.32): claims the ReplicaSets whose
 * labels match the Deployment's selector (adopting orphans, releasing strays), then per sync one
 * of: status only (being deleted), scale (paused, or spec.replicas changed), or a step of the
 * rollout strategy. Writes status, conditions and the revision annotation through the status
 * subresource and records `ScalingReplicaSet` events as `deployment-controller`.
 *
 * ReplicaSets and pods are indexed by controller uid from watch events and read live, so a sync
 * costs what the Deployment owns, not what the cluster holds.
 */
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../api/rest/status.ts';
import type { SimContext } from '../../context.ts';
import { controllerRefOf, controllerRefTo, type SimPod } from '../../kinds/pod.ts';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../../kinds/resources.ts';
import { type KubeObject, semanticEqual } from '../../object.ts';
import { labelSelectorFromSpec, type LabelSelector } from '../../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from '../controller.ts';
import { ControllerIndex } from '../controller-index.ts';
import { keyOf, splitKey, WorkQueue } from '../work-queue.ts';
import { isNamespaceTerminating, getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { cleanupDeployment } from './history.ts';
import { checkPausedConditions, syncDeploymentStatus } from './progress.ts';
import { rolloutRecreate } from './recreate.ts';
import { rolloutRolling } from './rolling.ts';
import { isScalingEvent, scale } from './scale.ts';
import { DeploymentSync, MANAGER, type DeploymentHost } from './sync-state.ts';
import type { SimDeployment, SimReplicaSet } from './types.ts';

/** workqueue.DefaultControllerRateLimiter's per-item backoff: 5ms doubling up to 1000s. */
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1_000_000;

function selectorOf(d: Deployment | undefined): LabelSelector | undefined {
  try {
    return labelSelectorFromSpec(d?.spec?.selector);
  } catch {
    return undefined;
  }
}

export class DeploymentController implements Controller, DeploymentHost {
  readonly name = 'deployment';
  private readonly queue: WorkQueue;
  private readonly replicaSets: ControllerIndex;
  private readonly pods: ControllerIndex;
  private readonly deploymentsByNamespace = new Map<string, Set<string>>();
  private readonly failures = new Map<string, number>();
  private stops: (() => void)[] = [];

  constructor(readonly ctx: SimContext) {
    this.queue = new WorkQueue('deployment', ctx.clock, (key) => this.syncKey(key));
    this.replicaSets = ControllerIndex.of(ctx.registry, REPLICASETS);
    this.pods = ControllerIndex.of(ctx.registry, PODS);
  }

  start(): void {
    const { registry } = this.ctx;
    for (const d of registry.list(DEPLOYMENTS, {}).items) this.trackDeployment('ADDED', d);
    this.replicaSets.acquire();
    this.pods.acquire();
    this.stops.push(
      subscribe(registry, DEPLOYMENTS, (type, event) => {
        this.trackDeployment(type, event.object);
        this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? ''));
      }),
      subscribe(registry, REPLICASETS, (type, event) => {
        this.onReplicaSet(type, event.object as SimReplicaSet, event.previous as SimReplicaSet | undefined);
      }),
      subscribe(registry, PODS, (type, event) => {
        if (type === 'DELETED') this.onPodDeleted(event.object as SimPod);
      }),
    );
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.queue.stop();
    this.replicaSets.release();
    this.pods.release();
  }

  // ---------------------------------------------------------------------------------------------
  // DeploymentHost

  requeueAfter(key: string, simMs: number): void {
    this.queue.addAfter(key, simMs);
  }

  replicaSetWritten(rs: SimReplicaSet): void {
    this.replicaSets.track(rs);
  }

  podsByReplicaSet(d: SimDeployment, rsList: SimReplicaSet[]): Map<string, SimPod[]> {
    const selector = selectorOf(d);
    const out = new Map<string, SimPod[]>();
    for (const rs of rsList) {
      const uid = rs.metadata.uid ?? '';
      const pods: SimPod[] = [];
      for (const key of this.pods.ownedKeys(uid)) {
        const { namespace, name } = splitKey(key);
        const pod = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
        if (pod && controllerRefOf(pod)?.uid === uid && selector?.matches(pod.metadata.labels))
          pods.push(pod);
      }
      out.set(uid, pods);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Event handlers

  private trackDeployment(type: string, d: KubeObject): void {
    const namespace = d.metadata.namespace ?? '';
    const key = keyOf(namespace, d.metadata.name ?? '');
    let keys = this.deploymentsByNamespace.get(namespace);
    if (type === 'DELETED') {
      keys?.delete(key);
      if (keys?.size === 0) this.deploymentsByNamespace.delete(namespace);
      this.failures.delete(key);
      return;
    }
    if (!keys) this.deploymentsByNamespace.set(namespace, (keys = new Set()));
    keys.add(key);
  }

  /** addReplicaSet / updateReplicaSet / deleteReplicaSet. */
  private onReplicaSet(type: string, rs: SimReplicaSet, previous: SimReplicaSet | undefined): void {
    const ref = controllerRefOf(rs);
    const oldRef = previous ? controllerRefOf(previous) : undefined;
    if (type === 'MODIFIED' && oldRef && oldRef.uid !== ref?.uid)
      this.enqueueRef(rs.metadata.namespace, oldRef);
    if (ref) {
      this.enqueueRef(rs.metadata.namespace, ref);
      return;
    }
    if (type === 'DELETED') return;
    const labelsChanged = !semanticEqual(previous?.metadata.labels, rs.metadata.labels);
    if (type === 'ADDED' || labelsChanged || oldRef) {
      // An orphan: every Deployment that selects it may want to adopt it.
      for (const key of this.deploymentsByNamespace.get(rs.metadata.namespace ?? '') ?? []) {
        const { namespace, name } = splitKey(key);
        const d = this.ctx.registry.find(DEPLOYMENTS, namespace, name) as SimDeployment | undefined;
        const selector = selectorOf(d);
        if (selector && !selector.empty && selector.matches(rs.metadata.labels)) this.queue.add(key);
      }
    }
  }

  /** deletePod: a Recreate Deployment waits for its last old pod to go. */
  private onPodDeleted(pod: SimPod): void {
    const podRef = controllerRefOf(pod);
    if (!podRef || podRef.kind !== 'ReplicaSet') return;
    const rs = this.ctx.registry.find(REPLICASETS, pod.metadata.namespace, podRef.name) as
      SimReplicaSet | undefined;
    if (!rs || rs.metadata.uid !== podRef.uid) return;
    const rsRef = controllerRefOf(rs);
    const d = rsRef && this.resolve(rs.metadata.namespace, rsRef);
    if (!d || d.spec?.strategy?.type !== 'Recreate') return;
    const selector = selectorOf(d);
    const rsList = this.ownedReplicaSets(d).filter((r) => selector?.matches(r.metadata.labels));
    let pods = 0;
    for (const list of this.podsByReplicaSet(d, rsList).values()) pods += list.length;
    if (pods === 0) this.queue.add(keyOf(d.metadata.namespace, d.metadata.name ?? ''));
  }

  private resolve(namespace: string | undefined, ref: OwnerReference): SimDeployment | undefined {
    if (ref.kind !== 'Deployment') return undefined;
    const d = this.ctx.registry.find(DEPLOYMENTS, namespace, ref.name) as SimDeployment | undefined;
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueRef(namespace: string | undefined, ref: OwnerReference): void {
    const d = this.resolve(namespace, ref);
    if (d) this.queue.add(keyOf(d.metadata.namespace, d.metadata.name ?? ''));
  }

  private ownedReplicaSets(d: SimDeployment): SimReplicaSet[] {
    const out: SimReplicaSet[] = [];
    for (const key of this.replicaSets.ownedKeys(d.metadata.uid ?? '')) {
      const { namespace, name } = splitKey(key);
      const rs = this.ctx.registry.find(REPLICASETS, namespace, name) as SimReplicaSet | undefined;
      if (rs && controllerRefOf(rs)?.uid === d.metadata.uid) out.push(rs);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // syncDeployment

  private syncKey(key: string): number | undefined {
    try {
      this.syncDeployment(key);
      this.failures.delete(key);
      return undefined;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // A terminating namespace will refuse every write: forget the key, as handleErr does.
      if (isNamespaceTerminating(error)) {
        this.failures.delete(key);
        return undefined;
      }
      const n = this.failures.get(key) ?? 0;
      this.failures.set(key, n + 1);
      return Math.min(BACKOFF_BASE_MS * 2 ** n, BACKOFF_MAX_MS);
    }
  }

  private syncDeployment(key: string): void {
    const { namespace, name } = splitKey(key);
    const live = this.ctx.registry.find(DEPLOYMENTS, namespace, name) as SimDeployment | undefined;
    if (!live) return;
    const s = new DeploymentSync(this, live);
    const selectorSpec = s.d.spec?.selector;
    if (
      selectorSpec &&
      Object.keys(selectorSpec.matchLabels ?? {}).length + (selectorSpec.matchExpressions ?? []).length === 0
    ) {
      s.event(
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((s.d.status?.observedGeneration ?? 0) < (s.d.metadata.generation ?? 0)) {
        s.status.observedGeneration = s.d.metadata.generation ?? 0;
        s.updateStatus();
      }
      return;
    }
    const selector = selectorOf(s.d);
    if (!selector) return;
    const rsList = this.claimReplicaSets(s.d, selector);

    if (s.d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, false);
      return syncDeploymentStatus(s, [...oldRSs, newRS], newRS);
    }
    checkPausedConditions(s);
    if (s.d.spec?.paused || isScalingEvent(s, rsList)) return this.sync(s, rsList);
    if (s.d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(s, rsList);
    return rolloutRolling(s, rsList);
  }

  /** sync: scaling (and, while paused, history cleanup) without moving the rollout forward. */
  private sync(s: DeploymentSync, rsList: SimReplicaSet[]): void {
    const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, false);
    scale(s, newRS, oldRSs);
    if (s.d.spec?.paused) cleanupDeployment(s, oldRSs);
    syncDeploymentStatus(s, [...oldRSs, newRS], newRS);
  }

  /**
   * getReplicaSetsForDeployment (ClaimReplicaSets): owned ReplicaSets whose labels still match,
   * plus matching orphans adopted now; owned ones that stopped matching are released.
   */
  private claimReplicaSets(d: SimDeployment, selector: LabelSelector): SimReplicaSet[] {
    const { registry } = this.ctx;
    const deleting = Boolean(d.metadata.deletionTimestamp);
    const claimed: SimReplicaSet[] = [];
    for (const rs of this.ownedReplicaSets(d)) {
      if (selector.matches(rs.metadata.labels)) claimed.push(rs);
      else if (!deleting) this.release(rs, d.metadata.uid ?? '');
    }
    if (deleting) return claimed;
    for (const key of this.replicaSets.orphans(d.metadata.namespace ?? '')) {
      const { namespace, name } = splitKey(key);
      const rs = registry.find(REPLICASETS, namespace, name) as SimReplicaSet | undefined;
      if (
        !rs ||
        controllerRefOf(rs) ||
        rs.metadata.deletionTimestamp ||
        !selector.matches(rs.metadata.labels)
      )
        continue;
      const next = structuredClone(rs);
      next.metadata.ownerReferences = [...(rs.metadata.ownerReferences ?? []), controllerRefTo(d)];
      ignoreGone(() => {
        const adopted = registry.replace(REPLICASETS, rs, next, MANAGER) as SimReplicaSet;
        this.replicaSets.track(adopted);
        claimed.push(adopted);
      });
    }
    return claimed;
  }

  private release(rs: SimReplicaSet, uid: string): void {
    const next = structuredClone(rs);
    next.metadata.ownerReferences = (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    ignoreGone(() => this.replicaSets.track(this.ctx.registry.replace(REPLICASETS, rs, next, MANAGER)));
  }
}
