/**
 * The kubelet's two heartbeats (kubelet_node_status.go, nodelease):
 * - the Lease `kube-node-lease/<node>` (holderIdentity, leaseDurationSeconds 40, owned by the
 *   Node), renewed every 10s — what the node-lifecycle controller watches;
 * - the node's conditions, computed every 10s (nodeStatusUpdateFrequency) but written only when
 *   something changed or 5 minutes passed (nodeStatusReportFrequency); every write refreshes
 *   lastHeartbeatTime, a status flip moves lastTransitionTime and records the
 *   `NodeHas…`/`NodeReady` event, "Node <name> status is now: <event>".
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { ignoreGone } from '../controllers/controller.ts';
import type { SimContext } from '../context.ts';
import { LEASES, NODES } from '../kinds/resources.ts';
import type { KubeObject, Writable } from '../object.ts';
import { Loop, type Timers } from './timers.ts';

export const LEASE_DURATION_SECONDS = 40;
export const RENEW_INTERVAL_MS = 10_000;
export const STATUS_UPDATE_MS = 10_000;
export const STATUS_REPORT_MS = 5 * 60_000;
const LEASE_NAMESPACE = 'kube-node-lease';

interface ConditionState {
  status: 'True' | 'False';
  reason: string;
  message: string;
  /** The event recorded when the condition turns to this status. */
  event: string;
}

/** The kubelet's wording per condition and status (pkg/kubelet/nodestatus/setters.go). */
const CONDITIONS: Record<string, { healthy: ConditionState; unhealthy: ConditionState }> = {
  MemoryPressure: {
    healthy: {
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
      event: 'NodeHasSufficientMemory',
    },
    unhealthy: {
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
      event: 'NodeHasInsufficientMemory',
    },
  },
  DiskPressure: {
    healthy: {
      status: 'False',
      reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure',
      event: 'NodeHasNoDiskPressure',
    },
    unhealthy: {
      status: 'True',
      reason: 'KubeletHasDiskPressure',
      message: 'kubelet has disk pressure',
      event: 'NodeHasDiskPressure',
    },
  },
  PIDPressure: {
    healthy: {
      status: 'False',
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
      event: 'NodeHasSufficientPID',
    },
    unhealthy: {
      status: 'True',
      reason: 'KubeletHasInsufficientPID',
      message: 'kubelet has insufficient PID available',
      event: 'NodeHasInsufficientPID',
    },
  },
  Ready: {
    healthy: {
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      event: 'NodeReady',
    },
    unhealthy: {
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime is down',
      event: 'NodeNotReady',
    },
  },
};

export interface NodeStatusHost {
  readonly ctx: SimContext;
  readonly nodeName: string;
  readonly timers: Timers;
  paused(): boolean;
  /** Conditions currently True (the eviction manager's pressure conditions). */
  pressure(): readonly string[];
  nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export class NodeStatusReporter {
  private readonly loop: Loop;
  private lastReport = Number.NEGATIVE_INFINITY;
  leaseRenewals = 0;

  constructor(private readonly host: NodeStatusHost) {
    this.loop = new Loop(host.timers, () => {
      this.loop.next(RENEW_INTERVAL_MS);
      this.beat();
    });
  }

  /** Starts the heartbeats; the first renewal and status sync happen after `offsetMs` (staggering nodes). */
  start(offsetMs: number): void {
    this.loop.start(offsetMs);
  }

  stop(): void {
    this.loop.stop();
  }

  /** One heartbeat now (also on resume: a restarted kubelet reports at once). */
  beat(): void {
    if (this.loop.stopped || this.host.paused()) return;
    this.renewLease();
    this.syncStatus();
  }

  private renewLease(): void {
    const { registry, clock } = this.host.ctx;
    const name = this.host.nodeName;
    const renewTime = clock.microTimestamp();
    const live = registry.find(LEASES, LEASE_NAMESPACE, name) as (Lease & KubeObject) | undefined;
    if (!live) {
      const node = registry.find(NODES, undefined, name);
      if (!node) return;
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
        },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
      };
      ignoreGone(() => {
        registry.create(LEASES, LEASE_NAMESPACE, lease, { manager: 'kubelet' });
      });
      this.leaseRenewals++;
      return;
    }
    const next = {
      ...live,
      spec: { ...live.spec, holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
    };
    ignoreGone(() => {
      registry.replace(LEASES, live, next, { manager: 'kubelet' });
    });
    this.leaseRenewals++;
  }

  /** Computes the conditions and writes them if changed or the report is due. */
  syncStatus(): void {
    if (this.loop.stopped || this.host.paused()) return;
    const { registry, clock } = this.host.ctx;
    const live = registry.find(NODES, undefined, this.host.nodeName) as (Node & KubeObject) | undefined;
    if (!live) return;
    const pressure = new Set(this.host.pressure());
    const now = clock.now();
    const stamp = clock.timestamp(now);
    const existing = live.status?.conditions ?? [];
    const transitions: string[] = [];
    const desired = new Map<string, ConditionState>();
    for (const [type, states] of Object.entries(CONDITIONS))
      desired.set(type, pressure.has(type) ? states.unhealthy : states.healthy);
    let changed = false;
    const conditions: NodeCondition[] = existing.map((c) => {
      const want = desired.get(c.type);
      if (!want) return c;
      desired.delete(c.type);
      const flipped = c.status !== want.status;
      if (flipped) transitions.push(want.event);
      if (flipped || c.reason !== want.reason || c.message !== want.message) changed = true;
      return {
        type: c.type,
        status: want.status,
        lastHeartbeatTime: stamp,
        lastTransitionTime: flipped ? stamp : (c.lastTransitionTime ?? stamp),
        reason: want.reason,
        message: want.message,
      };
    });
    for (const [type, want] of desired) {
      changed = true;
      transitions.push(want.event);
      conditions.push({
        type,
        status: want.status,
        lastHeartbeatTime: stamp,
        lastTransitionTime: stamp,
        reason: want.reason,
        message: want.message,
      });
    }
    if (!changed && now - this.lastReport < STATUS_REPORT_MS) return;
    const status: Writable<NonNullable<Node['status']>> = { ...live.status, conditions };
    ignoreGone(() => {
      registry.replace(NODES, live, { ...live, status }, { manager: 'kubelet', subresource: 'status' });
    });
    this.lastReport = now;
    for (const event of transitions)
      this.host.nodeEvent('Normal', event, `Node ${this.host.nodeName} status is now: ${event}`);
  }
}
