/**
 * What the workload controllers share when they make and remove pods: controller.GetPodFromTemplate
 * (labels, annotations and finalizers of the template, `generateName` from the owner's name, the
 * owner's controller reference, a copy of the template's spec), and RealPodControl's events
 * (`SuccessfulCreate` "Created pod: …", `SuccessfulDelete` "Deleted pod: …" and their Failed forms).
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import { ApiError } from '../api/rest/status.ts';
import { controllerRefTo, type SimPod } from '../kinds/pod.ts';
import { PODS } from '../kinds/resources.ts';
import type { KubeObject } from '../object.ts';
import type { EventSource } from './events.ts';

export const CONTROLLER_MANAGER = 'kube-controller-manager';

/** getPodsPrefix: `<owner>-`, unless that is not a valid generateName (then the bare name). */
export const podsPrefix = (owner: string): string => `${owner}-`;

/** controller.GetPodFromTemplate: an unsaved pod for `owner` from `template`. */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KubeObject): SimPod {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: podsPrefix(owner.metadata.name ?? ''),
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [controllerRefTo(owner)],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}

/** The namespace-terminating refusal, which controllers swallow (no more pods can be created there). */
const namespaceTerminating = (error: unknown): boolean =>
  error instanceof ApiError &&
  error.code === 403 &&
  (error.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

/**
 * RealPodControl.CreatePods: creates `pod` in the owner's namespace and records the outcome on
 * the owner. Returns the stored pod, or undefined when the create failed (after a Warning event).
 */
export function createPod(
  ctx: SimContext,
  source: EventSource,
  owner: KubeObject,
  pod: SimPod,
): SimPod | undefined {
  try {
    const created = ctx.registry.create(PODS, owner.metadata.namespace, pod, {
      manager: CONTROLLER_MANAGER,
    }) as SimPod;
    ctx.events.record(source, owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  } catch (error) {
    if (namespaceTerminating(error)) return undefined;
    const message = error instanceof Error ? error.message : String(error);
    ctx.events.record(source, owner, 'Warning', 'FailedCreate', `Error creating: ${message}`);
    return undefined;
  }
}

/**
 * RealPodControl.DeletePod with default options (the pod's own grace period). A pod already
 * gone counts as deleted, without an event. Returns false when the delete failed.
 */
export function deletePod(ctx: SimContext, source: EventSource, owner: KubeObject, pod: SimPod): boolean {
  const name = pod.metadata.name ?? '';
  try {
    ctx.registry.delete(PODS, pod.metadata.namespace, name, {}, { manager: CONTROLLER_MANAGER });
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) return true;
    const message = error instanceof Error ? error.message : String(error);
    ctx.events.record(source, owner, 'Warning', 'FailedDelete', `Error deleting: ${message}`);
    return false;
  }
  ctx.events.record(source, owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  return true;
}
