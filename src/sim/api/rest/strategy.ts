/**
 * Per-kind rules the apiserver's registry strategies apply around storage (PrepareForCreate,
 * PrepareForUpdate, graceful deletion): which kinds track metadata.generation, what status a
 * new object starts with, which kinds return the deleted object from DELETE.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ResourceType } from '../../kinds/registry.ts';
import { qosClassOf } from '../../kinds/qos.ts';
import { cloneJson, type KubeObject, semanticEqual } from '../../object.ts';

/** Strategies that set Generation = 1 on create and bump it when spec changes. */
const TRACKS_GENERATION = new Set([
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'apps/v1/DaemonSet',
  'apps/v1/StatefulSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
]);

/** REST storages with ReturnDeletedObject: DELETE answers with the object rather than a Status. */
const RETURNS_DELETED_OBJECT = new Set([
  'v1/Pod',
  'v1/Namespace',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/PersistentVolume',
  'v1/PersistentVolumeClaim',
]);

const id = (r: ResourceType) => `${r.apiVersion}/${r.kind}`;

export const tracksGeneration = (r: ResourceType): boolean => TRACKS_GENERATION.has(id(r));
export const returnsDeletedObject = (r: ResourceType): boolean => RETURNS_DELETED_OBJECT.has(id(r));
export const hasStatus = (r: ResourceType): boolean => r.subresources.some((s) => s.name === 'status');

/** The status a new object is stored with, whatever the client sent (PrepareForCreate). */
export function initialStatus(r: ResourceType, obj: KubeObject): unknown {
  switch (id(r)) {
    case 'v1/Pod':
      return { phase: 'Pending', qosClass: qosClassOf(obj as Pod) };
    case 'v1/Namespace':
      return { phase: 'Active' };
    case 'v1/Node':
      return obj.status ?? {};
    case 'v1/PersistentVolume':
    case 'v1/PersistentVolumeClaim':
      return { phase: 'Pending' };
    case 'v1/Service':
      // Every Service starts with an empty load-balancer status, whatever its type.
      return { loadBalancer: {} };
    default:
      return hasStatus(r) ? {} : obj.status;
  }
}

/** Pods get a grace period; everything else is removed at once (unless finalizers hold it). */
export function gracePeriodFor(r: ResourceType, obj: KubeObject, requested: number | undefined): number {
  if (id(r) !== 'v1/Pod') return 0;
  const pod = obj as Pod;
  // pkg/registry/core/pod/strategy.go CheckGracefulDelete: unscheduled and finished pods go at once.
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** The apps/v1 face of the internal DaemonSet spec.templateGeneration (apps/v1 conversion). */
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/**
 * daemonSetStrategy PrepareForCreate/PrepareForUpdate: templateGeneration starts at 1 (or what
 * the client sent, if higher), is kept on updates, and goes up by one when the pod template
 * changes. The DaemonSet controller labels its pods with it (`pod-template-generation`).
 */
export function prepareTemplateGeneration(r: ResourceType, obj: KubeObject, live?: KubeObject): void {
  if (id(r) !== 'apps/v1/DaemonSet') return;
  const annotations = (obj.metadata.annotations ??= {});
  if (!live) {
    const sent = Number.parseInt(annotations[DAEMONSET_TEMPLATE_GENERATION] ?? '', 10);
    annotations[DAEMONSET_TEMPLATE_GENERATION] = String(Number.isFinite(sent) && sent > 1 ? sent : 1);
    return;
  }
  const old = Number.parseInt(live.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION] ?? '', 10) || 0;
  const template = (o: KubeObject): unknown => (o.spec as { template?: unknown } | undefined)?.template;
  const changed = !semanticEqual(template(live), template(obj));
  annotations[DAEMONSET_TEMPLATE_GENERATION] = String(changed ? old + 1 : old);
}

/**
 * The status strategies' PrepareForUpdate: a /status write changes status only. Exception:
 * deploymentStatusStrategy resets only spec and labels, so the deployment controller can set its
 * revision annotation through /status.
 */
export function prepareStatusUpdate(r: ResourceType, live: KubeObject, next: KubeObject): KubeObject {
  const obj: KubeObject = { ...cloneJson(live), status: cloneJson(next.status) };
  if (id(r) === 'apps/v1/Deployment') {
    obj.metadata = { ...obj.metadata, annotations: cloneJson(next.metadata.annotations) };
    if (obj.metadata.annotations === undefined) delete obj.metadata.annotations;
  }
  return obj;
}
