/**
 * Rolling-update arithmetic (deployment_util.go): maxSurge rounds up, maxUnavailable rounds
 * down, and when both resolve to 0 maxUnavailable becomes 1 (ResolveFenceposts); how far the
 * new ReplicaSet may grow (NewRSNewReplicas).
 */
import type { SimDeployment, SimReplicaSet } from './types.ts';
import { replicasOf } from './types.ts';
import { totalReplicas } from './replica-sets.ts';

/** intstr.GetScaledValueFromIntOrPercent. Validation has ruled out malformed values. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const percent = Number.parseInt(value.replace(/%$/, ''), 10);
  if (!Number.isFinite(percent)) return 0;
  const scaled = (percent * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export const isRollingUpdate = (d: SimDeployment): boolean =>
  (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: [maxSurge, maxUnavailable] for `desired` replicas. */
export function resolveFenceposts(d: SimDeployment, desired: number): [number, number] {
  const rolling = d.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(rolling?.maxSurge, desired, true);
  let unavailable = scaledValue(rolling?.maxUnavailable, desired, false);
  // Both can only be 0 through rounding (validation refuses explicit zeros): surge might be
  // blocked by quota, so allow one unavailable pod.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: SimDeployment): number {
  if (!isRollingUpdate(d)) return 0;
  return resolveFenceposts(d, replicasOf(d))[0];
}

export function maxUnavailable(d: SimDeployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d, replicas)[1], replicas);
}

/** NewRSNewReplicas: the size the new ReplicaSet may have now. */
export function newRSNewReplicas(d: SimDeployment, allRSs: SimReplicaSet[], newRS: SimReplicaSet): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge, replicas, true);
  const current = totalReplicas(allRSs);
  const maxTotal = replicas + surge;
  const newReplicas = replicasOf(newRS);
  if (current >= maxTotal) return newReplicas;
  return newReplicas + Math.min(maxTotal - current, replicas - newReplicas);
}
