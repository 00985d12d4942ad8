/**
 * Finding or creating the Deployment's new ReplicaSet (sync.go getNewReplicaSet): the existing
 * one with the Deployment's template gets the next revision and the Deployment's annotations;
 * otherwise `<deployment>-<pod-template-hash>` is created with the hash in its selector, labels
 * and template, owned by the Deployment. A name taken by a different template is a hash
 * collision: status.collisionCount goes up and the next sync tries another name.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../api/rest/status.ts';
import { controllerRefOf, controllerRefTo } from '../../kinds/pod.ts';
import { REPLICASETS } from '../../kinds/resources.ts';
import { maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations } from './history.ts';
import { getCondition, hasProgressDeadline, newCondition, setWorkingCondition } from './progress.ts';
import { findNewReplicaSet, findOldReplicaSets } from './replica-sets.ts';
import { newRSNewReplicas } from './strategy.ts';
import { MANAGER, type DeploymentSync } from './sync-state.ts';
import { computeHash, equalIgnoreHash } from './template-hash.ts';
import { POD_TEMPLATE_HASH, Reason, REVISION, type SimReplicaSet } from './types.ts';

export interface ReplicaSets {
  newRS: SimReplicaSet | undefined;
  /** Every ReplicaSet of the Deployment but the new one. */
  oldRSs: SimReplicaSet[];
}

export const isNamespaceTerminating = (error: unknown): boolean =>
  error instanceof ApiError && (error.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

/** getAllReplicaSetsAndSyncRevision. */
export function getAllReplicaSetsAndSyncRevision(
  s: DeploymentSync,
  rsList: SimReplicaSet[],
  createIfNotExisted: boolean,
): ReplicaSets {
  const oldRSs = findOldReplicaSets(s.d, rsList);
  return { newRS: getNewReplicaSet(s, rsList, oldRSs, createIfNotExisted), oldRSs };
}

/** CloneSelectorAndAddLabel. */
function selectorWithHash(selector: LabelSelector | undefined, hash: string): LabelSelector {
  const out: LabelSelector = { matchLabels: { ...(selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } };
  if (selector?.matchExpressions) out.matchExpressions = structuredClone(selector.matchExpressions);
  return out;
}

function getNewReplicaSet(
  s: DeploymentSync,
  rsList: SimReplicaSet[],
  oldRSs: SimReplicaSet[],
  createIfNotExisted: boolean,
): SimReplicaSet | undefined {
  const d = s.d;
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  const minReady = d.spec?.minReadySeconds ?? 0;

  if (existing) {
    const copy = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
      const spec = { ...copy.spec } as NonNullable<SimReplicaSet['spec']>;
      if (minReady) spec.minReadySeconds = minReady;
      else delete spec.minReadySeconds;
      copy.spec = spec;
      return s.updateReplicaSet(existing, copy);
    }
    // The revision the ReplicaSet carries is the one that counts (it may be newer than newRevision).
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION]);
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      setWorkingCondition(
        s,
        newCondition(
          s,
          'Progressing',
          'True',
          Reason.FoundNewRS,
          `Found new replica set "${copy.metadata.name ?? ''}"`,
        ),
      );
      needsUpdate = true;
    }
    if (needsUpdate) s.updateStatus();
    return copy;
  }

  if (!createIfNotExisted) return undefined;

  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeHash(d.spec?.template, d.status?.collisionCount);
  template.metadata = {
    ...template.metadata,
    labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
  };
  const name = `${d.metadata.name ?? ''}-${hash}`;
  const newRS: SimReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels: { ...(template.metadata.labels ?? {}) },
      ownerReferences: [controllerRefTo(d)],
    },
    spec: {
      replicas: 0,
      ...(minReady ? { minReadySeconds: minReady } : {}),
      selector: selectorWithHash(d.spec?.selector, hash),
      template,
    },
  };
  const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  (newRS.spec as { replicas: number }).replicas = newReplicas;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: SimReplicaSet;
  let alreadyExists = false;
  try {
    created = s.ctx.registry.create(REPLICASETS, d.metadata.namespace, newRS, MANAGER) as SimReplicaSet;
    s.host.replicaSetWritten(created);
  } catch (error) {
    if (error instanceof ApiError && error.reason === 'AlreadyExists') {
      const live = s.ctx.registry.find(REPLICASETS, d.metadata.namespace, name) as SimReplicaSet | undefined;
      if (!live) throw error;
      if (
        controllerRefOf(live)?.uid === d.metadata.uid &&
        equalIgnoreHash(d.spec?.template, live.spec?.template)
      ) {
        // A slow cache upstream; here only a race with our own earlier sync.
        created = live;
        alreadyExists = true;
      } else {
        const status = s.status;
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        try {
          s.updateStatus();
        } catch {
          // The requeue retries either way.
        }
        throw error;
      }
    } else if (isNamespaceTerminating(error)) {
      throw error;
    } else {
      const message = `Failed to create new replica set "${name}": ${error instanceof Error ? error.message : String(error)}`;
      if (hasProgressDeadline(d)) {
        setWorkingCondition(s, newCondition(s, 'Progressing', 'False', Reason.FailedRSCreate, message));
        try {
          s.updateStatus();
        } catch {
          // There is a bigger issue to report.
        }
      }
      s.event('Warning', Reason.FailedRSCreate, message);
      throw error;
    }
  }
  if (!alreadyExists && newReplicas > 0) {
    s.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${newReplicas}`);
  }
  let needsUpdate = setDeploymentRevision(s.d, newRevision);
  if (!alreadyExists && hasProgressDeadline(s.d)) {
    setWorkingCondition(
      s,
      newCondition(s, 'Progressing', 'True', Reason.NewReplicaSet, `Created new replica set "${name}"`),
    );
    needsUpdate = true;
  }
  if (needsUpdate) s.updateStatus();
  return created;
}
