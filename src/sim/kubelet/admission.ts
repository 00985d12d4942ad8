/**
 * Kubelet admission of a pod bound to its node, in the kubelet's handler order:
 * 1. the eviction manager (eviction_manager.go Admit): under MemoryPressure alone, only
 *    BestEffort pods that do not tolerate the memory-pressure taint are refused; any other
 *    pressure refuses every pod; critical pods always get in;
 * 2. the resource predicate (lifecycle/predicate.go): the pod's requests must fit the node's
 *    allocatable next to the pods already admitted — pods, cpu, memory, ephemeral-storage, in
 *    that order, the first shortfall reported as `OutOf<resource>`.
 * A refused pod is failed by the kubelet (phase Failed, reason, "Pod was rejected: …").
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podRequests, type ResourceAmounts, type SimPod } from '../kinds/pod.ts';
import { qosClassOf } from '../kinds/qos.ts';
import { goList } from './format.ts';
import { tolerationsTolerate } from '../kinds/tolerations.ts';

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;
const CRITICAL_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2_000_000_000,
  'system-node-critical': 2_000_001_000,
};

/** Static and mirror pods carry these (kubelettypes.IsStaticPod / IsMirrorPod). */
const CONFIG_SOURCE = 'kubernetes.io/config.source';
const CONFIG_MIRROR = 'kubernetes.io/config.mirror';

/** The pod's priority: spec.priority, or what the Priority admission plugin would set for the system classes. */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? CRITICAL_CLASSES[pod.spec?.priorityClassName ?? ''] ?? 0;
}

/** kubelettypes.IsCriticalPod: static, mirror, or priority ≥ system-cluster-critical. */
export function isCriticalPod(pod: Pod): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  const source = annotations[CONFIG_SOURCE];
  if (source !== undefined && source !== 'api') return true;
  if (annotations[CONFIG_MIRROR] !== undefined) return true;
  return podPriority(pod) >= SYSTEM_CRITICAL_PRIORITY;
}

/** The eviction manager's admit handler; `conditions` are the node conditions it currently reports. */
export function admitUnderPressure(pod: SimPod, conditions: readonly string[]): AdmitResult {
  if (conditions.length === 0 || isCriticalPod(pod)) return { admit: true };
  if (conditions.length === 1 && conditions[0] === 'MemoryPressure') {
    const qos = pod.status?.qosClass ?? qosClassOf(pod);
    if (qos !== 'BestEffort') return { admit: true };
    if (
      tolerationsTolerate(pod.spec?.tolerations, {
        key: 'node.kubernetes.io/memory-pressure',
        effect: 'NoSchedule',
      })
    )
      return { admit: true };
  }
  return { admit: false, reason: 'Evicted', message: `The node had condition: ${goList(conditions)}. ` };
}

export interface NodeAllocation {
  /** status.allocatable, in base units (cores, bytes, count). */
  allocatable: ResourceAmounts;
  /** Sum of the requests of the pods admitted so far. */
  used: ResourceAmounts;
  podCount: number;
}

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage'] as const;

/** The resource-fit predicate; amounts in the message as the kubelet prints them (millicores, bytes). */
export function admitResources(pod: SimPod, node: NodeAllocation): AdmitResult {
  const maxPods = node.allocatable.pods ?? Number.POSITIVE_INFINITY;
  if (node.podCount + 1 > maxPods) return insufficient('pods', 1, node.podCount, maxPods);
  const requests = podRequests(pod);
  for (const name of RESOURCES) {
    const want = requests[name] ?? 0;
    if (want === 0) continue;
    const capacity = node.allocatable[name] ?? 0;
    const used = node.used[name] ?? 0;
    if (want + used > capacity) {
      const scale = name === 'cpu' ? 1000 : 1;
      return insufficient(name, want * scale, used * scale, capacity * scale);
    }
  }
  return { admit: true };
}

function insufficient(resource: string, requested: number, used: number, capacity: number): AdmitResult {
  const n = (v: number) => String(Math.round(v));
  return {
    admit: false,
    reason: `OutOf${resource}`,
    message: `Node didn't have enough resource: ${resource}, requested: ${n(requested)}, used: ${n(used)}, capacity: ${n(capacity)}`,
  };
}
