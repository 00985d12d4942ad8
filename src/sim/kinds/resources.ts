/**
 * The resources the sim's own components (controllers, scheduler, kubelet) read and write,
 * resolved once. A missing one is a programming error in the kind table, so it throws at import.
 */
import { resourceAt, type ResourceType } from './registry.ts';

function served(apiVersion: string, plural: string): ResourceType {
  const r = resourceAt(apiVersion, plural);
  if (!r) throw new Error(`sim: ${apiVersion}/${plural} is not in the kind table`);
  return r;
}

export const NAMESPACES = served('v1', 'namespaces');
export const NODES = served('v1', 'nodes');
export const PODS = served('v1', 'pods');
export const SERVICES = served('v1', 'services');
export const ENDPOINTS = served('v1', 'endpoints');
export const EVENTS = served('v1', 'events');
export const SERVICE_ACCOUNTS = served('v1', 'serviceaccounts');
export const CONFIG_MAPS = served('v1', 'configmaps');
export const DEPLOYMENTS = served('apps/v1', 'deployments');
export const REPLICASETS = served('apps/v1', 'replicasets');
export const DAEMONSETS = served('apps/v1', 'daemonsets');
export const STATEFULSETS = served('apps/v1', 'statefulsets');
export const CONTROLLER_REVISIONS = served('apps/v1', 'controllerrevisions');
export const JOBS = served('batch/v1', 'jobs');
export const LEASES = served('coordination.k8s.io/v1', 'leases');
export const ENDPOINT_SLICES = served('discovery.k8s.io/v1', 'endpointslices');
export const PDBS = served('policy/v1', 'poddisruptionbudgets');
export const NETWORK_POLICIES = served('networking.k8s.io/v1', 'networkpolicies');
