/**
 * The default profile's Filter plugins, in their upstream order (apis/config/v1 default_plugins.go):
 * NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit,
 * PodTopologySpread, InterPodAffinity (the volume plugins that sit between have nothing to say
 * about the pods the sim runs: it has no persistent volumes). A node is rejected by the first
 * plugin that fails, with that plugin's status code and reasons, as RunFilterPlugins does.
 */
import type { Node, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { type AffinityFilterState, affinityFilter, ERR_AFFINITY } from './inter-pod-affinity.ts';
import type { NodeInfo } from './node-info.ts';
import {
  N_ALLOC_CPU,
  N_ALLOC_EPHEMERAL,
  N_ALLOC_MEMORY,
  N_ALLOC_PODS,
  N_POD_COUNT,
  N_REQ_CPU,
  N_REQ_EPHEMERAL,
  N_REQ_MEMORY,
  portKey,
} from './node-info.ts';
import {
  firstUntolerated,
  requiredNodeAffinity,
  toleratesAny,
  UNSCHEDULABLE_TAINT,
} from './node-matching.ts';
import type { PodFacts } from './pod-info.ts';
import type { Resources } from './resources.ts';
import { type SpreadFilterState, spreadFilter } from './topology-spread.ts';

export type PluginName =
  | 'NodeUnschedulable'
  | 'NodeName'
  | 'TaintToleration'
  | 'NodeAffinity'
  | 'NodePorts'
  | 'NodeResourcesFit'
  | 'PodTopologySpread'
  | 'InterPodAffinity';

export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterStatus {
  plugin: PluginName | undefined;
  code: StatusCode;
  reasons: string[];
}

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** What one scheduling cycle computes once about the pod (the PreFilter states). */
export interface CycleState {
  pod: Pod;
  facts: PodFacts;
  tolerations: readonly Toleration[];
  nodeAffinity: ((node: Node) => boolean) | undefined;
  affinity: AffinityFilterState | undefined;
  spread: SpreadFilterState | undefined;
}

/** The per-pod part of the cycle state; the plugins' PreFilter states are filled in by the caller. */
export function cycleState(pod: Pod, facts: PodFacts): CycleState {
  return {
    pod,
    facts,
    tolerations: pod.spec?.tolerations ?? [],
    nodeAffinity: requiredNodeAffinity(pod),
    affinity: undefined,
    spread: undefined,
  };
}

/** The parts of a node's state that preemption's dry run changes by removing victims. */
export interface NodeUsage {
  podCount: number;
  requested: Resources;
  usedPorts: ReadonlyMap<string, number>;
  affinity: AffinityFilterState | undefined;
  spread: SpreadFilterState | undefined;
}

export const usageOf = (info: NodeInfo, state: CycleState): NodeUsage => ({
  podCount: info.pods.size,
  requested: info.requested,
  usedPorts: info.usedPorts,
  affinity: state.affinity,
  spread: state.spread,
});

const fail = (plugin: PluginName, code: StatusCode, ...reasons: string[]): FilterStatus => ({
  plugin,
  code,
  reasons,
});

function portConflict(used: ReadonlyMap<string, number>, facts: PodFacts): boolean {
  if (used.size === 0) return false;
  for (const p of facts.hostPorts) {
    if (p.ip === '0.0.0.0') {
      // Binding every address conflicts with the port on any address.
      for (const key of used.keys()) if (key.endsWith(`/${p.protocol}/${p.port}`)) return true;
    } else if (
      used.has(portKey('0.0.0.0', p.protocol, p.port)) ||
      used.has(portKey(p.ip, p.protocol, p.port))
    ) {
      return true;
    }
  }
  return false;
}

/** NodeResourcesFit's insufficient resources, in upstream order (pods, cpu, memory, ephemeral-storage, scalars). */
export function insufficientResources(info: NodeInfo, facts: PodFacts, usage: NodeUsage): string[] {
  const out: string[] = [];
  const alloc = info.allocatable;
  if (usage.podCount + 1 > alloc.pods) out.push('Too many pods');
  const req = facts.resources.requests;
  if (req.milliCpu === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0)
    return out;
  const used = usage.requested;
  if (req.milliCpu > 0 && req.milliCpu > alloc.milliCpu - used.milliCpu) out.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    out.push('Insufficient ephemeral-storage');
  for (const [name, q] of req.scalar) {
    if (q === 0) continue;
    if (q > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

/** insufficientResources(...).length === 0 without building the list: the filter's hot path. */
function resourcesFit(
  alloc: NodeInfo['allocatable'],
  req: Resources,
  used: Resources,
  podCount: number,
): boolean {
  if (podCount + 1 > alloc.pods) return false;
  if (req.milliCpu > 0 && req.milliCpu > alloc.milliCpu - used.milliCpu) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    return false;
  // Checked before iterating: an iterator per node per cycle is measurable at 1,000 nodes.
  if (req.scalar.size > 0) {
    for (const [name, q] of req.scalar) {
      if (q > 0 && q > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) return false;
    }
  }
  return true;
}

/** resourcesFit on the node's own counts, from its unboxed numbers (the common case, 400 times a cycle). */
function resourcesFitNums(info: NodeInfo, state: CycleState): boolean {
  const n = info.nums;
  if ((n[N_POD_COUNT] as number) + 1 > (n[N_ALLOC_PODS] as number)) return false;
  const req = state.facts.resources.requests;
  if (req.milliCpu > 0 && req.milliCpu > (n[N_ALLOC_CPU] as number) - (n[N_REQ_CPU] as number)) return false;
  if (req.memory > 0 && req.memory > (n[N_ALLOC_MEMORY] as number) - (n[N_REQ_MEMORY] as number))
    return false;
  if (
    req.ephemeralStorage > 0 &&
    req.ephemeralStorage > (n[N_ALLOC_EPHEMERAL] as number) - (n[N_REQ_EPHEMERAL] as number)
  )
    return false;
  return req.scalar.size === 0 || resourcesFit(info.allocatable, req, info.requested, info.pods.size);
}

/**
 * RunFilterPlugins: undefined when the node fits, else the first failing plugin's status.
 * `usage` replaces the node's own counts (preemption's dry run); without it nothing is allocated
 * for a fitting node, which matters at 400 nodes a cycle.
 */
export function runFilters(state: CycleState, info: NodeInfo, usage?: NodeUsage): FilterStatus | undefined {
  const node = info.node as Node;
  if (info.unschedulable && !toleratesAny(state.tolerations, UNSCHEDULABLE_TAINT))
    return fail('NodeUnschedulable', 'UnschedulableAndUnresolvable', ERR_UNSCHEDULABLE);
  const wanted = state.pod.spec?.nodeName;
  if (wanted && wanted !== info.name) return fail('NodeName', 'UnschedulableAndUnresolvable', ERR_NODE_NAME);
  const taint = firstUntolerated(info.taints, state.tolerations);
  if (taint)
    return fail(
      'TaintToleration',
      'UnschedulableAndUnresolvable',
      `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`,
    );
  if (state.nodeAffinity && !state.nodeAffinity(node))
    return fail('NodeAffinity', 'UnschedulableAndUnresolvable', ERR_NODE_AFFINITY);
  const usedPorts = usage ? usage.usedPorts : info.usedPorts;
  if (state.facts.hostPorts.length > 0 && portConflict(usedPorts, state.facts))
    return fail('NodePorts', 'Unschedulable', ERR_NODE_PORTS);
  if (
    usage
      ? !resourcesFit(info.allocatable, state.facts.resources.requests, usage.requested, usage.podCount)
      : !resourcesFitNums(info, state)
  )
    return fail(
      'NodeResourcesFit',
      'Unschedulable',
      ...insufficientResources(info, state.facts, usage ?? usageOf(info, state)),
    );
  const spread = usage ? usage.spread : state.spread;
  if (spread) {
    const failed = spreadFilter(spread, node);
    if (failed) return fail('PodTopologySpread', ...failed);
  }
  const affinity = usage ? usage.affinity : state.affinity;
  if (affinity) {
    const reason = affinityFilter(affinity, node);
    if (reason)
      return fail(
        'InterPodAffinity',
        // Missing affinity targets cannot be created by preemption; anti-affinity victims can be removed.
        reason === ERR_AFFINITY ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
        reason,
      );
  }
  return undefined;
}
