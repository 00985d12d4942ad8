/**
 * Assigning a pod to a node: what POST pods/{name}/binding does (pkg/registry/core/pod/storage
 * BindingREST → assignPod → setPodHostAndAnnotations) and what the sim's scheduler does, on one
 * code path. spec.nodeName is set once, together with PodScheduled=True; a pod being deleted or
 * already assigned is a 409.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resourceAt } from '../../kinds/registry.ts';
import type { KubeObject, Writable } from '../../object.ts';
import type { Registry } from './registry.ts';
import { badRequest, conflict } from './status.ts';

const PODS = resourceAt('v1', 'pods');

export interface BindOptions {
  dryRun?: boolean;
  /**
   * Whose write this is for managedFields. Upstream the binding writes storage directly
   * (GuaranteedUpdate, no field manager), so a bound pod shows no entry for it: leave unset to match.
   */
  manager?: string;
}

/** Binds `pod` (the live object) to `nodeName`; returns the stored pod (or what it would be, on dry run). */
export function bindPod(
  registry: Registry,
  pod: Pod & KubeObject,
  nodeName: string,
  options: BindOptions = {},
): Pod & KubeObject {
  if (!PODS) throw badRequest('pods are not served');
  const name = pod.metadata.name ?? '';
  if (pod.metadata.deletionTimestamp) {
    throw conflict(PODS, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  }
  if (pod.spec?.nodeName) {
    throw conflict(PODS, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  }
  if (options.dryRun) return pod;
  // A fresh copy of what the write touches (spec, status, metadata) suffices: the registry never
  // mutates the rest, and cloning managedFields for every bind is a measurable cost at 100,000 pods.
  const next = {
    ...pod,
    metadata: { ...pod.metadata },
    spec: { ...structuredClone(pod.spec ?? { containers: [] }), nodeName },
    status: structuredClone(pod.status ?? {}),
  } as Writable<Pod> & KubeObject;
  const status = next.status as Writable<NonNullable<Pod['status']>>;
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
    {
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null as unknown as string,
      lastTransitionTime: registry.clock.timestamp(),
    },
  ];
  // Binding writes spec and status together, which neither PUT nor /status may do.
  return registry.replace(PODS, pod, next, {
    subresource: 'binding',
    ...(options.manager ? { manager: options.manager } : {}),
  }) as Pod & KubeObject;
}
