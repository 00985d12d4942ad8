/**
 * Deployment status and conditions (sync.go calculateStatus/syncDeploymentStatus, progress.go,
 * deployment_util.go): the replica counters summed over the ReplicaSets, `Available` against
 * replicas − maxUnavailable, and `Progressing` — NewReplicaSetCreated / FoundNewReplicaSet when
 * the new ReplicaSet appears, ReplicaSetUpdated whenever pods move forward, NewReplicaSetAvailable
 * once complete, ProgressDeadlineExceeded (False) when nothing moved for progressDeadlineSeconds.
 */
import type { DeploymentCondition, DeploymentStatus, ReplicaSetCondition } from 'kubernetes-types/apps/v1.js';
import { semanticEqual } from '../../object.ts';
import { actualReplicas, availableReplicas, readyReplicas, totalReplicas } from './replica-sets.ts';
import { maxUnavailable } from './strategy.ts';
import type { DeploymentSync } from './sync-state.ts';
import { MAX_INT32, Reason, replicasOf, type SimDeployment, type SimReplicaSet } from './types.ts';

type ConditionStatus = 'True' | 'False' | 'Unknown';

export const hasProgressDeadline = (d: SimDeployment): boolean =>
  typeof d.spec?.progressDeadlineSeconds === 'number' && d.spec.progressDeadlineSeconds !== MAX_INT32;

/** NewDeploymentCondition: both timestamps now, fields in the API's order. */
export function newCondition(
  s: DeploymentSync,
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
): DeploymentCondition {
  const now = s.ctx.clock.timestamp();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: no change when status and reason are the same; the transition time
 * survives a change of reason alone; the condition moves to the end of the list.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): DeploymentStatus {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return status;
  const next =
    current && current.status === condition.status
      ? { ...condition, lastTransitionTime: current.lastTransitionTime }
      : condition;
  return withConditions(status, [
    ...(status.conditions ?? []).filter((c) => c.type !== condition.type),
    next,
  ]);
}

export function removeCondition(status: DeploymentStatus, type: string): DeploymentStatus {
  return withConditions(
    status,
    (status.conditions ?? []).filter((c) => c.type !== type),
  );
}

function withConditions(status: DeploymentStatus, conditions: DeploymentCondition[]): DeploymentStatus {
  const { conditions: _old, collisionCount, ...counters } = status;
  return {
    ...counters,
    ...(conditions.length > 0 ? { conditions } : {}),
    ...(collisionCount !== undefined ? { collisionCount } : {}),
  };
}

/** Sets a condition on the sync's working copy (as upstream mutates d.Status before UpdateStatus). */
export function setWorkingCondition(s: DeploymentSync, condition: DeploymentCondition): void {
  const next = setCondition(s.status, condition);
  Object.assign(s.d, { status: next });
}

/**
 * calculateStatus. Counters are written the way DeploymentStatus serializes: zeros omitted,
 * collisionCount only when set.
 */
export function calculateStatus(
  s: DeploymentSync,
  allRSs: (SimReplicaSet | undefined)[],
  newRS: SimReplicaSet | undefined,
): DeploymentStatus {
  const d = s.d;
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, totalReplicas(allRSs) - available);
  const counters: Record<string, number> = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  let status: DeploymentStatus = Object.fromEntries(Object.entries(counters).filter(([, v]) => v !== 0));
  status = withConditions(status, [...(d.status?.conditions ?? [])]);
  if (d.status?.collisionCount !== undefined) status = { ...status, collisionCount: d.status.collisionCount };
  const availability =
    available >= replicasOf(d) - maxUnavailable(d)
      ? newCondition(
          s,
          'Available',
          'True',
          Reason.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
        )
      : newCondition(
          s,
          'Available',
          'False',
          Reason.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
        );
  return setCondition(status, availability);
}

/** reflect.DeepEqual of two statuses (omitted and zero counters are the same Go value). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const counters = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const;
  for (const k of counters) if ((a?.[k] ?? 0) !== (b[k] ?? 0)) return false;
  if (a?.collisionCount !== b.collisionCount) return false;
  return semanticEqual(a?.conditions ?? [], b.conditions ?? []);
}

/** DeploymentComplete: every desired replica updated and available, no old ones left. */
export function deploymentComplete(d: SimDeployment, status: DeploymentStatus): boolean {
  const replicas = replicasOf(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last time. */
export function deploymentProgressing(d: SimDeployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

const timeOf = (text: string | undefined): number => {
  const ms = Date.parse(text ?? '');
  return Number.isFinite(ms) ? ms : 0;
};

/** DeploymentTimedOut: the Progressing condition was last updated more than the deadline ago. */
export function deploymentTimedOut(s: DeploymentSync, status: DeploymentStatus): boolean {
  const d = s.d;
  if (!hasProgressDeadline(d)) return false;
  const condition = getCondition(status, 'Progressing');
  if (!condition) return false;
  if (condition.reason === Reason.NewRSAvailable) return false;
  if (condition.reason === Reason.TimedOut) return true;
  const deadline = timeOf(condition.lastUpdateTime) + (d.spec?.progressDeadlineSeconds ?? 0) * 1000;
  return deadline < s.ctx.clock.now();
}

/** ReplicaSetToDeploymentCondition: lastUpdateTime is the ReplicaSet's transition time. */
function fromReplicaSetCondition(c: ReplicaSetCondition): DeploymentCondition {
  return {
    type: c.type,
    status: c.status,
    ...(c.lastTransitionTime ? { lastUpdateTime: c.lastTransitionTime } : {}),
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

/** getReplicaFailures: the new ReplicaSet's ReplicaFailure, else any old one's. */
function replicaFailure(
  allRSs: (SimReplicaSet | undefined)[],
  newRS: SimReplicaSet | undefined,
): DeploymentCondition | undefined {
  const failureOf = (rs: SimReplicaSet | undefined) =>
    rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  const own = failureOf(newRS);
  if (own) return fromReplicaSetCondition(own);
  for (const rs of allRSs) {
    const c = failureOf(rs);
    if (c) return fromReplicaSetCondition(c);
  }
  return undefined;
}

/** syncDeploymentStatus: writes the status when it changed. */
export function syncDeploymentStatus(
  s: DeploymentSync,
  allRSs: (SimReplicaSet | undefined)[],
  newRS: SimReplicaSet | undefined,
): void {
  const status = calculateStatus(s, allRSs, newRS);
  if (statusEqual(s.d.status, status)) return;
  s.updateStatus(status);
}

/** syncRolloutStatus: status plus the Progressing and ReplicaFailure conditions of a rollout. */
export function syncRolloutStatus(
  s: DeploymentSync,
  allRSs: (SimReplicaSet | undefined)[],
  newRS: SimReplicaSet | undefined,
): void {
  const d = s.d;
  let status = calculateStatus(s, allRSs, newRS);
  if (!hasProgressDeadline(d)) status = removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete =
    (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === Reason.NewRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS
      ? `ReplicaSet "${newRS.metadata.name ?? ''}"`
      : `Deployment "${d.metadata.name ?? ''}"`;
    if (deploymentComplete(d, status)) {
      status = setCondition(
        status,
        newCondition(
          s,
          'Progressing',
          'True',
          Reason.NewRSAvailable,
          `${subject} has successfully progressed.`,
        ),
      );
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays ReplicaSetUpdated.
      let condition = newCondition(
        s,
        'Progressing',
        'True',
        Reason.ReplicaSetUpdated,
        `${subject} is progressing.`,
      );
      if (current) {
        if (current.status === 'True')
          condition = { ...condition, lastTransitionTime: current.lastTransitionTime };
        status = removeCondition(status, 'Progressing');
      }
      status = setCondition(status, condition);
    } else if (deploymentTimedOut(s, status)) {
      status = setCondition(
        status,
        newCondition(s, 'Progressing', 'False', Reason.TimedOut, `${subject} has timed out progressing.`),
      );
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  status = failure ? setCondition(status, failure) : removeCondition(status, 'ReplicaFailure');
  if (statusEqual(d.status, status)) {
    requeueStuckDeployment(s, status);
    return;
  }
  s.updateStatus(status);
}

/**
 * requeueStuckDeployment: a rollout that shows no progress is checked again when its deadline
 * passes (plus a second against clock skew), or right away in the last second.
 */
function requeueStuckDeployment(s: DeploymentSync, status: DeploymentStatus): void {
  const d = s.d;
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return;
  if (deploymentComplete(d, status) || current.reason === Reason.TimedOut) return;
  const after =
    timeOf(current.lastUpdateTime) + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - s.ctx.clock.now();
  // enqueueRateLimited: the rate limiter was just reset by the successful sync, so 5ms.
  if (after < 1000) s.host.requeueAfter(s.key, 5);
  else s.host.requeueAfter(s.key, after + 1000);
}

/**
 * checkPausedConditions: an Unknown Progressing condition while paused (and when resumed), so a
 * pause longer than the deadline is not reported as a failure.
 */
export function checkPausedConditions(s: DeploymentSync): void {
  const d = s.d;
  if (!hasProgressDeadline(d)) return;
  const current = getCondition(d.status, 'Progressing');
  if (current?.reason === Reason.TimedOut) return;
  const pausedNoted = current?.reason === Reason.Paused;
  if (d.spec?.paused && !pausedNoted) {
    setWorkingCondition(s, newCondition(s, 'Progressing', 'Unknown', Reason.Paused, 'Deployment is paused'));
  } else if (!d.spec?.paused && pausedNoted) {
    setWorkingCondition(
      s,
      newCondition(s, 'Progressing', 'Unknown', Reason.Resumed, 'Deployment is resumed'),
    );
  } else {
    return;
  }
  s.updateStatus();
}
