/** Pods: printPod in pkg/printers/internalversion/printers.go. */
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { AGE, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { humanDuration, parseTime, since } from './duration.ts';

const COLUMNS = [
  NAME,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  AGE,
  wide('IP', 'string', DOC['PodStatus.podIP']),
  wide('Node', 'string', DOC['PodSpec.nodeName']),
  wide('Nominated Node', 'string', DOC['PodStatus.nominatedNodeName']),
  wide('Readiness Gates', 'string', DOC['PodSpec.readinessGates']),
];

/** node.NodeUnreachablePodReason: set by the node lifecycle controller on pods of a lost node. */
const NODE_LOST = 'NodeLost';

/** podutil.IsRestartableInitContainer: a sidecar, counted with the regular containers. */
const restartable = (c: Container | undefined): boolean => c?.restartPolicy === 'Always';

const conditionTrue = (conditions: PodCondition[] | undefined, type: string): boolean =>
  (conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** isPodInitializedConditionTrue: only the first Initialized condition counts. */
const initializedTrue = (conditions: PodCondition[] | undefined): boolean =>
  (conditions ?? []).find((c) => c.type === 'Initialized')?.status === 'True';

/** The latest lastState.terminated.finishedAt seen so far, as metav1.Time.Before compares them. */
function laterRestart(current: number | undefined, status: ContainerStatus): number | undefined {
  const finished = parseTime(status.lastState?.terminated?.finishedAt);
  if (finished === undefined) return current;
  return current === undefined || current < finished ? finished : current;
}

function podCells(pod: Pod, now: number): unknown[] {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const conditions = status.conditions;
  const initContainers = spec?.initContainers ?? [];
  // A pod without status yet is Pending: the pod strategy's PrepareForCreate sets it on create.
  const phase = status.phase ?? 'Pending';

  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  let readyContainers = 0;
  let totalContainers = (spec?.containers ?? []).length;
  let reason = status.reason || phase;

  if ((conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const byName = new Map<string, Container>();
  for (const c of initContainers) {
    byName.set(c.name, c);
    if (restartable(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, container] of initStatuses.entries()) {
    restarts += container.restartCount ?? 0;
    lastRestart = laterRestart(lastRestart, container);
    const sidecar = restartable(byName.get(container.name));
    if (sidecar) {
      sidecarRestarts += container.restartCount ?? 0;
      lastSidecarRestart = laterRestart(lastSidecarRestart, container);
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || initializedTrue(conditions)) {
    // Past initialization only sidecar restarts carry over; plain init containers are done.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    let errorReason = '';
    const statuses = status.containerStatuses ?? [];
    // Walked last to first, so the first container's state wins the STATUS column.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i];
      if (!container) continue;
      restarts += container.restartCount ?? 0;
      lastRestart = laterRestart(lastRestart, container);
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated) {
        if (terminated.reason) reason = terminated.reason;
        else if (terminated.signal) reason = `Signal:${terminated.signal}`;
        else reason = `ExitCode:${terminated.exitCode ?? 0}`;
        if ((terminated.exitCode ?? 0) !== 0) errorReason = reason;
      } else if (container.ready && container.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }

    // kubernetes#124766: "Completed" from one container must not hide a running or failed sibling.
    if (reason === 'Completed') {
      if (hasRunning && conditionTrue(conditions, 'Ready')) reason = 'Running';
      else if (errorReason !== '') reason = errorReason;
      else if (hasRunning) reason = 'NotReady';
    }
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  if (deleting && status.reason === NODE_LOST) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  const restartsCell =
    restarts !== 0 && lastRestart !== undefined
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : `${restarts}`;

  // Convert_v1_PodStatus_To_core_PodStatus: podIP is authoritative over podIPs[0].
  const podIP = status.podIP || status.podIPs?.[0]?.ip || '<none>';
  const gates = spec?.readinessGates ?? [];
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const trueGates = gates.filter(
      (g) => (conditions ?? []).find((c) => c.type === g.conditionType)?.status === 'True',
    ).length;
    readinessGates = `${trueGates}/${gates.length}`;
  }

  return [
    pod.metadata?.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    since(pod.metadata?.creationTimestamp, now),
    podIP,
    spec?.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
}

export const pods = printer(COLUMNS, podCells);
