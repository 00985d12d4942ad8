/**
 * Pod condition bookkeeping as the controllers do it (pkg/api/v1/pod UpdatePodCondition): a
 * condition is replaced whole; its lastTransitionTime moves only when its status changes; and the
 * caller learns whether anything changed, so an unchanged condition costs no write.
 */
import type { PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Writable } from '../object.ts';

export interface ConditionUpdate {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  /** Kept as given (MarkPodsNotReady copies the existing condition); null otherwise. */
  lastProbeTime?: string | null;
}

const sameTime = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? null) === (b ?? null);

/**
 * Sets `update` on `status` (in place) with `now` as the transition time if the status changed.
 * Returns true when the stored condition differs from what was there.
 */
export function updatePodCondition(
  status: Writable<PodStatus>,
  update: ConditionUpdate,
  now: string,
): boolean {
  const conditions = [...(status.conditions ?? [])];
  const index = conditions.findIndex((c) => c.type === update.type);
  const old = index >= 0 ? conditions[index] : undefined;
  // metav1.Time serializes its zero value as null, so a fresh condition carries lastProbeTime: null.
  const next: PodCondition = {
    type: update.type,
    status: update.status,
    lastProbeTime: (update.lastProbeTime ?? null) as unknown as string,
    lastTransitionTime: old && old.status === update.status ? (old.lastTransitionTime ?? now) : now,
    ...(update.reason ? { reason: update.reason } : {}),
    ...(update.message ? { message: update.message } : {}),
  };
  if (!old) {
    status.conditions = [...conditions, next];
    return true;
  }
  const equal =
    old.status === next.status &&
    (old.reason ?? '') === (next.reason ?? '') &&
    (old.message ?? '') === (next.message ?? '') &&
    sameTime(old.lastProbeTime, next.lastProbeTime) &&
    sameTime(old.lastTransitionTime, next.lastTransitionTime);
  conditions[index] = next;
  status.conditions = conditions;
  return !equal;
}
