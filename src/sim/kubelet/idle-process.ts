/**
 * The process every simulated container runs unless a program is registered for its image: it
 * does nothing but hold memory, answer probes and exit, as its pod's `sim.scars.dev/*`
 * annotations say. Init containers exit 0 at once unless told otherwise.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../kinds/pod.ts';
import { type Behaviour, behaviourFor, type ProbeKind } from './annotations.ts';
import { bytesQuantity } from './format.ts';
import type { ProbeReply, ProcessHost, Signal, SimProcess } from './runtime.ts';
import type { Timer } from './timers.ts';

const PAGE = 4096;
/** Ramps are stepped, not continuous: this many steps at most, each at least MIN_STEP_MS apart. */
const RAMP_STEPS = 20;
const MIN_STEP_MS = 250;
/** 128 + SIGTERM: how a process that dies of SIGTERM's default action is reported. */
export const SIGTERM_EXIT_CODE = 143;

function replyFor(probe: Probe, failing: boolean, warming: boolean): ProbeReply {
  if (probe.httpGet) return { type: 'http', statusCode: failing ? 500 : warming ? 503 : 200 };
  if (probe.tcpSocket) return { type: 'tcp', connected: !failing && !warming };
  if (probe.grpc) return { type: 'grpc', status: failing || warming ? 'NOT_SERVING' : 'SERVING' };
  return { type: 'exec', exitCode: failing || warming ? 1 : 0, output: '' };
}

export class IdleProcess implements SimProcess {
  private behaviour: Behaviour;
  private readonly startedAt: number;
  private exitTimer: Timer | undefined;
  private rampTimer: Timer | undefined;
  private shutdownTimer: Timer | undefined;
  private gone = false;
  private terminating = false;

  constructor(
    private readonly container: Container,
    pod: SimPod,
    private readonly host: ProcessHost,
  ) {
    this.startedAt = host.clock.now();
    this.behaviour = this.read(pod);
    host.log(
      `scars-sim: idle process for container ${container.name} (${container.image ?? ''}) started; working set ${bytesQuantity(this.behaviour.memoryBytes)}`,
    );
    this.scheduleExit();
    this.scheduleRamp();
  }

  workingSetBytes(): number {
    if (this.gone) return 0;
    const { memoryBytes, memoryRampMs } = this.behaviour;
    const elapsed = this.host.clock.now() - this.startedAt;
    const share = memoryRampMs > 0 ? Math.min(1, Math.max(0, elapsed / memoryRampMs)) : 1;
    return Math.floor((memoryBytes * share) / PAGE) * PAGE;
  }

  probe(kind: ProbeKind, probe: Probe): ProbeReply | Promise<ProbeReply> {
    const answer = (): ProbeReply =>
      replyFor(
        probe,
        this.behaviour.probeFail.has(kind),
        this.host.clock.now() < this.startedAt + this.behaviour.warmupMs,
      );
    const latency = this.behaviour.probeLatencyMs;
    if (latency <= 0) return answer();
    return new Promise((resolve) => {
      this.host.clock.setTimeout(() => resolve(answer()), latency);
    });
  }

  signal(signal: Signal): void {
    if (this.gone) return;
    if (signal === 'SIGKILL') {
      this.stopTimers();
      this.gone = true;
      return;
    }
    if (this.terminating) return;
    this.terminating = true;
    this.host.log('scars-sim: received SIGTERM, shutting down');
    this.shutdownTimer = this.host.clock.setTimeout(
      () => this.exit(SIGTERM_EXIT_CODE),
      this.behaviour.shutdownDelayMs,
    );
  }

  podUpdated(pod: SimPod): void {
    if (this.gone) return;
    const before = this.behaviour;
    this.behaviour = this.read(pod);
    if (before.exitAfterMs !== this.behaviour.exitAfterMs || before.exitCode !== this.behaviour.exitCode)
      this.scheduleExit();
    if (
      before.memoryBytes !== this.behaviour.memoryBytes ||
      before.memoryRampMs !== this.behaviour.memoryRampMs
    ) {
      this.scheduleRamp();
      this.host.usageChanged();
    }
  }

  private read(pod: SimPod): Behaviour {
    const { behaviour, problems } = behaviourFor(pod.metadata.annotations, this.container.name);
    for (const p of problems) this.host.invalidConfiguration(p);
    return behaviour;
  }

  private scheduleExit(): void {
    if (this.exitTimer) this.host.clock.clearTimeout(this.exitTimer);
    this.exitTimer = undefined;
    const after = this.behaviour.exitAfterMs ?? (this.host.role === 'init' ? 0 : undefined);
    if (after === undefined || this.terminating) return;
    const delay = Math.max(0, this.startedAt + after - this.host.clock.now());
    this.exitTimer = this.host.clock.setTimeout(() => {
      this.host.log(`scars-sim: exiting with code ${this.behaviour.exitCode}`);
      this.exit(this.behaviour.exitCode);
    }, delay);
  }

  /** One timer per ramping container, stepping usage up until the target is reached. */
  private scheduleRamp(): void {
    if (this.rampTimer) this.host.clock.clearTimeout(this.rampTimer);
    this.rampTimer = undefined;
    const { memoryRampMs } = this.behaviour;
    const end = this.startedAt + memoryRampMs;
    const now = this.host.clock.now();
    if (memoryRampMs <= 0 || now >= end) return;
    const step = Math.max(MIN_STEP_MS, memoryRampMs / RAMP_STEPS);
    this.rampTimer = this.host.clock.setTimeout(
      () => {
        this.rampTimer = undefined;
        this.scheduleRamp();
        this.host.usageChanged();
      },
      Math.min(step, end - now),
    );
  }

  private exit(code: number): void {
    if (this.gone) return;
    this.stopTimers();
    this.gone = true;
    this.host.exit(code);
  }

  private stopTimers(): void {
    for (const t of [this.exitTimer, this.rampTimer, this.shutdownTimer])
      if (t) this.host.clock.clearTimeout(t);
    this.exitTimer = this.rampTimer = this.shutdownTimer = undefined;
  }
}
