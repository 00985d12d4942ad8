/**
 * Matching pods to node properties as component-helpers does it: node selectors and required /
 * preferred node affinity (scheduling/corev1/nodeaffinity), and taints against tolerations
 * (v1helper.FindMatchingUntoleratedTaint, Toleration.ToleratesTaint).
 */
import type {
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PreferredSchedulingTerm,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../kinds/tolerations.ts';

type NodeTest = (node: Node) => boolean;

const INT64 = /^[+-]?\d+$/;
function int64(s: string | undefined): bigint | undefined {
  if (s === undefined || !INT64.test(s)) return undefined;
  const v = BigInt(s);
  return BigInt.asIntN(64, v) === v ? v : undefined;
}

/** A matchExpressions entry; undefined when it would not parse (labels.NewRequirement errors). */
function labelRequirement(r: NodeSelectorRequirement): NodeTest | undefined {
  const values = r.values ?? [];
  const key = r.key;
  const label = (node: Node): string | undefined => {
    const labels = node.metadata?.labels;
    return labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
  };
  switch (r.operator) {
    case 'In':
      if (values.length === 0) return undefined;
      return (node) => {
        const v = label(node);
        return v !== undefined && values.includes(v);
      };
    case 'NotIn':
      if (values.length === 0) return undefined;
      return (node) => {
        const v = label(node);
        return v === undefined || !values.includes(v);
      };
    case 'Exists':
      if (values.length !== 0) return undefined;
      return (node) => label(node) !== undefined;
    case 'DoesNotExist':
      if (values.length !== 0) return undefined;
      return (node) => label(node) === undefined;
    case 'Gt':
    case 'Lt': {
      const bound = values.length === 1 ? int64(values[0]) : undefined;
      if (bound === undefined) return undefined;
      const gt = r.operator === 'Gt';
      return (node) => {
        const v = int64(label(node));
        return v !== undefined && (gt ? v > bound : v < bound);
      };
    }
    default:
      return undefined;
  }
}

/** A matchFields entry: only metadata.name, In/NotIn with exactly one value (nodeSelectorRequirementsAsFieldSelector). */
function fieldRequirement(r: NodeSelectorRequirement): NodeTest | undefined {
  if (r.key !== 'metadata.name' || (r.values ?? []).length !== 1) return undefined;
  const value = (r.values ?? [])[0];
  if (r.operator === 'In') return (node) => node.metadata?.name === value;
  if (r.operator === 'NotIn') return (node) => node.metadata?.name !== value;
  return undefined;
}

const isEmptyTerm = (t: NodeSelectorTerm): boolean =>
  (t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0;

/** One term: all of its requirements; undefined for an empty or unparseable term (it matches nothing). */
function compileTerm(t: NodeSelectorTerm): NodeTest | undefined {
  if (isEmptyTerm(t)) return undefined;
  const tests: NodeTest[] = [];
  for (const r of t.matchExpressions ?? []) {
    const test = labelRequirement(r);
    if (!test) return undefined;
    tests.push(test);
  }
  for (const r of t.matchFields ?? []) {
    const test = fieldRequirement(r);
    if (!test) return undefined;
    tests.push(test);
  }
  return (node) => tests.every((test) => test(node));
}

/**
 * nodeaffinity.GetRequiredNodeAffinity: spec.nodeSelector AND required node affinity (terms ORed,
 * unparseable terms skipped as the lazy-error selector does). Undefined when the pod sets neither.
 */
export function requiredNodeAffinity(pod: Pod): NodeTest | undefined {
  const selector = pod.spec?.nodeSelector;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!selector && !required) return undefined;
  const selectorEntries = Object.entries(selector ?? {});
  const terms = required
    ? (required.nodeSelectorTerms ?? []).map(compileTerm).filter((t): t is NodeTest => t !== undefined)
    : undefined;
  return (node) => {
    const labels = node.metadata?.labels ?? {};
    for (const [k, v] of selectorEntries) if (labels[k] !== v) return false;
    return terms === undefined || terms.some((t) => t(node));
  };
}

export interface WeightedNodeTest {
  weight: number;
  test: NodeTest;
}

/** nodeaffinity.NewPreferredSchedulingTerms: zero-weight and empty terms are dropped. */
export function preferredNodeAffinity(pod: Pod): WeightedNodeTest[] {
  const terms: readonly PreferredSchedulingTerm[] =
    pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const out: WeightedNodeTest[] = [];
  for (const t of terms) {
    if (!t.weight || isEmptyTerm(t.preference)) continue;
    const test = compileTerm(t.preference);
    if (test) out.push({ weight: t.weight, test });
  }
  return out;
}

/**
 * The node names a pod's required affinity pins it to through `matchFields metadata.name In`
 * (the NodeAffinity PreFilterResult, how DaemonSet pods are placed). Undefined: any node;
 * an empty set: the terms conflict.
 */
export function requiredNodeNames(pod: Pod): Set<string> | undefined {
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const values = new Set(r.values ?? []);
      // Requirements within a term are ANDed: intersect.
      termNames = termNames ? new Set([...termNames].filter((n) => values.has(n))) : values;
    }
    // A term without a name requirement admits every node, and terms are ORed.
    if (!termNames) return undefined;
    names = names ? new Set([...names, ...termNames]) : termNames;
  }
  return names;
}

export { toleratesTaint };

export const toleratesAny = (tolerations: readonly Toleration[], taint: Taint): boolean =>
  tolerations.some((t) => toleratesTaint(t, taint));

const doNotSchedule = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** The first NoSchedule/NoExecute taint of the node that no toleration matches (TaintToleration Filter). */
export function untoleratedTaint(node: Node, tolerations: readonly Toleration[]): Taint | undefined {
  return firstUntolerated(node.spec?.taints, tolerations);
}

/** untoleratedTaint over a taint list (the cache keeps each node's). */
export function firstUntolerated(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[],
): Taint | undefined {
  if (!taints) return undefined;
  for (let i = 0; i < taints.length; i++) {
    const taint = taints[i] as Taint;
    if (doNotSchedule(taint) && !toleratesAny(tolerations, taint)) return taint;
  }
  return undefined;
}

/** PreferNoSchedule taints the pod does not tolerate (TaintToleration Score counts them). */
export function intolerablePreferNoSchedule(node: Node, tolerations: readonly Toleration[]): number {
  const preferring = tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  let n = 0;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule' && !toleratesAny(preferring, taint)) n++;
  }
  return n;
}

/** The taint spec.unschedulable stands for: tolerating it also tolerates a cordon (NodeUnschedulable). */
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
