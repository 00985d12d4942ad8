/**
 * Which cluster events may make a parked pod schedulable, per plugin that rejected it: the
 * EventsToRegister / QueueingHintFn pairs of the 1.32 plugins (queueing hints are on by default
 * there). A hint answers "Queue" (true) or "QueueSkip" (false) for one parked pod.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { type CycleState, insufficientResources, type PluginName } from './filters.ts';
import type { NodeInfo } from './node-info.ts';
import { toleratesAny, UNSCHEDULABLE_TAINT, untoleratedTaint } from './node-matching.ts';
import { type PodFacts, termMatches } from './pod-info.ts';
import { emptyResources, type Resources } from './resources.ts';
import { spreadCounts } from './topology-spread.ts';
import { semanticEqual } from '../object.ts';

/** Plugins that register for Node/Add. */
export const NODE_ADD_PLUGINS: readonly PluginName[] = [
  'NodeUnschedulable',
  'NodeName',
  'TaintToleration',
  'NodeAffinity',
  'NodePorts',
  'NodeResourcesFit',
  'InterPodAffinity',
];

/** Plugins that register for Node/Update (of some kind). */
export const NODE_UPDATE_PLUGINS: readonly PluginName[] = [
  'NodeUnschedulable',
  'TaintToleration',
  'NodeAffinity',
  'NodeResourcesFit',
  'InterPodAffinity',
];

/** Plugins that register for AssignedPod/Delete (a pod on a node going away, or finishing). */
export const POD_DELETE_PLUGINS: readonly PluginName[] = [
  'NodePorts',
  'NodeResourcesFit',
  'InterPodAffinity',
];

/** Plugins that register for AssignedPod/Add and label updates. */
export const POD_ADD_PLUGINS: readonly PluginName[] = ['InterPodAffinity'];

const cordoned = (node: Node, state: CycleState): boolean =>
  Boolean(node.spec?.unschedulable) && !toleratesAny(state.tolerations, UNSCHEDULABLE_TAINT);

/** isFit against an empty node of this allocatable (the hint ignores what already runs there). */
function fitsEmpty(info: NodeInfo, facts: PodFacts): boolean {
  const requested: Resources = emptyResources();
  return (
    insufficientResources(info, facts, {
      podCount: 0,
      requested,
      usedPorts: new Map(),
      affinity: undefined,
      spread: undefined,
    }).length === 0
  );
}

export function nodeAddedHint(plugin: PluginName, state: CycleState, info: NodeInfo): boolean {
  const node = info.node;
  if (!node) return false;
  switch (plugin) {
    case 'NodeUnschedulable':
      return !cordoned(node, state);
    case 'TaintToleration':
      return untoleratedTaint(node, state.tolerations) === undefined;
    case 'NodeAffinity':
      return !state.nodeAffinity || state.nodeAffinity(node);
    case 'NodeResourcesFit':
      return fitsEmpty(info, state.facts);
    default:
      return true;
  }
}

export function nodeUpdatedHint(plugin: PluginName, state: CycleState, old: Node, info: NodeInfo): boolean {
  const node = info.node;
  if (!node) return false;
  switch (plugin) {
    case 'NodeUnschedulable':
      return cordoned(old, state) && !cordoned(node, state);
    case 'TaintToleration':
      return (
        !semanticEqual(old.spec?.taints, node.spec?.taints) &&
        untoleratedTaint(old, state.tolerations) !== undefined &&
        untoleratedTaint(node, state.tolerations) === undefined
      );
    case 'NodeAffinity':
      if (!state.nodeAffinity || semanticEqual(old.metadata?.labels, node.metadata?.labels)) return false;
      return !state.nodeAffinity(old) && state.nodeAffinity(node);
    case 'NodeResourcesFit':
      return (
        !semanticEqual(old.status?.allocatable, node.status?.allocatable) && fitsEmpty(info, state.facts)
      );
    case 'PodTopologySpread':
      // Domains come from labels; the taint policy may make a node count.
      return (
        !semanticEqual(old.metadata?.labels, node.metadata?.labels) ||
        !semanticEqual(old.spec?.taints, node.spec?.taints)
      );
    case 'InterPodAffinity':
      return !semanticEqual(old.metadata?.labels, node.metadata?.labels);
    default:
      return false;
  }
}

/** A pod leaving a node (deleted or finished) may free what the parked pod was refused for. */
export function podDeletedHint(
  plugin: PluginName,
  pending: CycleState,
  deleted: PodFacts,
  pendingNamespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  const facts = pending.facts;
  switch (plugin) {
    case 'NodeResourcesFit':
      return true;
    case 'NodePorts':
      return deleted.hostPorts.some((d) =>
        facts.hostPorts.some((p) => p.port === d.port && p.protocol === d.protocol),
      );
    case 'PodTopologySpread':
      return spreadCounts(pending, deleted);
    case 'InterPodAffinity':
      return (
        deleted.requiredAntiAffinity.some((t) => termMatches(t, facts, pendingNamespaceLabels)) ||
        facts.requiredAntiAffinity.some((t) => termMatches(t, deleted, undefined))
      );
    default:
      return false;
  }
}

/** A pod arriving on a node (or changing labels) may be what the parked pod's affinity waits for. */
export function podAddedHint(plugin: PluginName, pending: CycleState, added: PodFacts): boolean {
  if (plugin === 'PodTopologySpread') return spreadCounts(pending, added);
  if (plugin !== 'InterPodAffinity') return false;
  return pending.facts.requiredAffinity.some((t) => termMatches(t, added, undefined));
}
