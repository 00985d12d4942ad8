/**
 * Every node's kubelet, as one component: one Kubelet per node of the topology, fed from one
 * pod watch routed by spec.nodeName and one node watch (for the `sim.scars.dev/kubelet`
 * annotation). Heartbeats are staggered across nodes so 1,000 kubelets do not renew in one burst.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import { type Controller, subscribe } from '../controllers/controller.ts';
import type { SimPod } from '../kinds/pod.ts';
import { NODES, PODS } from '../kinds/resources.ts';
import type { KubeObject } from '../object.ts';
import { Kubelet } from './kubelet.ts';
import type { NodeMemorySnapshot } from './memory.ts';
import { RENEW_INTERVAL_MS } from './node-status.ts';
import {
  DEFAULT_CONTAINER_START_MS,
  type KubeletCounters,
  type KubeletOptions,
  PENDING_STATUS_MAX_NODES,
} from './pod-worker.ts';

export type { KubeletOptions } from './pod-worker.ts';

export interface KubeletStats extends KubeletCounters {
  nodes: number;
  /** Pods a kubelet runs (admitted and not yet gone). */
  pods: number;
  /** Pods with at least one container running. */
  runningPods: number;
  runningContainers: number;
  leaseRenewals: number;
}

export class Kubelets implements Controller {
  readonly name = 'kubelet';
  private readonly kubelets = new Map<string, Kubelet>();
  private readonly counters: KubeletCounters = {
    containerStarts: 0,
    restarts: 0,
    oomKills: 0,
    systemOoms: 0,
    evictions: 0,
    rejections: 0,
    probeKills: 0,
  };
  private readonly options: KubeletOptions;
  private stops: (() => void)[] = [];

  constructor(
    private readonly ctx: SimContext,
    options: Partial<KubeletOptions> = {},
  ) {
    this.options = {
      containerStartMs: options.containerStartMs ?? DEFAULT_CONTAINER_START_MS,
      reportPendingStatus:
        options.reportPendingStatus ?? ctx.topology.nodes.length <= PENDING_STATUS_MAX_NODES,
    };
  }

  start(): void {
    if (this.stops.length > 0) return;
    const nodes = this.ctx.topology.nodes;
    for (const config of nodes)
      this.kubelets.set(config.name, new Kubelet(this.ctx, config, this.options, this.counters));
    this.stops.push(
      subscribe(this.ctx.registry, NODES, (type, event) => {
        if (type === 'DELETED') return;
        this.kubelets.get(event.object.metadata.name ?? '')?.onNode(event.object as Node & KubeObject);
      }),
      subscribe(this.ctx.registry, PODS, (type, event) => {
        const pod = event.object as SimPod;
        const node = pod.spec?.nodeName;
        if (node) this.kubelets.get(node)?.onPod(type, pod);
      }),
    );
    let i = 0;
    for (const kubelet of this.kubelets.values()) {
      kubelet.start(Math.floor((i++ * RENEW_INTERVAL_MS) / Math.max(1, nodes.length)));
    }
    // Pods bound before the kubelets started (a watch only brings what changes from now on).
    for (const pod of this.ctx.registry.list(PODS, {}).items as SimPod[]) {
      const node = pod.spec?.nodeName;
      if (node) this.kubelets.get(node)?.onPod('ADDED', pod);
    }
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    for (const k of this.kubelets.values()) k.stop();
    this.kubelets.clear();
  }

  kubelet(nodeName: string): Kubelet | undefined {
    return this.kubelets.get(nodeName);
  }

  /** The node's memory as the kubelet's model has it (for tests and faults). */
  nodeMemory(nodeName: string): NodeMemorySnapshot | undefined {
    return this.kubelets.get(nodeName)?.memory.snapshot();
  }

  stats(): KubeletStats {
    let pods = 0;
    let runningPods = 0;
    let runningContainers = 0;
    let leaseRenewals = 0;
    for (const k of this.kubelets.values()) {
      const s = k.stats();
      pods += s.pods;
      runningPods += s.runningPods;
      runningContainers += s.runningContainers;
      leaseRenewals += k.nodeStatus.leaseRenewals;
    }
    return {
      ...this.counters,
      nodes: this.kubelets.size,
      pods,
      runningPods,
      runningContainers,
      leaseRenewals,
    };
  }
}
