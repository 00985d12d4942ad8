/**
 * The InterPodAffinity plugin (framework/plugins/interpodaffinity): required pod affinity and
 * anti-affinity of the incoming pod, the required anti-affinity of pods already placed, and the
 * preferred terms of both sides for scoring. Counts are per topology pair (label key, value), as
 * upstream keeps them. Existing pods matching the incoming pod's terms are found through the
 * store's label index, and existing pods' terms come from the cache's groups of identical
 * terms, so a cycle costs the matching pods, not every pod.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from '../store/selectors.ts';
import type { NodeInfo, NodeInfoCache } from './node-info.ts';
import { type AffinityTerm, type PodFacts, termMatches } from './pod-info.ts';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** The scheduler's view of assigned pods and namespaces that this plugin needs. */
export interface AffinityLookup {
  cache: NodeInfoCache;
  /** Assigned pods (as cached) in `namespaces` whose labels match `selector`. */
  assignedPods(
    namespaces: ReadonlySet<string> | 'all',
    selector: LabelSelector,
  ): Iterable<{ pod: PodFacts; node: string }>;
  /** Names of namespaces whose labels match, or 'all' for an everything-selector. */
  namespacesMatching(selector: LabelSelector): readonly string[] | 'all';
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
}

/** An incoming pod's term with its namespaceSelector resolved into names (mergeAffinityTermNamespacesIfNotEmpty). */
interface ResolvedTerm {
  term: AffinityTerm;
  namespaces: ReadonlySet<string> | 'all';
  weight: number;
}

const pairKey = (key: string, value: string): string => `${key}\u0000${value}`;

const isNothing = (s: LabelSelector): boolean => !s.empty && s.requirements.length === 0;

function resolve(lookup: AffinityLookup, term: AffinityTerm, weight = 1): ResolvedTerm {
  if (isNothing(term.namespaceSelector)) return { term, namespaces: term.namespaces, weight };
  const matching = lookup.namespacesMatching(term.namespaceSelector);
  if (matching === 'all') return { term, namespaces: 'all', weight };
  return { term, namespaces: new Set([...term.namespaces, ...matching]), weight };
}

const resolvedMatches = (t: ResolvedTerm, pod: PodFacts): boolean =>
  (t.namespaces === 'all' || t.namespaces.has(pod.namespace)) && t.term.selector.matches(pod.labels);

/** podMatchesAllAffinityTerms: false for no terms. */
const matchesAll = (terms: readonly ResolvedTerm[], pod: PodFacts): boolean =>
  terms.length > 0 && terms.every((t) => resolvedMatches(t, pod));

function bump(counts: Map<string, number>, node: Node | undefined, key: string, by: number): void {
  const value = node?.metadata?.labels?.[key];
  if (value === undefined) return;
  const k = pairKey(key, value);
  const next = (counts.get(k) ?? 0) + by;
  if (next === 0) counts.delete(k);
  else counts.set(k, next);
}

function* candidates(lookup: AffinityLookup, t: ResolvedTerm): Iterable<{ pod: PodFacts; node: string }> {
  if (isNothing(t.term.selector)) return;
  yield* lookup.assignedPods(t.namespaces, t.term.selector);
}

export interface AffinityFilterState {
  pod: PodFacts;
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  affinity: ResolvedTerm[];
  antiAffinity: ResolvedTerm[];
  affinityCounts: Map<string, number>;
  antiAffinityCounts: Map<string, number>;
  existingAntiAffinityCounts: Map<string, number>;
}

/** PreFilter: the counts the filter reads, or undefined when the plugin has nothing to check. */
export function affinityPreFilter(lookup: AffinityLookup, pod: PodFacts): AffinityFilterState | undefined {
  const namespaceLabels = lookup.namespaceLabels(pod.namespace);
  const state: AffinityFilterState = {
    pod,
    namespaceLabels,
    affinity: pod.requiredAffinity.map((t) => resolve(lookup, t)),
    antiAffinity: pod.requiredAntiAffinity.map((t) => resolve(lookup, t)),
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
    existingAntiAffinityCounts: new Map(),
  };
  const { cache } = lookup;
  for (const group of cache.termGroups()) {
    if (group.kind !== 'requiredAntiAffinity') continue;
    if (!termMatches(group.term, pod, namespaceLabels)) continue;
    for (const [nodeName, pods] of group.nodes) {
      bump(state.existingAntiAffinityCounts, cache.get(nodeName)?.node, group.term.topologyKey, pods.size);
    }
  }
  const first = state.affinity[0];
  if (first) {
    for (const { pod: existing, node } of candidates(lookup, first)) {
      if (!matchesAll(state.affinity, existing)) continue;
      const n = cache.get(node)?.node;
      for (const t of state.affinity) bump(state.affinityCounts, n, t.term.topologyKey, 1);
    }
  }
  for (const t of state.antiAffinity) {
    for (const { pod: existing, node } of candidates(lookup, t)) {
      if (resolvedMatches(t, existing))
        bump(state.antiAffinityCounts, cache.get(node)?.node, t.term.topologyKey, 1);
    }
  }
  const idle =
    state.affinity.length === 0 &&
    state.antiAffinity.length === 0 &&
    state.existingAntiAffinityCounts.size === 0;
  return idle ? undefined : state;
}

/** Filter: the reason the node fails, or undefined. */
export function affinityFilter(state: AffinityFilterState, node: Node): string | undefined {
  const labels = node.metadata?.labels ?? {};
  if (state.affinity.length > 0) {
    let podsExist = true;
    for (const t of state.affinity) {
      const value = labels[t.term.topologyKey];
      if (value === undefined) return ERR_AFFINITY;
      if ((state.affinityCounts.get(pairKey(t.term.topologyKey, value)) ?? 0) <= 0) podsExist = false;
    }
    // The first pod of a group with affinity to itself may go anywhere the topology exists.
    if (!podsExist && !(state.affinityCounts.size === 0 && matchesAll(state.affinity, state.pod)))
      return ERR_AFFINITY;
  }
  if (state.antiAffinityCounts.size > 0) {
    for (const t of state.antiAffinity) {
      const value = labels[t.term.topologyKey];
      if (value !== undefined && (state.antiAffinityCounts.get(pairKey(t.term.topologyKey, value)) ?? 0) > 0)
        return ERR_ANTI_AFFINITY;
    }
  }
  if (state.existingAntiAffinityCounts.size > 0) {
    for (const [key, value] of Object.entries(labels)) {
      if ((state.existingAntiAffinityCounts.get(pairKey(key, value)) ?? 0) > 0)
        return ERR_EXISTING_ANTI_AFFINITY;
    }
  }
  return undefined;
}

/** The state as it would be with `removed` (pods on `info`) gone: preemption's RemovePod. */
export function affinityStateWithout(
  state: AffinityFilterState,
  info: NodeInfo,
  removed: readonly PodFacts[],
): AffinityFilterState {
  const next: AffinityFilterState = {
    ...state,
    affinityCounts: new Map(state.affinityCounts),
    antiAffinityCounts: new Map(state.antiAffinityCounts),
    existingAntiAffinityCounts: new Map(state.existingAntiAffinityCounts),
  };
  for (const victim of removed) {
    for (const t of victim.requiredAntiAffinity) {
      if (termMatches(t, state.pod, state.namespaceLabels))
        bump(next.existingAntiAffinityCounts, info.node, t.topologyKey, -1);
    }
    if (matchesAll(state.affinity, victim))
      for (const t of state.affinity) bump(next.affinityCounts, info.node, t.term.topologyKey, -1);
    for (const t of state.antiAffinity)
      if (resolvedMatches(t, victim)) bump(next.antiAffinityCounts, info.node, t.term.topologyKey, -1);
  }
  return next;
}

/** Topology key → value → score, for Score to sum over a node's labels. */
export type TopologyScore = Map<string, Map<string, number>>;

function addScore(scores: TopologyScore, node: Node | undefined, key: string, by: number): void {
  const value = node?.metadata?.labels?.[key];
  if (value === undefined || by === 0) return;
  let values = scores.get(key);
  if (!values) scores.set(key, (values = new Map()));
  values.set(value, (values.get(value) ?? 0) + by);
}

const HARD_POD_AFFINITY_WEIGHT = 1;

/** PreScore: what the preferred terms on both sides (and existing pods' hard affinity) add per topology value. */
export function affinityPreScore(lookup: AffinityLookup, pod: PodFacts): TopologyScore {
  const scores: TopologyScore = new Map();
  const { cache } = lookup;
  const namespaceLabels = lookup.namespaceLabels(pod.namespace);
  const own: [ResolvedTerm, number][] = [
    ...pod.preferredAffinity.map((t): [ResolvedTerm, number] => [resolve(lookup, t, t.weight), 1]),
    ...pod.preferredAntiAffinity.map((t): [ResolvedTerm, number] => [resolve(lookup, t, t.weight), -1]),
  ];
  for (const [t, sign] of own) {
    for (const { pod: existing, node } of candidates(lookup, t)) {
      if (resolvedMatches(t, existing))
        addScore(scores, cache.get(node)?.node, t.term.topologyKey, sign * t.weight);
    }
  }
  for (const group of cache.termGroups()) {
    let weight: number;
    if (group.kind === 'requiredAffinity') weight = HARD_POD_AFFINITY_WEIGHT;
    else if (group.kind === 'preferredAffinity') weight = group.weight;
    else if (group.kind === 'preferredAntiAffinity') weight = -group.weight;
    else continue;
    if (!termMatches(group.term, pod, namespaceLabels)) continue;
    for (const [nodeName, pods] of group.nodes) {
      addScore(scores, cache.get(nodeName)?.node, group.term.topologyKey, weight * pods.size);
    }
  }
  return scores;
}

export function affinityScore(scores: TopologyScore, node: Node): number {
  let total = 0;
  const labels = node.metadata?.labels ?? {};
  for (const [key, values] of scores) {
    const value = labels[key];
    if (value !== undefined) total += values.get(value) ?? 0;
  }
  return total;
}
