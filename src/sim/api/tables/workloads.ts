/**
 * apps/v1 controllers: printDeployment, printReplicaSet, printDaemonSet and printStatefulSet in
 * pkg/printers/internalversion/printers.go.
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { AGE, CONTAINERS, IMAGES, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';
import { containerCells, formatLabelSelector, formatLabels, selectorString } from './format.ts';

const READY = column('Ready', 'string', 'Number of the pod with ready state');

// SetDefaults_Deployment / _ReplicaSet / _StatefulSet: replicas is 1 when unset.
const desired = (replicas: number | undefined): number => replicas ?? 1;

export const deployments = printer<Deployment>(
  [
    NAME,
    READY,
    column('Up-to-date', 'string', DOC['DeploymentStatus.updatedReplicas']),
    column('Available', 'string', DOC['DeploymentStatus.availableReplicas']),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'string', DOC['DeploymentSpec.selector']),
  ],
  (obj, now) => {
    const status = obj.status ?? {};
    // Unlike its siblings, printDeployment prints Selector.String() as is: empty stays empty.
    const selector = selectorString(obj.spec?.selector) ?? '<invalid>';
    return [
      obj.metadata?.name ?? '',
      `${status.readyReplicas ?? 0}/${desired(obj.spec?.replicas)}`,
      status.updatedReplicas ?? 0,
      status.availableReplicas ?? 0,
      since(obj.metadata?.creationTimestamp, now),
      ...containerCells(obj.spec?.template?.spec?.containers),
      selector,
    ];
  },
);

export const replicaSets = printer<ReplicaSet>(
  [
    NAME,
    column('Desired', 'integer', DOC['ReplicaSetSpec.replicas']),
    column('Current', 'integer', DOC['ReplicaSetStatus.replicas']),
    column('Ready', 'integer', DOC['ReplicaSetStatus.readyReplicas']),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'string', DOC['ReplicaSetSpec.selector']),
  ],
  (obj, now) => [
    obj.metadata?.name ?? '',
    desired(obj.spec?.replicas),
    obj.status?.replicas ?? 0,
    obj.status?.readyReplicas ?? 0,
    since(obj.metadata?.creationTimestamp, now),
    ...containerCells(obj.spec?.template?.spec?.containers),
    formatLabelSelector(obj.spec?.selector),
  ],
);

export const daemonSets = printer<DaemonSet>(
  [
    NAME,
    column('Desired', 'integer', DOC['DaemonSetStatus.desiredNumberScheduled']),
    column('Current', 'integer', DOC['DaemonSetStatus.currentNumberScheduled']),
    column('Ready', 'integer', DOC['DaemonSetStatus.numberReady']),
    column('Up-to-date', 'integer', DOC['DaemonSetStatus.updatedNumberScheduled']),
    column('Available', 'integer', DOC['DaemonSetStatus.numberAvailable']),
    column('Node Selector', 'string', DOC['PodSpec.nodeSelector']),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'string', DOC['DaemonSetSpec.selector']),
  ],
  (obj, now) => {
    const status = obj.status;
    return [
      obj.metadata?.name ?? '',
      status?.desiredNumberScheduled ?? 0,
      status?.currentNumberScheduled ?? 0,
      status?.numberReady ?? 0,
      status?.updatedNumberScheduled ?? 0,
      status?.numberAvailable ?? 0,
      formatLabels(obj.spec?.template?.spec?.nodeSelector),
      since(obj.metadata?.creationTimestamp, now),
      ...containerCells(obj.spec?.template?.spec?.containers),
      formatLabelSelector(obj.spec?.selector),
    ];
  },
);

export const statefulSets = printer<StatefulSet>([NAME, READY, AGE, CONTAINERS, IMAGES], (obj, now) => [
  obj.metadata?.name ?? '',
  `${obj.status?.readyReplicas ?? 0}/${desired(obj.spec?.replicas)}`,
  since(obj.metadata?.creationTimestamp, now),
  ...containerCells(obj.spec?.template?.spec?.containers),
]);
