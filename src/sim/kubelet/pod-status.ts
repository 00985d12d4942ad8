/**
 * The pod status a kubelet writes (kubelet_pods.go generateAPIPodStatus + getPhase, the
 * status generators in pkg/kubelet/status, and the status manager's merge): container statuses
 * from what the runtime knows, the phase derived from them, the kubelet-owned conditions in
 * upstream order (PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled)
 * with their reasons and messages, and lastTransitionTime kept unless a status flips.
 */
import type {
  Container,
  ContainerState,
  ContainerStateTerminated,
  ContainerStatus,
  PodCondition,
  PodStatus,
} from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../kinds/pod.ts';
import { qosClassOf } from '../kinds/qos.ts';
import type { Writable } from '../object.ts';
import { goList } from './format.ts';
import { imageRef } from './images.ts';
import type { ContainerRole } from './runtime.ts';

export interface TerminatedView {
  exitCode: number;
  reason: string;
  /** The runtime's message (StartError's cause). */
  message?: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

/** What the runtime knows of one container of the pod. */
export interface ContainerView {
  readonly spec: Container;
  readonly role: ContainerRole;
  /** The latest instance, running or exited; absent before the first start. */
  readonly current:
    | {
        readonly id: string;
        readonly running: boolean;
        readonly startedAt: number;
        readonly started: boolean;
        readonly ready: boolean;
        readonly terminated: TerminatedView | undefined;
      }
    | undefined;
  /** The instance before the current one (lastState). */
  readonly previous: TerminatedView | undefined;
  readonly restartCount: number;
  /** Why the container is waiting (CrashLoopBackOff), when it is. */
  readonly waiting: { reason: string; message: string } | undefined;
}

export interface PodView {
  readonly pod: SimPod;
  readonly hostIP: string;
  readonly podIP: string | undefined;
  readonly startTime: number | undefined;
  /** The sandbox exists (network set up): PodReadyToStartContainers. */
  readonly sandboxReady: boolean;
  readonly containers: readonly ContainerView[];
  /** Every container has stopped and none will run again. */
  readonly terminal: boolean;
  /** Set by a kill with a status (eviction, active deadline): phase, reason, message, extra condition. */
  readonly override:
    { phase: 'Failed'; reason: string; message: string; condition: PodCondition | undefined } | undefined;
}

const terminatedState = (t: TerminatedView, stamp: (ms: number) => string): ContainerStateTerminated => ({
  exitCode: t.exitCode,
  reason: t.reason,
  ...(t.message !== undefined ? { message: t.message } : {}),
  startedAt: stamp(t.startedAt),
  finishedAt: stamp(t.finishedAt),
  containerID: t.containerID,
});

/** What the runtime reports of a created container's mounts (RecursiveReadOnlyMounts, on since 1.31). */
function volumeMounts(spec: Container): Partial<ContainerStatus> {
  const mounts = spec.volumeMounts ?? [];
  if (mounts.length === 0) return {};
  return {
    volumeMounts: mounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    })),
  };
}

function containerStatus(
  c: ContainerView,
  defaultWaiting: string,
  stamp: (ms: number) => string,
): ContainerStatus {
  const inst = c.current;
  const lastState: ContainerState = c.previous ? { terminated: terminatedState(c.previous, stamp) } : {};
  if (!inst) {
    return {
      name: c.spec.name,
      state: { waiting: c.waiting ? { ...c.waiting } : { reason: defaultWaiting } },
      lastState,
      ready: false,
      restartCount: c.restartCount,
      image: c.spec.image ?? '',
      imageID: '',
      started: false,
    };
  }
  const ref = imageRef(c.spec.image ?? '');
  let state: ContainerState;
  let last = lastState;
  if (inst.running) state = { running: { startedAt: stamp(inst.startedAt) } };
  else if (c.waiting && inst.terminated) {
    // Waiting to restart (CrashLoopBackOff): the instance that exited becomes lastState.
    state = { waiting: { ...c.waiting } };
    last = { terminated: terminatedState(inst.terminated, stamp) };
  } else if (inst.terminated) state = { terminated: terminatedState(inst.terminated, stamp) };
  else state = { waiting: { reason: defaultWaiting } };
  // A regular init container counts as ready once it completed successfully.
  const ready = c.role === 'init' ? state.terminated?.exitCode === 0 : inst.running && inst.ready;
  return {
    name: c.spec.name,
    state,
    lastState: last,
    ready,
    restartCount: c.restartCount,
    image: ref.image,
    imageID: ref.imageID,
    containerID: `containerd://${inst.id}`,
    started: inst.running && inst.started,
    ...volumeMounts(c.spec),
  };
}

/** getPhase (kubelet_pods.go), over the API container statuses. */
export function podPhase(
  pod: SimPod,
  init: ContainerStatus[],
  regular: ContainerStatus[],
  terminal: boolean,
): string {
  const spec = pod.spec;
  const byName = new Map([...init, ...regular].map((s) => [s.name, s]));
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec?.initContainers ?? []) {
    const s = byName.get(c.name);
    if (c.restartPolicy === 'Always') {
      if (!s) {
        unknown++;
        pendingSidecars++;
      } else if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.waiting && !s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      }
      continue;
    }
    if (!s) pendingRegularInit++;
    else if (s.state?.running) pendingRegularInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingRegularInit++;
    } else pendingRegularInit++;
  }
  for (const c of spec?.containers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec?.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && !hasRegularStarted(regular))) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

const hasRegularStarted = (regular: ContainerStatus[]): boolean =>
  regular.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined);

interface ConditionParts {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

function readyToStart(view: PodView): ConditionParts {
  return { type: 'PodReadyToStartContainers', status: view.sandboxReady ? 'True' : 'False' };
}

function initialized(
  pod: SimPod,
  statuses: Map<string, ContainerStatus>,
  regular: ContainerStatus[],
  phase: string,
): ConditionParts {
  const incomplete: string[] = [];
  const unknown: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = statuses.get(c.name);
    if (!s) {
      unknown.push(c.name);
      continue;
    }
    if (c.restartPolicy === 'Always') {
      if (!s.started) incomplete.push(c.name);
      continue;
    }
    if (!s.state?.terminated || s.state.terminated.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0)
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (hasRegularStarted(regular)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0)
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  return { type: 'Initialized', status: 'True' };
}

function containersReady(pod: SimPod, statuses: Map<string, ContainerStatus>, phase: string): ConditionParts {
  const type = 'ContainersReady';
  if (phase === 'Failed') return { type, status: 'False', reason: 'PodFailed' };
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string) => {
    const s = statuses.get(name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of pod.spec?.initContainers ?? []) if (c.restartPolicy === 'Always') check(c.name);
  for (const c of pod.spec?.containers ?? []) check(c.name);
  if (phase === 'Succeeded' && unknown.length === 0) return { type, status: 'False', reason: 'PodCompleted' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0)
    return { type, status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type, status: 'True' };
}

function podReady(
  pod: SimPod,
  containers: ConditionParts,
  conditions: readonly PodCondition[],
): ConditionParts {
  if (containers.status !== 'True') return { ...containers, type: 'Ready' };
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c)
      messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True')
      messages.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
  }
  if (messages.length > 0)
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** Conditions the kubelet owns: everything else in the old status is kept, ahead of them. */
const KUBELET_CONDITIONS = new Set([
  'PodScheduled',
  'Ready',
  'Initialized',
  'ContainersReady',
  'PodReadyToStartContainers',
]);

function withTransition(parts: ConditionParts, old: readonly PodCondition[], now: string): PodCondition {
  const before = old.find((c) => c.type === parts.type);
  return {
    type: parts.type,
    status: parts.status,
    lastProbeTime: null as unknown as string,
    lastTransitionTime:
      before && before.status === parts.status && before.lastTransitionTime ? before.lastTransitionTime : now,
    ...(parts.reason ? { reason: parts.reason } : {}),
    ...(parts.message ? { message: parts.message } : {}),
  };
}

/** The status the kubelet writes for the pod now, given what the API has (`old`). */
export function buildPodStatus(
  view: PodView,
  old: PodStatus | undefined,
  stamp: (ms: number) => string,
  nowMs: number,
): PodStatus {
  const pod = view.pod;
  const hasInit = (pod.spec?.initContainers ?? []).length > 0;
  const defaultWaiting = hasInit ? 'PodInitializing' : 'ContainerCreating';
  const init: ContainerStatus[] = [];
  const regular: ContainerStatus[] = [];
  for (const c of view.containers) {
    const s = containerStatus(c, defaultWaiting, stamp);
    (c.role === 'regular' ? regular : init).push(s);
  }
  const statuses = new Map([...init, ...regular].map((s) => [s.name, s]));
  let phase = podPhase(pod, init, regular, view.terminal);
  // The status manager never reports a terminal phase while containers may still run.
  const oldPhase = old?.phase;
  if ((phase === 'Succeeded' || phase === 'Failed') && !view.terminal && oldPhase !== phase) {
    const anyRunning = view.containers.some((c) => c.current?.running);
    if (anyRunning) phase = oldPhase ?? 'Pending';
  }
  let reason: string | undefined;
  let message: string | undefined;
  const override = view.terminal ? view.override : undefined;
  if (override) {
    phase = override.phase;
    reason = override.reason;
    message = override.message;
  } else if (
    old?.reason &&
    (phase === 'Succeeded' || phase === 'Failed') &&
    (oldPhase === 'Succeeded' || oldPhase === 'Failed')
  ) {
    reason = old.reason;
    message = old.message;
  }
  const now = stamp(nowMs);
  const oldConditions = old?.conditions ?? [];
  const conditions: PodCondition[] = oldConditions.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  if (override?.condition && !conditions.some((c) => c.type === override.condition?.type))
    conditions.unshift({ ...override.condition, lastTransitionTime: now });
  const cr = containersReady(pod, statuses, phase);
  conditions.push(
    withTransition(readyToStart(view), oldConditions, now),
    withTransition(initialized(pod, statuses, regular, phase), oldConditions, now),
    withTransition(podReady(pod, cr, oldConditions), oldConditions, now),
    withTransition(cr, oldConditions, now),
    withTransition({ type: 'PodScheduled', status: 'True' }, oldConditions, now),
  );
  const status: Writable<PodStatus> = { phase, conditions };
  if (message !== undefined) status.message = message;
  if (reason !== undefined) status.reason = reason;
  if (old?.nominatedNodeName) status.nominatedNodeName = old.nominatedNodeName;
  status.hostIP = view.hostIP;
  status.hostIPs = [{ ip: view.hostIP }];
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  } else if (old?.podIP) {
    // The kubelet keeps reporting the IP a finished pod had.
    status.podIP = old.podIP;
    status.podIPs = old.podIPs ?? [{ ip: old.podIP }];
  }
  if (view.startTime !== undefined) status.startTime = old?.startTime ?? stamp(view.startTime);
  if (init.length > 0) status.initContainerStatuses = init;
  status.containerStatuses = regular;
  status.qosClass = old?.qosClass ?? qosClassOf(pod);
  if (old?.resourceClaimStatuses) status.resourceClaimStatuses = old.resourceClaimStatuses;
  return status;
}

/** The status of a pod the kubelet refused to admit (rejectPod): Failed with the reason, nothing else. */
export function rejectedPodStatus(pod: SimPod, reason: string, message: string, stamp: string): PodStatus {
  const old = pod.status;
  const kept = (old?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  return {
    phase: 'Failed',
    ...(kept.length > 0 ? { conditions: kept } : {}),
    message: `Pod was rejected: ${message}`,
    reason,
    startTime: old?.startTime ?? stamp,
    qosClass: old?.qosClass ?? qosClassOf(pod),
  };
}
