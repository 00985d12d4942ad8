/**
 * kube-scheduler (default profile, 1.32) as the sim runs it: watches pods and nodes like the
 * scheduler's informers (terminal pods count as gone, as its pod informer filters them out),
 * keeps the node-info cache current, and takes pods of `default-scheduler` from the scheduling
 * queue one cycle at a time: filter a rotating window of nodes (percentageOfNodesToScore's
 * adaptive rule), score the feasible ones, bind the best through the binding subresource's code
 * path, or record why not (PodScheduled=False/Unschedulable with FitError's message and a
 * FailedScheduling event) and park the pod until something that could help happens.
 *
 * Cycles run in batches that yield to the event loop, so the API server keeps answering while
 * 100,000 pods are placed. Preemption is not performed: when no node could be freed, the message
 * carries DefaultPreemption's verdict as upstream words it; when evicting lower-priority pods
 * would help, the pod stays pending with the filter message alone (upstream would evict them).
 */
import type { Node, PodCondition } from 'kubernetes-types/core/v1.js';
import { bindPod } from '../api/rest/binding.ts';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import { type Controller, ignoreGone, subscribe } from '../controllers/controller.ts';
import { keyOf, splitKey } from '../controllers/work-queue.ts';
import { isPodTerminal, type SimPod } from '../kinds/pod.ts';
import { NAMESPACES, NODES, PODS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual, type Writable } from '../object.ts';
import type { LabelSelector } from '../store/selectors.ts';
import {
  absentStatus,
  type DryRunResult,
  fitErrorMessage,
  NO_NODES,
  NO_VICTIMS,
  type NodeStatuses,
  preemptionMessage,
  truncateEventMessage,
} from './failure-message.ts';
import { type CycleState, cycleState, type PluginName, runFilters, usageOf } from './filters.ts';
import {
  affinityPreFilter,
  affinityPreScore,
  affinityStateWithout,
  type AffinityLookup,
} from './inter-pod-affinity.ts';
import { type NodeInfo, NodeInfoCache, portKey } from './node-info.ts';
import { requiredNodeNames } from './node-matching.ts';
import { hasAffinityTerms, type PodFacts, podFacts } from './pod-info.ts';
import {
  NODE_ADD_PLUGINS,
  NODE_UPDATE_PLUGINS,
  nodeAddedHint,
  nodeUpdatedHint,
  POD_ADD_PLUGINS,
  POD_DELETE_PLUGINS,
  podAddedHint,
  podDeletedHint,
} from './queueing-hints.ts';
import { type QueuedPod, SchedulingQueue } from './queue.ts';
import { addResources } from './resources.ts';
import { scoreNodes, selectHost } from './scoring.ts';
import { spreadPreFilter, spreadStateWithout } from './topology-spread.ts';

export const SCHEDULER_NAME = 'default-scheduler';
const SOURCE = { component: SCHEDULER_NAME };
const MANAGER = 'kube-scheduler';
const ERR_AFFINITY_CONFLICT = 'pod affinity terms conflict';

/** Cycles per batch, and wall time per batch, before yielding to the event loop. */
const BATCH = 200;
const BATCH_WALL_MS = 25;

// numFeasibleNodesToFind (schedule_one.go).
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

export interface SchedulerStats {
  /** Pods bound. */
  scheduled: number;
  /** Scheduling attempts that ended unschedulable. */
  failed: number;
  /** Pods waiting in the scheduling queue (active, backoff, unschedulable, gated). */
  pending: number;
}

/** What the scheduler remembers of a pending pod between events: to tell a real change from a status write. */
interface PendingSeen {
  uid: string;
  pod: SimPod;
  facts: PodFacts | undefined;
  state: CycleState | undefined;
}

const responsible = (pod: SimPod): boolean =>
  (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
  !pod.metadata.deletionTimestamp &&
  !isPodTerminal(pod);

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  private readonly cache = new NodeInfoCache();
  private readonly queue: SchedulingQueue;
  private readonly pending = new Map<string, PendingSeen>();
  private readonly lookup: AffinityLookup;
  private stops: (() => void)[] = [];
  private nextStartNodeIndex = 0;
  private drainScheduled = false;
  private running = false;
  private scheduledCount = 0;
  private failedCount = 0;

  constructor(private readonly ctx: SimContext) {
    this.queue = new SchedulingQueue(ctx.clock, () => this.kick());
    this.lookup = {
      cache: this.cache,
      assignedPods: (namespaces, selector) => this.assignedPods(namespaces, selector),
      namespacesMatching: (selector) =>
        selector.empty
          ? 'all'
          : ctx.registry.list(NAMESPACES, { labels: selector }).items.map((ns) => ns.metadata.name ?? ''),
      namespaceLabels: (ns) => ctx.registry.find(NAMESPACES, undefined, ns)?.metadata.labels,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { registry } = this.ctx;
    // Subscribe first, then list: both happen in this tick, so no change falls between them.
    this.stops.push(
      subscribe(registry, NODES, (_type, event) => this.syncNode(event.object.metadata.name ?? '')),
      subscribe(registry, PODS, (_type, event) => {
        const meta = event.object.metadata;
        this.syncPod(keyOf(meta.namespace, meta.name ?? ''));
      }),
    );
    for (const node of registry.list(NODES, {}).items) this.syncNode(node.metadata.name ?? '');
    for (const pod of registry.list(PODS, {}).items)
      this.syncPod(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
  }

  /** Stops for good: the queue drops its pods and timers (a stopped scheduler is not restarted). */
  stop(): void {
    this.running = false;
    for (const s of this.stops) s();
    this.stops = [];
    this.queue.stop();
    this.pending.clear();
  }

  stats(): SchedulerStats {
    return { scheduled: this.scheduledCount, failed: this.failedCount, pending: this.queue.size };
  }

  // ---------------------------------------------------------------------------------------------
  // Informers: the cache and the queue follow the store.

  private syncNode(name: string): void {
    const live = this.ctx.registry.find(NODES, undefined, name) as (Node & KubeObject) | undefined;
    if (!live) {
      this.cache.removeNode(name);
      return;
    }
    const previous = this.cache.setNode(live);
    const info = this.cache.get(name) as NodeInfo;
    if (!previous) {
      this.queue.move(NODE_ADD_PLUGINS, (p, plugin) => {
        const state = this.pendingState(p.key);
        return state !== undefined && nodeAddedHint(plugin, state, info);
      });
      return;
    }
    // Heartbeats and condition changes do not concern scheduling (the taints derived from them do).
    const relevant =
      previous.spec?.unschedulable !== live.spec?.unschedulable ||
      !semanticEqual(previous.spec?.taints, live.spec?.taints) ||
      !semanticEqual(previous.metadata?.labels, live.metadata.labels) ||
      !semanticEqual(previous.status?.allocatable, live.status?.allocatable);
    if (!relevant) return;
    this.queue.move(NODE_UPDATE_PLUGINS, (p, plugin) => {
      const state = this.pendingState(p.key);
      return state !== undefined && nodeUpdatedHint(plugin, state, previous, info);
    });
  }

  private syncPod(key: string): void {
    const { namespace, name } = splitKey(key);
    const live = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    this.syncAssigned(key, live);
    this.syncPending(key, live);
  }

  /** The cache side: assigned, non-terminal pods count on their node. */
  private syncAssigned(key: string, live: SimPod | undefined): void {
    const cached = this.cache.podOnNode(key);
    const node = live?.spec?.nodeName;
    if (!live || !node || isPodTerminal(live)) {
      const removed = this.cache.removePod(key);
      if (removed) this.assignedPodGone(removed.pod);
      return;
    }
    const uid = live.metadata.uid ?? '';
    if (
      cached &&
      cached.uid === uid &&
      this.cache.nodeOfPod(key) === node &&
      cached.deleting === Boolean(live.metadata.deletionTimestamp) &&
      semanticEqual(cached.labels, live.metadata.labels ?? {})
    ) {
      // Status updates: nothing the scheduler counts has changed (resources cannot change in 1.32 by default).
      return;
    }
    const facts = podFacts(live);
    this.cache.setPod(facts, node);
    if (!cached || cached.uid !== uid) {
      if (cached) this.assignedPodGone(cached);
      this.assignedPodArrived(facts);
    } else if (!semanticEqual(cached.labels, facts.labels)) {
      // A label change can both satisfy affinity and stop matching anti-affinity.
      this.queue.move(POD_ADD_PLUGINS, (p, plugin) => {
        const pending = this.pendingState(p.key);
        return (
          pending !== undefined &&
          (podAddedHint(plugin, pending, facts) ||
            podDeletedHint(plugin, pending, cached, this.lookup.namespaceLabels(pending.facts.namespace)))
        );
      });
    }
  }

  private assignedPodGone(gone: PodFacts): void {
    this.queue.move(POD_DELETE_PLUGINS, (p, plugin) => {
      const pending = this.pendingState(p.key);
      return (
        pending !== undefined &&
        podDeletedHint(plugin, pending, gone, this.lookup.namespaceLabels(pending.facts.namespace))
      );
    });
  }

  private assignedPodArrived(added: PodFacts): void {
    this.queue.move(POD_ADD_PLUGINS, (p, plugin) => {
      const pending = this.pendingState(p.key);
      return pending !== undefined && podAddedHint(plugin, pending, added);
    });
  }

  /** The queue side: unassigned pods of this scheduler wait in the queue. */
  private syncPending(key: string, live: SimPod | undefined): void {
    if (!live || live.spec?.nodeName || !responsible(live)) {
      this.queue.delete(key);
      this.pending.delete(key);
      return;
    }
    const uid = live.metadata.uid ?? '';
    const gated = (live.spec?.schedulingGates ?? []).length > 0;
    const priority = live.spec?.priority ?? 0;
    const seen = this.pending.get(key);
    if (!seen || seen.uid !== uid || !this.queue.has(key)) {
      if (seen && seen.uid !== uid) this.queue.delete(key);
      this.pending.set(key, { uid, pod: live, facts: undefined, state: undefined });
      this.queue.add(key, priority, gated);
      return;
    }
    if (seen.pod === live) return;
    // The scheduler's own status writes change nothing it schedules by; spec and label edits do.
    const changed =
      !semanticEqual(seen.pod.spec, live.spec) ||
      !semanticEqual(seen.pod.metadata.labels, live.metadata.labels);
    this.pending.set(
      key,
      changed ? { uid, pod: live, facts: undefined, state: undefined } : { ...seen, pod: live },
    );
    this.queue.update(key, priority, gated, changed);
  }

  private pendingFacts(key: string): PodFacts | undefined {
    const seen = this.pending.get(key);
    if (!seen) return undefined;
    return (seen.facts ??= podFacts(seen.pod));
  }

  /** A parked pod's filter inputs without the inter-pod affinity counts (hints do not need them). */
  private pendingState(key: string): CycleState | undefined {
    const seen = this.pending.get(key);
    if (!seen) return undefined;
    return (seen.state ??= cycleState(seen.pod, this.pendingFacts(key) as PodFacts));
  }

  /**
   * Assigned pods the cache counts whose labels match: through the cache's label index when the
   * selector has an equality (the usual `app=x`), else through the store's indexes.
   */
  private *assignedPods(
    namespaces: ReadonlySet<string> | 'all',
    selector: LabelSelector,
  ): Iterable<{ pod: PodFacts; node: string }> {
    const equalities = selector.equalities();
    if (namespaces !== 'all' && equalities.length > 0) {
      for (const namespace of namespaces) {
        for (const pod of this.cache.podsWithLabels(namespace, equalities) ?? []) {
          const node = this.cache.nodeOfPod(pod.key);
          if (node !== undefined && selector.matches(pod.labels)) yield { pod, node };
        }
      }
      return;
    }
    const { registry } = this.ctx;
    const lists = namespaces === 'all' ? [undefined] : [...namespaces];
    for (const namespace of lists) {
      for (const pod of registry.list(PODS, { namespace, labels: selector }).items) {
        const key = keyOf(pod.metadata.namespace, pod.metadata.name ?? '');
        const facts = this.cache.podOnNode(key);
        const node = this.cache.nodeOfPod(key);
        if (facts && node !== undefined && facts.uid === pod.metadata.uid) yield { pod: facts, node };
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling cycles.

  private kick(): void {
    if (this.drainScheduled || !this.running) return;
    this.drainScheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const deadline = performance.now() + BATCH_WALL_MS;
    for (let n = 0; this.running && n < BATCH && performance.now() < deadline; n++) {
      const q = this.queue.pop();
      if (!q) break;
      try {
        this.scheduleOne(q);
      } catch (error) {
        console.error(`scars sim: scheduler failed on ${q.key}:`, error);
        this.queue.failed(q.key, new Set());
      }
    }
    if (this.running && this.queue.activeCount > 0) this.kick();
  };

  private scheduleOne(q: QueuedPod): void {
    const { namespace, name } = splitKey(q.key);
    const live = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    if (!live || live.spec?.nodeName || !responsible(live)) {
      this.queue.delete(q.key);
      return;
    }
    const facts = podFacts(live);
    const allNodes = this.cache.list();
    if (allNodes.length === 0) {
      this.recordFailure(live, NO_NODES, new Set());
      return;
    }

    // PreFilter: NodeAffinity narrows the nodes to those named by matchFields (DaemonSet pods).
    const statuses: NodeStatuses = {
      explicit: new Map(),
      absent: absentStatus('UnschedulableAndUnresolvable'),
    };
    const rejectors = new Set<PluginName>();
    let nodes: readonly NodeInfo[] = allNodes;
    const names = requiredNodeNames(live);
    if (names) {
      rejectors.add('NodeAffinity');
      if (names.size === 0) {
        statuses.absent = absentStatus('UnschedulableAndUnresolvable', ERR_AFFINITY_CONFLICT);
        this.recordFitError(live, allNodes, statuses, rejectors, undefined, ERR_AFFINITY_CONFLICT);
        return;
      }
      nodes = [...names].map((n) => this.cache.get(n)).filter((n): n is NodeInfo => n !== undefined);
      statuses.absent = absentStatus(
        'UnschedulableAndUnresolvable',
        "node(s) didn't satisfy plugin(s) [NodeAffinity]",
      );
    }
    const state = cycleState(live, facts);
    state.affinity = affinityPreFilter(this.lookup, facts);
    state.spread = spreadPreFilter(this.lookup, this.cache, state);

    // Filter, from where the previous cycle stopped, until enough feasible nodes are found.
    const feasible: NodeInfo[] = [];
    const wanted = numFeasibleNodesToFind(nodes.length);
    let i = 0;
    for (; i < nodes.length && feasible.length < wanted; i++) {
      const info = nodes[(this.nextStartNodeIndex + i) % nodes.length] as NodeInfo;
      const status = runFilters(state, info);
      if (!status) feasible.push(info);
      else {
        statuses.explicit.set(info.name, status);
        if (status.plugin) rejectors.add(status.plugin);
      }
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + i) % allNodes.length;

    if (feasible.length === 0) {
      this.recordFitError(live, allNodes, statuses, rejectors, state);
      return;
    }
    let chosen = feasible[0] as NodeInfo;
    if (feasible.length > 1) {
      const affinityScores =
        hasAffinityTerms(facts) || this.hasTermGroups() ? affinityPreScore(this.lookup, facts) : undefined;
      chosen = selectHost(feasible, scoreNodes(state, this.lookup, feasible, affinityScores));
    }
    this.bind(live, facts, chosen.name);
  }

  private hasTermGroups(): boolean {
    return !this.cache.termGroups().next().done;
  }

  private bind(pod: SimPod, facts: PodFacts, nodeName: string): void {
    const key = facts.key;
    try {
      bindPod(this.ctx.registry, pod, nodeName);
    } catch (error) {
      if (!(error instanceof ApiError) || (error.code !== 404 && error.code !== 409)) throw error;
      // Gone, being deleted or bound by someone else meanwhile: the next event settles it.
      this.queue.failed(key, new Set());
      return;
    }
    // Assume: count it on the node now; the bind's own watch event will find it there.
    this.cache.setPod(facts, nodeName);
    this.queue.scheduled(key);
    this.pending.delete(key);
    this.scheduledCount++;
    // Upstream's addPodToCache confirms the assumed pod when the bind comes back through the
    // informer and then moves parked pods for EventAssignedPodAdd (eventhandlers.go): pods whose
    // required affinity waits for this one. syncAssigned finds the pod already cached and returns
    // early, so the event is raised here.
    this.assignedPodArrived(facts);
    this.ctx.events.record(
      SOURCE,
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${facts.namespace}/${facts.name} to ${nodeName}`,
    );
  }

  /** No node fits: FitError's message with DefaultPreemption's verdict, then record it. */
  private recordFitError(
    pod: SimPod,
    allNodes: readonly NodeInfo[],
    statuses: NodeStatuses,
    rejectors: ReadonlySet<PluginName>,
    state: CycleState | undefined,
    preFilterMessage?: string,
  ): void {
    const names = allNodes.map((n) => n.name);
    const preemption = preemptionMessage(pod.spec?.preemptionPolicy, names, statuses, (node) =>
      state ? this.dryRunPreemption(state, node) : absentStatus('UnschedulableAndUnresolvable', NO_VICTIMS),
    );
    this.recordFailure(
      pod,
      fitErrorMessage(allNodes.length, statuses, preFilterMessage, preemption),
      rejectors,
    );
  }

  /**
   * SelectVictimsOnNode's first step: remove every lower-priority pod from the node and filter
   * again. No such pod: "No preemption victims found"; still no fit: that filter's status.
   */
  private dryRunPreemption(state: CycleState, nodeName: string): DryRunResult {
    const info = this.cache.get(nodeName);
    if (!info) return absentStatus('UnschedulableAndUnresolvable', NO_VICTIMS);
    const victims = [...info.pods.values()].filter((p) => p.priority < state.facts.priority);
    if (victims.length === 0) return absentStatus('UnschedulableAndUnresolvable', NO_VICTIMS);
    const usage = usageOf(info, state);
    const requested = { ...usage.requested, scalar: new Map(usage.requested.scalar) };
    const usedPorts = new Map(usage.usedPorts);
    for (const v of victims) {
      addResources(requested, v.resources.requests, -1);
      for (const p of v.hostPorts) {
        const k = portKey(p.ip, p.protocol, p.port);
        const n = (usedPorts.get(k) ?? 0) - 1;
        if (n <= 0) usedPorts.delete(k);
        else usedPorts.set(k, n);
      }
    }
    const status = runFilters(state, info, {
      podCount: info.pods.size - victims.length,
      requested,
      usedPorts,
      affinity: state.affinity && affinityStateWithout(state.affinity, info, victims),
      spread: state.spread && spreadStateWithout(state.spread, info, victims),
    });
    return status ?? 'fits';
  }

  /** handleSchedulingFailure: park the pod, a Warning event, and the PodScheduled condition if it changed. */
  private recordFailure(pod: SimPod, message: string, rejectors: ReadonlySet<PluginName>): void {
    const key = keyOf(pod.metadata.namespace, pod.metadata.name ?? '');
    this.failedCount++;
    this.queue.failed(key, rejectors);
    this.ctx.events.record(SOURCE, pod, 'Warning', 'FailedScheduling', truncateEventMessage(message));
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message)
      return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null as unknown as string,
      lastTransitionTime:
        current?.status === 'False' && current.lastTransitionTime
          ? current.lastTransitionTime
          : this.ctx.clock.timestamp(),
      reason: 'Unschedulable',
      message,
    };
    const next = structuredClone(pod) as Writable<SimPod>;
    const status = (next.status ??= {}) as Writable<NonNullable<SimPod['status']>>;
    const conditions = [...(status.conditions ?? [])];
    const at = conditions.findIndex((c) => c.type === 'PodScheduled');
    if (at >= 0) conditions[at] = condition;
    else conditions.push(condition);
    status.conditions = conditions;
    ignoreGone(() =>
      this.ctx.registry.replace(PODS, pod, next as KubeObject, { subresource: 'status', manager: MANAGER }),
    );
  }
}
