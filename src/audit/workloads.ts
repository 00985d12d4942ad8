/**
 * What the rules need to know about the objects: the pod template of each workload kind, the
 * containers in it, replica counts (with an HPA's floor), and which Services, PDBs, NetworkPolicies
 * and LimitRanges share a namespace with it.
 */
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Container, LimitRange, PodSpec, Service } from 'kubernetes-types/core/v1.js';
import type { LabelSelector as LabelSelectorSpec } from 'kubernetes-types/meta/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { parseQuantity } from '../kube/quantity.ts';
import { labelSelectorFromSet, labelSelectorFromSpec, SelectorError } from '../sim/store/selectors.ts';
import type { FieldPath, KubeManifest, Manifest } from './types.ts';

export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
  'ReplicaSet',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Where each kind keeps its pod template (the Pod itself has none: its spec is the pod spec). */
const TEMPLATE_PATH: Record<WorkloadKind, FieldPath> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
};

/** Kinds that serve until told to stop (what a Service routes to, what a drain disrupts). */
const LONG_RUNNING: ReadonlySet<WorkloadKind> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Pod',
]);

export interface ContainerRef {
  container: Container;
  /** Path of the container from the object root. */
  path: FieldPath;
  init: boolean;
  /** An init container with restartPolicy Always (a sidecar): runs for the pod's life, may have probes. */
  sidecar: boolean;
}

/** A pod spec may carry pod-level resources (PodLevelResources, beta in 1.34); kubernetes-types 1.30 lacks them. */
export type PodSpecWithResources = PodSpec & {
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
};

export interface Workload {
  manifest: Manifest;
  kind: WorkloadKind;
  name: string;
  namespace: string;
  podSpec: PodSpecWithResources;
  /** Path of the pod spec from the object root. */
  podPath: FieldPath;
  /** Path of the pod template's metadata (or the Pod's own). */
  metaPath: FieldPath;
  labels: Record<string, string>;
  containers: ContainerRef[];
  longRunning: boolean;
}

export const nameOf = (m: KubeManifest): string =>
  m.metadata?.name ?? m.metadata?.generateName ?? '(unnamed)';

/** `Deployment shop/web`: how messages name an object. */
export const describeObject = (m: Manifest): string => `${m.object.kind} ${m.namespace}/${nameOf(m.object)}`;

function get(obj: unknown, path: FieldPath): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Labels as the API stores them: string values only (anything else would be rejected by the API server). */
function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function workloadOf(manifest: Manifest): Workload | undefined {
  const kind = manifest.object.kind as WorkloadKind;
  if (!WORKLOAD_KINDS.includes(kind) || manifest.object.apiVersion === undefined) return undefined;
  const template = TEMPLATE_PATH[kind];
  const podPath = [...template, 'spec'];
  const metaPath = [...template, 'metadata'];
  const podSpec = get(manifest.object, podPath);
  if (!isRecord(podSpec)) return undefined;
  const spec = podSpec as unknown as PodSpecWithResources;
  const containers: ContainerRef[] = [];
  (Array.isArray(spec.containers) ? spec.containers : []).forEach((c, i) => {
    if (isRecord(c))
      containers.push({ container: c, path: [...podPath, 'containers', i], init: false, sidecar: false });
  });
  (Array.isArray(spec.initContainers) ? spec.initContainers : []).forEach((c, i) => {
    if (isRecord(c))
      containers.push({
        container: c,
        path: [...podPath, 'initContainers', i],
        init: true,
        sidecar: c.restartPolicy === 'Always',
      });
  });
  return {
    manifest,
    kind,
    name: nameOf(manifest.object),
    namespace: manifest.namespace,
    podSpec: spec,
    podPath,
    metaPath,
    labels: stringMap(get(manifest.object, [...metaPath, 'labels'])),
    containers,
    longRunning: LONG_RUNNING.has(kind),
  };
}

/** A LabelSelector spec as a matcher; a malformed one matches nothing (the API server would reject it). */
const matchers = new WeakMap<LabelSelectorSpec, (labels: Record<string, string>) => boolean>();

export function selectorMatcher(
  spec: LabelSelectorSpec | null | undefined,
): (labels: Record<string, string>) => boolean {
  const cached = spec ? matchers.get(spec) : undefined;
  if (cached) return cached;
  let matcher: (labels: Record<string, string>) => boolean;
  try {
    const s = labelSelectorFromSpec(spec);
    matcher = (labels) => s.matches(labels);
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    matcher = () => false;
  }
  if (spec) matchers.set(spec, matcher);
  return matcher;
}

const serviceSelectors = new WeakMap<Service, ((labels: Record<string, string>) => boolean) | null>();

/** A Service's `spec.selector` (a plain map): an empty or missing one selects no pods (no Endpoints are made). */
export function serviceSelects(service: Service, labels: Record<string, string>): boolean {
  let matches = serviceSelectors.get(service);
  if (matches === undefined) {
    const sel = service.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) matches = null;
    else {
      const compiled = labelSelectorFromSet(sel);
      matches = (l) => compiled.matches(l);
    }
    serviceSelectors.set(service, matches);
  }
  return matches ? matches(labels) : false;
}

/** A quantity's value in base units (cores, bytes); undefined when absent (shape.ts rejects unreadable ones). */
export function quantity(list: Record<string, unknown> | undefined, name: string): number | undefined {
  const raw = list?.[name];
  if (raw === undefined || raw === null) return undefined;
  return parseQuantity(String(raw));
}

/** Everything the rules look up, indexed once. */
export class AuditIndex {
  readonly manifests: readonly Manifest[];
  readonly workloads: Workload[] = [];
  readonly now: Date;
  readonly certDays: number;
  private readonly byKind = new Map<string, Manifest[]>();
  private readonly byKindNamespace = new Map<string, Manifest[]>();

  constructor(manifests: readonly Manifest[], options: { now: Date; certDays: number }) {
    this.manifests = manifests;
    this.now = options.now;
    this.certDays = options.certDays;
    for (const m of manifests) {
      const list = this.byKind.get(m.object.kind) ?? [];
      list.push(m);
      this.byKind.set(m.object.kind, list);
      const w = workloadOf(m);
      if (w) {
        this.workloads.push(w);
        const list = this.workloadsByNamespace.get(w.namespace) ?? [];
        list.push(w);
        this.workloadsByNamespace.set(w.namespace, list);
      }
    }
  }

  private readonly workloadsByNamespace = new Map<string, Workload[]>();

  workloadsIn(namespace: string): Workload[] {
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  ofKind(kind: string, namespace?: string): Manifest[] {
    const all = this.byKind.get(kind) ?? [];
    if (namespace === undefined) return all;
    // Rules ask per workload; indexing by namespace keeps large inputs linear per namespace.
    const key = `${kind}\0${namespace}`;
    let hit = this.byKindNamespace.get(key);
    if (!hit) {
      hit = all.filter((m) => m.namespace === namespace);
      this.byKindNamespace.set(key, hit);
    }
    return hit;
  }

  private readonly serviceIndex = new Map<string, Map<string, Manifest[]>>();

  /**
   * The Services whose selector selects these pod labels. A Service selector is a plain map that
   * must be a subset of the labels, so each Service is filed under one of its key=value pairs and a
   * workload looks up only its own pairs: linear in the input, not workloads x Services.
   */
  servicesSelecting(w: Workload): { manifest: Manifest; service: Service }[] {
    let byPair = this.serviceIndex.get(w.namespace);
    if (!byPair) {
      byPair = new Map();
      for (const m of this.ofKind('Service', w.namespace)) {
        const sel = (m.object as Service).spec?.selector ?? {};
        const first = Object.keys(sel).sort()[0];
        if (first === undefined) continue; // selects no pods
        const key = `${first}=${sel[first]}`;
        const list = byPair.get(key) ?? [];
        list.push(m);
        byPair.set(key, list);
      }
      this.serviceIndex.set(w.namespace, byPair);
    }
    const out: { manifest: Manifest; service: Service }[] = [];
    for (const [k, v] of Object.entries(w.labels)) {
      for (const m of byPair.get(`${k}=${v}`) ?? []) {
        const service = m.object as Service;
        if (serviceSelects(service, w.labels)) out.push({ manifest: m, service });
      }
    }
    return out;
  }

  pdbs(namespace: string): { manifest: Manifest; pdb: PodDisruptionBudget }[] {
    return this.ofKind('PodDisruptionBudget', namespace).map((m) => ({
      manifest: m,
      pdb: m.object as PodDisruptionBudget,
    }));
  }

  networkPolicies(namespace: string): { manifest: Manifest; policy: NetworkPolicy }[] {
    return this.ofKind('NetworkPolicy', namespace).map((m) => ({
      manifest: m,
      policy: m.object as NetworkPolicy,
    }));
  }

  /** Every namespace named by an object or a Namespace: `name.<namespace>` is then an in-cluster name. */
  namespaces(): Set<string> {
    const out = new Set(this.manifests.map((m) => m.namespace));
    for (const m of this.ofKind('Namespace')) if (m.object.metadata?.name) out.add(m.object.metadata.name);
    return out;
  }

  /**
   * The replica count a controller keeps: spec.replicas (default 1), raised to an HPA's minReplicas
   * when one targets it (the HPA never scales below that). Undefined for kinds without replicas.
   */
  replicas(w: Workload): number | undefined {
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet' && w.kind !== 'ReplicaSet') return undefined;
    const raw = (w.manifest.object.spec as { replicas?: unknown } | undefined)?.replicas;
    let replicas = typeof raw === 'number' ? raw : 1;
    for (const m of this.ofKind('HorizontalPodAutoscaler', w.namespace)) {
      const hpa = m.object as HorizontalPodAutoscaler;
      const target = hpa.spec?.scaleTargetRef;
      if (target?.kind === w.kind && target.name === w.name) {
        replicas = Math.max(replicas, hpa.spec?.minReplicas ?? 1);
      }
    }
    return replicas;
  }

  /**
   * The LimitRange defaults a container gets at admission in this namespace (LimitRanger): limits from
   * `default` (or `max` when no default), requests from `defaultRequest` (or the default limit, or
   * `min`), as SetDefaults_LimitRangeItem fills them in. Only `type: Container` items apply to containers.
   */
  limitRangeDefaults(namespace: string): {
    limits: Record<string, string>;
    requests: Record<string, string>;
    from?: string;
  } {
    const limits: Record<string, string> = {};
    const requests: Record<string, string> = {};
    let from: string | undefined;
    for (const m of this.ofKind('LimitRange', namespace)) {
      for (const item of (m.object as LimitRange).spec?.limits ?? []) {
        if (item.type !== 'Container') continue;
        const def: Record<string, string> = { ...stringMap(item.max), ...stringMap(item.default) };
        const defReq: Record<string, string> = {
          ...stringMap(item.min),
          ...def,
          ...stringMap(item.defaultRequest),
        };
        for (const [k, v] of Object.entries(def)) if (!(k in limits)) limits[k] = v;
        for (const [k, v] of Object.entries(defReq)) if (!(k in requests)) requests[k] = v;
        from ??= nameOf(m.object);
      }
    }
    return { limits, requests, ...(from ? { from } : {}) };
  }
}
