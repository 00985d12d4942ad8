/**
 * The scheduler's cache (pkg/scheduler/backend/cache + framework.NodeInfo): per node, the pods
 * assigned to it with their summed requests, host ports and spreading counts; across nodes, the
 * inter-pod affinity terms of assigned pods grouped by identical term. Kept current from pod and
 * node watch events and from the scheduler's own binds (an "assumed" pod is simply added at bind
 * time; the watch event for the bind then finds it already there), so a scheduling cycle never
 * lists pods.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import type { AffinityTerm, PodFacts } from './pod-info.ts';
import {
  addResources,
  type Allocatable,
  emptyResources,
  nodeAllocatable,
  type Resources,
} from './resources.ts';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface NodeInfo {
  name: string;
  /** Undefined while pods name a node the cache has not seen (upstream's "imaginary" node infos). */
  node: Node | undefined;
  /*
   * What every cycle reads of the Node, taken out once per node update: label lookups on
   * dictionary-shaped label maps cost more than the filter itself at 400 nodes a cycle.
   */
  unschedulable: boolean;
  /** spec.taints, undefined when there are none. */
  taints: readonly Taint[] | undefined;
  zone: string | undefined;
  hasHostname: boolean;
  allocatable: Allocatable;
  requested: Resources;
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
  pods: Map<string, PodFacts>;
  /**
   * The numbers the filter and score loops read for every node of every cycle, unboxed in one
   * array (indexes N_*): copies of allocatable/requested cpu, memory, ephemeral-storage, the pod
   * count and the non-zero requests, kept in step by setNode and the pod accounting.
   */
  nums: Float64Array;
  /** `ip/protocol/port` → pods using it. */
  usedPorts: Map<string, number>;
  /** Spreading owner uid → its pods here that are not being deleted. */
  spreadCounts: Map<string, number>;
  /** Scratch for a scoring pass: this node's index among the feasible nodes of cycle `scoreCycle`. */
  scoreIndex: number;
  scoreCycle: number;
}

export type TermKind =
  'requiredAffinity' | 'requiredAntiAffinity' | 'preferredAffinity' | 'preferredAntiAffinity';

/** Identical affinity terms of assigned pods, with where those pods are (node → pod key → priority). */
export interface TermGroup {
  kind: TermKind;
  term: AffinityTerm;
  weight: number;
  nodes: Map<string, Map<string, number>>;
}

export const N_ALLOC_CPU = 0;
export const N_ALLOC_MEMORY = 1;
export const N_ALLOC_EPHEMERAL = 2;
export const N_ALLOC_PODS = 3;
export const N_REQ_CPU = 4;
export const N_REQ_MEMORY = 5;
export const N_REQ_EPHEMERAL = 6;
export const N_POD_COUNT = 7;
export const N_NONZERO_CPU = 8;
export const N_NONZERO_MEMORY = 9;
const N_SIZE = 10;

function syncNums(info: NodeInfo): void {
  const n = info.nums;
  n[N_ALLOC_CPU] = info.allocatable.milliCpu;
  n[N_ALLOC_MEMORY] = info.allocatable.memory;
  n[N_ALLOC_EPHEMERAL] = info.allocatable.ephemeralStorage;
  n[N_ALLOC_PODS] = info.allocatable.pods;
  n[N_REQ_CPU] = info.requested.milliCpu;
  n[N_REQ_MEMORY] = info.requested.memory;
  n[N_REQ_EPHEMERAL] = info.requested.ephemeralStorage;
  n[N_POD_COUNT] = info.pods.size;
  n[N_NONZERO_CPU] = info.nonZeroMilliCpu;
  n[N_NONZERO_MEMORY] = info.nonZeroMemory;
}

export const portKey = (ip: string, protocol: string, port: number): string => `${ip}/${protocol}/${port}`;

function newNodeInfo(name: string): NodeInfo {
  return {
    name,
    node: undefined,
    unschedulable: false,
    taints: undefined,
    zone: undefined,
    hasHostname: false,
    allocatable: { ...emptyResources(), pods: 0 },
    requested: emptyResources(),
    nonZeroMilliCpu: 0,
    nonZeroMemory: 0,
    pods: new Map(),
    nums: new Float64Array(N_SIZE),
    usedPorts: new Map(),
    spreadCounts: new Map(),
    scoreIndex: -1,
    scoreCycle: -1,
  };
}

const bump = (m: Map<string, number>, key: string, by: number): void => {
  const next = (m.get(key) ?? 0) + by;
  if (next === 0) m.delete(key);
  else m.set(key, next);
};

const zoneKeyOf = (node: Node): string =>
  `${node.metadata?.labels?.[REGION_LABEL] ?? ''}:\u0000:${node.metadata?.labels?.[ZONE_LABEL] ?? ''}`;

export class NodeInfoCache {
  private readonly infos = new Map<string, NodeInfo>();
  /** Pod key → node it is counted on. */
  private readonly podNodes = new Map<string, string>();
  private readonly groups = new Map<string, TermGroup>();
  /** Zone value → spreading owner → pods (not being deleted) in that zone. */
  private readonly zoneSpread = new Map<string, Map<string, number>>();
  /** `namespace␀key␀value` → assigned pods with that label: how selectors find their pods without a list. */
  private readonly labelIndex = new Map<string, Set<PodFacts>>();
  /** Spreading owner → the nodes holding its pods (not being deleted) → how many. */
  private readonly ownerNodes = new Map<string, Map<NodeInfo, number>>();
  private ordered: NodeInfo[] = [];
  private orderDirty = false;

  /** Nodes (with a Node object) in the snapshot's order: zones interleaved, insertion order within a zone. */
  list(): readonly NodeInfo[] {
    if (this.orderDirty) {
      const byZone = new Map<string, NodeInfo[]>();
      for (const info of this.infos.values()) {
        if (!info.node) continue;
        const zone = zoneKeyOf(info.node);
        const list = byZone.get(zone);
        if (list) list.push(info);
        else byZone.set(zone, [info]);
      }
      const zones = [...byZone.values()];
      const out: NodeInfo[] = [];
      for (let i = 0; out.length < zones.reduce((n, z) => n + z.length, 0); i++) {
        for (const z of zones) if (i < z.length) out.push(z[i] as NodeInfo);
      }
      this.ordered = out;
      this.orderDirty = false;
    }
    return this.ordered;
  }

  get(name: string): NodeInfo | undefined {
    const info = this.infos.get(name);
    return info?.node ? info : undefined;
  }

  nodeOfPod(key: string): string | undefined {
    return this.podNodes.get(key);
  }

  podOnNode(key: string): PodFacts | undefined {
    const node = this.podNodes.get(key);
    return node === undefined ? undefined : this.infos.get(node)?.pods.get(key);
  }

  termGroups(): IterableIterator<TermGroup> {
    return this.groups.values();
  }

  /** Where the owner's pods are (nodes without any are absent). */
  spreadNodes(owner: string): ReadonlyMap<NodeInfo, number> | undefined {
    return this.ownerNodes.get(owner);
  }

  zoneSpreadCount(zone: string, owner: string): number {
    return this.zoneSpread.get(zone)?.get(owner) ?? 0;
  }

  /** Adds or replaces a node; returns the previous Node object. */
  setNode(node: Node): Node | undefined {
    const name = node.metadata?.name ?? '';
    let info = this.infos.get(name);
    if (!info) this.infos.set(name, (info = newNodeInfo(name)));
    const previous = info.node;
    const oldZone = previous?.metadata?.labels?.[ZONE_LABEL];
    const newZone = node.metadata?.labels?.[ZONE_LABEL];
    if (!previous || zoneKeyOf(previous) !== zoneKeyOf(node)) this.orderDirty = true;
    if (oldZone !== newZone) {
      this.addZoneSpread(info, oldZone, -1);
      this.addZoneSpread(info, newZone, 1);
    }
    info.node = node;
    info.unschedulable = Boolean(node.spec?.unschedulable);
    info.taints = (node.spec?.taints ?? []).length > 0 ? node.spec?.taints : undefined;
    info.zone = newZone;
    info.hasHostname = node.metadata?.labels?.[HOSTNAME_LABEL] !== undefined;
    info.allocatable = nodeAllocatable(node);
    syncNums(info);
    return previous;
  }

  removeNode(name: string): Node | undefined {
    const info = this.infos.get(name);
    if (!info?.node) return undefined;
    const previous = info.node;
    this.addZoneSpread(info, previous.metadata?.labels?.[ZONE_LABEL], -1);
    this.orderDirty = true;
    // Pods still bound to it stay counted against the name, as upstream keeps the node info until they go.
    if (info.pods.size === 0) this.infos.delete(name);
    else {
      info.node = undefined;
      info.allocatable = { ...emptyResources(), pods: 0 };
      syncNums(info);
    }
    return previous;
  }

  /** Counts `pod` on `nodeName`, replacing any earlier version of it (wherever it was). */
  setPod(pod: PodFacts, nodeName: string): void {
    this.removePod(pod.key);
    let info = this.infos.get(nodeName);
    if (!info) this.infos.set(nodeName, (info = newNodeInfo(nodeName)));
    info.pods.set(pod.key, pod);
    this.podNodes.set(pod.key, nodeName);
    this.account(info, pod, 1);
  }

  /** Stops counting the pod; returns what was counted and where. */
  removePod(key: string): { pod: PodFacts; node: string } | undefined {
    const nodeName = this.podNodes.get(key);
    if (nodeName === undefined) return undefined;
    this.podNodes.delete(key);
    const info = this.infos.get(nodeName);
    const pod = info?.pods.get(key);
    if (!info || !pod) return undefined;
    info.pods.delete(key);
    this.account(info, pod, -1);
    if (!info.node && info.pods.size === 0) this.infos.delete(nodeName);
    return { pod, node: nodeName };
  }

  /**
   * Assigned pods in `namespace` carrying every key=value pair of `equalities` (a selector's
   * equality requirements); undefined without any pair (the caller must look elsewhere).
   */
  podsWithLabels(namespace: string, equalities: readonly [string, string][]): Iterable<PodFacts> | undefined {
    let smallest: Set<PodFacts> | undefined;
    for (const [k, v] of equalities) {
      const set = this.labelIndex.get(`${namespace}\u0000${k}\u0000${v}`);
      if (!set) return [];
      if (!smallest || set.size < smallest.size) smallest = set;
    }
    return smallest;
  }

  private indexLabels(pod: PodFacts, sign: 1 | -1): void {
    for (const k in pod.labels) {
      const key = `${pod.namespace}\u0000${k}\u0000${pod.labels[k]}`;
      let set = this.labelIndex.get(key);
      if (sign > 0) {
        if (!set) this.labelIndex.set(key, (set = new Set()));
        set.add(pod);
      } else if (set) {
        set.delete(pod);
        if (set.size === 0) this.labelIndex.delete(key);
      }
    }
  }

  private account(info: NodeInfo, pod: PodFacts, sign: 1 | -1): void {
    this.indexLabels(pod, sign);
    addResources(info.requested, pod.resources.requests, sign);
    info.nonZeroMilliCpu += sign * pod.resources.nonZeroMilliCpu;
    info.nonZeroMemory += sign * pod.resources.nonZeroMemory;
    syncNums(info);
    for (const p of pod.hostPorts) bump(info.usedPorts, portKey(p.ip, p.protocol, p.port), sign);
    if (pod.spreadOwner && !pod.deleting) {
      bump(info.spreadCounts, pod.spreadOwner, sign);
      let nodes = this.ownerNodes.get(pod.spreadOwner);
      if (!nodes) this.ownerNodes.set(pod.spreadOwner, (nodes = new Map()));
      const n = (nodes.get(info) ?? 0) + sign;
      if (n === 0) nodes.delete(info);
      else nodes.set(info, n);
      if (nodes.size === 0) this.ownerNodes.delete(pod.spreadOwner);
      const zone = info.node?.metadata?.labels?.[ZONE_LABEL];
      if (zone !== undefined) {
        let owners = this.zoneSpread.get(zone);
        if (!owners) this.zoneSpread.set(zone, (owners = new Map()));
        bump(owners, pod.spreadOwner, sign);
        if (owners.size === 0) this.zoneSpread.delete(zone);
      }
    }
    const terms: [TermKind, AffinityTerm, number][] = [
      ...pod.requiredAffinity.map((t): [TermKind, AffinityTerm, number] => ['requiredAffinity', t, 1]),
      ...pod.requiredAntiAffinity.map((t): [TermKind, AffinityTerm, number] => [
        'requiredAntiAffinity',
        t,
        1,
      ]),
      ...pod.preferredAffinity.map((t): [TermKind, AffinityTerm, number] => [
        'preferredAffinity',
        t,
        t.weight,
      ]),
      ...pod.preferredAntiAffinity.map((t): [TermKind, AffinityTerm, number] => [
        'preferredAntiAffinity',
        t,
        t.weight,
      ]),
    ];
    for (const [kind, term, weight] of terms) {
      const key = `${kind}\u0000${weight}\u0000${term.fingerprint}`;
      let group = this.groups.get(key);
      if (!group) {
        if (sign < 0) continue;
        this.groups.set(key, (group = { kind, term, weight, nodes: new Map() }));
      }
      let pods = group.nodes.get(info.name);
      if (sign > 0) {
        if (!pods) group.nodes.set(info.name, (pods = new Map()));
        pods.set(pod.key, pod.priority);
      } else if (pods) {
        pods.delete(pod.key);
        if (pods.size === 0) group.nodes.delete(info.name);
        if (group.nodes.size === 0) this.groups.delete(key);
      }
    }
  }

  private addZoneSpread(info: NodeInfo, zone: string | undefined, sign: 1 | -1): void {
    if (zone === undefined) return;
    let owners = this.zoneSpread.get(zone);
    for (const [owner, n] of info.spreadCounts) {
      if (!owners) this.zoneSpread.set(zone, (owners = new Map()));
      bump(owners, owner, sign * n);
    }
    if (owners?.size === 0) this.zoneSpread.delete(zone);
  }
}
