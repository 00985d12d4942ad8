/**
 * Small printers: printNamespace, printConfigMap, printSecret, printServiceAccount,
 * printResourceQuota, printLease and printPodDisruptionBudget in pkg/printers/internalversion/printers.go.
 */
import type {
  ConfigMap,
  Namespace,
  ResourceQuota,
  Secret,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { AGE, NAME, column, printer } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';
import { intOrString } from './format.ts';
import { quantity } from './quantity.ts';

const count = (map: Record<string, unknown> | undefined): number => Object.keys(map ?? {}).length;

export const namespaces = printer<Namespace>(
  [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
  (obj, now) => [
    obj.metadata?.name ?? '',
    // SetDefaults_NamespaceStatus: a namespace is Active until it is being deleted.
    obj.status?.phase || 'Active',
    since(obj.metadata?.creationTimestamp, now),
  ],
);

export const configMaps = printer<ConfigMap>(
  [NAME, column('Data', 'string', DOC['ConfigMap.data']), AGE],
  (obj, now) => [
    obj.metadata?.name ?? '',
    count(obj.data) + count(obj.binaryData),
    since(obj.metadata?.creationTimestamp, now),
  ],
);

export const secrets = printer<Secret>(
  [NAME, column('Type', 'string', DOC['Secret.type']), column('Data', 'string', DOC['Secret.data']), AGE],
  (obj, now) => [
    obj.metadata?.name ?? '',
    // SetDefaults_Secret: type defaults to Opaque.
    obj.type || 'Opaque',
    // Convert_v1_Secret_To_core_Secret folds write-only stringData into data.
    new Set([...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]).size,
    since(obj.metadata?.creationTimestamp, now),
  ],
);

export const serviceAccounts = printer<ServiceAccount>([NAME, AGE], (obj, now) => [
  obj.metadata?.name ?? '',
  since(obj.metadata?.creationTimestamp, now),
]);

/** printResourceQuota: "name: used/hard" per hard limit, `limits.*` in their own column. */
function quotaColumns(quota: ResourceQuota): [string, string] {
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const entry = `${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`;
    const pieces = resource.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(entry);
  }
  return [requests.join(', '), limits.join(', ')];
}

export const resourceQuotas = printer<ResourceQuota>(
  [
    NAME,
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
    AGE,
  ],
  (obj, now) => [obj.metadata?.name ?? '', ...quotaColumns(obj), since(obj.metadata?.creationTimestamp, now)],
);

export const leases = printer<Lease>(
  [NAME, column('Holder', 'string', DOC['LeaseSpec.holderIdentity']), AGE],
  (obj, now) => [
    obj.metadata?.name ?? '',
    obj.spec?.holderIdentity ?? '',
    since(obj.metadata?.creationTimestamp, now),
  ],
);

export const podDisruptionBudgets = printer<PodDisruptionBudget>(
  [
    NAME,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE,
  ],
  (obj, now) => {
    const { minAvailable, maxUnavailable } = obj.spec ?? {};
    return [
      obj.metadata?.name ?? '',
      minAvailable === undefined || minAvailable === null ? 'N/A' : intOrString(minAvailable),
      maxUnavailable === undefined || maxUnavailable === null ? 'N/A' : intOrString(maxUnavailable),
      obj.status?.disruptionsAllowed ?? 0,
      since(obj.metadata?.creationTimestamp, now),
    ];
  },
);
