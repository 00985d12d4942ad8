/**
 * The Recreate strategy (recreate.go): scale every old ReplicaSet to zero, wait until none of
 * their pods is left running (terminating pods count until they are gone; Failed and Succeeded
 * ones do not), and only then create or scale up the new ReplicaSet.
 */
import type { SimPod } from '../../kinds/pod.ts';
import { cleanupDeployment } from './history.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { deploymentComplete, syncRolloutStatus } from './progress.ts';
import { activeReplicaSets, actualReplicas } from './replica-sets.ts';
import { scaleReplicaSetAndRecordEvent } from './scale.ts';
import type { DeploymentSync } from './sync-state.ts';
import { replicasOf, type SimReplicaSet } from './types.ts';

export function rolloutRecreate(s: DeploymentSync, rsList: SimReplicaSet[]): void {
  // No new ReplicaSet yet: it must not start before the old pods are gone.
  let { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, false);
  let allRSs: (SimReplicaSet | undefined)[] = [...oldRSs, newRS];

  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    const [scaled, written] = scaleReplicaSetAndRecordEvent(s, rs, 0);
    if (scaled) {
      scaledDown = true;
      oldRSs = oldRSs.map((o) => (o.metadata.uid === written.metadata.uid ? written : o));
    }
  }
  if (scaledDown) return syncRolloutStatus(s, allRSs, newRS);

  if (oldPodsRunning(newRS, oldRSs, s.host.podsByReplicaSet(s.d, rsList)))
    return syncRolloutStatus(s, allRSs, newRS);

  if (!newRS) {
    ({ newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  if (newRS) scaleReplicaSetAndRecordEvent(s, newRS, replicasOf(s.d));
  if (s.d.status && deploymentComplete(s.d, s.d.status)) cleanupDeployment(s, oldRSs);
  syncRolloutStatus(s, allRSs, newRS);
}

/** oldPodsRunning: an old ReplicaSet still reports pods, or one of its pods is not finished. */
function oldPodsRunning(
  newRS: SimReplicaSet | undefined,
  oldRSs: SimReplicaSet[],
  podMap: Map<string, SimPod[]>,
): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
