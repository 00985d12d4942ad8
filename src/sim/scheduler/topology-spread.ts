/**
 * The PodTopologySpread plugin (framework/plugins/podtopologyspread): a pod's own
 * topologySpreadConstraints (DoNotSchedule ones filter, ScheduleAnyway ones score, with
 * matchLabelKeys, minDomains and the node inclusion policies), and, for pods that declare none,
 * the system default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) for pods
 * of a ReplicaSet, StatefulSet or ReplicationController.
 *
 * Own constraints count pods through their selector (the store's label index); the defaults
 * count the owner's pods from the cache, which is what helper.DefaultSelector selects for pods
 * of those owners (their selector plus any Service selector ANDed together — the owner's
 * pod-template-hash or selector keeps it to the owner's pods). Pods being deleted do not count.
 */
import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import {
  type LabelSelector,
  labelSelectorFromSpec,
  nothing,
  parseLabelSelector,
} from '../store/selectors.ts';
import type { AffinityLookup } from './inter-pod-affinity.ts';
import { HOSTNAME_LABEL, type NodeInfo, type NodeInfoCache } from './node-info.ts';
import { untoleratedTaint } from './node-matching.ts';
import type { PodFacts } from './pod-info.ts';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_MISSING_LABEL = `${ERR_SPREAD} (missing required label)`;

const MAX_NODE_SCORE = 100;

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

/** What the plugin needs of the pod being scheduled. */
export interface SpreadPod {
  pod: Pod;
  facts: PodFacts;
  nodeAffinity: ((node: Node) => boolean) | undefined;
}

function selectorFor(
  c: TopologySpreadConstraint,
  podLabels: Readonly<Record<string, string>>,
): LabelSelector {
  let selector: LabelSelector;
  try {
    selector = labelSelectorFromSpec(c.labelSelector);
  } catch {
    return nothing();
  }
  // matchLabelKeys: the pod's own values for those keys are ANDed into the selector.
  const extra = (c.matchLabelKeys ?? []).filter((k) => Object.hasOwn(podLabels, k));
  if (extra.length === 0 || (!selector.empty && selector.requirements.length === 0)) return selector;
  const text = [selector.toString(), ...extra.map((k) => `${k}=${podLabels[k]}`)].filter(Boolean).join(',');
  try {
    return parseLabelSelector(text);
  } catch {
    return selector;
  }
}

/** filterTopologySpreadConstraints: the pod's constraints with this whenUnsatisfiable. */
function constraintsOf(p: SpreadPod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  return (p.pod.spec?.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: selectorFor(c, p.facts.labels),
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    }));
}

const hasAllKeys = (node: Node, constraints: readonly Constraint[]): boolean =>
  constraints.every((c) => node.metadata?.labels?.[c.topologyKey] !== undefined);

function included(c: Constraint, p: SpreadPod, node: Node): boolean {
  if (c.honorNodeAffinity && p.nodeAffinity && !p.nodeAffinity(node)) return false;
  if (c.honorNodeTaints && untoleratedTaint(node, p.pod.spec?.tolerations ?? []) !== undefined) return false;
  return true;
}

/** Matching pods (same namespace, not being deleted) per node, for one selector. */
function countsByNode(
  lookup: AffinityLookup,
  namespace: string,
  selector: LabelSelector,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!selector.empty && selector.requirements.length === 0) return out;
  for (const { pod, node } of lookup.assignedPods(new Set([namespace]), selector)) {
    if (!pod.deleting) out.set(node, (out.get(node) ?? 0) + 1);
  }
  return out;
}

export interface SpreadFilterState {
  constraints: Constraint[];
  /** Per constraint: topology value → matching pods, for every eligible domain (zero included). */
  counts: Map<string, number>[];
  pod: SpreadPod;
}

/** PreFilter: undefined when the pod has no DoNotSchedule constraint. */
export function spreadPreFilter(
  lookup: AffinityLookup,
  cache: NodeInfoCache,
  p: SpreadPod,
): SpreadFilterState | undefined {
  const constraints = constraintsOf(p, 'DoNotSchedule');
  if (constraints.length === 0) return undefined;
  const perNode = constraints.map((c) => countsByNode(lookup, p.facts.namespace, c.selector));
  const counts = constraints.map(() => new Map<string, number>());
  for (const info of cache.list()) {
    const node = info.node as Node;
    if (!hasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!included(c, p, node)) return;
      const value = node.metadata?.labels?.[c.topologyKey] as string;
      const m = counts[i] as Map<string, number>;
      m.set(value, (m.get(value) ?? 0) + ((perNode[i] as Map<string, number>).get(info.name) ?? 0));
    });
  }
  return { constraints, counts, pod: p };
}

/** Filter: [code, reason] when the node would break a constraint. */
export function spreadFilter(
  state: SpreadFilterState,
  node: Node,
): ['Unschedulable' | 'UnschedulableAndUnresolvable', string] | undefined {
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i] as Constraint;
    const value = node.metadata?.labels?.[c.topologyKey];
    if (value === undefined) return ['UnschedulableAndUnresolvable', ERR_SPREAD_MISSING_LABEL];
    const counts = state.counts[i] as Map<string, number>;
    let min = counts.size < c.minDomains ? 0 : Infinity;
    if (min !== 0) for (const n of counts.values()) min = Math.min(min, n);
    if (min === Infinity) min = 0;
    const self = c.selector.matches(state.pod.facts.labels) ? 1 : 0;
    if ((counts.get(value) ?? 0) + self - min > c.maxSkew) return ['Unschedulable', ERR_SPREAD];
  }
  return undefined;
}

/** The state with `removed` (pods on `info`) gone: preemption's RemovePod. */
export function spreadStateWithout(
  state: SpreadFilterState,
  info: NodeInfo,
  removed: readonly PodFacts[],
): SpreadFilterState {
  const node = info.node;
  if (!node || !hasAllKeys(node, state.constraints)) return state;
  const counts = state.counts.map((m) => new Map(m));
  for (const victim of removed) {
    if (victim.namespace !== state.pod.facts.namespace) continue;
    state.constraints.forEach((c, i) => {
      if (!c.selector.matches(victim.labels) || !included(c, state.pod, node)) return;
      const value = node.metadata?.labels?.[c.topologyKey] as string;
      const m = counts[i] as Map<string, number>;
      m.set(value, (m.get(value) ?? 0) - 1);
    });
  }
  return { ...state, counts };
}

/**
 * NormalizeScore: fewer matching pods score higher; ignored nodes (NaN) score 0. Undefined when
 * every node would get the same score (nothing to add).
 */
function normalize(raw: Float64Array): Float64Array | undefined {
  let min = Infinity;
  let max = 0;
  let ignored = false;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i] as number;
    if (Number.isNaN(s)) {
      ignored = true;
      continue;
    }
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  if (!ignored && min === max) return undefined;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i] as number;
    out[i] = Number.isNaN(s)
      ? 0
      : max === 0
        ? MAX_NODE_SCORE
        : Math.trunc((MAX_NODE_SCORE * (max + min - s)) / max);
  }
  return out;
}

const scoreForCount = (count: number, maxSkew: number, weight: number): number =>
  count * weight + (maxSkew - 1);

/**
 * Normalized scores for the pod's ScheduleAnyway constraints, or for the system defaults when it
 * declares none; undefined when the plugin scores every node alike.
 */
export function spreadScores(
  lookup: AffinityLookup,
  cache: NodeInfoCache,
  p: SpreadPod,
  feasible: readonly NodeInfo[],
): Float64Array | undefined {
  if ((p.pod.spec?.topologySpreadConstraints ?? []).length === 0)
    return defaultSpreadScores(cache, p, feasible);
  const constraints = constraintsOf(p, 'ScheduleAnyway');
  if (constraints.length === 0) return undefined;
  // requireAllTopologies: nodes missing a key are ignored.
  const ignored = feasible.map((info) => !hasAllKeys(info.node as Node, constraints));
  const considered = feasible.filter((_, i) => !ignored[i]);
  const weights = constraints.map((c) => {
    if (c.topologyKey === HOSTNAME_LABEL) return Math.log(considered.length + 2);
    const values = new Set(considered.map((info) => info.node?.metadata?.labels?.[c.topologyKey]));
    return Math.log(values.size + 2);
  });
  const perNode = constraints.map((c) => countsByNode(lookup, p.facts.namespace, c.selector));
  const pairCounts = constraints.map((c, i) => {
    const m = new Map<string, number>();
    if (c.topologyKey === HOSTNAME_LABEL) return m;
    for (const info of considered) m.set(info.node?.metadata?.labels?.[c.topologyKey] as string, 0);
    for (const info of cache.list()) {
      const node = info.node as Node;
      if (!hasAllKeys(node, constraints) || !included(c, p, node)) continue;
      const value = node.metadata?.labels?.[c.topologyKey] as string;
      if (!m.has(value)) continue;
      m.set(value, (m.get(value) ?? 0) + ((perNode[i] as Map<string, number>).get(info.name) ?? 0));
    }
    return m;
  });
  const raw = new Float64Array(feasible.length);
  feasible.forEach((info, n) => {
    if (ignored[n]) {
      raw[n] = NaN;
      return;
    }
    let score = 0;
    constraints.forEach((c, i) => {
      const count =
        c.topologyKey === HOSTNAME_LABEL
          ? ((perNode[i] as Map<string, number>).get(info.name) ?? 0)
          : ((pairCounts[i] as Map<string, number>).get(
              info.node?.metadata?.labels?.[c.topologyKey] as string,
            ) ?? 0);
      score += scoreForCount(count, c.maxSkew, weights[i] as number);
    });
    raw[n] = Math.round(score);
  });
  return normalize(raw);
}

let scoringCycle = 0;

/** The system default constraints, counting the pod's owner's pods from the cache. */
function defaultSpreadScores(
  cache: NodeInfoCache,
  p: SpreadPod,
  feasible: readonly NodeInfo[],
): Float64Array | undefined {
  const owner = p.facts.spreadOwner;
  if (!owner) return undefined;
  // Nodes without a zone label form a "" domain for the weight, as upstream's pair map does.
  let zones: Set<string> | undefined;
  for (const info of feasible) if (info.zone !== undefined) (zones ??= new Set()).add(info.zone);
  if (zones && feasible.some((info) => info.zone === undefined)) zones.add('');
  const hostWeight = Math.log(feasible.length + 2);
  const zoneWeight = Math.log((zones?.size ?? 1) + 2);
  let zoneCounts: Map<string, number> | undefined;
  const zoneCount = (zone: string): number => {
    if (!p.nodeAffinity) return cache.zoneSpreadCount(zone, owner);
    // NodeInclusionPolicy Honor: only nodes the pod could go to count towards a zone.
    if (!zoneCounts) {
      zoneCounts = new Map();
      for (const info of cache.list()) {
        if (info.zone === undefined || !info.node || !p.nodeAffinity(info.node)) continue;
        zoneCounts.set(info.zone, (zoneCounts.get(info.zone) ?? 0) + (info.spreadCounts.get(owner) ?? 0));
      }
    }
    return zoneCounts.get(zone) ?? 0;
  };
  // Every node's score without its own count of the owner's pods, then the nodes that hold some.
  const cycle = ++scoringCycle;
  const zoneScores = new Map<string, number>();
  const raw = new Float64Array(feasible.length);
  for (let i = 0; i < feasible.length; i++) {
    const info = feasible[i] as NodeInfo;
    info.scoreIndex = i;
    info.scoreCycle = cycle;
    let score = info.hasHostname ? scoreForCount(0, 3, hostWeight) : 0;
    if (zones && info.zone !== undefined) {
      let z = zoneScores.get(info.zone);
      if (z === undefined)
        zoneScores.set(info.zone, (z = scoreForCount(zoneCount(info.zone), 5, zoneWeight)));
      score += z;
    }
    raw[i] = score;
  }
  for (const [info, count] of cache.spreadNodes(owner) ?? []) {
    if (info.scoreCycle === cycle && info.hasHostname)
      raw[info.scoreIndex] = (raw[info.scoreIndex] as number) + count * hostWeight;
  }
  for (let i = 0; i < raw.length; i++) raw[i] = Math.round(raw[i] as number);
  return normalize(raw);
}

/** Whether `changed` (an assigned pod) is one the pending pod's constraints count (queueing hint). */
export function spreadCounts(pending: SpreadPod, changed: PodFacts): boolean {
  if (changed.namespace !== pending.facts.namespace) return false;
  return (pending.pod.spec?.topologySpreadConstraints ?? []).some((c) =>
    selectorFor(c, pending.facts.labels).matches(changed.labels),
  );
}
