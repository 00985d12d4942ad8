/**
 * API versions Kubernetes stopped serving (or will), per kind. Sources, checked for each row:
 * - "Deprecated API Migration Guide", https://kubernetes.io/docs/reference/using-api/deprecation-guide/
 *   (kubernetes/website content/en/docs/reference/using-api/deprecation-guide.md): removedIn and the
 *   replacement of every row.
 * - deprecatedIn: the release from which the API server answers with a deprecation warning
 *   ("policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+"), as set by
 *   the `k8s:prerelease-lifecycle-gen` tags (staging/src/k8s.io/api/<group>/<version>/
 *   zz_generated.prerelease-lifecycle.go).
 * When a Kubernetes release announces new removals, add rows here; test/upgrade/removed-apis.test.ts
 * checks the table's consistency.
 */
import { compareMinor, parseMinor } from './versions.ts';

export interface RemovedApi {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** First release that no longer serves it (`1.25`). */
  removedIn: string;
  /** First release whose API server warns about it. */
  deprecatedIn: string;
  /** apiVersion (and kind, when it changed) to migrate to. */
  replacement: string;
  /** Field changes to make while migrating, in the guide's words, shortened. */
  notes: string;
}

const row = (
  gv: string,
  kinds: string[],
  deprecatedIn: string,
  removedIn: string,
  replacement: string,
  notes = '',
): RemovedApi[] => {
  const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
  return kinds.map((kind) => ({ group, version, kind, removedIn, deprecatedIn, replacement, notes }));
};

export const REMOVED_APIS: readonly RemovedApi[] = [
  // v1.32
  ...row(
    'flowcontrol.apiserver.k8s.io/v1beta3',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.29',
    '1.32',
    'flowcontrol.apiserver.k8s.io/v1',
    'PriorityLevelConfiguration spec.limited.nominalConcurrencyShares defaults to 30 only when unset; an explicit 0 stays 0',
  ),
  // v1.29
  ...row(
    'flowcontrol.apiserver.k8s.io/v1beta2',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.26',
    '1.29',
    'flowcontrol.apiserver.k8s.io/v1',
    'spec.limited.assuredConcurrencyShares is renamed spec.limited.nominalConcurrencyShares',
  ),
  // v1.27
  ...row('storage.k8s.io/v1beta1', ['CSIStorageCapacity'], '1.24', '1.27', 'storage.k8s.io/v1'),
  // v1.26
  ...row(
    'flowcontrol.apiserver.k8s.io/v1beta1',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.23',
    '1.26',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
  ...row(
    'autoscaling/v2beta2',
    ['HorizontalPodAutoscaler'],
    '1.23',
    '1.26',
    'autoscaling/v2',
    'targetAverageUtilization becomes target.averageUtilization with target.type: Utilization',
  ),
  // v1.25
  ...row('batch/v1beta1', ['CronJob'], '1.21', '1.25', 'batch/v1'),
  ...row(
    'discovery.k8s.io/v1beta1',
    ['EndpointSlice'],
    '1.21',
    '1.25',
    'discovery.k8s.io/v1',
    'topology["kubernetes.io/hostname"] becomes nodeName, topology["topology.kubernetes.io/zone"] becomes zone',
  ),
  ...row(
    'events.k8s.io/v1beta1',
    ['Event'],
    '1.22',
    '1.25',
    'events.k8s.io/v1',
    'involvedObject is renamed regarding; type is Normal or Warning; action, reason, reportingController and reportingInstance are required',
  ),
  ...row(
    'autoscaling/v2beta1',
    ['HorizontalPodAutoscaler'],
    '1.22',
    '1.25',
    'autoscaling/v2',
    'targetAverageUtilization becomes target.averageUtilization with target.type: Utilization',
  ),
  ...row(
    'policy/v1beta1',
    ['PodDisruptionBudget'],
    '1.21',
    '1.25',
    'policy/v1',
    'an empty spec.selector ({}) selects every pod of the namespace in policy/v1 (none in v1beta1)',
  ),
  ...row(
    'policy/v1beta1',
    ['PodSecurityPolicy'],
    '1.21',
    '1.25',
    'Pod Security Admission (namespace labels pod-security.kubernetes.io/*) or an admission webhook',
    'no replacement kind: the PodSecurityPolicy admission controller is removed',
  ),
  ...row('node.k8s.io/v1beta1', ['RuntimeClass'], '1.22', '1.25', 'node.k8s.io/v1'),
  // v1.22
  ...row(
    'admissionregistration.k8s.io/v1beta1',
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    '1.16',
    '1.22',
    'admissionregistration.k8s.io/v1',
    'failurePolicy defaults to Fail; sideEffects and admissionReviewVersions are required',
  ),
  ...row(
    'apiextensions.k8s.io/v1beta1',
    ['CustomResourceDefinition'],
    '1.16',
    '1.22',
    'apiextensions.k8s.io/v1',
    'spec.scope is required; spec.version/validation/subresources move under spec.versions[*]; a structural schema is required',
  ),
  ...row('apiregistration.k8s.io/v1beta1', ['APIService'], '1.19', '1.22', 'apiregistration.k8s.io/v1'),
  ...row('authentication.k8s.io/v1beta1', ['TokenReview'], '1.19', '1.22', 'authentication.k8s.io/v1'),
  ...row(
    'authorization.k8s.io/v1beta1',
    ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SubjectAccessReview', 'SelfSubjectRulesReview'],
    '1.19',
    '1.22',
    'authorization.k8s.io/v1',
    'spec.group is renamed spec.groups',
  ),
  ...row(
    'certificates.k8s.io/v1beta1',
    ['CertificateSigningRequest'],
    '1.19',
    '1.22',
    'certificates.k8s.io/v1',
    'spec.signerName and spec.usages are required',
  ),
  ...row('coordination.k8s.io/v1beta1', ['Lease'], '1.19', '1.22', 'coordination.k8s.io/v1'),
  ...row(
    'extensions/v1beta1',
    ['Ingress'],
    '1.14',
    '1.22',
    'networking.k8s.io/v1',
    'spec.backend becomes spec.defaultBackend; serviceName/servicePort become service.name/service.port; pathType is required',
  ),
  ...row(
    'networking.k8s.io/v1beta1',
    ['Ingress'],
    '1.19',
    '1.22',
    'networking.k8s.io/v1',
    'spec.backend becomes spec.defaultBackend; serviceName/servicePort become service.name/service.port; pathType is required',
  ),
  ...row('networking.k8s.io/v1beta1', ['IngressClass'], '1.19', '1.22', 'networking.k8s.io/v1'),
  ...row(
    'rbac.authorization.k8s.io/v1beta1',
    ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    '1.17',
    '1.22',
    'rbac.authorization.k8s.io/v1',
  ),
  ...row('scheduling.k8s.io/v1beta1', ['PriorityClass'], '1.14', '1.22', 'scheduling.k8s.io/v1'),
  ...row(
    'storage.k8s.io/v1beta1',
    ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    '1.19',
    '1.22',
    'storage.k8s.io/v1',
  ),
  // v1.16
  // Rows removed in 1.16: API servers before 1.19 sent no deprecation warnings; deprecatedIn is the
  // release the guide names for the replacement ("available since").
  ...row('extensions/v1beta1', ['NetworkPolicy'], '1.8', '1.16', 'networking.k8s.io/v1'),
  ...row(
    'extensions/v1beta1',
    ['PodSecurityPolicy'],
    '1.10',
    '1.16',
    'policy/v1beta1 (itself removed in 1.25: Pod Security Admission)',
  ),
  ...row(
    'extensions/v1beta1',
    ['DaemonSet', 'Deployment', 'ReplicaSet'],
    '1.9',
    '1.16',
    'apps/v1',
    'spec.selector is required and immutable',
  ),
  ...row(
    'apps/v1beta1',
    ['Deployment', 'ReplicaSet', 'StatefulSet'],
    '1.9',
    '1.16',
    'apps/v1',
    'spec.selector is required and immutable',
  ),
  ...row(
    'apps/v1beta2',
    ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'],
    '1.9',
    '1.16',
    'apps/v1',
    'spec.selector is required and immutable',
  ),
];

export function apiVersionOf(api: Pick<RemovedApi, 'group' | 'version'>): string {
  return api.group ? `${api.group}/${api.version}` : api.version;
}

/** The table's row for an object's apiVersion and kind, if Kubernetes ever removed it. */
export function removedApiFor(apiVersion: string, kind: string): RemovedApi | undefined {
  return REMOVED_APIS.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** Whether a release (`1.32`) still serves the API of a row. */
export function servedAt(api: RemovedApi, release: string): boolean {
  return compareMinor(parseMinor(release), parseMinor(api.removedIn)) < 0;
}
