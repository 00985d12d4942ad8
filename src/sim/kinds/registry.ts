/**
 * What the simulated API server serves: one entry per resource, with the names, verbs and
 * subresources that upstream discovery reports for it (kubectl builds its REST mapping from these).
 */

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceType {
  /** The part after the slash: `pods/eviction` → `eviction`. */
  name: string;
  kind: string;
  /** Set when the subresource's kind lives in another group (eviction → policy/v1, scale → autoscaling/v1). */
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceType {
  group: string;
  version: string;
  /** `v1` or `apps/v1`. */
  apiVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceType[];
  /** Field selector labels accepted besides metadata.name and metadata.namespace (upstream's per-kind sets). */
  fieldLabels: string[];
  /**
   * Set when the objects live in another resource's storage and this one is a converted view
   * (events.k8s.io/v1 events over core/v1 events): `<apiVersion>/<plural>` of the storage.
   */
  storage?: string;
}

const CRUD: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NO_COLLECTION: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const status = (): SubresourceType => ({ name: 'status', kind: '', verbs: ['get', 'patch', 'update'] });
const scale = (): SubresourceType => ({
  name: 'scale',
  kind: 'Scale',
  group: 'autoscaling',
  version: 'v1',
  verbs: ['get', 'patch', 'update'],
});

interface Definition {
  gv: string;
  kind: string;
  plural: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: SubresourceType[];
  fieldLabels?: string[];
  storage?: string;
}

function define(d: Definition): ResourceType {
  const [group, version] = d.gv.includes('/') ? (d.gv.split('/') as [string, string]) : ['', d.gv];
  const subresources = (d.subresources ?? []).map((s) => (s.kind === '' ? { ...s, kind: d.kind } : s));
  return {
    group,
    version,
    apiVersion: d.gv,
    kind: d.kind,
    listKind: `${d.kind}List`,
    plural: d.plural,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced ?? true,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? CRUD,
    subresources,
    fieldLabels: d.fieldLabels ?? [],
    ...(d.storage ? { storage: d.storage } : {}),
  };
}

const INVOLVED = ['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'].map(
  (f) => `involvedObject.${f}`,
);

/** Order matters: it is the order of discovery documents, and kubectl resolves short names in it. */
export const RESOURCES: readonly ResourceType[] = [
  define({
    gv: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    verbs: NO_COLLECTION,
    subresources: [status(), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
    fieldLabels: ['status.phase'],
  }),
  define({
    gv: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: [status()],
    fieldLabels: ['spec.unschedulable'],
  }),
  define({
    gv: 'v1',
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      status(),
    ],
    fieldLabels: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  define({ gv: 'v1', kind: 'Binding', plural: 'bindings', verbs: ['create'] }),
  define({
    gv: 'v1',
    kind: 'Service',
    plural: 'services',
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [status()],
    fieldLabels: ['spec.clusterIP', 'spec.type'],
  }),
  define({ gv: 'v1', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'] }),
  define({ gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] }),
  define({ gv: 'v1', kind: 'Secret', plural: 'secrets', fieldLabels: ['type'] }),
  define({ gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] }),
  define({
    gv: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    fieldLabels: [...INVOLVED, 'reason', 'reportingComponent', 'source', 'type'],
  }),
  define({ gv: 'v1', kind: 'LimitRange', plural: 'limitranges', shortNames: ['limits'] }),
  define({
    gv: 'v1',
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    shortNames: ['quota'],
    subresources: [status()],
  }),
  define({
    gv: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    shortNames: ['pvc'],
    subresources: [status()],
  }),
  define({
    gv: 'v1',
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    subresources: [status()],
  }),
  define({ gv: 'apps/v1', kind: 'ControllerRevision', plural: 'controllerrevisions' }),
  define({
    gv: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [scale(), status()],
  }),
  define({
    gv: 'apps/v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [scale(), status()],
    fieldLabels: ['status.replicas'],
  }),
  define({
    gv: 'apps/v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [status()],
  }),
  define({
    gv: 'apps/v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [scale(), status()],
  }),
  define({
    gv: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status()],
  }),
  // Served as a view of autoscaling/v2 storage; after v2 so that v2 stays the preferred version.
  define({
    gv: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status()],
    storage: 'autoscaling/v2/horizontalpodautoscalers',
  }),
  define({
    gv: 'batch/v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    shortNames: ['cj'],
    categories: ['all'],
    subresources: [status()],
  }),
  define({
    gv: 'batch/v1',
    kind: 'Job',
    plural: 'jobs',
    categories: ['all'],
    subresources: [status()],
    fieldLabels: ['status.successful'],
  }),
  define({ gv: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' }),
  define({ gv: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' }),
  define({
    gv: 'events.k8s.io/v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    fieldLabels: [
      ...INVOLVED.map((f) => f.replace('involvedObject.', 'regarding.')),
      'reason',
      'reportingController',
      'type',
    ],
    storage: 'v1/events',
  }),
  define({
    gv: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    plural: 'ingressclasses',
    namespaced: false,
  }),
  define({
    gv: 'networking.k8s.io/v1',
    kind: 'Ingress',
    plural: 'ingresses',
    shortNames: ['ing'],
    subresources: [status()],
  }),
  define({
    gv: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    shortNames: ['netpol'],
  }),
  define({
    gv: 'policy/v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    shortNames: ['pdb'],
    subresources: [status()],
  }),
];

const byPath = new Map(RESOURCES.map((r) => [`${r.apiVersion}/${r.plural}`, r]));
const byKind = new Map(
  RESOURCES.filter((r) => r.kind !== 'Binding').map((r) => [`${r.apiVersion}/${r.kind}`, r]),
);

/** The resource served at `/api/v1/<plural>` or `/apis/<group>/<version>/<plural>`. */
export function resourceAt(apiVersion: string, plural: string): ResourceType | undefined {
  return byPath.get(`${apiVersion}/${plural}`);
}

export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** Group versions in discovery order; the core group is '' and served under /api. */
export function groupVersions(): { group: string; version: string; resources: ResourceType[] }[] {
  const out: { group: string; version: string; resources: ResourceType[] }[] = [];
  for (const r of RESOURCES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (!gv) out.push((gv = { group: r.group, version: r.version, resources: [] }));
    gv.resources.push(r);
  }
  return out;
}

/** The resource name used in Status details and error messages: `pods`, `deployments.apps`. */
export function qualifiedResource(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
