/**
 * What the apiserver fills in before validating a write: the scheme's defaulting functions
 * (pkg/apis/<group>/<version>/defaults.go and the generated zz_generated.defaults.go, which also
 * walk every nested PodTemplateSpec), plus the few create-time mutations that happen elsewhere
 * but show up in every `kubectl get -o yaml` — the ServiceAccount, Priority and
 * DefaultTolerationSeconds admission plugins, the Namespace and Job registry strategies, and the
 * Service IP family fields the Service REST storage sets.
 *
 * Create-time mutations run only while the object has no metadata.uid, i.e. on create before the
 * registry assigns one (updates arrive with the stored uid). Everything else is idempotent, as
 * upstream defaulting is: it runs on every decode, so on every update too.
 */
import { randomUUID } from 'node:crypto';
import type { HorizontalPodAutoscaler, HPAScalingRules } from 'kubernetes-types/autoscaling/v2.js';
import type { CronJob, Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type {
  Container,
  EphemeralContainer,
  LifecycleHandler,
  LimitRange,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  Secret,
  Service,
  Toleration,
  Volume,
} from 'kubernetes-types/core/v1.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { NetworkPolicy, NetworkPolicyPort, NetworkPolicySpec } from 'kubernetes-types/networking/v1.js';
import { isObject, type KubeObject } from '../object.ts';
import {
  formatQuantity,
  parseQuantityExact,
  QuantityError,
  quantityText,
  roundUpQuantity,
} from '../../kube/quantity.ts';

type Defaulter = (obj: KubeObject, creating: boolean) => void;
/** kubernetes-types marks server-populated fields (status, uid) readonly; the server is who populates them. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

const DEFAULTERS: Record<string, Defaulter> = {
  'v1/Pod': (o, creating) => defaultPod(o as Pod & KubeObject, creating),
  'v1/Service': (o) => defaultService(o as Service & KubeObject),
  'v1/Namespace': (o, creating) => defaultNamespace(o as Namespace & KubeObject, creating),
  'v1/Secret': (o) => defaultSecret(o as Secret & KubeObject),
  'v1/Node': (o) => defaultNode(o as Node & KubeObject),
  'v1/Endpoints': (o) => defaultEndpoints(o),
  'v1/PersistentVolume': (o) => defaultPersistentVolume(o as PersistentVolume & KubeObject),
  'v1/PersistentVolumeClaim': (o) => defaultPersistentVolumeClaim(o as PersistentVolumeClaim),
  'v1/LimitRange': (o) => defaultLimitRange(o as LimitRange & KubeObject),
  'v1/ResourceQuota': (o) => defaultResourceQuota(o),
  'apps/v1/Deployment': (o) => defaultDeployment(o as Deployment & KubeObject),
  'apps/v1/ReplicaSet': (o) => defaultReplicaSet(o as ReplicaSet & KubeObject),
  'apps/v1/DaemonSet': (o) => defaultDaemonSet(o as DaemonSet & KubeObject),
  'apps/v1/StatefulSet': (o) => defaultStatefulSet(o as StatefulSet & KubeObject),
  'batch/v1/Job': (o, creating) => defaultJob(o as Job & KubeObject, creating),
  'batch/v1/CronJob': (o) => defaultCronJob(o as CronJob & KubeObject),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) =>
    defaultHorizontalPodAutoscaler(o as HorizontalPodAutoscaler & KubeObject),
  'networking.k8s.io/v1/NetworkPolicy': (o) => defaultNetworkPolicy(o as NetworkPolicy & KubeObject),
  'discovery.k8s.io/v1/EndpointSlice': (o) => defaultEndpointSlice(o),
};

/**
 * Fills in defaults in place. Kinds without an entry (ConfigMap, Lease, Event, Ingress,
 * PodDisruptionBudget, ...) have no defaults that survive serialization.
 */
export function applyDefaults(
  apiVersion: string,
  kind: string,
  obj: KubeObject,
  creating: boolean = !isObject(obj.metadata) || !obj.metadata.uid,
): void {
  const defaulter = DEFAULTERS[`${apiVersion}/${kind}`];
  if (!defaulter) return;
  if (!isObject(obj.metadata)) obj.metadata = {};
  defaulter(obj, creating);
}

// ---------------------------------------------------------------------------------------------
// Helpers

const record = (value: unknown): Record<string, unknown> | undefined => (isObject(value) ? value : undefined);
const emptyMap = (value: unknown): boolean => !isObject(value) || Object.keys(value).length === 0;

/**
 * SetDefaults_ResourceList: every quantity rounds up to milli precision (TODO(#18538) upstream),
 * and is then written back the way Quantity.MarshalJSON prints it ("0.5" → "500m", "1024Mi" →
 * "1Gi"). Unparseable values are left for decoding/validation to reject.
 */
export function defaultResourceList(list: Record<string, unknown> | undefined): void {
  if (!list) return;
  for (const [name, value] of Object.entries(list)) {
    const text = quantityText(value);
    if (text === undefined) continue;
    try {
      list[name] = formatQuantity(roundUpQuantity(parseQuantityExact(text), -3));
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
    }
  }
}

function defaultResources(owner: { resources?: unknown }): void {
  const resources = record(owner.resources);
  if (!resources) return;
  defaultResourceList(record(resources.limits));
  defaultResourceList(record(resources.requests));
}

// ---------------------------------------------------------------------------------------------
// Pods and pod templates

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;

/**
 * parsers.ParseImageName's tag: "latest" when the reference names neither a tag nor a digest,
 * "" when it has only a digest or does not parse as a docker reference (the defaulter ignores
 * the error, so an invalid image gets IfNotPresent).
 */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const nameAndTag = at >= 0 ? image.slice(0, at) : image;
  const slash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > slash;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : '';
  const components = (hasTag ? nameAndTag.slice(0, colon) : nameAndTag).split('/');
  // The first component is a registry host when it looks like one ("registry.k8s.io", "localhost:5000").
  const first = components[0] ?? '';
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost'))
    components.shift();
  if (!components.every((c) => PATH_COMPONENT.test(c)) || (hasTag && !TAG.test(tag))) return '';
  return tag === '' && at < 0 ? 'latest' : tag;
}

/** SetDefaults_Container (shared by init and ephemeral containers) and the generated walk over its fields. */
function defaultContainer(c: Container | EphemeralContainer): void {
  if (!c.imagePullPolicy)
    c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
  // ResourceRequirements is a struct, not a pointer: the apiserver always writes `resources: {}`.
  c.resources ??= {};
  for (const env of c.env ?? []) {
    const fieldRef = env.valueFrom?.fieldRef;
    if (fieldRef && !fieldRef.apiVersion) fieldRef.apiVersion = 'v1';
  }
  defaultResources(c);
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  if (c.lifecycle?.postStart) defaultHandler(c.lifecycle.postStart);
  if (c.lifecycle?.preStop) defaultHandler(c.lifecycle.preStop);
}

/** SetDefaults_Probe and the handler defaults under it. */
function defaultProbe(p: Probe): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHandler(p);
}

function defaultHandler(h: LifecycleHandler | Probe): void {
  // SetDefaults_HTTPGetAction.
  if (h.httpGet) {
    if (!h.httpGet.path) h.httpGet.path = '/';
    if (!h.httpGet.scheme) h.httpGet.scheme = 'HTTP';
  }
  // GRPCAction.Service is `+default=""`, so it serializes even when unset.
  if ('grpc' in h && h.grpc && h.grpc.service === undefined) h.grpc.service = '';
}

const DEFAULT_MODE = 0o644; // 420, the default mode of secret, configMap, downwardAPI and projected volumes

/** SetDefaults_Volume and its sources. */
function defaultVolume(v: Volume): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_MODE;
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_MODE;
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_MODE;
    for (const item of v.downwardAPI.items ?? [])
      if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  }
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_MODE;
    for (const source of v.projected.sources ?? []) {
      for (const item of source.downwardAPI?.items ?? []) {
        if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
      }
      if (source.serviceAccountToken && source.serviceAccountToken.expirationSeconds === undefined) {
        source.serviceAccountToken.expirationSeconds = 3600;
      }
    }
  }
  const claim = v.ephemeral?.volumeClaimTemplate;
  if (claim) defaultClaimSpec(claim.spec);
}

/**
 * SetDefaults_PodSpec and everything nested in it: shared by Pods and every pod template.
 * (New fields go in SetDefaults_Pod upstream so templates don't change; see kubernetes#69445.)
 */
function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!spec.securityContext) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) {
    spec.terminationGracePeriodSeconds = 30;
  }
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  defaultResourceList(record(spec.overhead));
  // Conversion keeps the deprecated serviceAccount as an alias: serviceAccountName wins, and
  // the output always mirrors it (Convert_v1_PodSpec_To_core_PodSpec and back).
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
}

function defaultPodTemplate(template: PodTemplateSpec | undefined): void {
  if (!template) return;
  template.spec ??= {} as PodSpec;
  defaultPodSpec(template.spec);
}

/** SetDefaults_Pod: what only a Pod (never a template) gets. */
function defaultPodOnly(spec: PodSpec): void {
  // Limits without requests: requests default to limits.
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = record(c.resources?.limits);
    if (!limits) continue;
    const requests: Record<string, unknown> = { ...(record(c.resources?.requests) ?? {}) };
    for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
    c.resources = { ...c.resources, requests: requests as Record<string, string> };
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null)
    spec.enableServiceLinks = true;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const port of c.ports ?? []) if (!port.hostPort) port.hostPort = port.containerPort;
    }
  }
}

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

function randomSuffix(): string {
  // utilrand.String, like upstream, draws from math/rand: these names need to be unlikely to clash, not secret.
  let out = '';
  for (let i = 0; i < 5; i++)
    out += NAME_SUFFIX_ALPHABET[Math.floor(Math.random() * NAME_SUFFIX_ALPHABET.length)];
  return out;
}

/**
 * The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): the "default"
 * account, and its API credentials as a projected volume mounted into every container.
 * (Upstream also rejects the pod when the account does not exist; that lookup is the server's.)
 */
function admitServiceAccount(pod: Pod & KubeObject): void {
  const spec = pod.spec as PodSpec;
  if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken === false) return;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  // A pod that already mounts something at the token path keeps it (shouldAutomount).
  if (containers.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH))) return;
  const name = `kube-api-access-${randomSuffix()}`;
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name,
      projected: {
        defaultMode: DEFAULT_MODE,
        sources: [
          // 3607s: the plugin's "warn after an hour" extension of the one-hour token.
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ];
  for (const c of containers)
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
}

/** Built-in PriorityClasses (pkg/apis/scheduling); others are looked up by the server. */
const SYSTEM_PRIORITIES: Record<string, number | undefined> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/** The Priority admission plugin: priority from the class (0 without one) and the preemption policy. */
function admitPriority(spec: PodSpec): void {
  const name = spec.priorityClassName;
  const priority = name ? SYSTEM_PRIORITIES[name] : 0;
  if (priority === undefined) return;
  if (spec.priority === undefined || spec.priority === null) spec.priority = priority;
  if (!spec.preemptionPolicy) spec.preemptionPolicy = 'PreemptLowerPriority';
}

/**
 * DefaultTolerationSeconds admission: tolerate node.kubernetes.io/not-ready and /unreachable
 * NoExecute taints for 300s unless the pod already tolerates them (an empty key or effect counts).
 */
function admitDefaultTolerations(spec: PodSpec): void {
  const tolerations: Toleration[] = spec.tolerations ?? [];
  const tolerates = (key: string): boolean =>
    tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added: Toleration[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
}

function defaultPod(pod: Pod & KubeObject, creating: boolean): void {
  pod.spec ??= {} as PodSpec;
  defaultPodOnly(pod.spec);
  defaultPodSpec(pod.spec);
  if (creating) {
    admitServiceAccount(pod);
    admitPriority(pod.spec);
  }
  // DefaultTolerationSeconds admits updates too.
  admitDefaultTolerations(pod.spec);
}

// ---------------------------------------------------------------------------------------------
// Core kinds

function defaultService(svc: Service & KubeObject): void {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === 'ClientIP' &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const port of spec.ports ?? []) {
    if (!port.protocol) port.protocol = 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '')
      port.targetPort = port.port;
  }
  // service.ExternallyAccessible: load balancers, node ports, or cluster IPs with external IPs.
  const external =
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
  if (external && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (!spec.internalTrafficPolicy && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    spec.allocateLoadBalancerNodePorts = true;
  // The Service REST storage's initIPFamilyFields (single-stack IPv4 cluster): ExternalName gets
  // none; headless services without a selector default to RequireDualStack with the cluster's families.
  if (spec.type !== 'ExternalName') {
    const headlessWithoutSelector = spec.clusterIP === 'None' && emptyMap(spec.selector);
    if (!spec.ipFamilyPolicy)
      spec.ipFamilyPolicy = headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack';
    if (!spec.ipFamilies || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
  }
}

function defaultNamespace(ns: Namespace & KubeObject, creating: boolean): void {
  // SetDefaults_Namespace: the immutable kubernetes.io/metadata.name label (skipped for generateName until named).
  if (ns.metadata.name)
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name };
  const status = (ns.status ??= {});
  if (!status.phase) status.phase = 'Active';
  if (creating) {
    // namespaceStrategy.PrepareForCreate, create only: the finalizer may be removed later (/finalize).
    const spec = (ns.spec ??= {});
    if (!(spec.finalizers ?? []).includes('kubernetes'))
      spec.finalizers = [...(spec.finalizers ?? []), 'kubernetes'];
  }
}

function defaultSecret(secret: Secret & KubeObject): void {
  if (!secret.type) secret.type = 'Opaque';
  // Convert_v1_Secret_To_core_Secret: stringData is write-only and overwrites data keys.
  if (secret.stringData !== undefined) {
    const data: Record<string, string> = { ...(secret.data ?? {}) };
    for (const [k, v] of Object.entries(secret.stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    if (Object.keys(data).length > 0) secret.data = data;
    delete secret.stringData;
  }
}

function defaultNode(node: Node & KubeObject): void {
  const status = record(node.status);
  if (!status) return;
  if (status.allocatable === undefined && status.capacity !== undefined)
    status.allocatable = { ...record(status.capacity) };
  defaultResourceList(record(status.capacity));
  defaultResourceList(record(status.allocatable));
}

function defaultEndpoints(obj: KubeObject): void {
  const subsets = obj.subsets;
  if (!Array.isArray(subsets)) return;
  for (const subset of subsets) {
    const ports = record(subset)?.ports;
    if (!Array.isArray(ports)) continue;
    for (const port of ports) if (isObject(port) && !port.protocol) port.protocol = 'TCP';
  }
}

function defaultPersistentVolume(pv: PersistentVolume & KubeObject): void {
  const spec = (pv.spec ??= {});
  if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = 'Retain';
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  if (spec.hostPath && spec.hostPath.type === undefined) spec.hostPath.type = '';
  defaultResourceList(record(spec.capacity));
  const status = ((pv as Writable<PersistentVolume>).status ??= {});
  if (!status.phase) status.phase = 'Pending';
}

function defaultClaimSpec(spec: PersistentVolumeClaimSpec): void {
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  defaultResources(spec);
}

function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  defaultClaimSpec((pvc.spec ??= {}));
  const status = ((pvc as Writable<PersistentVolumeClaim>).status ??= {});
  if (!status.phase) status.phase = 'Pending';
  defaultResourceList(record(status.capacity));
  defaultResourceList(record(status.allocatedResources));
}

/** SetDefaults_LimitRangeItem: Container limits default from max, default requests from default then min. */
function defaultLimitRange(lr: LimitRange & KubeObject): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      const def: Record<string, string> = { ...(item.default ?? {}) };
      const defaultRequest: Record<string, string> = { ...(item.defaultRequest ?? {}) };
      for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
      for (const [k, v] of Object.entries(def)) if (!(k in defaultRequest)) defaultRequest[k] = v;
      for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in defaultRequest)) defaultRequest[k] = v;
      // Empty maps are omitted on the wire (omitempty), so only non-empty ones appear.
      if (Object.keys(def).length > 0) item.default = def;
      if (Object.keys(defaultRequest).length > 0) item.defaultRequest = defaultRequest;
    }
    for (const list of [item.max, item.min, item.default, item.defaultRequest, item.maxLimitRequestRatio]) {
      defaultResourceList(record(list));
    }
  }
}

function defaultResourceQuota(obj: KubeObject): void {
  defaultResourceList(record(record(obj.spec)?.hard));
  defaultResourceList(record(record(obj.status)?.hard));
  defaultResourceList(record(record(obj.status)?.used));
}

// ---------------------------------------------------------------------------------------------
// apps/v1

function defaultDeployment(d: Deployment & KubeObject): void {
  const spec = (d.spec ??= {} as NonNullable<Deployment['spec']>);
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = (strategy.rollingUpdate ??= {});
    if (rolling.maxUnavailable === undefined || rolling.maxUnavailable === null)
      rolling.maxUnavailable = '25%';
    if (rolling.maxSurge === undefined || rolling.maxSurge === null) rolling.maxSurge = '25%';
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null)
    spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null)
    spec.progressDeadlineSeconds = 600;
  defaultPodTemplate(spec.template);
}

function defaultReplicaSet(rs: ReplicaSet & KubeObject): void {
  const spec = (rs.spec ??= {} as NonNullable<ReplicaSet['spec']>);
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  defaultPodTemplate(spec.template);
}

function defaultDaemonSet(ds: DaemonSet & KubeObject): void {
  const spec = (ds.spec ??= {} as NonNullable<DaemonSet['spec']>);
  const strategy = (spec.updateStrategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = (strategy.rollingUpdate ??= {});
    if (rolling.maxUnavailable === undefined || rolling.maxUnavailable === null) rolling.maxUnavailable = 1;
    if (rolling.maxSurge === undefined || rolling.maxSurge === null) rolling.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null)
    spec.revisionHistoryLimit = 10;
  defaultPodTemplate(spec.template);
}

function defaultStatefulSet(sts: StatefulSet & KubeObject): void {
  const spec = (sts.spec ??= {} as NonNullable<StatefulSet['spec']>);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    strategy.rollingUpdate ??= {};
  }
  if (
    strategy.type === 'RollingUpdate' &&
    strategy.rollingUpdate &&
    strategy.rollingUpdate.partition === undefined
  ) {
    strategy.rollingUpdate.partition = 0;
  }
  // StatefulSetAutoDeletePVC is on by default (GA in 1.32).
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null)
    spec.revisionHistoryLimit = 10;
  defaultPodTemplate(spec.template);
  // Claim templates get PVC defaults, and are written back as full objects with type meta.
  for (const claim of spec.volumeClaimTemplates ?? []) {
    claim.apiVersion ??= 'v1';
    claim.kind ??= 'PersistentVolumeClaim';
    defaultPersistentVolumeClaim(claim);
  }
}

// ---------------------------------------------------------------------------------------------
// batch/v1

function defaultJobSpec(spec: JobSpec): void {
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) if (!pattern.status) pattern.status = 'True';
  }
  defaultPodTemplate(spec.template);
}

/** Job label keys the registry strategy adds (batch.JobNameLabel, batch.ControllerUidLabel and legacy forms). */
const JOB_NAME_LABELS = ['job-name', 'batch.kubernetes.io/job-name'];
const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

/**
 * jobStrategy.generateSelector (PrepareForCreate): labels the template with the job's name and
 * uid, and selects on the uid. Upstream the uid exists by then (the handler fills system
 * metadata before admission); here it is assigned if the caller has not yet.
 */
function generateJobSelector(job: Job & KubeObject): void {
  const spec = job.spec as JobSpec;
  const uid = ((job.metadata as Writable<ObjectMeta>).uid ??= randomUUID());
  const template = spec.template;
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  for (const key of JOB_NAME_LABELS) if (!(key in labels)) labels[key] = job.metadata.name ?? '';
  for (const key of CONTROLLER_UID_LABELS) if (!(key in labels)) labels[key] = uid;
  template.metadata = { ...template.metadata, labels };
  const selector = (spec.selector ??= {});
  const matchLabels = { ...(selector.matchLabels ?? {}) };
  if (!('batch.kubernetes.io/controller-uid' in matchLabels))
    matchLabels['batch.kubernetes.io/controller-uid'] = uid;
  selector.matchLabels = matchLabels;
}

function defaultJob(job: Job & KubeObject, creating: boolean): void {
  const spec = (job.spec ??= {} as JobSpec);
  if (
    (spec.completions === undefined || spec.completions === null) &&
    (spec.parallelism === undefined || spec.parallelism === null)
  ) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (spec.parallelism === undefined || spec.parallelism === null) spec.parallelism = 1;
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit =
      spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels && emptyMap(job.metadata.labels)) job.metadata.labels = { ...templateLabels };
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (!spec.podReplacementPolicy)
    spec.podReplacementPolicy = spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  if (spec.manualSelector === undefined || spec.manualSelector === null) spec.manualSelector = false;
  defaultJobSpec(spec);
  if (creating && !spec.manualSelector) generateJobSelector(job);
}

function defaultCronJob(cj: CronJob & KubeObject): void {
  const spec = (cj.spec ??= {} as NonNullable<CronJob['spec']>);
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined || spec.successfulJobsHistoryLimit === null)
    spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === null)
    spec.failedJobsHistoryLimit = 1;
  // Only the embedded pod template is defaulted; SetDefaults_Job applies to Job objects, not JobTemplateSpec.
  if (spec.jobTemplate?.spec) defaultJobSpec(spec.jobTemplate.spec);
}

// ---------------------------------------------------------------------------------------------
// autoscaling/v2, networking.k8s.io/v1, discovery.k8s.io/v1

function scaleUpRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

/** The scale-down window is left unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies. */
function scaleDownRules(): HPAScalingRules {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** copyHPAScalingRules: the user's non-nil fields over the defaults. */
function mergeRules(from: HPAScalingRules | undefined, to: HPAScalingRules): HPAScalingRules {
  if (!from) return to;
  if (from.selectPolicy !== undefined) to.selectPolicy = from.selectPolicy;
  if (from.stabilizationWindowSeconds !== undefined)
    to.stabilizationWindowSeconds = from.stabilizationWindowSeconds;
  if (from.policies !== undefined) to.policies = from.policies;
  const tolerance = (from as { tolerance?: unknown }).tolerance;
  if (tolerance !== undefined) (to as { tolerance?: unknown }).tolerance = tolerance;
  return to;
}

function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler & KubeObject): void {
  const spec = (hpa.spec ??= {} as NonNullable<HorizontalPodAutoscaler['spec']>);
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  // Behavior is filled in only when the user gave one.
  if (spec.behavior) {
    spec.behavior.scaleUp = mergeRules(spec.behavior.scaleUp, scaleUpRules());
    spec.behavior.scaleDown = mergeRules(spec.behavior.scaleDown, scaleDownRules());
  }
}

function defaultNetworkPolicy(np: NetworkPolicy & KubeObject): void {
  const spec = (np.spec ??= {} as NetworkPolicySpec);
  const defaultPort = (p: NetworkPolicyPort): void => {
    if (!p.protocol) p.protocol = 'TCP';
  };
  for (const rule of spec.ingress ?? []) for (const p of rule.ports ?? []) defaultPort(p);
  for (const rule of spec.egress ?? []) for (const p of rule.ports ?? []) defaultPort(p);
  if (!spec.policyTypes || spec.policyTypes.length === 0) {
    // Every policy implies Ingress; Egress only when it has egress rules.
    spec.policyTypes = (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function defaultEndpointSlice(obj: KubeObject): void {
  if (!Array.isArray(obj.ports)) return;
  for (const port of obj.ports) {
    if (!isObject(port)) continue;
    if (port.name === undefined || port.name === null) port.name = '';
    if (port.protocol === undefined || port.protocol === null) port.protocol = 'TCP';
  }
}
