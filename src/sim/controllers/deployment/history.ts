/**
 * Revisions and history (deployment_util.go, sync.go cleanupDeployment): each new template gets
 * revision max(old)+1 in `deployment.kubernetes.io/revision`; a ReplicaSet brought back by a
 * rollback keeps its former numbers in `revision-history`; the Deployment's own annotations
 * (but not kubectl's last-applied or the controller's) are copied to its new ReplicaSet; old
 * ReplicaSets scaled to zero beyond `revisionHistoryLimit` are deleted, oldest revision first.
 */
import { ApiError } from '../../api/rest/status.ts';
import { REPLICASETS } from '../../kinds/resources.ts';
import { byCreation } from './replica-sets.ts';
import { maxSurge } from './strategy.ts';
import type { DeploymentSync } from './sync-state.ts';
import {
  DEPRECATED_ROLLBACK_TO,
  DESIRED_REPLICAS,
  LAST_APPLIED,
  MAX_INT32,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
  replicasOf,
  type SimDeployment,
  type SimReplicaSet,
} from './types.ts';

/** sync.go maxRevHistoryLengthInChars: revision-history is capped at ~2000 characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

const SKIPPED_ANNOTATIONS = new Set([
  LAST_APPLIED,
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  DEPRECATED_ROLLBACK_TO,
]);

/** strconv.ParseInt(v, 10, 64); undefined when it does not parse. */
function parseRevision(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** Revision: 0 without the annotation, undefined when it is not a number. */
export function revisionOf(rs: SimReplicaSet): number | undefined {
  const text = rs.metadata.annotations?.[REVISION];
  return text === undefined ? 0 : parseRevision(text);
}

/** MaxRevision: ReplicaSets whose revision does not parse are skipped. */
export function maxRevision(list: SimReplicaSet[]): number {
  let max = 0;
  for (const rs of list) {
    const v = revisionOf(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

/** ReplicaSetsByRevision: lower revision first; creation order when equal or unparseable. */
export function byRevision(a: SimReplicaSet, b: SimReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreation(a, b);
  return ra - rb;
}

const annotationsOf = (rs: SimReplicaSet): Record<string, string> => (rs.metadata.annotations ??= {});

/** SetReplicasAnnotations: desired-replicas and max-replicas; true when either changed. */
export function setReplicasAnnotations(rs: SimReplicaSet, desired: number, max: number): boolean {
  const annotations = annotationsOf(rs);
  let updated = false;
  if (annotations[DESIRED_REPLICAS] !== String(desired)) {
    annotations[DESIRED_REPLICAS] = String(desired);
    updated = true;
  }
  if (annotations[MAX_REPLICAS] !== String(max)) {
    annotations[MAX_REPLICAS] = String(max);
    updated = true;
  }
  return updated;
}

export function replicasAnnotationsNeedUpdate(rs: SimReplicaSet, desired: number, max: number): boolean {
  const annotations = rs.metadata.annotations;
  if (!annotations) return true;
  return annotations[DESIRED_REPLICAS] !== String(desired) || annotations[MAX_REPLICAS] !== String(max);
}

/** copyDeploymentAnnotationsToReplicaSet. */
function copyDeploymentAnnotations(d: SimDeployment, rs: SimReplicaSet): boolean {
  const annotations = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    // A missing key reads as "" in Go, so an empty value is never copied onto a missing one.
    if (SKIPPED_ANNOTATIONS.has(k) || (annotations[k] ?? '') === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision to
 * `newRevision` when it is lower (recording the old one in revision-history when it had one),
 * and for a ReplicaSet about to be created sets the replica annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: SimDeployment,
  rs: SimReplicaSet,
  newRevision: string,
  exists: boolean,
): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = annotationsOf(rs);
  const hadRevision = Object.hasOwn(annotations, REVISION);
  const oldRevision = annotations[REVISION] ?? '';
  let oldValue = parseRevision(oldRevision);
  if (oldValue === undefined) {
    if (oldRevision !== '') return false;
    oldValue = 0;
  }
  const newValue = parseRevision(newRevision) ?? 0;
  if (oldValue < newValue) {
    annotations[REVISION] = newRevision;
    changed = true;
    if (hadRevision) {
      const history = annotations[REVISION_HISTORY] ?? '';
      const revisions = history.split(',');
      if ((revisions[0] ?? '').length === 0) {
        annotations[REVISION_HISTORY] = oldRevision;
      } else {
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < revisions.length) {
          total -= (revisions[start] ?? '').length + 1;
          start++;
        }
        if (total <= MAX_REVISION_HISTORY_CHARS)
          annotations[REVISION_HISTORY] = [...revisions.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetDeploymentRevision: true when the Deployment's revision annotation changed. */
export function setDeploymentRevision(d: SimDeployment, revision: string | undefined): boolean {
  // Go reads a missing annotation as "", so setting "" where there is none changes nothing.
  const value = revision ?? '';
  if ((d.metadata.annotations?.[REVISION] ?? '') === value) return false;
  d.metadata.annotations = { ...d.metadata.annotations, [REVISION]: value };
  return true;
}

export const hasRevisionHistoryLimit = (d: SimDeployment): boolean =>
  typeof d.spec?.revisionHistoryLimit === 'number' && d.spec.revisionHistoryLimit !== MAX_INT32;

/**
 * cleanupDeployment: deletes the oldest old ReplicaSets beyond revisionHistoryLimit, skipping
 * any that still have (or want) pods or whose latest spec the replicaset controller has not
 * observed yet.
 */
export function cleanupDeployment(s: DeploymentSync, oldRSs: SimReplicaSet[]): void {
  const d = s.d;
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
  const diff = cleanable.length - (d.spec?.revisionHistoryLimit ?? 0);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i] as SimReplicaSet;
    if (
      (rs.status?.replicas ?? 0) !== 0 ||
      replicasOf(rs) !== 0 ||
      (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)
    )
      continue;
    try {
      s.ctx.registry.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '', {});
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
}
