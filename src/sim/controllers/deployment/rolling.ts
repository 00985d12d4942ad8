/**
 * The RollingUpdate strategy (rolling.go): grow the new ReplicaSet while the total stays within
 * replicas + maxSurge, shrink old ones while availability stays at or above
 * replicas − maxUnavailable — old pods that are not available go first, since removing them
 * costs no availability. One step per sync; each ReplicaSet status change triggers the next.
 */
import { cleanupDeployment } from './history.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { deploymentComplete, syncRolloutStatus } from './progress.ts';
import { activeReplicaSets, availableReplicas, byCreation, totalReplicas } from './replica-sets.ts';
import { scaleReplicaSetAndRecordEvent } from './scale.ts';
import { maxUnavailable, newRSNewReplicas } from './strategy.ts';
import type { DeploymentSync } from './sync-state.ts';
import { replicasOf, type SimReplicaSet } from './types.ts';

export function rolloutRolling(s: DeploymentSync, rsList: SimReplicaSet[]): void {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, true);
  if (!newRS) return;
  const allRSs = [...oldRSs, newRS];
  if (reconcileNewReplicaSet(s, allRSs, newRS)) return syncRolloutStatus(s, allRSs, newRS);
  if (reconcileOldReplicaSets(s, allRSs, activeReplicaSets(oldRSs), newRS))
    return syncRolloutStatus(s, allRSs, newRS);
  if (s.d.status && deploymentComplete(s.d, s.d.status)) cleanupDeployment(s, oldRSs);
  syncRolloutStatus(s, allRSs, newRS);
}

function reconcileNewReplicaSet(s: DeploymentSync, allRSs: SimReplicaSet[], newRS: SimReplicaSet): boolean {
  const replicas = replicasOf(s.d);
  if (replicasOf(newRS) === replicas) return false;
  if (replicasOf(newRS) > replicas) return scaleReplicaSetAndRecordEvent(s, newRS, replicas)[0];
  return scaleReplicaSetAndRecordEvent(s, newRS, newRSNewReplicas(s.d, allRSs, newRS))[0];
}

function reconcileOldReplicaSets(
  s: DeploymentSync,
  allRSs: SimReplicaSet[],
  oldRSs: SimReplicaSet[],
  newRS: SimReplicaSet,
): boolean {
  if (totalReplicas(oldRSs) === 0) return false;
  const d = s.d;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  // Unavailable new pods count against the budget, so a broken template cannot eat the old ones.
  const maxScaledDown = totalReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const { replicaSets, scaled: cleaned } = cleanupUnhealthyReplicas(s, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOldReplicaSets(s, [...replicaSets, newRS], replicaSets);
  return cleaned + scaledDown > 0;
}

/** Scales old ReplicaSets down by their unavailable pods, oldest first, up to `maxCleanup`. */
function cleanupUnhealthyReplicas(
  s: DeploymentSync,
  oldRSs: SimReplicaSet[],
  maxCleanup: number,
): { replicaSets: SimReplicaSet[]; scaled: number } {
  const replicaSets = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < replicaSets.length && total < maxCleanup; i++) {
    const rs = replicaSets[i] as SimReplicaSet;
    const replicas = replicasOf(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const count = Math.min(maxCleanup - total, replicas - available);
    const [, written] = scaleReplicaSetAndRecordEvent(s, rs, replicas - count);
    total += count;
    replicaSets[i] = written;
  }
  return { replicaSets, scaled: total };
}

/** scaleDownOldReplicaSetsForRollingUpdate: as far as availability above the minimum allows. */
function scaleDownOldReplicaSets(
  s: DeploymentSync,
  allRSs: SimReplicaSet[],
  oldRSs: SimReplicaSet[],
): number {
  const d = s.d;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const replicas = replicasOf(rs);
    if (replicas === 0) continue;
    const count = Math.min(replicas, budget - total);
    scaleReplicaSetAndRecordEvent(s, rs, replicas - count);
    total += count;
  }
  return total;
}
