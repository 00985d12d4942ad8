/**
 * Resizing ReplicaSets (sync.go scale / scaleReplicaSet, deployment_util.go GetProportion): every
 * size change is one ReplicaSet update plus a `ScalingReplicaSet` event on the Deployment, and
 * a Deployment scaled in the middle of a rollout spreads the difference over its active
 * ReplicaSets in proportion to their size (larger first; newer first when growing, older first
 * when shrinking), so a half-finished rollout keeps its ratio.
 */
import { replicasAnnotationsNeedUpdate, setReplicasAnnotations } from './history.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import {
  activeReplicaSets,
  bySizeNewer,
  bySizeOlder,
  findActiveOrLatest,
  intAnnotation,
  isSaturated,
  totalReplicas,
} from './replica-sets.ts';
import { isRollingUpdate, maxSurge } from './strategy.ts';
import type { DeploymentSync } from './sync-state.ts';
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  replicasOf,
  type SimDeployment,
  type SimReplicaSet,
} from './types.ts';

/** Go's math.Round: halves away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/** scaleReplicaSet: [whether the size changed, the ReplicaSet as written]. */
export function scaleReplicaSet(
  s: DeploymentSync,
  rs: SimReplicaSet,
  newScale: number,
  operation: string,
): [boolean, SimReplicaSet] {
  const d = s.d;
  const oldScale = replicasOf(rs);
  const sizeNeedsUpdate = oldScale !== newScale;
  const desired = replicasOf(d);
  const max = desired + maxSurge(d);
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return [false, rs];
  const next = structuredClone(rs);
  next.spec = { ...next.spec, replicas: newScale } as NonNullable<SimReplicaSet['spec']>;
  setReplicasAnnotations(next, desired, max);
  const written = s.updateReplicaSet(rs, next);
  if (sizeNeedsUpdate) {
    s.event(
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${operation} replica set ${written.metadata.name ?? ''} from ${oldScale} to ${newScale}`,
    );
  }
  return [sizeNeedsUpdate, written];
}

/** scaleReplicaSetAndRecordEvent: the direction follows from the sizes. */
export function scaleReplicaSetAndRecordEvent(
  s: DeploymentSync,
  rs: SimReplicaSet,
  newScale: number,
): [boolean, SimReplicaSet] {
  if (replicasOf(rs) === newScale) return [false, rs];
  return scaleReplicaSet(s, rs, newScale, replicasOf(rs) < newScale ? 'up' : 'down');
}

/** getReplicaSetFraction: how many replicas `rs` gains (or loses) for the Deployment's new size. */
function replicaSetFraction(rs: SimReplicaSet, d: SimDeployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  // Without the annotation, fall back to the current size (inexact, but kept in bounds by the caller).
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
  // Upstream never gets here with 0 (it would divide by zero); stay put rather than explode.
  if (annotated <= 0) return 0;
  const newSize = (replicasOf(rs) * deploymentReplicas) / annotated;
  return roundHalfAway(newSize) - replicasOf(rs);
}

/** GetProportion: the fraction, capped by what is left to add or remove. */
function proportion(rs: SimReplicaSet, d: SimDeployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * scale: a Deployment with one active ReplicaSet (or none) just resizes it; once the new one is
 * saturated the old ones go to zero; otherwise a rolling Deployment scales proportionally.
 */
export function scale(s: DeploymentSync, newRS: SimReplicaSet | undefined, oldRSs: SimReplicaSet[]): void {
  const d = s.d;
  const replicas = replicasOf(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) === replicas) return;
    scaleReplicaSetAndRecordEvent(s, activeOrLatest, replicas);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) scaleReplicaSetAndRecordEvent(s, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowedSize = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowedSize - totalReplicas(all);
  let operation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    const name = rs.metadata.name ?? '';
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(name, replicasOf(rs) + p);
      added += p;
    } else {
      sizes.set(name, replicasOf(rs));
    }
  }
  all.forEach((rs, i) => {
    const name = rs.metadata.name ?? '';
    // The leftover goes to the largest ReplicaSet.
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
    scaleReplicaSet(s, rs, sizes.get(name) ?? 0, operation);
  });
}

/**
 * isScalingEvent: an active ReplicaSet whose desired-replicas annotation disagrees with the
 * Deployment means spec.replicas changed (rather than the template).
 */
export function isScalingEvent(s: DeploymentSync, rsList: SimReplicaSet[]): boolean {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, false);
  for (const rs of activeReplicaSets([...oldRSs, newRS])) {
    const desired = intAnnotation(rs, DESIRED_REPLICAS);
    if (desired !== undefined && desired !== replicasOf(s.d)) return true;
  }
  return false;
}
