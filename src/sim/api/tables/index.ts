/**
 * Server-side tables for `kubectl get` (Accept: application/json;as=Table;g=meta.k8s.io;v=v1): the
 * columns and cells upstream's printers (pkg/printers/internalversion) produce per resource. The API
 * server wraps them in a meta.k8s.io/v1 Table itself.
 */
import type { KubeObject } from '../../object.ts';
import type { ResourceType } from '../../kinds/registry.ts';
import type { Printer, TableColumnDefinition } from './columns.ts';
import { horizontalPodAutoscalers } from './autoscaling.ts';
import { cronJobs, jobs } from './batch.ts';
import { events } from './events.ts';
import { fallback } from './fallback.ts';
import {
  configMaps,
  leases,
  namespaces,
  podDisruptionBudgets,
  resourceQuotas,
  secrets,
  serviceAccounts,
} from './misc.ts';
import { endpointSlices, endpoints, ingresses, networkPolicies, services } from './network.ts';
import { nodes } from './nodes.ts';
import { pods } from './pods.ts';
import { persistentVolumeClaims, persistentVolumes } from './storage.ts';
import { daemonSets, deployments, replicaSets, statefulSets } from './workloads.ts';

export type { TableColumnDefinition } from './columns.ts';
export { humanDuration } from './duration.ts';

/** Keyed by group and plural: printers belong to the group's kind, whichever version serves it. */
const PRINTERS = new Map<string, Printer>([
  ['/pods', pods],
  ['/nodes', nodes],
  ['/namespaces', namespaces],
  ['/services', services],
  ['/endpoints', endpoints],
  ['/configmaps', configMaps],
  ['/secrets', secrets],
  ['/serviceaccounts', serviceAccounts],
  ['/events', events],
  ['/resourcequotas', resourceQuotas],
  ['/persistentvolumeclaims', persistentVolumeClaims],
  ['/persistentvolumes', persistentVolumes],
  ['apps/deployments', deployments],
  ['apps/replicasets', replicaSets],
  ['apps/daemonsets', daemonSets],
  ['apps/statefulsets', statefulSets],
  ['batch/jobs', jobs],
  ['batch/cronjobs', cronJobs],
  ['autoscaling/horizontalpodautoscalers', horizontalPodAutoscalers],
  ['coordination.k8s.io/leases', leases],
  ['discovery.k8s.io/endpointslices', endpointSlices],
  // events.k8s.io Events are stored and printed as core Events.
  ['events.k8s.io/events', events],
  ['networking.k8s.io/ingresses', ingresses],
  ['networking.k8s.io/networkpolicies', networkPolicies],
  ['policy/poddisruptionbudgets', podDisruptionBudgets],
]);

const printerFor = (resource: ResourceType): Printer =>
  PRINTERS.get(`${resource.group}/${resource.plural}`) ?? fallback;

/** The Table's columnDefinitions, wide (priority 1) columns included: the server always sends them. */
export function tableColumns(resource: ResourceType): TableColumnDefinition[] {
  return printerFor(resource).columns.map((c) => ({ ...c }));
}

/** One row's cells, in column order; `now` is the sim clock in epoch ms, the base of every AGE. */
export function tableCells(resource: ResourceType, obj: KubeObject, now: number): unknown[] {
  return printerFor(resource).cells(obj, now);
}
