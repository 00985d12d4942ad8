/**
 * The node lifecycle controller (pkg/controller/nodelifecycle, kube-controller-manager 1.32):
 *
 * - TaintNodesByCondition: NoSchedule taints that mirror node conditions (Ready False →
 *   not-ready, Ready Unknown → unreachable, memory/disk/PID pressure, network unavailable) and
 *   spec.unschedulable (cordon → node.kubernetes.io/unschedulable), added and removed as they
 *   change; other taints are kept.
 * - Health monitoring, every nodeMonitorPeriod (5s): a node whose kubelet neither renewed its
 *   Lease (kube-node-lease/<node>) nor posted a new Ready heartbeat within
 *   nodeMonitorGracePeriod (50s in 1.32) gets every condition set to Unknown
 *   ("Kubelet stopped posting node status."), a NodeNotReady event, and its pods' Ready
 *   condition set to False. On the next pass a not-ready / unreachable node is queued for the
 *   matching NoExecute taint, which is added at most once per 10s per zone (node-eviction-rate
 *   0.1) and not at all while every node of the cluster is down. A node Ready again loses them.
 * - The taint-eviction controller (taint-eviction.ts) then deletes pods that do not tolerate
 *   the NoExecute taints; it is started with this controller unless told otherwise.
 *
 * Timers go through the sim clock. A monitor pass reads each node and its Lease once (indexed
 * lookups), like upstream's pass over its informer cache; pods are read only for nodes whose
 * readiness changed, through the spec.nodeName index.
 */
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import type { SimPod } from '../kinds/pod.ts';
import { LEASES, NODES, PODS } from '../kinds/resources.ts';
import { type KubeObject, type Writable } from '../object.ts';
import { parseFieldSelector } from '../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import { updatePodCondition } from './pod-condition.ts';
import { TaintEvictionController } from './taint-eviction.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type SimNode = Node & KubeObject;

export interface NodeLifecycleOptions {
  /** --node-monitor-period (sim ms). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period (sim ms); 50s since 1.32. */
  nodeMonitorGracePeriodMs?: number;
  /** --node-startup-grace-period (sim ms), for nodes that never posted a Ready condition. */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate: NoExecute taints per second per healthy zone. */
  evictionLimiterQPS?: number;
  /** --secondary-node-eviction-rate, for partially disrupted large zones. */
  secondaryEvictionLimiterQPS?: number;
  /** --large-cluster-size-threshold. */
  largeClusterThreshold?: number;
  /** --unhealthy-zone-threshold. */
  unhealthyZoneThreshold?: number;
  /** Start the taint-eviction controller too (true unless the caller runs it itself). */
  taintEviction?: boolean;
}

const DEFAULTS: Required<NodeLifecycleOptions> = {
  nodeMonitorPeriodMs: 5_000,
  nodeMonitorGracePeriodMs: 50_000,
  nodeStartupGracePeriodMs: 60_000,
  evictionLimiterQPS: 0.1,
  secondaryEvictionLimiterQPS: 0.01,
  largeClusterThreshold: 50,
  unhealthyZoneThreshold: 0.55,
  taintEviction: true,
};

const SOURCE: EventSource = { component: 'node-controller' };
const MANAGER = 'kube-controller-manager';
/** NodeEvictionPeriod: how often the NoExecute tainting queues are worked. */
const TAINTING_PERIOD_MS = 100;
const LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };
const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };

/** nodeConditionToTaintKeyStatusMap: condition type → status → NoSchedule taint key. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));
/** Conditions set to Unknown when the kubelet goes silent (NetworkUnavailable is the control plane's). */
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
/** labelReconcileInfo: beta OS/arch labels follow the stable ones. */
const LABEL_PAIRS: [string, string][] = [
  ['kubernetes.io/os', 'beta.kubernetes.io/os'],
  ['kubernetes.io/arch', 'beta.kubernetes.io/arch'],
];
/** Nodes carrying this label are left out of the zone disruption arithmetic. */
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

const matchTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
const taintExists = (taints: readonly Taint[] | undefined, t: Taint): boolean =>
  (taints ?? []).some((x) => matchTaint(x, t));
const readyCondition = (node: Node): NodeCondition | undefined =>
  node.status?.conditions?.find((c) => c.type === 'Ready');

/** nodetopology.GetZoneKey: region and zone (stable labels, else the beta ones), '' when neither. */
function zoneKeyOf(node: SimNode): string {
  const labels = node.metadata.labels ?? {};
  const zone =
    labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  const region =
    labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  if (!zone && !region) return '';
  return `${region}:\u0000:${zone}`;
}

/** What the controller last saw of a node's health (nodeHealthData). */
interface NodeHealth {
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition of the status last recorded, if it had one. */
  ready: NodeCondition | undefined;
  /** renewTime of the Lease last recorded. */
  leaseRenewTime: number | undefined;
}

/**
 * RateLimitedTimedQueue with a burst-1 token bucket: the nodes of one zone waiting for their
 * NoExecute taint. A node stays in `seen` after it was processed, so it is not queued twice
 * until it is removed (made reachable again).
 */
class ZoneTainter {
  private readonly queue: { name: string; processAt: number }[] = [];
  private readonly seen = new Set<string>();
  private tokens = 1;
  private last: number;

  constructor(
    private qps: number,
    now: number,
  ) {
    this.last = now;
  }

  /** Something is waiting and the limiter may let it through some time. */
  get active(): boolean {
    return this.queue.length > 0 && this.qps > 0;
  }

  add(name: string, now: number): boolean {
    if (this.seen.has(name)) return false;
    this.seen.add(name);
    this.queue.push({ name, processAt: now });
    return true;
  }

  /** Forgets the node; true if it was still waiting. */
  remove(name: string): boolean {
    this.seen.delete(name);
    const i = this.queue.findIndex((q) => q.name === name);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  private tryAccept(now: number): boolean {
    if (this.qps <= 0) return false;
    this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** SwapLimiter: a new bucket, drained if the old one had no token to give. */
  swapLimiter(qps: number, now: number): void {
    if (qps === this.qps) return;
    const hadToken = this.tryAccept(now);
    this.qps = qps;
    this.tokens = 1;
    this.last = now;
    if (!hadToken && qps > 0) this.tryAccept(now);
  }

  /** Try: works through due entries while the limiter allows; `fn` returns a retry delay or nothing. */
  try(now: number, fn: (name: string) => number | undefined): void {
    while (this.queue.length > 0) {
      if (!this.tryAccept(now)) break;
      const head = this.queue[0] as { name: string; processAt: number };
      if (now < head.processAt) break;
      const retry = fn(head.name);
      this.queue.shift();
      if (retry !== undefined) {
        head.processAt = now + retry + 1;
        const at = this.queue.findIndex((q) => q.processAt > head.processAt);
        this.queue.splice(at < 0 ? this.queue.length : at, 0, head);
      }
    }
  }
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly options: Required<NodeLifecycleOptions>;
  private readonly health = new Map<string, NodeHealth>();
  private readonly knownNodes = new Map<string, string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, ZoneTainter>();
  private readonly nodesToRetry = new Set<string>();
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private readonly taintEviction: TaintEvictionController | undefined;
  private monitorTimer: NodeJS.Timeout | undefined;
  private taintingTimer: NodeJS.Timeout | undefined;
  private stops: (() => void)[] = [];
  private running = false;

  constructor(
    private readonly ctx: SimContext,
    options: NodeLifecycleOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.nodeQueue = new WorkQueue('node_lifecycle_controller', ctx.clock, (name) => this.processNode(name));
    this.podQueue = new WorkQueue('node_lifecycle_controller_pods', ctx.clock, (key) => this.processPod(key));
    this.taintEviction = this.options.taintEviction ? new TaintEvictionController(ctx) : undefined;
  }

  start(): void {
    const { registry } = this.ctx;
    this.running = true;
    for (const node of registry.list(NODES, {}).items) this.nodeQueue.add(node.metadata.name ?? '');
    this.stops.push(
      subscribe(registry, NODES, (type, event) => {
        const name = event.object.metadata.name ?? '';
        if (type === 'DELETED') this.nodesToRetry.delete(name);
        else this.nodeQueue.add(name);
      }),
      subscribe(registry, PODS, (type, event) => {
        if (type === 'DELETED') return;
        const pod = event.object as SimPod;
        const nodeName = pod.spec?.nodeName;
        const before = (event.previous as SimPod | undefined)?.spec?.nodeName;
        if (nodeName && (type === 'ADDED' || nodeName !== before))
          this.podQueue.add(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
      }),
    );
    this.taintEviction?.start();
    this.monitor();
  }

  stop(): void {
    this.running = false;
    for (const s of this.stops) s();
    this.stops = [];
    this.nodeQueue.stop();
    this.podQueue.stop();
    if (this.monitorTimer) this.ctx.clock.clearTimeout(this.monitorTimer);
    if (this.taintingTimer) this.ctx.clock.clearTimeout(this.taintingTimer);
    this.monitorTimer = undefined;
    this.taintingTimer = undefined;
    this.taintEviction?.stop();
  }

  // -------------------------------------------------------------------------------------------
  // Taint writes (controller.AddOrUpdateTaintOnNode / RemoveTaintOffNode)

  /** Adds (or refreshes) taints on the live node; one write, none if nothing changes. */
  private addTaints(nodeName: string, taints: Taint[]): boolean {
    if (taints.length === 0) return true;
    const live = this.ctx.registry.find(NODES, undefined, nodeName) as SimNode | undefined;
    if (!live) return false;
    let list = [...(live.spec?.taints ?? [])];
    let changed = false;
    for (const taint of taints) {
      const i = list.findIndex((t) => matchTaint(t, taint));
      if (i < 0) {
        list = [...list, taint];
        changed = true;
      } else if (JSON.stringify(list[i]) !== JSON.stringify(taint)) {
        list[i] = taint;
        changed = true;
      }
    }
    return !changed || this.writeTaints(live, list);
  }

  private removeTaints(nodeName: string, taints: Taint[]): boolean {
    if (taints.length === 0) return true;
    const live = this.ctx.registry.find(NODES, undefined, nodeName) as SimNode | undefined;
    if (!live) return false;
    const current = live.spec?.taints ?? [];
    if (!taints.some((t) => taintExists(current, t))) return true;
    return this.writeTaints(
      live,
      current.filter((t) => !taints.some((r) => matchTaint(r, t))),
    );
  }

  private writeTaints(live: SimNode, taints: Taint[]): boolean {
    const next = structuredClone(live) as SimNode;
    const spec = (next.spec ??= {}) as Writable<NonNullable<Node['spec']>>;
    if (taints.length > 0) spec.taints = taints;
    else delete spec.taints;
    let ok = false;
    ignoreGone(() => {
      this.ctx.registry.replace(NODES, live, next, { manager: MANAGER });
      ok = true;
    });
    return ok;
  }

  /** SwapNodeControllerTaint: the added taints are stamped with timeAdded. */
  private swapTaints(nodeName: string, add: Taint[], remove: Taint[]): boolean {
    const now = this.ctx.clock.timestamp();
    const stamped = add.map((t) => ({ ...t, timeAdded: now }));
    if (!this.addTaints(nodeName, stamped)) return false;
    return this.removeTaints(nodeName, remove);
  }

  // -------------------------------------------------------------------------------------------
  // Per-node pass on every node change: NoSchedule taints and labels

  private processNode(name: string): void {
    this.doNoScheduleTaintingPass(name);
    this.reconcileNodeLabels(name);
  }

  private doNoScheduleTaintingPass(name: string): void {
    const node = this.ctx.registry.find(NODES, undefined, name) as SimNode | undefined;
    if (!node) return;
    const wanted: Taint[] = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) wanted.push({ key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    const present = (node.spec?.taints ?? []).filter(
      (t) => t.effect === 'NoSchedule' && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)),
    );
    const toAdd = wanted.filter((t) => !taintExists(present, t));
    const toRemove = present.filter((t) => !taintExists(wanted, t));
    if (toAdd.length === 0 && toRemove.length === 0) return;
    this.swapTaints(name, toAdd, toRemove);
  }

  private reconcileNodeLabels(name: string): void {
    const node = this.ctx.registry.find(NODES, undefined, name) as SimNode | undefined;
    const labels = node?.metadata.labels;
    if (!node || !labels) return;
    const updates: Record<string, string> = {};
    for (const [primary, secondary] of LABEL_PAIRS) {
      const value = labels[primary];
      if (value === undefined) continue;
      if (labels[secondary] !== value) updates[secondary] = value;
    }
    if (Object.keys(updates).length === 0) return;
    const next = structuredClone(node) as SimNode;
    next.metadata.labels = { ...labels, ...updates };
    ignoreGone(() => this.ctx.registry.replace(NODES, node, next, { manager: MANAGER }));
  }

  // -------------------------------------------------------------------------------------------
  // Health monitoring

  private monitor(): void {
    if (!this.running) return;
    try {
      this.monitorNodeHealth();
    } catch (error) {
      console.error('scars sim: node-lifecycle monitor failed:', error);
    }
    if (this.running)
      this.monitorTimer = this.ctx.clock.setTimeout(() => this.monitor(), this.options.nodeMonitorPeriodMs);
  }

  private nodeRef(node: SimNode): ObjectReference {
    return { apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '', uid: node.metadata.uid ?? '' };
  }

  private monitorNodeHealth(): void {
    const { registry, events, clock } = this.ctx;
    const nodes = registry.list(NODES, {}).items as SimNode[];
    const present = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      present.add(name);
      if (!this.knownNodes.has(name)) {
        events.record(
          SOURCE,
          this.nodeRef(node),
          'Normal',
          'RegisteredNode',
          `Node ${name} event: Registered Node ${name} in Controller`,
        );
        this.knownNodes.set(name, node.metadata.uid ?? '');
        this.tainterFor(zoneKeyOf(node));
        this.markNodeAsReachable(node);
      } else {
        this.tainterFor(zoneKeyOf(node));
      }
    }
    for (const [name, uid] of [...this.knownNodes]) {
      if (present.has(name)) continue;
      events.record(
        SOURCE,
        { apiVersion: 'v1', kind: 'Node', name, uid },
        'Normal',
        'RemovingNode',
        `Node ${name} event: Removing Node ${name} from Controller`,
      );
      this.knownNodes.delete(name);
      this.health.delete(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    for (const listed of nodes) {
      const { node, observed, current } = this.tryUpdateNodeHealth(listed);
      const name = node.metadata.name ?? '';
      if (node.metadata.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined) {
        const zone = zoneKeyOf(node);
        const inZone = zoneConditions.get(zone);
        if (inZone) inZone.push(current);
        else zoneConditions.set(zone, [current]);
      }
      if (current) {
        this.processTaintBaseEviction(node, observed);
        const needsRetry = this.nodesToRetry.has(name);
        if (current.status !== 'True' && observed.status === 'True') {
          // RecordNodeStatusChange: reported once, when the node stops being Ready.
          events.record(
            SOURCE,
            this.nodeRef(node),
            'Normal',
            'NodeNotReady',
            `Node ${name} status is now: NodeNotReady`,
          );
          this.markPodsNotReady(name, this.podsOnNode(name));
        } else if (needsRetry && observed.status !== 'True') {
          this.markPodsNotReady(name, this.podsOnNode(name));
        }
      }
      this.nodesToRetry.delete(name);
    }
    this.handleDisruption(zoneConditions, nodes, clock.now());
  }

  /**
   * tryUpdateNodeHealth: refreshes the probe time when the Ready heartbeat or the Lease moved,
   * and marks every monitored condition Unknown once the grace period passed without either.
   * Returns the node (as written, if it was), the Ready condition as observed before this pass
   * and as it is now.
   */
  private tryUpdateNodeHealth(listed: SimNode): {
    node: SimNode;
    observed: NodeCondition;
    current: NodeCondition | undefined;
  } {
    const { registry, clock } = this.ctx;
    const now = clock.now();
    const name = listed.metadata.name ?? '';
    const created = Date.parse(listed.metadata.creationTimestamp ?? '') || now;
    let health = this.health.get(name);
    const currentReady = readyCondition(listed);
    let observed: NodeCondition;
    let grace: number;
    if (!currentReady) {
      // Never posted: a fake Unknown condition dated at creation, and the startup grace period.
      observed = {
        type: 'Ready',
        status: 'Unknown',
        lastHeartbeatTime: listed.metadata.creationTimestamp ?? '',
        lastTransitionTime: listed.metadata.creationTimestamp ?? '',
      };
      grace = this.options.nodeStartupGracePeriodMs;
      if (health) health = { ...health, ready: undefined };
      else
        health = {
          probeTimestamp: created,
          readyTransitionTimestamp: created,
          ready: undefined,
          leaseRenewTime: undefined,
        };
    } else {
      observed = { ...currentReady };
      grace = this.options.nodeMonitorGracePeriodMs;
    }
    const saved = health?.ready;
    if (!health) {
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: now,
        ready: currentReady,
        leaseRenewTime: undefined,
      };
    } else if (!saved && currentReady) {
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: now, ready: currentReady };
    } else if (saved && currentReady && saved.lastHeartbeatTime !== currentReady.lastHeartbeatTime) {
      const transition =
        saved.lastTransitionTime !== currentReady.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: transition, ready: currentReady };
    }
    // A renewed Lease always counts as a sign of life.
    const lease = registry.find(LEASES, LEASE_NAMESPACE, name) as (Lease & KubeObject) | undefined;
    const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : undefined;
    if (
      renewed !== undefined &&
      Number.isFinite(renewed) &&
      (health.leaseRenewTime === undefined || health.leaseRenewTime < renewed)
    ) {
      health = { ...health, leaseRenewTime: renewed, probeTimestamp: now };
    }
    this.health.set(name, health);

    let node = listed;
    let current = currentReady;
    if (now > health.probeTimestamp + grace) {
      const next = structuredClone(listed) as Writable<Node> & KubeObject;
      const status = (next.status ??= {}) as Writable<NonNullable<Node['status']>>;
      const conditions = [...(status.conditions ?? [])].map((c) => ({ ...c })) as Writable<NodeCondition>[];
      const stamp = clock.timestamp(now);
      for (const type of MONITORED_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({
            type,
            status: 'Unknown',
            reason: 'NodeStatusNeverUpdated',
            message: 'Kubelet never posted node status.',
            lastHeartbeatTime: listed.metadata.creationTimestamp ?? '',
            lastTransitionTime: stamp,
          });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = stamp;
        }
      }
      status.conditions = conditions;
      current = conditions.find((c) => c.type === 'Ready');
      if (JSON.stringify(current) !== JSON.stringify(currentReady ?? observed)) {
        let written: SimNode | undefined;
        ignoreGone(() => {
          written = registry.replace(NODES, listed, next, {
            subresource: 'status',
            manager: MANAGER,
          }) as SimNode;
        });
        if (written) {
          node = written;
          this.health.set(name, {
            probeTimestamp: health.probeTimestamp,
            readyTransitionTimestamp: now,
            ready: current,
            leaseRenewTime: renewed ?? health.leaseRenewTime,
          });
        } else {
          current = currentReady;
        }
      }
    }
    return { node, observed, current };
  }

  private podsOnNode(nodeName: string): SimPod[] {
    return this.ctx.registry.list(PODS, {
      fields: parseFieldSelector(`spec.nodeName=${nodeName}`, PODS.fieldLabels),
    }).items as SimPod[];
  }

  /** MarkPodsNotReady: each pod's Ready condition goes False, with a NodeNotReady event on it. */
  private markPodsNotReady(nodeName: string, pods: SimPod[]): void {
    const { registry, events, clock } = this.ctx;
    for (const pod of pods) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready) continue;
      const next = structuredClone(pod) as Writable<Pod> & KubeObject;
      const status = (next.status ??= {}) as Writable<NonNullable<Pod['status']>>;
      const changed = updatePodCondition(
        status,
        {
          type: 'Ready',
          status: 'False',
          ...(ready.reason ? { reason: ready.reason } : {}),
          ...(ready.message ? { message: ready.message } : {}),
          lastProbeTime: ready.lastProbeTime ?? null,
        },
        clock.timestamp(),
      );
      if (!changed) continue;
      let exists = true;
      try {
        registry.replace(PODS, pod, next, { subresource: 'status', manager: MANAGER });
      } catch {
        exists = registry.find(PODS, pod.metadata.namespace, pod.metadata.name ?? '') !== undefined;
        if (exists) this.nodesToRetry.add(nodeName);
      }
      if (exists) events.record(SOURCE, pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  /** processPod: a pod that lands on a node known not to be Ready is marked not ready too. */
  private processPod(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const health = this.health.get(nodeName);
    if (!health || !this.ctx.registry.find(NODES, undefined, nodeName)) return;
    if (!health.ready) return;
    if (health.ready.status !== 'True') this.markPodsNotReady(nodeName, [pod]);
  }

  // -------------------------------------------------------------------------------------------
  // NoExecute tainting

  private tainterFor(zone: string): ZoneTainter {
    let tainter = this.tainters.get(zone);
    if (!tainter) {
      tainter = new ZoneTainter(this.options.evictionLimiterQPS, this.ctx.clock.now());
      this.tainters.set(zone, tainter);
      this.zoneStates.set(zone, 'Initial');
    }
    return tainter;
  }

  private processTaintBaseEviction(node: SimNode, observed: NodeCondition): void {
    const name = node.metadata.name ?? '';
    const taints = node.spec?.taints;
    switch (observed.status) {
      case 'False':
        // Already unreachable-tainted: switch the taint over at once.
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE))
          this.swapTaints(name, [{ ...NOT_READY_NO_EXECUTE }], [UNREACHABLE_NO_EXECUTE]);
        else this.markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE))
          this.swapTaints(name, [{ ...UNREACHABLE_NO_EXECUTE }], [NOT_READY_NO_EXECUTE]);
        else this.markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        this.markNodeAsReachable(node);
        break;
    }
  }

  private markNodeForTainting(node: SimNode, status: 'False' | 'Unknown'): void {
    const name = node.metadata.name ?? '';
    const tainter = this.tainterFor(zoneKeyOf(node));
    const taint = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    // A node whose taint was removed behind the controller's back may be queued again.
    if (!taintExists(node.spec?.taints, taint)) tainter.remove(name);
    if (tainter.add(name, this.ctx.clock.now())) this.scheduleTainting();
  }

  private markNodeAsReachable(node: SimNode): void {
    const name = node.metadata.name ?? '';
    this.removeTaints(name, [UNREACHABLE_NO_EXECUTE]);
    this.removeTaints(name, [NOT_READY_NO_EXECUTE]);
    this.tainterFor(zoneKeyOf(node)).remove(name);
  }

  private scheduleTainting(): void {
    if (this.taintingTimer || !this.running) return;
    this.taintingTimer = this.ctx.clock.setTimeout(() => {
      this.taintingTimer = undefined;
      this.doNoExecuteTaintingPass();
    }, TAINTING_PERIOD_MS);
  }

  /** doNoExecuteTaintingPass: each zone's queue, as fast as its limiter allows. */
  private doNoExecuteTaintingPass(): void {
    const now = this.ctx.clock.now();
    for (const tainter of this.tainters.values()) {
      tainter.try(now, (name) => {
        const node = this.ctx.registry.find(NODES, undefined, name) as SimNode | undefined;
        if (!node) return undefined;
        const ready = readyCondition(node);
        if (!ready) return 50;
        if (ready.status === 'False')
          return this.swapTaints(name, [{ ...NOT_READY_NO_EXECUTE }], [UNREACHABLE_NO_EXECUTE])
            ? undefined
            : 0;
        if (ready.status === 'Unknown')
          return this.swapTaints(name, [{ ...UNREACHABLE_NO_EXECUTE }], [NOT_READY_NO_EXECUTE])
            ? undefined
            : 0;
        // Ready again in the meantime: nothing to taint.
        return undefined;
      });
    }
    if ([...this.tainters.values()].some((t) => t.active)) this.scheduleTainting();
  }

  /**
   * handleDisruption: a zone with no Ready node is fully disrupted, one with ≥ 55% not ready
   * (and more than two) partially; when every zone is fully disrupted (the control plane is
   * probably the one cut off) all NoExecute taints are lifted and tainting stops.
   */
  private handleDisruption(
    zoneConditions: Map<string, (NodeCondition | undefined)[]>,
    nodes: SimNode[],
    now: number,
  ): void {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conditions] of zoneConditions) {
      const state = this.computeZoneState(conditions);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      for (const node of nodes) this.markNodeAsReachable(node);
      for (const zone of this.zoneStates.keys()) {
        this.tainterFor(zone).swapLimiter(0, now);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      // Leaving disruption mode: every node gets a fresh grace period.
      for (const node of nodes) {
        const h = this.health.get(node.metadata.name ?? '');
        if (h)
          this.health.set(node.metadata.name ?? '', {
            ...h,
            probeTimestamp: now,
            readyTransitionTimestamp: now,
          });
      }
      for (const zone of [...this.zoneStates.keys()]) {
        const state = newStates.get(zone) ?? 'Normal';
        this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, state, now);
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of [...this.zoneStates]) {
      const next = newStates.get(zone);
      if (!next || next === state) continue;
      this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, next, now);
      this.zoneStates.set(zone, next);
    }
  }

  private computeZoneState(conditions: (NodeCondition | undefined)[]): ZoneState {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return 'FullDisruption';
    if (notReady > 2 && notReady / (notReady + ready) >= this.options.unhealthyZoneThreshold)
      return 'PartialDisruption';
    return 'Normal';
  }

  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState, now: number): void {
    const tainter = this.tainterFor(zone);
    switch (state) {
      case 'Normal':
      case 'FullDisruption':
        // A single fully disrupted zone keeps the normal rate (HealthyQPSFunc).
        tainter.swapLimiter(this.options.evictionLimiterQPS, now);
        break;
      case 'PartialDisruption':
        tainter.swapLimiter(
          zoneSize > this.options.largeClusterThreshold ? this.options.secondaryEvictionLimiterQPS : 0,
          now,
        );
        break;
      default:
        break;
    }
    if (tainter.active) this.scheduleTainting();
  }
}
