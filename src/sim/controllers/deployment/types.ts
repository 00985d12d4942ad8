/**
 * Names the deployment controller shares with kubectl and its ReplicaSets
 * (pkg/controller/deployment/util/deployment_util.go, apps/v1 constants).
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../../object.ts';

export type SimDeployment = Deployment & KubeObject;
export type SimReplicaSet = ReplicaSet & KubeObject;

/** apps.DefaultDeploymentUniqueLabelKey. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** apps.DeprecatedRollbackTo: never copied to ReplicaSets. */
export const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Condition reasons (util.*Reason). */
export const Reason = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** spec.replicas as the controller reads it (defaulted to 1 by the apiserver). */
export const replicasOf = (obj: SimDeployment | SimReplicaSet): number => obj.spec?.replicas ?? 1;

/** The largest int32: progressDeadlineSeconds and revisionHistoryLimit use it for "no limit". */
export const MAX_INT32 = 2147483647;
