/**
 * The default profile's Score plugins with their weights (TaintToleration 3, NodeAffinity 2,
 * NodeResourcesFit 1 with LeastAllocated over cpu and memory, PodTopologySpread 2, InterPodAffinity 2,
 * NodeResourcesBalancedAllocation 1), each normalized to 0–100 as upstream does, then summed. ImageLocality is left out: the sim pulls no images, so it
 * would score every node alike.
 */
import type { CycleState } from './filters.ts';
import { type AffinityLookup, affinityScore, type TopologyScore } from './inter-pod-affinity.ts';
import {
  N_ALLOC_CPU,
  N_ALLOC_MEMORY,
  N_NONZERO_CPU,
  N_NONZERO_MEMORY,
  N_REQ_CPU,
  N_REQ_MEMORY,
  type NodeInfo,
} from './node-info.ts';
import { intolerablePreferNoSchedule, preferredNodeAffinity } from './node-matching.ts';
import { spreadScores } from './topology-spread.ts';

const MAX_NODE_SCORE = 100;

const WEIGHTS = {
  TaintToleration: 3,
  NodeAffinity: 2,
  NodeResourcesFit: 1,
  PodTopologySpread: 2,
  InterPodAffinity: 2,
  NodeResourcesBalancedAllocation: 1,
};

// Go int64 division truncates toward zero.
const idiv = (a: number, b: number): number => Math.trunc(a / b);

/*
 * Each plugin adds weight × its normalized score into `totals`. A plugin that would give every
 * node the same score is skipped: a constant added to all nodes changes neither the best node nor
 * the ties, and skipping it keeps a 400-node cycle cheap.
 */

/** NodeResourcesFit (LeastAllocated, cpu and memory at weight 1, non-zero requests) and BalancedAllocation (actual requests). */
function addResourceScores(state: CycleState, feasible: readonly NodeInfo[], totals: Float64Array): void {
  const r = state.facts.resources;
  const req = r.requests;
  for (let i = 0; i < feasible.length; i++) {
    const n = (feasible[i] as NodeInfo).nums;
    const allocCpu = n[N_ALLOC_CPU] as number;
    const allocMemory = n[N_ALLOC_MEMORY] as number;
    let least = 0;
    let weights = 0;
    let cpuFraction = -1;
    let memFraction = -1;
    if (allocCpu !== 0) {
      const requested = (n[N_NONZERO_CPU] as number) + r.nonZeroMilliCpu;
      least += requested > allocCpu ? 0 : idiv((allocCpu - requested) * MAX_NODE_SCORE, allocCpu);
      weights++;
      cpuFraction = Math.min(1, ((n[N_REQ_CPU] as number) + req.milliCpu) / allocCpu);
    }
    if (allocMemory !== 0) {
      const requested = (n[N_NONZERO_MEMORY] as number) + r.nonZeroMemory;
      least += requested > allocMemory ? 0 : idiv((allocMemory - requested) * MAX_NODE_SCORE, allocMemory);
      weights++;
      memFraction = Math.min(1, ((n[N_REQ_MEMORY] as number) + req.memory) / allocMemory);
    }
    const leastAllocated = weights === 0 ? 0 : idiv(least, weights);
    // BalancedAllocation: (1 − std) × 100; for two resources std = |a − b| / 2, for fewer it is 0.
    const std = cpuFraction >= 0 && memFraction >= 0 ? Math.abs((cpuFraction - memFraction) / 2) : 0;
    const balanced = Math.trunc((1 - std) * MAX_NODE_SCORE);
    totals[i] =
      (totals[i] as number) +
      WEIGHTS.NodeResourcesFit * leastAllocated +
      WEIGHTS.NodeResourcesBalancedAllocation * balanced;
  }
}

/** helper.DefaultNormalizeScore, weighted into `totals`; all-zero raw scores are uniform and skipped. */
function addDefaultNormalized(
  raw: Float64Array,
  reverse: boolean,
  weight: number,
  totals: Float64Array,
): void {
  let max = 0;
  for (let i = 0; i < raw.length; i++) max = Math.max(max, raw[i] as number);
  if (max === 0) return;
  for (let i = 0; i < raw.length; i++) {
    const v = idiv(MAX_NODE_SCORE * (raw[i] as number), max);
    totals[i] = (totals[i] as number) + weight * (reverse ? MAX_NODE_SCORE - v : v);
  }
}

/** TaintToleration: fewer intolerable PreferNoSchedule taints score higher. */
function addTaintScores(state: CycleState, feasible: readonly NodeInfo[], totals: Float64Array): void {
  let raw: Float64Array | undefined;
  for (let i = 0; i < feasible.length; i++) {
    const info = feasible[i] as NodeInfo;
    if (!info.taints || !info.node) continue;
    const n = intolerablePreferNoSchedule(info.node, state.tolerations);
    if (n === 0) continue;
    (raw ??= new Float64Array(feasible.length))[i] = n;
  }
  if (raw) addDefaultNormalized(raw, true, WEIGHTS.TaintToleration, totals);
}

/** NodeAffinity: the weights of the preferred terms each node matches. */
function addNodeAffinityScores(state: CycleState, feasible: readonly NodeInfo[], totals: Float64Array): void {
  const preferred = preferredNodeAffinity(state.pod);
  if (preferred.length === 0) return;
  const raw = new Float64Array(feasible.length);
  for (let i = 0; i < feasible.length; i++) {
    const node = (feasible[i] as NodeInfo).node;
    if (!node) continue;
    for (const t of preferred) if (t.test(node)) raw[i] = (raw[i] as number) + t.weight;
  }
  addDefaultNormalized(raw, false, WEIGHTS.NodeAffinity, totals);
}

/** InterPodAffinity: min–max normalized. */
function addInterPodAffinityScores(
  scores: TopologyScore | undefined,
  feasible: readonly NodeInfo[],
  totals: Float64Array,
): void {
  if (!scores || scores.size === 0) return;
  const raw = new Float64Array(feasible.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < feasible.length; i++) {
    const node = (feasible[i] as NodeInfo).node;
    const s = node ? affinityScore(scores, node) : 0;
    raw[i] = s;
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  const diff = max - min;
  if (diff <= 0) return;
  for (let i = 0; i < raw.length; i++) {
    totals[i] =
      (totals[i] as number) +
      WEIGHTS.InterPodAffinity * Math.trunc(MAX_NODE_SCORE * (((raw[i] as number) - min) / diff));
  }
}

/** Total weighted score per feasible node, in the order given. */
export function scoreNodes(
  state: CycleState,
  lookup: AffinityLookup,
  feasible: readonly NodeInfo[],
  affinityScores: TopologyScore | undefined,
): Float64Array {
  const totals = new Float64Array(feasible.length);
  addTaintScores(state, feasible, totals);
  addNodeAffinityScores(state, feasible, totals);
  addResourceScores(state, feasible, totals);
  const spread = spreadScores(lookup, lookup.cache, state, feasible);
  if (spread) {
    for (let i = 0; i < totals.length; i++)
      totals[i] = (totals[i] as number) + WEIGHTS.PodTopologySpread * (spread[i] as number);
  }
  addInterPodAffinityScores(affinityScores, feasible, totals);
  return totals;
}

/** selectHost: the highest total, ties broken uniformly at random (reservoir sampling upstream). */
export function selectHost(feasible: readonly NodeInfo[], totals: Float64Array): NodeInfo {
  let best = -Infinity;
  let chosen = feasible[0] as NodeInfo;
  let ties = 0;
  for (let i = 0; i < feasible.length; i++) {
    const score = totals[i] as number;
    if (score > best) {
      best = score;
      chosen = feasible[i] as NodeInfo;
      ties = 1;
    } else if (score === best) {
      ties++;
      if (Math.floor(Math.random() * ties) === 0) chosen = feasible[i] as NodeInfo;
    }
  }
  return chosen;
}
