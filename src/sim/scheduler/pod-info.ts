/**
 * What the scheduler keeps about a pod (framework.PodInfo): its requests, host ports, parsed
 * inter-pod affinity terms and the owner default spreading counts it under. Computed once per
 * pod version, so scheduling cycles never re-parse quantities or selectors.
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../kinds/pod.ts';
import { controllerRefOf } from '../kinds/pod.ts';
import { keyOf } from '../controllers/work-queue.ts';
import { type LabelSelector, labelSelectorFromSpec, nothing } from '../store/selectors.ts';
import { type PodResourceFacts, podResourceFacts } from './resources.ts';

export interface HostPort {
  /** '0.0.0.0' when unset. */
  ip: string;
  /** 'TCP' when unset. */
  protocol: string;
  port: number;
}

/** framework.AffinityTerm: the namespaces and selectors resolved relative to the pod that carries it. */
export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  /** labels.Nothing() when the term has no namespaceSelector. */
  namespaceSelector: LabelSelector;
  selector: LabelSelector;
  topologyKey: string;
  /** Same text for the same term of pods in the same namespace: how identical terms are grouped. */
  fingerprint: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodFacts {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  priority: number;
  resources: PodResourceFacts;
  hostPorts: HostPort[];
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /**
   * The controller whose pods default topology spreading counts together (ReplicaSet,
   * StatefulSet, ReplicationController: the owners helper.DefaultSelector looks at).
   */
  spreadOwner: string | undefined;
  /** Being deleted: still holds its resources, but no longer counts for spreading. */
  deleting: boolean;
}

const SPREAD_OWNER_KINDS = new Set(['ReplicaSet', 'StatefulSet', 'ReplicationController']);

function selectorOf(spec: PodAffinityTerm['labelSelector']): LabelSelector {
  try {
    return labelSelectorFromSpec(spec);
  } catch {
    // An unparseable selector: the pod info fails to build upstream; here the term matches nothing.
    return nothing();
  }
}

export function affinityTerm(namespace: string, term: PodAffinityTerm): AffinityTerm {
  const namespaces =
    (term.namespaces ?? []).length === 0 && !term.namespaceSelector
      ? new Set([namespace])
      : new Set(term.namespaces ?? []);
  return {
    namespaces,
    namespaceSelector: term.namespaceSelector ? selectorOf(term.namespaceSelector) : nothing(),
    selector: selectorOf(term.labelSelector),
    topologyKey: term.topologyKey,
    fingerprint: `${namespace}\u0000${JSON.stringify(term)}`,
  };
}

const weighted = (namespace: string, terms: readonly WeightedPodAffinityTerm[] | undefined) =>
  (terms ?? []).map((t) => ({ ...affinityTerm(namespace, t.podAffinityTerm), weight: t.weight }));

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and carries matching labels. */
export function termMatches(
  term: AffinityTerm,
  pod: { namespace: string; labels: Readonly<Record<string, string>> },
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!term.namespaces.has(pod.namespace) && !term.namespaceSelector.matches(namespaceLabels ?? {}))
    return false;
  return term.selector.matches(pod.labels as Record<string, string>);
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [
    ...(pod.spec?.containers ?? []),
    // Sidecars keep running next to the app, so their host ports are held too.
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

// Most pods have no affinity terms and no host ports: they share these (never mutated) empty lists.
const NONE: never[] = [];
const listOf = <T>(items: T[]): T[] => (items.length === 0 ? NONE : items);

export function podFacts(pod: SimPod): PodFacts {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const affinity = pod.spec?.affinity;
  const owner = controllerRefOf(pod);
  return {
    key: keyOf(namespace, name),
    uid: pod.metadata.uid ?? '',
    namespace,
    name,
    labels: pod.metadata.labels ?? {},
    priority: pod.spec?.priority ?? 0,
    resources: podResourceFacts(pod),
    hostPorts: listOf(hostPortsOf(pod)),
    requiredAffinity: listOf(
      (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
        affinityTerm(namespace, t),
      ),
    ),
    requiredAntiAffinity: listOf(
      (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
        affinityTerm(namespace, t),
      ),
    ),
    preferredAffinity: listOf(
      weighted(namespace, affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    ),
    preferredAntiAffinity: listOf(
      weighted(namespace, affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    ),
    spreadOwner: owner && SPREAD_OWNER_KINDS.has(owner.kind) ? owner.uid : undefined,
    deleting: Boolean(pod.metadata.deletionTimestamp),
  };
}

export const hasAffinityTerms = (p: PodFacts): boolean =>
  p.requiredAffinity.length +
    p.requiredAntiAffinity.length +
    p.preferredAffinity.length +
    p.preferredAntiAffinity.length >
  0;
