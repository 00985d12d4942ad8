/**
 * One pod on one node, from admission to cleanup (the kubelet's pod worker, syncPod and the
 * runtime manager's computePodActions in one place):
 * - sandbox first (pod IP from the node's range), then init containers in order to completion
 *   (sidecars — init containers with restartPolicy Always — started and kept running), then the
 *   regular containers; every start records Pulled/Created/Started;
 * - exits restart per restartPolicy through the container's CrashLoopBackOff; the pod finishes
 *   (Succeeded/Failed) when no regular container will run again;
 * - kills (deletion, eviction, liveness/startup failure, active deadline) send SIGTERM and SIGKILL
 *   at the grace deadline (never under 2s, as killContainer's minimum);
 * - a deleted pod is confirmed to the API (DELETE, grace 0, uid precondition) once its terminal
 *   status is written.
 * Status changes only mark the pod dirty; the node's kubelet writes statuses in batches.
 */
import type { Container, PodCondition, Probe } from 'kubernetes-types/core/v1.js';
import { ignoreGone } from '../controllers/controller.ts';
import type { EventType } from '../controllers/events.ts';
import type { SimContext } from '../context.ts';
import { podRequests, type ResourceAmounts, type SimPod } from '../kinds/pod.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import { PODS } from '../kinds/resources.ts';
import { semanticEqual } from '../object.ts';
import { simAnnotationsSignature, type ProbeKind } from './annotations.ts';
import { BACKOFF_RETRY_MS, ContainerBackoff } from './backoff.ts';
import { goDuration, podDescription } from './format.ts';
import { containerIdFor, imageRef } from './images.ts';
import { type MemoryConsumer, type NodeMemory, oomScoreAdj } from './memory.ts';
import { buildPodStatus, type ContainerView, type PodView, type TerminatedView } from './pod-status.ts';
import { type ProbedInstance, type ProbeTarget, ProbeWorker } from './probes.ts';
import { podDns } from './resolv-conf.ts';
import { type ContainerRole, createProcess, type ProcessHost, type SimProcess } from './runtime.ts';
import { Timers, type Timer } from './timers.ts';

/** killContainer never gives a container less than this to stop (minimumGracePeriodInSeconds). */
const MINIMUM_GRACE_SECONDS = 2;
const SIGKILL_EXIT_CODE = 137;
/** What containerd reports for a container whose process could not be started. */
const START_ERROR_EXIT_CODE = 128;

export interface KubeletOptions {
  /** Simulated time from a container start being decided to it running (sandbox, create, start). */
  containerStartMs: number;
  /**
   * Write the Pending/ContainerCreating status at admission (as the kubelet does) before the
   * Running one. Off saves one status write per pod — about half the kubelet's cost of starting
   * a pod — which large runs need more than the second of ContainerCreating.
   */
  reportPendingStatus: boolean;
}

/** Up to this many nodes, kubelets report ContainerCreating by default; above, they skip it. */
export const PENDING_STATUS_MAX_NODES = 50;

export const DEFAULT_CONTAINER_START_MS = 1000;

export interface KubeletCounters {
  containerStarts: number;
  restarts: number;
  oomKills: number;
  systemOoms: number;
  evictions: number;
  rejections: number;
  probeKills: number;
}

/** What a node's kubelet offers its pod workers. */
export interface PodWorkerHost {
  readonly ctx: SimContext;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly memory: NodeMemory;
  readonly options: KubeletOptions;
  readonly counters: KubeletCounters;
  paused(): boolean;
  allocateIP(podUid: string): string | undefined;
  releaseIP(podUid: string): void;
  nextPid(): number;
  markDirty(worker: PodWorker): void;
  /** The worker no longer holds node resources (admission accounting). */
  released(worker: PodWorker): void;
  /** The pod is gone from the API and its containers are stopped: forget it. */
  gone(worker: PodWorker): void;
  event(involved: SimPod, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

type KillKind = 'delete' | 'evict' | 'complete' | 'deadline' | 'removed';

export interface PodTerminationRequest {
  kind: KillKind;
  graceSeconds: number;
  override?: { reason: string; message: string; condition?: PodCondition };
}

const shouldRestart = (policy: string, exitCode: number): boolean =>
  policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);

class Instance implements ProbedInstance, MemoryConsumer {
  running = true;
  stopping = false;
  started: boolean;
  ready: boolean;
  terminated: TerminatedView | undefined;
  killTimer: Timer | undefined;
  killDeadline = Number.POSITIVE_INFINITY;
  process!: SimProcess;
  /** Set when the runtime could not start the process (StartError). */
  startError: string | undefined;

  constructor(
    readonly slot: Slot,
    readonly id: string,
    readonly pid: number,
    readonly startedAt: number,
    readonly limitBytes: number | undefined,
    readonly oomScoreAdj: number,
    readonly processName: string,
  ) {
    this.started = !slot.probeSpec('startup');
    this.ready = !slot.probeSpec('readiness');
  }

  get podUid(): string {
    return this.slot.worker.uid;
  }

  get containerName(): string {
    return this.slot.spec.name;
  }

  workingSetBytes(): number {
    return this.running ? this.process.workingSetBytes() : 0;
  }
}

/** The runtime side of one container instance, as its process sees it. */
class ContainerHost implements ProcessHost {
  constructor(
    private readonly worker: PodWorker,
    private readonly inst: Instance,
  ) {}

  get clock() {
    return this.worker.host.ctx.clock;
  }

  get containerName(): string {
    return this.inst.slot.spec.name;
  }

  get role(): ContainerRole {
    return this.inst.slot.role;
  }

  log(text: string): void {
    this.worker.host.ctx.logs.append(this.worker.uid, this.inst.slot.spec.name, text, this.clock.now());
  }

  exit(code: number): void {
    this.worker.exited(this.inst.slot, this.inst, code, 'exit');
  }

  usageChanged(): void {
    if (this.inst.running) this.worker.host.memory.sample(this.inst);
  }

  invalidConfiguration(message: string): void {
    this.worker.warnOnce(message);
  }

  get podIP(): string {
    return this.worker.podIP ?? '';
  }

  get nodeName(): string {
    return this.worker.host.nodeName;
  }

  get nodeIP(): string {
    return this.worker.host.hostIP;
  }

  startFailed(message: string): void {
    if (!this.inst.running || this.inst.startError !== undefined) return;
    this.inst.startError = message;
    this.inst.slot.event('Warning', 'Failed', `Error: ${message}`);
    this.worker.exited(this.inst.slot, this.inst, START_ERROR_EXIT_CODE, 'start-error');
  }
}

class Slot implements ContainerView, ProbeTarget {
  current: Instance | undefined;
  previous: TerminatedView | undefined;
  restartCount = 0;
  attempts = 0;
  waiting: { reason: string; message: string } | undefined;
  creating = false;
  startTimer: Timer | undefined;
  retryTimer: Timer | undefined;
  succeededOnce = false;
  readonly backoff = new ContainerBackoff();
  readonly probes: ProbeWorker[] = [];
  readonly fieldPath: string;
  readonly hasStartupProbe: boolean;

  constructor(
    readonly worker: PodWorker,
    readonly spec: Container,
    readonly role: ContainerRole,
  ) {
    this.fieldPath = `spec.${role === 'regular' ? 'containers' : 'initContainers'}{${spec.name}}`;
    this.hasStartupProbe = !!spec.startupProbe;
  }

  probeSpec(kind: ProbeKind): Probe | undefined {
    if (this.role === 'init') return undefined;
    return kind === 'liveness'
      ? this.spec.livenessProbe
      : kind === 'readiness'
        ? this.spec.readinessProbe
        : this.spec.startupProbe;
  }

  instance(): ProbedInstance | undefined {
    return this.current;
  }

  podIP(): string {
    return this.worker.podIP ?? '';
  }

  ports() {
    return this.spec.ports ?? [];
  }

  paused(): boolean {
    return this.worker.host.paused();
  }

  event(type: EventType, reason: string, message: string): void {
    this.worker.host.event(this.worker.pod, type, reason, message, this.fieldPath);
  }

  result(kind: ProbeKind, instance: ProbedInstance, success: boolean): void {
    this.worker.probeResult(this, instance as Instance, kind, success);
  }
}

export class PodWorker {
  pod: SimPod;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  podIP: string | undefined;
  /** Requests counted against the node's allocatable while the pod holds resources. */
  readonly requests: ResourceAmounts;
  private readonly slots: Slot[];
  private readonly timers: Timers;
  private startTime: number | undefined;
  private sandboxReady = false;
  private sandboxTimer: Timer | undefined;
  private deadlineTimer: Timer | undefined;
  private initialized = false;
  private termination: PodTerminationRequest | undefined;
  /** Every container stopped for good: the pod's status is terminal. */
  private finished = false;
  private holdsResources = true;
  private removedFromApi = false;
  private deleteSent = false;
  private signature: string;
  private warned: Set<string> | undefined;

  constructor(
    readonly host: PodWorkerHost,
    pod: SimPod,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid ?? '';
    this.namespace = pod.metadata.namespace ?? 'default';
    this.name = pod.metadata.name ?? '';
    this.requests = podRequests(pod);
    this.timers = new Timers(host.ctx.clock);
    this.signature = simAnnotationsSignature(pod.metadata.annotations);
    this.slots = [
      ...(pod.spec?.initContainers ?? []).map(
        (c) => new Slot(this, c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'),
      ),
      ...(pod.spec?.containers ?? []).map((c) => new Slot(this, c, 'regular')),
    ];
  }

  private get clock() {
    return this.host.ctx.clock;
  }

  private get policy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  private get podGraceSeconds(): number {
    return this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /** Timer slack: a timer may fire a wall millisecond early, which is timeScale simulated ms. */
  private get slack(): number {
    return 2 * this.clock.timeScale;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  get evicted(): boolean {
    return this.termination?.kind === 'evict';
  }

  /** Containers that have a process running now (eviction waits for none). */
  get anyRunning(): boolean {
    return this.slots.some((s) => s.current?.running);
  }

  get runningContainers(): number {
    let n = 0;
    for (const s of this.slots) if (s.current?.running) n++;
    return n;
  }

  /** Working set of each regular container, for eviction messages. */
  containerUsage(): { container: Container; bytes: number }[] {
    return this.slots
      .filter((s) => s.role === 'regular')
      .map((s) => ({
        container: s.spec,
        bytes: s.current?.running ? this.host.memory.bytesOf(s.current) : 0,
      }));
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** The pod passed admission: set up the sandbox, then containers. */
  admit(): void {
    const now = this.clock.now();
    this.startTime = now;
    for (const slot of this.slots) {
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const spec = slot.probeSpec(kind);
        if (spec) slot.probes.push(new ProbeWorker(kind, spec, slot, this.timers));
      }
      for (const p of slot.probes) p.start();
    }
    this.scheduleDeadline();
    if (this.host.options.reportPendingStatus) this.host.markDirty(this);
    this.sandboxTimer = this.timers.after(this.host.options.containerStartMs, () => {
      this.sandboxTimer = undefined;
      this.sandboxUp();
    });
  }

  private sandboxUp(): void {
    if (this.termination) return;
    this.podIP = this.pod.spec?.hostNetwork ? this.host.hostIP : this.host.allocateIP(this.uid);
    this.sandboxReady = true;
    // The sandbox's resolv.conf is formed now; limits cut from it are reported on the pod.
    for (const message of podDns(this.pod, undefined, [this.host.hostIP]).warnings)
      this.host.event(this.pod, 'Warning', 'DNSConfigForming', message);
    this.host.markDirty(this);
    // The sandbox took the start latency; the first containers start right away.
    this.advance(true);
  }

  /** A newer version of the pod object. */
  update(pod: SimPod): void {
    const previous = this.pod;
    this.pod = pod;
    const signature = simAnnotationsSignature(pod.metadata.annotations);
    if (signature !== this.signature) {
      this.signature = signature;
      for (const s of this.slots) if (s.current?.running) s.current.process.podUpdated(pod);
    }
    if (this.host.paused()) return;
    if (pod.metadata.deletionTimestamp && this.finished) this.host.markDirty(this);
    else if (pod.metadata.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? this.podGraceSeconds;
      this.terminate({ kind: 'delete', graceSeconds: grace });
    }
    if (pod.spec?.activeDeadlineSeconds !== previous.spec?.activeDeadlineSeconds) this.scheduleDeadline();
    // Readiness gates are conditions others set: the kubelet's Ready follows them.
    if (
      (pod.spec?.readinessGates ?? []).length > 0 &&
      !semanticEqual(pod.status?.conditions, previous.status?.conditions)
    )
      this.host.markDirty(this);
  }

  /** The kubelet runs again (after being stopped): catch up with what happened meanwhile. */
  resume(): void {
    if (this.finished) {
      this.host.markDirty(this);
      return;
    }
    if (this.pod.metadata.deletionTimestamp) {
      this.terminate({
        kind: 'delete',
        graceSeconds: this.pod.metadata.deletionGracePeriodSeconds ?? this.podGraceSeconds,
      });
    } else {
      this.scheduleDeadline();
      this.advance();
    }
    this.host.markDirty(this);
  }

  /** The pod is gone from the API (deleted with grace 0, or after the kubelet confirmed). */
  removed(): void {
    this.removedFromApi = true;
    if (this.finished || (!this.anyRunning && !this.termination)) {
      this.finishTermination();
      return;
    }
    this.terminate({ kind: 'removed', graceSeconds: 0 });
  }

  private scheduleDeadline(): void {
    this.timers.cancel(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const seconds = this.pod.spec?.activeDeadlineSeconds;
    if (seconds === undefined || seconds === null || this.startTime === undefined || this.termination) return;
    const at = this.startTime + seconds * 1000;
    this.deadlineTimer = this.timers.after(Math.max(0, at - this.clock.now()), () => {
      this.deadlineTimer = undefined;
      if (this.host.paused() || this.termination) return;
      const message = 'Pod was active on the node longer than the specified deadline';
      this.host.event(this.pod, 'Normal', 'DeadlineExceeded', message);
      this.terminate({
        kind: 'deadline',
        graceSeconds: this.podGraceSeconds,
        override: { reason: 'DeadlineExceeded', message },
      });
    });
  }

  /**
   * computePodActions: what to start next. Init containers one at a time in order (a sidecar
   * must be started before the next), then every regular container; restarts go through back-off.
   */
  private advance(sandboxJustCreated = false): void {
    if (this.termination || this.finished || !this.sandboxReady || this.host.paused()) return;
    const launch = (slot: Slot) => this.startSlot(slot, sandboxJustCreated);
    if (!this.initialized) {
      for (const slot of this.slots) {
        if (slot.role === 'regular') break;
        const inst = slot.current;
        if (slot.role === 'sidecar') {
          if (slot.creating) return;
          if (!inst?.running) {
            if (!inst) launch(slot);
            else this.restartWithBackoff(slot);
            return;
          }
          if (!inst.started) return;
          continue;
        }
        if (slot.succeededOnce) continue;
        if (slot.creating || inst?.running) return;
        if (!inst) {
          launch(slot);
          return;
        }
        if (this.policy === 'Never') {
          this.complete();
          return;
        }
        this.restartWithBackoff(slot);
        return;
      }
      this.initialized = true;
    }
    let anyWillRun = false;
    for (const slot of this.slots) {
      const inst = slot.current;
      if (slot.role === 'init') continue;
      if (slot.creating || inst?.running) {
        if (slot.role === 'regular') anyWillRun = true;
        continue;
      }
      if (!inst) {
        launch(slot);
        if (slot.role === 'regular') anyWillRun = true;
        continue;
      }
      // Sidecars restart whatever the pod's restartPolicy; regular containers by it.
      if (slot.role === 'sidecar' || shouldRestart(this.policy, inst.terminated?.exitCode ?? 0)) {
        this.restartWithBackoff(slot);
        if (slot.role === 'regular') anyWillRun = true;
      }
    }
    if (!anyWillRun && this.slots.some((s) => s.role === 'regular')) this.complete();
  }

  /** doBackOff, then a restart: blocked syncs show CrashLoopBackOff and record BackOff events. */
  private restartWithBackoff(slot: Slot): void {
    if (slot.creating || slot.retryTimer) return;
    const finishedAt = slot.current?.terminated?.finishedAt ?? this.clock.now();
    const now = this.clock.now() + this.slack;
    if (slot.backoff.inBackoff(finishedAt, now)) {
      const description = podDescription(this.pod);
      slot.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(slot.backoff.currentMs)} restarting failed container=${slot.spec.name} pod=${description}`,
      };
      slot.event(
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${slot.spec.name} in pod ${description}`,
      );
      this.host.markDirty(this);
      slot.retryTimer = this.timers.after(BACKOFF_RETRY_MS, () => {
        slot.retryTimer = undefined;
        this.advance();
      });
      return;
    }
    slot.backoff.next(finishedAt, this.clock.now());
    this.startSlot(slot, false);
  }

  private startSlot(slot: Slot, immediately: boolean): void {
    if (slot.creating) return;
    slot.creating = true;
    const go = () => {
      slot.startTimer = undefined;
      slot.creating = false;
      if (this.termination || this.finished) return;
      this.launch(slot);
    };
    if (immediately) go();
    else slot.startTimer = this.timers.after(this.host.options.containerStartMs, go);
  }

  /** The runtime creates and starts the container: events, a process, memory accounting. */
  private launch(slot: Slot): void {
    const ctx = this.host.ctx;
    const now = this.clock.now();
    const attempt = slot.attempts++;
    if (slot.current?.terminated) slot.previous = slot.current.terminated;
    slot.restartCount = attempt;
    slot.waiting = undefined;
    const spec = slot.spec;
    const image = imageRef(spec.image ?? '');
    const limit = this.limitOf(spec);
    const inst = new Instance(
      slot,
      containerIdFor(this.uid, spec.name, attempt),
      this.host.nextPid(),
      now,
      limit,
      oomScoreAdj(this.pod, spec, this.host.memory.capacityBytes, slot.role === 'sidecar'),
      spec.command?.[0]?.split('/').pop() || image.shortName,
    );
    slot.current = inst;
    this.host.counters.containerStarts++;
    if (attempt > 0) {
      this.host.counters.restarts++;
      ctx.logs.restart(this.uid, spec.name);
    }
    slot.event('Normal', 'Pulled', `Container image "${spec.image ?? ''}" already present on machine`);
    slot.event('Normal', 'Created', `Created container: ${spec.name}`);
    inst.process = createProcess(spec, this.pod, new ContainerHost(this, inst), ctx.processes);
    if (inst.startError === undefined) slot.event('Normal', 'Started', `Started container ${spec.name}`);
    this.host.markDirty(this);
    if (!inst.running) return;
    // Readiness is probed as soon as the container runs (the prober's manual trigger).
    for (const p of slot.probes) if (p.kind === 'readiness') p.trigger();
    this.host.memory.track(inst);
    if (slot.role === 'sidecar' && inst.running && inst.started) this.advance();
  }

  private limitOf(spec: Container): number | undefined {
    const text = spec.resources?.limits?.memory;
    if (text === undefined) return undefined;
    const bytes = parseQuantity(String(text));
    return bytes !== undefined && bytes > 0 ? bytes : undefined;
  }

  /** An unparseable sim annotation: one Warning event per message and pod. */
  warnOnce(message: string): void {
    if (this.warned?.has(message)) return;
    (this.warned ??= new Set()).add(message);
    this.host.event(this.pod, 'Warning', 'InvalidSimAnnotation', `${message}; ignored`);
  }

  /** The container's process ended (by itself, killed, or OOM-killed). */
  exited(slot: Slot, inst: Instance, code: number, cause: 'exit' | 'killed' | 'oom' | 'start-error'): void {
    if (!inst.running) return;
    inst.running = false;
    inst.ready = false;
    this.timers.cancel(inst.killTimer);
    inst.killTimer = undefined;
    this.host.memory.untrack(inst);
    const reason =
      cause === 'oom'
        ? 'OOMKilled'
        : cause === 'start-error'
          ? 'StartError'
          : code === 0
            ? 'Completed'
            : 'Error';
    inst.terminated = {
      exitCode: code,
      reason,
      ...(inst.startError !== undefined ? { message: inst.startError } : {}),
      // A container that never started reports the zero time (1970-01-01T00:00:00Z), as containerd does.
      startedAt: cause === 'start-error' ? 0 : inst.startedAt,
      finishedAt: this.clock.now(),
      containerID: `containerd://${inst.id}`,
    };
    if (cause === 'oom') this.host.counters.oomKills++;
    if (slot.role === 'init' && code === 0) slot.succeededOnce = true;
    this.host.ctx.logs.end(this.uid, slot.spec.name);
    this.host.markDirty(this);
    if (this.termination) {
      if (!this.anyRunning) this.finishTermination();
      return;
    }
    this.advance();
  }

  /** The kernel killed the container's process (the memory model already untracked it). */
  oomKilled(consumer: MemoryConsumer): void {
    const inst = consumer as Instance;
    if (!inst.running) return;
    inst.process.signal('SIGKILL');
    this.exited(inst.slot, inst, SIGKILL_EXIT_CODE, 'oom');
  }

  probeResult(slot: Slot, inst: Instance, kind: ProbeKind, success: boolean): void {
    if (!inst.running || this.termination) return;
    if (kind === 'readiness') {
      if (inst.ready !== success) {
        inst.ready = success;
        this.host.markDirty(this);
      }
      return;
    }
    if (kind === 'startup' && success) {
      if (!inst.started) {
        inst.started = true;
        this.host.markDirty(this);
        for (const p of slot.probes) if (p.kind === 'readiness') p.trigger();
        if (slot.role === 'sidecar') this.advance();
      }
      return;
    }
    if (success || this.host.paused()) return;
    const probe = slot.probeSpec(kind);
    const grace = probe?.terminationGracePeriodSeconds ?? this.podGraceSeconds;
    this.host.counters.probeKills++;
    this.kill(slot, inst, grace, `Container ${slot.spec.name} failed ${kind} probe, will be restarted`);
  }

  /** killContainer: Killing event, SIGTERM, SIGKILL when the grace period is over. */
  private kill(slot: Slot, inst: Instance, graceSeconds: number, message?: string): void {
    if (!inst.running) return;
    const deadline = this.clock.now() + Math.max(graceSeconds, MINIMUM_GRACE_SECONDS) * 1000;
    if (inst.stopping) {
      // A second kill (eviction during a graceful delete) only ever shortens the wait.
      if (deadline < inst.killDeadline) this.armKill(slot, inst, deadline);
      return;
    }
    inst.stopping = true;
    slot.event('Normal', 'Killing', message ?? `Stopping container ${slot.spec.name}`);
    this.armKill(slot, inst, deadline);
    inst.process.signal('SIGTERM');
  }

  private armKill(slot: Slot, inst: Instance, deadline: number): void {
    this.timers.cancel(inst.killTimer);
    inst.killDeadline = deadline;
    inst.killTimer = this.timers.after(Math.max(0, deadline - this.clock.now()), () => {
      inst.killTimer = undefined;
      if (!inst.running) return;
      inst.process.signal('SIGKILL');
      this.exited(slot, inst, SIGKILL_EXIT_CODE, 'killed');
    });
  }

  /** No regular container will run again: stop the sidecars and finish the pod. */
  private complete(): void {
    this.terminate({ kind: 'complete', graceSeconds: this.podGraceSeconds });
  }

  /** Stops every container (deletion, eviction, deadline, completion, removal from the API). */
  terminate(request: PodTerminationRequest): void {
    if (this.finished) {
      if (request.kind === 'removed') this.finishTermination();
      return;
    }
    if (this.termination) {
      if (request.override && !this.termination.override) this.termination.override = request.override;
      if (request.kind === 'evict' || request.kind === 'removed') this.termination.kind = request.kind;
      for (const slot of this.slots)
        if (slot.current?.running) this.kill(slot, slot.current, request.graceSeconds);
      return;
    }
    this.termination = { ...request };
    this.timers.cancel(this.sandboxTimer);
    this.timers.cancel(this.deadlineTimer);
    for (const slot of this.slots) {
      for (const p of slot.probes) p.stop();
      this.timers.cancel(slot.startTimer);
      this.timers.cancel(slot.retryTimer);
      slot.startTimer = slot.retryTimer = undefined;
      slot.creating = false;
    }
    for (const slot of this.slots)
      if (slot.current?.running) this.kill(slot, slot.current, request.graceSeconds);
    if (!this.anyRunning) this.finishTermination();
  }

  private finishTermination(): void {
    const first = !this.finished;
    this.finished = true;
    this.sandboxReady = false;
    if (first) {
      for (const slot of this.slots) {
        slot.waiting = undefined;
        for (const p of slot.probes) p.stop();
      }
      this.timers.clear();
      this.releaseResources();
    }
    if (this.removedFromApi) {
      for (const slot of this.slots) this.host.ctx.logs.end(this.uid, slot.spec.name);
      this.host.ctx.logs.forget(this.uid);
      this.host.gone(this);
      return;
    }
    this.host.markDirty(this);
  }

  private releaseResources(): void {
    if (!this.holdsResources) return;
    this.holdsResources = false;
    this.host.releaseIP(this.uid);
    this.host.released(this);
  }

  /** Stops everything at once, with no API writes (the kubelet itself stops). */
  dispose(): void {
    for (const slot of this.slots) {
      for (const p of slot.probes) p.stop();
      const inst = slot.current;
      if (inst?.running) {
        inst.running = false;
        inst.process.signal('SIGKILL');
        this.host.memory.untrack(inst);
      }
    }
    this.timers.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  private view(): PodView {
    const override = this.termination?.override;
    return {
      pod: this.pod,
      hostIP: this.host.hostIP,
      podIP: this.sandboxReady ? this.podIP : undefined,
      startTime: this.startTime,
      sandboxReady: this.sandboxReady,
      containers: this.slots.map((s) => ({
        spec: s.spec,
        role: s.role,
        current: s.current && {
          id: s.current.id,
          running: s.current.running,
          startedAt: s.current.startedAt,
          started: s.current.started,
          ready: s.current.ready && s.current.started,
          terminated: s.current.terminated,
        },
        previous: s.previous,
        restartCount: s.restartCount,
        waiting: s.waiting,
      })),
      terminal: this.finished,
      override: override && {
        phase: 'Failed',
        reason: override.reason,
        message: override.message,
        condition: override.condition,
      },
    };
  }

  /** Writes the status if it differs from the API's; then confirms a deletion once terminal. */
  writeStatus(): void {
    if (this.removedFromApi) return;
    const registry = this.host.ctx.registry;
    const live = registry.find(PODS, this.namespace, this.name) as SimPod | undefined;
    if (!live || live.metadata.uid !== this.uid) return;
    const clock = this.clock;
    const status = buildPodStatus(this.view(), live.status, (ms) => clock.timestamp(ms), clock.now());
    let current = live;
    if (!semanticEqual(status, live.status)) {
      try {
        current = registry.replace(
          PODS,
          live,
          { ...live, status },
          {
            manager: 'kubelet',
            subresource: 'status',
          },
        ) as SimPod;
        // The live object can already carry a deletion whose watch event has not reached us yet;
        // once this copy (newer resourceVersion) is ours, that event is skipped as stale, so the
        // deletion must be acted on here or the pod never terminates.
        const deletionSeen = !!current.metadata.deletionTimestamp && !this.pod.metadata.deletionTimestamp;
        this.pod = current;
        if (deletionSeen && !this.host.paused())
          this.terminate({
            kind: 'delete',
            graceSeconds: current.metadata.deletionGracePeriodSeconds ?? this.podGraceSeconds,
          });
      } catch (error) {
        ignoreGone(() => {
          throw error;
        });
        return;
      }
    }
    if (this.finished && current.metadata.deletionTimestamp && !this.deleteSent) {
      this.deleteSent = true;
      ignoreGone(() => {
        registry.delete(PODS, this.namespace, this.name, {
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        });
      });
    }
  }
}
