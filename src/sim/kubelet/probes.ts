/**
 * The prober (pkg/kubelet/prober worker.go and prober.go): one worker per probe of a container,
 * ticking every periodSeconds from when the pod was admitted; it skips containers that are not
 * running, still within initialDelaySeconds, or (liveness, readiness) not started yet; counts
 * consecutive results against successThreshold/failureThreshold; holds liveness and startup after
 * a failure until a new container instance appears. Each failed probe records a Warning
 * `Unhealthy` event with the probe's own output, as the real HTTP/TCP/exec/gRPC probers word it.
 * The timeout is an `ioDeadline` (clock-io.ts): an event-loop stall of this process, which runs
 * the servers too, is not charged to the server whose reply was on its way.
 */
import type { ContainerPort, Probe } from 'kubernetes-types/core/v1.js';
import { ioDeadline } from '../clock-io.ts';
import type { ProbeKind } from './annotations.ts';
import { goDuration } from './format.ts';
import type { ProbeReply, SimProcess } from './runtime.ts';
import type { Timer, Timers } from './timers.ts';

/** The container instance a probe looks at. */
export interface ProbedInstance {
  readonly id: string;
  readonly startedAt: number;
  readonly running: boolean;
  /** Startup probe passed (or there is none). */
  readonly started: boolean;
  readonly process: SimProcess;
}

export interface ProbeTarget {
  readonly hasStartupProbe: boolean;
  instance(): ProbedInstance | undefined;
  podIP(): string;
  ports(): readonly ContainerPort[];
  /** The kubelet is not running (its probes do nothing). */
  paused(): boolean;
  /** Records an event on the pod about this container. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The result crossed its threshold (called again on every probe that keeps it there). */
  result(kind: ProbeKind, instance: ProbedInstance, success: boolean): void;
}

export type ProbeOutcome =
  { result: 'success' } | { result: 'failure'; output: string } | { result: 'error'; output: string };

const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export type ProbeEndpoint = { host: string; port: number } | { error: string };

/** Where an HTTP or TCP probe connects: its host (default the pod IP) and port (named ports resolved). */
export function probeEndpoint(
  port: number | string | undefined,
  host: string | undefined,
  target: Pick<ProbeTarget, 'podIP' | 'ports'>,
): ProbeEndpoint {
  const h = host || target.podIP();
  if (typeof port === 'number') return { host: h, port };
  if (port !== undefined && /^\d+$/.test(port)) return { host: h, port: Number(port) };
  const named = target.ports().find((p) => p.name === port);
  if (!named) return { error: `couldn't find port: ${String(port)}` };
  return { host: h, port: named.containerPort };
}

/** The URL the HTTP prober requests (formatURL in pkg/kubelet/prober). */
export function probeUrl(probe: Probe, ep: { host: string; port: number }): string {
  const scheme = (probe.httpGet?.scheme ?? 'HTTP').toLowerCase();
  const rawPath = probe.httpGet?.path ?? '/';
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  return `${scheme}://${host}:${ep.port}${path}`;
}

/** The output the real prober reports for a reply, or for no reply within the timeout. */
export function probeOutcome(probe: Probe, reply: ProbeReply | 'timeout', target: ProbeTarget): ProbeOutcome {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const ep = probeEndpoint(probe.httpGet.port, probe.httpGet.host, target);
    if ('error' in ep) return { result: 'error', output: ep.error };
    const url = probeUrl(probe, ep);
    if (reply === 'timeout')
      return {
        result: 'failure',
        output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      };
    // DoHTTPProbe turns client errors into failures, with Go's error text as the output.
    if (reply.type === 'unreachable')
      return {
        result: 'failure',
        output: `Get "${url}": dial tcp ${ep.host}:${ep.port}: connect: ${reply.reason}`,
      };
    if (reply.type === 'http-error') return { result: 'failure', output: `Get "${url}": ${reply.message}` };
    if (reply.type !== 'http') return { result: 'error', output: 'unexpected probe reply' };
    if (reply.statusCode >= 200 && reply.statusCode < 400) return { result: 'success' };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${reply.statusCode}` };
  }
  if (probe.tcpSocket) {
    const ep = probeEndpoint(probe.tcpSocket.port, probe.tcpSocket.host, target);
    if ('error' in ep) return { result: 'error', output: ep.error };
    const address = `${ep.host}:${ep.port}`;
    if (reply === 'timeout') return { result: 'failure', output: `dial tcp ${address}: i/o timeout` };
    if (reply.type === 'tcp' && reply.connected) return { result: 'success' };
    const reason = reply.type === 'unreachable' ? reply.reason : 'connection refused';
    return { result: 'failure', output: `dial tcp ${address}: connect: ${reason}` };
  }
  if (probe.grpc) {
    if (reply === 'timeout')
      return {
        result: 'failure',
        output: `timeout: health rpc did not complete within ${goDuration(timeoutMs)}`,
      };
    if (reply.type === 'grpc' && reply.status === 'SERVING') return { result: 'success' };
    const status = reply.type === 'grpc' ? reply.status : 'UNKNOWN';
    return { result: 'failure', output: `service unhealthy (responded with "${status}")` };
  }
  const command = (probe.exec?.command ?? []).join(' ');
  if (reply === 'timeout') return { result: 'failure', output: `command "${command}" timed out` };
  // The runtime could not run the command: the prober reports an error and counts nothing.
  if (reply.type === 'exec-error') return { result: 'error', output: reply.message };
  if (reply.type === 'exec' && reply.exitCode === 0) return { result: 'success' };
  return { result: 'failure', output: reply.type === 'exec' ? reply.output : '' };
}

export class ProbeWorker {
  private timer: Timer | undefined;
  private nextAt = 0;
  private inFlight = false;
  private stopped = true;
  private instanceId = '';
  private lastSuccess: boolean | undefined;
  private run = 0;
  private onHold = false;

  constructor(
    readonly kind: ProbeKind,
    private readonly spec: Probe,
    private readonly target: ProbeTarget,
    private readonly timers: Timers,
  ) {}

  private get periodMs(): number {
    return Math.max(1, this.spec.periodSeconds ?? 10) * 1000;
  }

  /** Starts ticking now (the first tick finds no running container yet, like upstream's). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.nextAt = this.timers.clock.now();
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
  }

  /** Probes now, outside the period (the kubelet does this for readiness when a container starts). */
  trigger(): void {
    if (!this.stopped) this.tick();
  }

  private schedule(delay: number): void {
    this.timer = this.timers.after(delay, () => {
      this.timer = undefined;
      if (this.stopped) return;
      const now = this.timers.clock.now();
      this.nextAt += this.periodMs;
      // Like a Go ticker, a late tick is not made up for.
      if (this.nextAt <= now) this.nextAt = now + this.periodMs;
      this.schedule(this.nextAt - now);
      this.tick();
    });
  }

  private tick(): void {
    if (this.stopped || this.inFlight || this.target.paused()) return;
    const instance = this.target.instance();
    if (!instance || !instance.running) return;
    if (instance.id !== this.instanceId) {
      this.instanceId = instance.id;
      this.lastSuccess = undefined;
      this.run = 0;
      this.onHold = false;
    }
    if (this.onHold) return;
    const elapsedSeconds = Math.trunc((this.timers.clock.now() - instance.startedAt) / 1000);
    if (elapsedSeconds < (this.spec.initialDelaySeconds ?? 0)) return;
    if (this.kind === 'startup' ? instance.started : this.target.hasStartupProbe && !instance.started) return;
    let reply: ProbeReply | Promise<ProbeReply>;
    try {
      reply = instance.process.probe(this.kind, this.spec);
    } catch (error) {
      this.target.event('Warning', 'Unhealthy', `${TITLE[this.kind]} probe errored: ${String(error)}`);
      return;
    }
    if (!(reply instanceof Promise)) {
      this.conclude(instance, probeOutcome(this.spec, reply, this.target));
      return;
    }
    this.inFlight = true;
    const timeoutMs = Math.max(1, this.spec.timeoutSeconds ?? 1) * 1000;
    let settled = false;
    const finish = (answer: ProbeReply | 'timeout'): void => {
      if (settled) return;
      settled = true;
      deadline.cancel();
      this.inFlight = false;
      if (this.stopped) return;
      this.conclude(instance, probeOutcome(this.spec, answer, this.target));
    };
    const deadline = ioDeadline(this.timers, timeoutMs, () => finish('timeout'));
    reply.then(finish, () => finish({ type: 'exec', exitCode: 1, output: '' }));
  }

  private conclude(instance: ProbedInstance, outcome: ProbeOutcome): void {
    // A result about a container that has since gone (or been replaced) is thrown away.
    const live = this.target.instance();
    if (!live || live.id !== instance.id || !live.running) return;
    if (outcome.result === 'error') {
      // A prober error is reported but not counted (worker.go throws the result away).
      this.target.event('Warning', 'Unhealthy', `${TITLE[this.kind]} probe errored: ${outcome.output}`);
      return;
    }
    const success = outcome.result === 'success';
    if (!success)
      this.target.event('Warning', 'Unhealthy', `${TITLE[this.kind]} probe failed: ${outcome.output}`);
    if (this.lastSuccess === success) this.run++;
    else {
      this.lastSuccess = success;
      this.run = 1;
    }
    const threshold = success ? (this.spec.successThreshold ?? 1) : (this.spec.failureThreshold ?? 3);
    if (this.run < threshold) return;
    if (!success && this.kind !== 'readiness') {
      // The container will be killed: stop probing it until a new instance shows up.
      this.onHold = true;
      this.run = 0;
    }
    this.target.result(this.kind, instance, success);
  }
}
