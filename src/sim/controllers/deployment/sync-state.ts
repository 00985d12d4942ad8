/**
 * One sync of one Deployment: the working copy the controller mutates (status conditions, the
 * revision annotation) and writes back, and the writes it makes, with the optimistic
 * concurrency a real client gets (a ReplicaSet written from a stale copy is a 409).
 */
import type { DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { modifiedConflict, notFound } from '../../api/rest/status.ts';
import type { SimContext } from '../../context.ts';
import type { SimPod } from '../../kinds/pod.ts';
import { DEPLOYMENTS, REPLICASETS } from '../../kinds/resources.ts';
import type { Writable } from '../../object.ts';
import type { EventSource, EventType } from '../events.ts';
import { keyOf } from '../work-queue.ts';
import type { SimDeployment, SimReplicaSet } from './types.ts';

export const SOURCE: EventSource = { component: 'deployment-controller' };
export const MANAGER = { manager: 'kube-controller-manager' };

/** What the controller offers a sync beyond the registry. */
export interface DeploymentHost {
  readonly ctx: SimContext;
  requeueAfter(key: string, simMs: number): void;
  /** getPodMapForDeployment: pods (any phase) of each ReplicaSet by uid, matching the selector. */
  podsByReplicaSet(d: SimDeployment, rsList: SimReplicaSet[]): Map<string, SimPod[]>;
  /** A ReplicaSet this controller just created or changed, for its indexes. */
  replicaSetWritten(rs: SimReplicaSet): void;
}

export class DeploymentSync {
  /** The working copy (upstream's DeepCopy of the cached Deployment). */
  d: SimDeployment;

  constructor(
    readonly host: DeploymentHost,
    live: SimDeployment,
  ) {
    this.d = structuredClone(live);
  }

  get ctx(): SimContext {
    return this.host.ctx;
  }

  get key(): string {
    return keyOf(this.d.metadata.namespace, this.d.metadata.name ?? '');
  }

  get status(): Writable<DeploymentStatus> {
    const d = this.d as Writable<SimDeployment>;
    d.status ??= {};
    return d.status as Writable<DeploymentStatus>;
  }

  event(type: EventType, reason: string, message: string): void {
    this.ctx.events.record(SOURCE, this.d, type, reason, message);
  }

  /**
   * UpdateStatus(d): the status subresource also takes the Deployment's annotations (that is how
   * the controller sets `deployment.kubernetes.io/revision`), and refreshes the working copy.
   */
  updateStatus(status?: DeploymentStatus): void {
    if (status) (this.d as Writable<SimDeployment>).status = status;
    const { registry } = this.ctx;
    const live = registry.find(DEPLOYMENTS, this.d.metadata.namespace, this.d.metadata.name ?? '');
    if (!live || live.metadata.uid !== this.d.metadata.uid)
      throw notFound(DEPLOYMENTS, this.d.metadata.name ?? '');
    const written = registry.replace(DEPLOYMENTS, live, structuredClone(this.d), {
      ...MANAGER,
      subresource: 'status',
    }) as SimDeployment;
    this.d = structuredClone(written);
  }

  /** Update of a ReplicaSet from the copy `base` was read as; 409 when it changed since. */
  updateReplicaSet(base: SimReplicaSet, next: SimReplicaSet): SimReplicaSet {
    const { registry } = this.ctx;
    const name = base.metadata.name ?? '';
    const live = registry.find(REPLICASETS, base.metadata.namespace, name);
    if (!live || live.metadata.uid !== base.metadata.uid) throw notFound(REPLICASETS, name);
    if (live.metadata.resourceVersion !== base.metadata.resourceVersion)
      throw modifiedConflict(REPLICASETS, name);
    const written = registry.replace(REPLICASETS, live, next, MANAGER) as SimReplicaSet;
    this.host.replicaSetWritten(written);
    return written;
  }
}
