/**
 * Where a DaemonSet wants its pods (pkg/controller/daemon/util and NodeShouldRunDaemonPod): the
 * tolerations the controller adds to every daemon pod, taint toleration as
 * core/v1 Toleration.ToleratesTaint, required node affinity and nodeSelector as
 * component-helpers' nodeaffinity.GetRequiredNodeAffinity(pod).Match(node), and the
 * `metadata.name In [node]` affinity through which the scheduler places a daemon pod.
 */
import type {
  Affinity,
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodSpec,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../kinds/tolerations.ts';

/** The tolerations AddOrUpdateDaemonPodTolerations adds, in its order. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });
  return [
    // Daemon pods are not evicted by the node lifecycle controller when their node fails.
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    // TaintNodesByCondition: daemon pods run on nodes under pressure and on cordoned nodes.
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(hostNetwork ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
}

/** Toleration.MatchToleration: same key, operator, value and effect (tolerationSeconds aside). */
const sameToleration = (a: Toleration, b: Toleration): boolean =>
  (a.key ?? '') === (b.key ?? '') &&
  (a.operator ?? '') === (b.operator ?? '') &&
  (a.value ?? '') === (b.value ?? '') &&
  (a.effect ?? '') === (b.effect ?? '');

/**
 * v1helper.AddOrUpdateTolerationInPodSpec for each daemon toleration: a matching toleration the
 * template already has is replaced in place (so its tolerationSeconds go), others are appended.
 */
export function withDaemonTolerations(spec: PodSpec): Toleration[] {
  let tolerations: Toleration[] = [...(spec.tolerations ?? [])];
  for (const added of daemonTolerations(spec.hostNetwork === true)) {
    if (tolerations.some((t) => sameToleration(t, added))) {
      tolerations = tolerations.map((t) => (sameToleration(t, added) ? added : t));
    } else {
      tolerations.push(added);
    }
  }
  return tolerations;
}

export { toleratesTaint };

/** v1helper.FindMatchingUntoleratedTaint over the taints `filter` selects. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  filter: (t: Taint) => boolean,
): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const actual = Number.parseInt(value, 10);
      const bound = Number.parseInt(values[0] as string, 10);
      if (!/^-?\d+$/.test(value) || !Number.isFinite(bound)) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** A node selector term: its expressions (labels) and fields (only metadata.name) all hold; an empty term matches nothing. */
function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length + fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const req of expressions) {
    if (!requirementMatches(req, Object.hasOwn(labels, req.key) ? labels[req.key] : undefined)) return false;
  }
  for (const req of fields) {
    const value = req.key === 'metadata.name' ? (node.metadata?.name ?? '') : undefined;
    if (!requirementMatches(req, value)) return false;
  }
  return true;
}

/** nodeSelector and required node affinity (terms ORed) both hold for `node`. */
export function nodeMatchesPodSpec(spec: PodSpec | undefined, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => termMatches(term, node));
}

export interface DaemonPlacement {
  /** A daemon pod should be created on the node. */
  shouldRun: boolean;
  /** An existing daemon pod may stay (its node's NoExecute taints are tolerated). */
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod for a template whose tolerations already include the daemon ones
 * (`tolerations`): name and affinity must fit; untolerated NoSchedule/NoExecute taints stop new
 * pods, and only untolerated NoExecute ones remove running pods.
 */
export function daemonPlacement(
  spec: PodSpec | undefined,
  tolerations: readonly Toleration[],
  node: Node,
): DaemonPlacement {
  const nodeName = node.metadata?.name ?? '';
  if (spec?.nodeName && spec.nodeName !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  if (!nodeMatchesPodSpec(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const blocking = untoleratedTaint(
    taints,
    tolerations,
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  if (!blocking) return { shouldRun: true, shouldContinueRunning: true };
  const evicting = untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinueRunning: evicting === undefined };
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the single
 * term `metadata.name In [node]` (the template's own required terms are replaced; preferred
 * terms stay), which the scheduler then honours.
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  const copy: Affinity = structuredClone(affinity ?? {});
  return {
    ...copy,
    nodeAffinity: { ...copy.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required },
  };
}

/** util.GetTargetNodeName: the node a daemon pod runs on, or is meant for while unscheduled. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const field of term.matchFields ?? []) {
      if (field.key === 'metadata.name' && field.operator === 'In' && field.values?.length === 1)
        return field.values[0];
    }
  }
  return undefined;
}
