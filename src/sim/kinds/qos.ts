/**
 * Pod QoS class, as pkg/apis/core/v1/helper/qos/qos.go computes it from the containers'
 * requests and limits (init containers included; only cpu and memory count).
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../kube/quantity.ts';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const TRACKED = ['cpu', 'memory'];

function nonZero(values: Record<string, string> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, text] of Object.entries(values ?? {})) {
    if (!TRACKED.includes(name)) continue;
    const value = parseQuantity(String(text));
    if (value !== undefined && value !== 0) out.set(name, value);
  }
  return out;
}

export function qosClassOf(pod: Pod): QosClass {
  const containers: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let everyContainerHasAllLimits = true;
  for (const c of containers) {
    for (const [k, v] of nonZero(c.resources?.requests as Record<string, string> | undefined)) {
      requests.set(k, (requests.get(k) ?? 0) + v);
    }
    const own = nonZero(c.resources?.limits as Record<string, string> | undefined);
    for (const [k, v] of own) limits.set(k, (limits.get(k) ?? 0) + v);
    if (!TRACKED.every((k) => own.has(k))) everyContainerHasAllLimits = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (everyContainerHasAllLimits) {
    // Guaranteed needs requests == limits for every tracked resource (requests default to limits).
    const equal = [...requests].every(([k, v]) => limits.get(k) === v);
    if (equal && limits.size === TRACKED.length) return 'Guaranteed';
  }
  return 'Burstable';
}
