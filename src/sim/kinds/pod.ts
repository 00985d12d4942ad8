/**
 * Pod facts every controller, the scheduler and the kubelet need, computed as upstream does:
 * effective requests (k8s.io/component-helpers resource.PodRequests), readiness and
 * availability (podutil.IsPodReady / IsPodAvailable), activity (controller.IsPodActive).
 */
import type { Container, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../object.ts';
import { parseQuantity } from '../../kube/quantity.ts';

export type SimPod = Pod & KubeObject;

/** cpu in cores, memory and ephemeral-storage in bytes; anything else by its own unit. */
export type ResourceAmounts = Record<string, number>;

function amountsOf(list: Record<string, string> | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, text] of Object.entries(list ?? {})) {
    const value = parseQuantity(String(text));
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function addInto(into: ResourceAmounts, add: ResourceAmounts): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

export const containerRequests = (c: Container): ResourceAmounts =>
  amountsOf(c.resources?.requests as Record<string, string> | undefined);

export const containerLimits = (c: Container): ResourceAmounts =>
  amountsOf(c.resources?.limits as Record<string, string> | undefined);

const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/**
 * What the scheduler and the kubelet's admission count for a pod: the sum over regular
 * containers and sidecars, or the largest init container's need (plus the sidecars started
 * before it) when that is larger; plus the RuntimeClass overhead.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  const total: ResourceAmounts = {};
  for (const c of pod.spec?.containers ?? []) addInto(total, containerRequests(c));
  const sidecarsSoFar: ResourceAmounts = {};
  const initPeak: ResourceAmounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerRequests(c);
    if (isSidecar(c)) {
      addInto(sidecarsSoFar, own);
      addInto(total, own);
      for (const [k, v] of Object.entries(sidecarsSoFar)) initPeak[k] = Math.max(initPeak[k] ?? 0, v);
    } else {
      for (const k of new Set([...Object.keys(own), ...Object.keys(sidecarsSoFar)])) {
        initPeak[k] = Math.max(initPeak[k] ?? 0, (own[k] ?? 0) + (sidecarsSoFar[k] ?? 0));
      }
    }
  }
  for (const [k, v] of Object.entries(initPeak)) total[k] = Math.max(total[k] ?? 0, v);
  addInto(total, amountsOf(pod.spec?.overhead as Record<string, string> | undefined));
  return total;
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export const isPodReady = (pod: Pod): boolean => podCondition(pod, 'Ready')?.status === 'True';

export const isPodTerminal = (pod: Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Not finished and not being deleted: what controllers count towards their replicas. */
export const isPodActive = (pod: SimPod): boolean => !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;

/** Ready for at least `minReadySeconds` (simulated) by `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** An ownerReference that makes `owner` the controller of a new object (metav1.NewControllerRef). */
export function controllerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
