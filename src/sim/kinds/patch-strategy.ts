/**
 * Strategic-merge-patch metadata for the kinds the simulated API server serves: the `patchStrategy` and
 * `patchMergeKey` struct tags of the Go types in k8s.io/api and k8s.io/apimachinery (meta/v1), as of
 * Kubernetes 1.33. The apiserver reads these tags by reflection (strategicpatch.PatchMetaFromStruct); a
 * field without a tag has no strategy, which makes lists atomic (replaced whole) and maps merged.
 *
 * Only the fields that carry a tag, and the struct fields on the way to them, are listed: every other
 * field behaves like an untagged one, so listing it would change nothing.
 */

import { resourceForKind } from './registry.ts';

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface PatchMeta {
  strategy: PatchStrategy;
  /** The key that identifies an element of a list of objects; absent for lists of primitives. */
  mergeKey?: string;
}

/** A struct type: its fields by JSON name. For a list field, `type` is the element's type. */
export interface PatchSchema {
  readonly [field: string]: SchemaField;
}

export interface SchemaField {
  readonly meta?: PatchMeta;
  readonly type?: PatchSchema;
}

const merge = (mergeKey?: string, type?: PatchSchema): SchemaField => ({
  meta: mergeKey === undefined ? { strategy: 'merge' } : { strategy: 'merge', mergeKey },
  ...(type && { type }),
});
const nested = (type: PatchSchema): SchemaField => ({ type });

// meta/v1 types.go: ObjectMeta.ownerReferences and ObjectMeta.finalizers.
const OBJECT_META: PatchSchema = { ownerReferences: merge('uid'), finalizers: merge() };

// meta/v1 types.go tags LabelSelectorRequirement.key itself with patchStrategy:"merge" patchMergeKey:"key".
// A string field ignores strategies, so this has no effect on patching; it is kept because it is upstream's.
const LABEL_SELECTOR: PatchSchema = { matchExpressions: nested({ key: merge('key') }) };

// Every `conditions` list in the served kinds (Pod, Node, Namespace, PVC, workloads, HPA, PDB, Service)
// merges on `type`, whether its element is a kind-specific condition or meta/v1 Condition.
const WITH_CONDITIONS: PatchSchema = { conditions: merge('type') };

const CONTAINER: PatchSchema = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
};

const CONTAINER_STATUS: PatchSchema = {
  volumeMounts: merge('mountPath'),
  allocatedResourcesStatus: merge('name'),
};

const AFFINITY_TERM: PatchSchema = {
  labelSelector: nested(LABEL_SELECTOR),
  namespaceSelector: nested(LABEL_SELECTOR),
};
const POD_AFFINITY: PatchSchema = {
  requiredDuringSchedulingIgnoredDuringExecution: nested(AFFINITY_TERM),
  preferredDuringSchedulingIgnoredDuringExecution: nested({ podAffinityTerm: nested(AFFINITY_TERM) }),
};

const POD_SPEC: PatchSchema = {
  volumes: { meta: { strategy: 'merge,retainKeys', mergeKey: 'name' } },
  initContainers: merge('name', CONTAINER),
  containers: merge('name', CONTAINER),
  // EphemeralContainer inlines EphemeralContainerCommon, which repeats Container's tags.
  ephemeralContainers: merge('name', CONTAINER),
  imagePullSecrets: merge('name'),
  hostAliases: merge('ip'),
  topologySpreadConstraints: merge('topologyKey', { labelSelector: nested(LABEL_SELECTOR) }),
  schedulingGates: merge('name'),
  resourceClaims: { meta: { strategy: 'merge,retainKeys', mergeKey: 'name' } },
  affinity: nested({ podAffinity: nested(POD_AFFINITY), podAntiAffinity: nested(POD_AFFINITY) }),
};

const POD_STATUS: PatchSchema = {
  ...WITH_CONDITIONS,
  hostIPs: merge('ip'),
  podIPs: merge('ip'),
  resourceClaimStatuses: { meta: { strategy: 'merge,retainKeys', mergeKey: 'name' } },
  initContainerStatuses: nested(CONTAINER_STATUS),
  containerStatuses: nested(CONTAINER_STATUS),
  ephemeralContainerStatuses: nested(CONTAINER_STATUS),
};

const POD_TEMPLATE_SPEC: PatchSchema = { metadata: nested(OBJECT_META), spec: nested(POD_SPEC) };

const PVC: PatchSchema = {
  metadata: nested(OBJECT_META),
  spec: nested({ selector: nested(LABEL_SELECTOR) }),
  status: nested(WITH_CONDITIONS),
};

const JOB_SPEC: PatchSchema = { selector: nested(LABEL_SELECTOR), template: nested(POD_TEMPLATE_SPEC) };

/** The top level of a kind: ObjectMeta plus whatever spec and status it has. */
const kind = (spec?: PatchSchema, status?: PatchSchema, extra?: PatchSchema): PatchSchema => ({
  metadata: nested(OBJECT_META),
  ...(spec && { spec: nested(spec) }),
  ...(status && { status: nested(status) }),
  ...extra,
});

const workload = (spec: PatchSchema = {}): PatchSchema =>
  kind({ selector: nested(LABEL_SELECTOR), template: nested(POD_TEMPLATE_SPEC), ...spec }, WITH_CONDITIONS);

const PEER: PatchSchema = { podSelector: nested(LABEL_SELECTOR), namespaceSelector: nested(LABEL_SELECTOR) };

const KINDS: Readonly<Record<string, PatchSchema>> = {
  'v1/Namespace': kind(undefined, WITH_CONDITIONS),
  'v1/Node': kind({ podCIDRs: merge() }, { ...WITH_CONDITIONS, addresses: merge('type') }),
  'v1/Pod': kind(POD_SPEC, POD_STATUS),
  'v1/Service': kind({ ports: merge('port') }, WITH_CONDITIONS),
  'v1/ServiceAccount': kind(undefined, undefined, { secrets: merge('name') }),
  'v1/PersistentVolumeClaim': PVC,
  'apps/v1/Deployment': workload({ strategy: { meta: { strategy: 'retainKeys' } } }),
  'apps/v1/ReplicaSet': workload(),
  'apps/v1/DaemonSet': workload(),
  'apps/v1/StatefulSet': workload({ volumeClaimTemplates: nested(PVC) }),
  'autoscaling/v2/HorizontalPodAutoscaler': kind(undefined, WITH_CONDITIONS),
  'batch/v1/Job': kind(JOB_SPEC, WITH_CONDITIONS),
  'batch/v1/CronJob': kind({
    jobTemplate: nested({ metadata: nested(OBJECT_META), spec: nested(JOB_SPEC) }),
  }),
  'networking.k8s.io/v1/NetworkPolicy': kind({
    podSelector: nested(LABEL_SELECTOR),
    ingress: nested({ from: nested(PEER) }),
    egress: nested({ to: nested(PEER) }),
  }),
  // policy/v1 types.go: PodDisruptionBudgetSpec.selector is patchStrategy:"replace", the one map-valued
  // replace in the served kinds: a patch to it replaces the whole selector.
  'policy/v1/PodDisruptionBudget': kind(
    { selector: { meta: { strategy: 'replace' }, type: LABEL_SELECTOR } },
    WITH_CONDITIONS,
  ),
};

/** Kinds that are only ever patched through a subresource, which upstream serves with typed objects too. */
const SUBRESOURCE_KINDS: Readonly<Record<string, PatchSchema>> = {
  'autoscaling/v1/Scale': kind(),
  'policy/v1/Eviction': kind(),
};

/** Kinds in the registry that carry no tag below ObjectMeta (ConfigMap, Secret, Lease, Ingress, …). */
const METADATA_ONLY: PatchSchema = kind();

/**
 * The schema of a built-in kind, or undefined for a kind the server does not serve as a typed object
 * (a custom resource), for which upstream refuses strategic merge patches.
 */
export function patchSchemaFor(apiVersion: string, kindName: string): PatchSchema | undefined {
  const key = `${apiVersion}/${kindName}`;
  const known = KINDS[key] ?? SUBRESOURCE_KINDS[key];
  if (known) return known;
  return resourceForKind(apiVersion, kindName) ? METADATA_ONLY : undefined;
}

/**
 * The patch strategy of the field at `path` (field names from the top of the object, list elements
 * skipped: `['spec', 'template', 'spec', 'containers', 'env']`), or undefined when the field has no tag.
 */
export function patchStrategyAt(
  apiVersion: string,
  kindName: string,
  path: readonly string[],
): PatchMeta | undefined {
  let schema = patchSchemaFor(apiVersion, kindName);
  let field: SchemaField | undefined;
  for (const name of path) {
    if (!schema) return undefined;
    field = Object.hasOwn(schema, name) ? schema[name] : undefined;
    schema = field?.type;
  }
  return field?.meta;
}
