/**
 * The slice of the served kinds' schemas that server-side apply needs: how lists merge (atomic, set,
 * or a map keyed by some fields), which maps are atomic, and which struct fields a Go object always
 * carries. Transcribed from the structured-merge-diff schema that upstream derives from the OpenAPI
 * extensions (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`, and
 * for older core types `x-kubernetes-patch-strategy: merge` + `x-kubernetes-patch-merge-key`, which
 * kube-openapi's schemaconv turns into the same associative lists); see
 * k8s.io/client-go/applyconfigurations/internal/internal.go.
 *
 * Anything not described here follows the brief's rule for built-in types whose extensions are unset:
 * lists are atomic and maps are granular structs (every key is a named field).
 */
import type { Json } from '../object.ts';

export interface ListType {
  type: 'atomic' | 'set' | 'map';
  /** For `map` lists: the fields that identify an item, in schema order. */
  keys?: string[];
}

export type TypeNode =
  | { readonly kind: 'scalar' }
  /** Not described: a map is a granular struct, a list is atomic, anything else a scalar. */
  | { readonly kind: 'untyped' }
  /** A Go struct: granular (its keys are named fields) unless the struct is atomic. */
  | { readonly kind: 'struct'; readonly name: string }
  /** A free-form map (labels, data, resource lists): its keys are not named fields. */
  | { readonly kind: 'map'; readonly elem: TypeNode; readonly atomic: boolean }
  | {
      readonly kind: 'list';
      readonly list: ListType;
      readonly elem: TypeNode;
      /** Values used for key fields an item omits (upstream takes them from the schema's `default`). */
      readonly keyDefaults?: Readonly<Record<string, Json>>;
    };

export interface StructDef {
  readonly fields: Readonly<Record<string, TypeNode>>;
  /** `x-kubernetes-map-type: atomic` / `+structType=atomic`: replaced and owned as a whole. */
  readonly atomic: boolean;
  /**
   * Non-pointer struct fields: Go always serializes them (as `{}` at least), so upstream's typed
   * view of a stored object has them even when the client never sent them (`default: {}` in the
   * structured-merge-diff schema).
   */
  readonly always: readonly string[];
}

export const SCALAR: TypeNode = { kind: 'scalar' };
export const UNTYPED: TypeNode = { kind: 'untyped' };

const ref = (name: string): TypeNode => ({ kind: 'struct', name });
const stringMap = (atomic = false): TypeNode => ({ kind: 'map', elem: SCALAR, atomic });
const atomicList = (elem: TypeNode = UNTYPED): TypeNode => ({ kind: 'list', list: { type: 'atomic' }, elem });
const set = (): TypeNode => ({ kind: 'list', list: { type: 'set' }, elem: SCALAR });
const keyed = (elem: TypeNode, keys: string[], keyDefaults?: Record<string, Json>): TypeNode =>
  keyDefaults
    ? { kind: 'list', list: { type: 'map', keys }, elem, keyDefaults }
    : { kind: 'list', list: { type: 'map', keys }, elem };
/** Most keyed lists are keyed by a required string whose schema default is "". */
const byName = (elem: TypeNode = UNTYPED): TypeNode => keyed(elem, ['name'], { name: '' });
const byType = (elem: TypeNode = UNTYPED): TypeNode => keyed(elem, ['type'], { type: '' });

interface Def {
  fields?: Record<string, TypeNode>;
  atomic?: boolean;
  always?: string[];
}

const ATOMIC: Def = { atomic: true };

/** Named structs, shared by every kind that embeds them (ObjectMeta, PodSpec, Container, …). */
const DEFS: Record<string, Def> = {
  // meta/v1
  ObjectMeta: {
    fields: {
      labels: stringMap(),
      annotations: stringMap(),
      finalizers: set(),
      ownerReferences: keyed(ref('OwnerReference'), ['uid'], { uid: '' }),
      managedFields: atomicList(),
    },
  },
  OwnerReference: ATOMIC,
  LabelSelector: ATOMIC,

  // core/v1 references and selectors that are atomic
  ObjectReference: ATOMIC,
  LocalObjectReference: ATOMIC,
  TypedLocalObjectReference: ATOMIC,
  SecretReference: ATOMIC,
  ObjectFieldSelector: ATOMIC,
  ResourceFieldSelector: ATOMIC,
  ConfigMapKeySelector: ATOMIC,
  SecretKeySelector: ATOMIC,
  NodeSelector: ATOMIC,
  ScopeSelector: ATOMIC,

  // core/v1 Pod and its parts
  PodTemplateSpec: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('PodSpec') },
    always: ['metadata', 'spec'],
  },
  PodSpec: {
    fields: {
      affinity: ref('Affinity'),
      containers: byName(ref('Container')),
      initContainers: byName(ref('Container')),
      ephemeralContainers: byName(ref('Container')),
      dnsConfig: ref('PodDNSConfig'),
      hostAliases: keyed(ref('HostAlias'), ['ip']),
      imagePullSecrets: byName(ref('LocalObjectReference')),
      nodeSelector: stringMap(true),
      overhead: stringMap(),
      readinessGates: atomicList(),
      resourceClaims: byName(),
      schedulingGates: byName(),
      securityContext: ref('PodSecurityContext'),
      tolerations: atomicList(),
      topologySpreadConstraints: keyed(
        ref('TopologySpreadConstraint'),
        ['topologyKey', 'whenUnsatisfiable'],
        {
          topologyKey: '',
          whenUnsatisfiable: '',
        },
      ),
      volumes: byName(ref('Volume')),
    },
  },
  Affinity: {
    fields: {
      nodeAffinity: ref('NodeAffinity'),
      podAffinity: ref('PodAffinity'),
      podAntiAffinity: ref('PodAffinity'),
    },
  },
  NodeAffinity: {
    fields: {
      preferredDuringSchedulingIgnoredDuringExecution: atomicList(),
      requiredDuringSchedulingIgnoredDuringExecution: ref('NodeSelector'),
    },
  },
  PodAffinity: {
    fields: {
      preferredDuringSchedulingIgnoredDuringExecution: atomicList(),
      requiredDuringSchedulingIgnoredDuringExecution: atomicList(),
    },
  },
  PodDNSConfig: { fields: { nameservers: atomicList(), options: atomicList(), searches: atomicList() } },
  HostAlias: { fields: { hostnames: atomicList() } },
  PodSecurityContext: { fields: { supplementalGroups: atomicList(), sysctls: atomicList() } },
  TopologySpreadConstraint: { fields: { labelSelector: ref('LabelSelector'), matchLabelKeys: atomicList() } },
  Container: {
    fields: {
      args: atomicList(),
      command: atomicList(),
      env: byName(ref('EnvVar')),
      envFrom: atomicList(),
      lifecycle: ref('Lifecycle'),
      livenessProbe: ref('Probe'),
      readinessProbe: ref('Probe'),
      startupProbe: ref('Probe'),
      ports: keyed(UNTYPED, ['containerPort', 'protocol'], { containerPort: 0, protocol: 'TCP' }),
      resizePolicy: atomicList(),
      resources: ref('ResourceRequirements'),
      securityContext: ref('SecurityContext'),
      volumeDevices: keyed(UNTYPED, ['devicePath'], { devicePath: '' }),
      volumeMounts: keyed(UNTYPED, ['mountPath'], { mountPath: '' }),
    },
    always: ['resources'],
  },
  EnvVar: { fields: { valueFrom: ref('EnvVarSource') } },
  EnvVarSource: {
    fields: {
      configMapKeyRef: ref('ConfigMapKeySelector'),
      fieldRef: ref('ObjectFieldSelector'),
      resourceFieldRef: ref('ResourceFieldSelector'),
      secretKeyRef: ref('SecretKeySelector'),
    },
  },
  ResourceRequirements: { fields: { claims: byName(), limits: stringMap(), requests: stringMap() } },
  Lifecycle: { fields: { postStart: ref('LifecycleHandler'), preStop: ref('LifecycleHandler') } },
  LifecycleHandler: { fields: { exec: ref('ExecAction'), httpGet: ref('HTTPGetAction') } },
  Probe: { fields: { exec: ref('ExecAction'), httpGet: ref('HTTPGetAction') } },
  ExecAction: { fields: { command: atomicList() } },
  HTTPGetAction: { fields: { httpHeaders: atomicList() } },
  SecurityContext: { fields: { capabilities: ref('Capabilities') } },
  Capabilities: { fields: { add: atomicList(), drop: atomicList() } },
  Volume: {
    fields: {
      configMap: ref('KeyToPathSource'),
      secret: ref('KeyToPathSource'),
      downwardAPI: ref('KeyToPathSource'),
      projected: { kind: 'struct', name: 'ProjectedVolumeSource' },
      csi: ref('CSIVolumeSource'),
      ephemeral: ref('EphemeralVolumeSource'),
    },
  },
  KeyToPathSource: { fields: { items: atomicList() } },
  ProjectedVolumeSource: { fields: { sources: atomicList() } },
  CSIVolumeSource: {
    fields: { nodePublishSecretRef: ref('LocalObjectReference'), volumeAttributes: stringMap() },
  },
  EphemeralVolumeSource: { fields: { volumeClaimTemplate: ref('PersistentVolumeClaimTemplate') } },
  PersistentVolumeClaimTemplate: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('PersistentVolumeClaimSpec') },
    always: ['metadata', 'spec'],
  },
  PodStatus: {
    fields: {
      conditions: byType(),
      containerStatuses: atomicList(),
      initContainerStatuses: atomicList(),
      ephemeralContainerStatuses: atomicList(),
      hostIPs: atomicList(),
      podIPs: keyed(UNTYPED, ['ip']),
      resourceClaimStatuses: byName(),
    },
  },

  // core/v1 other kinds
  Pod: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('PodSpec'), status: ref('PodStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  Namespace: {
    fields: {
      metadata: ref('ObjectMeta'),
      spec: { kind: 'struct', name: 'NamespaceSpec' },
      status: { kind: 'struct', name: 'ConditionsStatus' },
    },
    always: ['metadata', 'spec', 'status'],
  },
  NamespaceSpec: { fields: { finalizers: atomicList() } },
  ConditionsStatus: { fields: { conditions: byType() } },
  Node: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('NodeSpec'), status: ref('NodeStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  NodeSpec: { fields: { podCIDRs: set(), taints: atomicList() } },
  NodeStatus: {
    fields: {
      addresses: byType(),
      allocatable: stringMap(),
      capacity: stringMap(),
      conditions: byType(),
      daemonEndpoints: ref('NodeDaemonEndpoints'),
      images: atomicList(),
      runtimeHandlers: atomicList(),
      volumesAttached: atomicList(),
      volumesInUse: atomicList(),
    },
    always: ['daemonEndpoints', 'nodeInfo'],
  },
  NodeDaemonEndpoints: { always: ['kubeletEndpoint'] },
  Service: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('ServiceSpec'), status: ref('ServiceStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  ServiceSpec: {
    fields: {
      clusterIPs: atomicList(),
      externalIPs: atomicList(),
      ipFamilies: atomicList(),
      loadBalancerSourceRanges: atomicList(),
      ports: keyed(UNTYPED, ['port', 'protocol'], { port: 0, protocol: 'TCP' }),
      selector: stringMap(true),
    },
  },
  ServiceStatus: {
    fields: { conditions: byType(), loadBalancer: ref('LoadBalancerStatus') },
    always: ['loadBalancer'],
  },
  LoadBalancerStatus: { fields: { ingress: atomicList() } },
  Endpoints: { fields: { metadata: ref('ObjectMeta'), subsets: atomicList() }, always: ['metadata'] },
  ConfigMap: {
    fields: { metadata: ref('ObjectMeta'), data: stringMap(), binaryData: stringMap() },
    always: ['metadata'],
  },
  Secret: {
    fields: { metadata: ref('ObjectMeta'), data: stringMap(), stringData: stringMap() },
    always: ['metadata'],
  },
  ServiceAccount: {
    fields: {
      metadata: ref('ObjectMeta'),
      imagePullSecrets: atomicList(),
      secrets: byName(ref('ObjectReference')),
    },
    always: ['metadata'],
  },
  CoreEvent: {
    fields: {
      metadata: ref('ObjectMeta'),
      involvedObject: ref('ObjectReference'),
      related: ref('ObjectReference'),
    },
    always: ['metadata', 'involvedObject', 'source'],
  },
  LimitRange: {
    fields: { metadata: ref('ObjectMeta'), spec: { kind: 'struct', name: 'LimitRangeSpec' } },
    always: ['metadata', 'spec'],
  },
  LimitRangeSpec: { fields: { limits: atomicList() } },
  ResourceQuota: {
    fields: {
      metadata: ref('ObjectMeta'),
      spec: ref('ResourceQuotaSpec'),
      status: { kind: 'struct', name: 'ResourceQuotaStatus' },
    },
    always: ['metadata', 'spec', 'status'],
  },
  ResourceQuotaSpec: {
    fields: { hard: stringMap(), scopeSelector: ref('ScopeSelector'), scopes: atomicList() },
  },
  ResourceQuotaStatus: { fields: { hard: stringMap(), used: stringMap() } },
  PersistentVolumeClaim: {
    fields: {
      metadata: ref('ObjectMeta'),
      spec: ref('PersistentVolumeClaimSpec'),
      status: ref('PersistentVolumeClaimStatus'),
    },
    always: ['metadata', 'spec', 'status'],
  },
  PersistentVolumeClaimSpec: {
    fields: {
      accessModes: atomicList(),
      dataSource: ref('TypedLocalObjectReference'),
      resources: ref('VolumeResourceRequirements'),
      selector: ref('LabelSelector'),
    },
    always: ['resources'],
  },
  VolumeResourceRequirements: { fields: { limits: stringMap(), requests: stringMap() } },
  PersistentVolumeClaimStatus: {
    fields: {
      accessModes: atomicList(),
      allocatedResourceStatuses: stringMap(),
      allocatedResources: stringMap(),
      capacity: stringMap(),
      conditions: byType(),
    },
  },
  PersistentVolume: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('PersistentVolumeSpec') },
    always: ['metadata', 'spec', 'status'],
  },
  PersistentVolumeSpec: {
    fields: {
      accessModes: atomicList(),
      capacity: stringMap(),
      // The one ObjectReference upstream marks `separable`: claimRef is merged field by field.
      claimRef: UNTYPED,
      mountOptions: atomicList(),
      nodeAffinity: { kind: 'struct', name: 'VolumeNodeAffinity' },
      csi: ref('CSIPersistentVolumeSource'),
    },
  },
  VolumeNodeAffinity: { fields: { required: ref('NodeSelector') } },
  CSIPersistentVolumeSource: {
    fields: {
      controllerExpandSecretRef: ref('SecretReference'),
      controllerPublishSecretRef: ref('SecretReference'),
      nodeExpandSecretRef: ref('SecretReference'),
      nodePublishSecretRef: ref('SecretReference'),
      nodeStageSecretRef: ref('SecretReference'),
      volumeAttributes: stringMap(),
    },
  },
  Binding: {
    fields: { metadata: ref('ObjectMeta'), target: ref('ObjectReference') },
    always: ['metadata', 'target'],
  },

  // apps/v1
  Deployment: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('DeploymentSpec'), status: ref('ConditionsStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  DeploymentSpec: {
    fields: { selector: ref('LabelSelector'), template: ref('PodTemplateSpec') },
    always: ['strategy', 'template'],
  },
  ReplicaSet: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('ReplicaSetSpec'), status: ref('ConditionsStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  ReplicaSetSpec: {
    fields: { selector: ref('LabelSelector'), template: ref('PodTemplateSpec') },
    always: ['template'],
  },
  DaemonSet: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('DaemonSetSpec'), status: ref('ConditionsStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  DaemonSetSpec: {
    fields: { selector: ref('LabelSelector'), template: ref('PodTemplateSpec') },
    always: ['template', 'updateStrategy'],
  },
  StatefulSet: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('StatefulSetSpec'), status: ref('ConditionsStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  StatefulSetSpec: {
    fields: {
      selector: ref('LabelSelector'),
      template: ref('PodTemplateSpec'),
      volumeClaimTemplates: atomicList(),
    },
    always: ['template', 'updateStrategy'],
  },

  // autoscaling/v2
  HorizontalPodAutoscaler: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('HPASpec'), status: ref('HPAStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  HPASpec: { fields: { behavior: ref('HPABehavior'), metrics: atomicList() }, always: ['scaleTargetRef'] },
  HPABehavior: { fields: { scaleDown: ref('HPAScalingRules'), scaleUp: ref('HPAScalingRules') } },
  HPAScalingRules: { fields: { policies: atomicList() } },
  HPAStatus: { fields: { conditions: byType(), currentMetrics: atomicList() } },

  // batch/v1
  Job: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('JobSpec'), status: ref('JobStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  JobSpec: {
    fields: {
      podFailurePolicy: ref('RulesList'),
      selector: ref('LabelSelector'),
      successPolicy: ref('RulesList'),
      template: ref('PodTemplateSpec'),
    },
    always: ['template'],
  },
  RulesList: { fields: { rules: atomicList() } },
  JobStatus: {
    fields: { conditions: atomicList(), uncountedTerminatedPods: ref('UncountedTerminatedPods') },
  },
  UncountedTerminatedPods: { fields: { failed: set(), succeeded: set() } },
  CronJob: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('CronJobSpec'), status: ref('CronJobStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  CronJobSpec: { fields: { jobTemplate: ref('JobTemplateSpec') }, always: ['jobTemplate'] },
  JobTemplateSpec: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('JobSpec') },
    always: ['metadata', 'spec'],
  },
  CronJobStatus: { fields: { active: atomicList() } },

  // coordination.k8s.io/v1
  Lease: { fields: { metadata: ref('ObjectMeta') }, always: ['metadata', 'spec'] },

  // discovery.k8s.io/v1
  EndpointSlice: {
    fields: { metadata: ref('ObjectMeta'), endpoints: atomicList(), ports: atomicList() },
    always: ['metadata'],
  },

  // events.k8s.io/v1
  Event: {
    fields: {
      metadata: ref('ObjectMeta'),
      regarding: ref('ObjectReference'),
      related: ref('ObjectReference'),
    },
    always: ['metadata', 'deprecatedSource', 'regarding'],
  },

  // networking.k8s.io/v1
  Ingress: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('IngressSpec'), status: ref('IngressStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  IngressSpec: { fields: { defaultBackend: ref('IngressBackend'), rules: atomicList(), tls: atomicList() } },
  IngressBackend: { fields: { resource: ref('TypedLocalObjectReference') } },
  IngressStatus: { fields: { loadBalancer: ref('LoadBalancerStatus') }, always: ['loadBalancer'] },
  NetworkPolicy: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('NetworkPolicySpec') },
    always: ['metadata', 'spec'],
  },
  NetworkPolicySpec: {
    fields: {
      egress: atomicList(),
      ingress: atomicList(),
      podSelector: ref('LabelSelector'),
      policyTypes: atomicList(),
    },
    always: ['podSelector'],
  },

  // policy/v1
  PodDisruptionBudget: {
    fields: { metadata: ref('ObjectMeta'), spec: ref('PDBSpec'), status: ref('PDBStatus') },
    always: ['metadata', 'spec', 'status'],
  },
  PDBSpec: { fields: { selector: ref('LabelSelector') } },
  PDBStatus: { fields: { conditions: byType(), disruptedPods: stringMap() } },
};

/** Served kind → its root struct. Kinds not listed here are undescribed. */
const KINDS: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/Node': 'Node',
  'v1/Pod': 'Pod',
  'v1/Binding': 'Binding',
  'v1/Service': 'Service',
  'v1/Endpoints': 'Endpoints',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Event': 'CoreEvent',
  'v1/LimitRange': 'LimitRange',
  'v1/ResourceQuota': 'ResourceQuota',
  'v1/PersistentVolumeClaim': 'PersistentVolumeClaim',
  'v1/PersistentVolume': 'PersistentVolume',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/DaemonSet': 'DaemonSet',
  'apps/v1/StatefulSet': 'StatefulSet',
  'autoscaling/v2/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
  'batch/v1/CronJob': 'CronJob',
  'batch/v1/Job': 'Job',
  'coordination.k8s.io/v1/Lease': 'Lease',
  'discovery.k8s.io/v1/EndpointSlice': 'EndpointSlice',
  'events.k8s.io/v1/Event': 'Event',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'networking.k8s.io/v1/NetworkPolicy': 'NetworkPolicy',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
};

const EMPTY_DEF: StructDef = { fields: {}, atomic: false, always: [] };

/** The root type of a kind; `untyped` for kinds the table does not describe. */
export function rootType(apiVersion: string, kind: string): TypeNode {
  const name = KINDS[`${apiVersion}/${kind}`];
  return name ? ref(name) : UNTYPED;
}

export function structDef(node: TypeNode): StructDef | undefined {
  if (node.kind === 'untyped') return EMPTY_DEF;
  if (node.kind !== 'struct') return undefined;
  const def = DEFS[node.name];
  return { fields: def?.fields ?? {}, atomic: def?.atomic ?? false, always: def?.always ?? [] };
}

/** The type of a map's key `name`: declared struct fields, a free-form map's element, else undescribed. */
export function fieldType(node: TypeNode, name: string): TypeNode {
  if (node.kind === 'map') return node.elem;
  if (node.kind === 'struct') return DEFS[node.name]?.fields?.[name] ?? UNTYPED;
  return UNTYPED;
}

/**
 * Whether `name` is a named field of `node` (so a non-empty value is not itself a member of a field
 * set). Structs name all their keys here, including undeclared ones, since an undescribed map counts
 * as a struct; only free-form maps' keys are unnamed.
 */
export function isNamedField(node: TypeNode, _name: string): boolean {
  return node.kind === 'struct' || node.kind === 'untyped';
}

/** The list type at a path of field names (list items are transparent), if the table describes one. */
export function listTypeAt(apiVersion: string, kind: string, path: readonly string[]): ListType | undefined {
  let node = rootType(apiVersion, kind);
  for (const name of path) {
    if (node.kind === 'list') node = node.elem;
    node = fieldType(node, name);
  }
  if (node.kind !== 'list') return undefined;
  return node.list.keys ? { type: node.list.type, keys: [...node.list.keys] } : { type: node.list.type };
}
