/**
 * Probes over real sockets against event-loop stalls. At time scale 20 a 1 s probe timeout is a
 * 50 ms timer; a stall of the process (the server runs in it too) longer than that must not fail
 * a probe whose reply the server had sent, nor one the stall kept from reaching the server, while
 * a server that really answers after the deadline still fails it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Probe } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { HostNetworkError } from '../../../../src/agent/host.ts';
import { SimClock } from '../../../../src/sim/clock.ts';
import { clockTimers, type DeadlineTimers, GRACE_TURNS, ioDeadline } from '../../../../src/sim/clock-io.ts';
import { type NetworkAttachment, SimNetwork } from '../../../../src/sim/dataplane/pod-network.ts';
import { type ProbedInstance, type ProbeTarget, ProbeWorker } from '../../../../src/sim/kubelet/probes.ts';
import type { ProbeReply, SimProcess } from '../../../../src/sim/kubelet/runtime.ts';
import { Timers } from '../../../../src/sim/kubelet/timers.ts';

const TIME_SCALE = 20;
const STALL_MS = 200;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Blocks the event loop, as a loaded machine or a long synchronous task does. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

const never = (): Promise<ProbeReply> => new Promise<ProbeReply>(() => {});

/** The prober's side, as AgentProcess sends probes: from the node, through the sim network. */
function prober(): { clock: SimClock; net: NetworkAttachment } {
  const clock = new SimClock(TIME_SCALE);
  const network = new SimNetwork(clock);
  const net = network.attach({ kind: 'node', ip: '127.18.250.1', log: () => {} });
  cleanups.push(
    () => clock.stop(),
    () => network.close(),
  );
  return { clock, net };
}

interface Verdict {
  success: boolean;
  at: number;
  events: string[];
}

/**
 * Runs one liveness probe (thresholds 1); `afterSend` runs once the request is under way and the
 * deadline armed. The probe is triggered from the check phase (as when the kubelet probes a
 * container that just started), so the loop's next timers phase comes before its next poll.
 */
function probeOnce(
  probe: Probe,
  send: (net: NetworkAttachment, timeoutMs: number) => Promise<ProbeReply>,
  afterSend?: () => void,
): Promise<Verdict> {
  const { clock, net } = prober();
  const timers = new Timers(clock);
  const process: SimProcess = {
    workingSetBytes: () => 0,
    probe: (_kind, spec) => {
      const reply = send(net, Math.max(1, spec.timeoutSeconds ?? 1) * 1000);
      if (afterSend) queueMicrotask(afterSend);
      return reply;
    },
    signal: () => {},
    podUpdated: () => {},
  };
  const instance = { id: 'c1', startedAt: clock.now(), running: false, started: true, process };
  const events: string[] = [];
  return new Promise<Verdict>((resolve) => {
    const target: ProbeTarget = {
      hasStartupProbe: false,
      instance: (): ProbedInstance => instance,
      podIP: () => '127.0.0.1',
      ports: () => [],
      paused: () => false,
      event: (_type, _reason, message) => events.push(message),
      result: (_kind, _instance, success) => {
        worker.stop();
        resolve({ success, at: performance.now(), events });
      },
    };
    const worker = new ProbeWorker(
      'liveness',
      { periodSeconds: 3600, failureThreshold: 1, ...probe },
      target,
      timers,
    );
    cleanups.push(() => {
      worker.stop();
      timers.clear();
    });
    // The worker's first tick finds the container not running yet.
    worker.start();
    setImmediate(() => {
      instance.running = true;
      worker.trigger();
    });
  });
}

/** An httpGet probe as AgentProcess sends it: a real GET; no answer within the timeout is no reply. */
function httpGet(port: number): [Probe, (net: NetworkAttachment, timeoutMs: number) => Promise<ProbeReply>] {
  return [
    { httpGet: { host: '127.0.0.1', port, path: '/healthz' }, timeoutSeconds: 1 },
    (net, timeoutMs) =>
      net.http({ url: `http://127.0.0.1:${port}/healthz`, timeoutMs }).then(
        (res): ProbeReply => ({ type: 'http', statusCode: res.status }),
        (err: unknown) =>
          err instanceof HostNetworkError && err.code === 'ETIMEDOUT'
            ? never()
            : { type: 'unreachable', reason: 'connection refused' },
      ),
  ];
}

describe('probes across an event-loop stall', () => {
  it('an HTTP reply already written when the loop stalls past the deadline counts', async () => {
    const port = await serve((_req, res) => {
      res.end('ok');
      // The reply sits in the prober's socket while the loop is stuck past the 50 ms deadline.
      stall(STALL_MS);
    });
    const verdict = await probeOnce(...httpGet(port));
    expect(verdict.events).toEqual([]);
    expect(verdict.success).toBe(true);
  });

  it('an HTTP request the stall caught before it reached the server still gets its answer', async () => {
    let served = 0;
    const port = await serve((_req, res) => {
      served++;
      res.end('ok');
    });
    const [probe, send] = httpGet(port);
    const verdict = await probeOnce(probe, send, () => stall(STALL_MS));
    expect(verdict.events).toEqual([]);
    expect(verdict.success).toBe(true);
    expect(served).toBe(1);
  });

  it('a TCP connect the stall caught in flight succeeds', async () => {
    const port = await serve((_req, res) => res.end());
    const verdict = await probeOnce(
      { tcpSocket: { host: '127.0.0.1', port }, timeoutSeconds: 1 },
      (net, timeoutMs) =>
        net.tcpConnect('127.0.0.1', port, timeoutMs).then(
          (): ProbeReply => ({ type: 'tcp', connected: true }),
          () => never(),
        ),
      () => stall(STALL_MS),
    );
    expect(verdict.events).toEqual([]);
    expect(verdict.success).toBe(true);
  });
});

describe('probes against a server slower than the timeout', () => {
  it('an HTTP reply sent after the deadline fails the probe, on time', async () => {
    let repliedAt = Number.POSITIVE_INFINITY;
    // 150 ms of wall time is 3 s at time scale 20: three times the 1 s timeout.
    const port = await serve((_req, res) => {
      setTimeout(() => {
        repliedAt = performance.now();
        res.end('late');
      }, 150);
    });
    const [probe, send] = httpGet(port);
    const verdict = await probeOnce(probe, send);
    expect(verdict.success).toBe(false);
    expect(verdict.at).toBeLessThan(repliedAt);
    expect(verdict.events).toEqual([
      `Liveness probe failed: Get "http://127.0.0.1:${port}/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    ]);
  });

  it('a timed-out HTTP probe closes its connection at the deadline, as the kubelet does', async () => {
    let closedAt = Number.POSITIVE_INFINITY;
    const port = await serve((_req, res) => {
      res.on('close', () => (closedAt = performance.now()));
    });
    const [probe, send] = httpGet(port);
    const started = performance.now();
    const verdict = await probeOnce(probe, send);
    expect(verdict.success).toBe(false);
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
    // The deadline is 50 ms of wall time; the backup timer would be a second later.
    expect(closedAt - started).toBeLessThan(500);
  });

  it('a reply due on the sim clock after the deadline fails the probe', async () => {
    const { clock } = prober();
    const verdict = await probeOnce(
      { exec: { command: ['slow'] }, timeoutSeconds: 1 },
      () =>
        new Promise<ProbeReply>((resolve) =>
          clock.setTimeout(() => resolve({ type: 'exec', exitCode: 0, output: '' }), 2000),
        ),
    );
    expect(verdict.success).toBe(false);
    expect(verdict.events).toEqual(['Liveness probe failed: command "slow" timed out']);
  });
});

describe('ioDeadline', () => {
  /** The sim clock's timers, telling whether `expire` ran inside the deadline's own timer callback. */
  function watched(clock: SimClock) {
    const timers = clockTimers(clock);
    const state = { inTimer: false, fired: 0 };
    const port: DeadlineTimers<NodeJS.Timeout> = {
      clock,
      cancel: timers.cancel,
      after: (simMs, fn) =>
        timers.after(simMs, () => {
          state.inTimer = true;
          state.fired++;
          try {
            fn();
          } finally {
            state.inTimer = false;
          }
        }),
    };
    return { port, state };
  }

  it('expires in its own timer callback when the loop was not stalled, after grace turns when it was', async () => {
    const clock = new SimClock(TIME_SCALE);
    cleanups.push(() => clock.stop());
    const { port, state } = watched(clock);
    const onTime = await new Promise<boolean>((resolve) =>
      ioDeadline(port, 1000, () => resolve(state.inTimer)),
    );
    expect(onTime).toBe(true);
    let turns = 0;
    const count = (): void => {
      turns++;
      if (turns < 10_000) setImmediate(count);
    };
    const stalled = new Promise<{ inTimer: boolean; turns: number }>((resolve) =>
      ioDeadline(port, 1000, () => resolve({ inTimer: state.inTimer, turns })),
    );
    stall(STALL_MS);
    setImmediate(count);
    const late = await stalled;
    expect(late.inTimer).toBe(false);
    expect(late.turns).toBeGreaterThanOrEqual(GRACE_TURNS - 1);
    turns = 10_000;
  });

  it('is not called once cancelled, before its timer fires or during its grace turns', async () => {
    const clock = new SimClock(TIME_SCALE);
    cleanups.push(() => clock.stop());
    const { port, state } = watched(clock);
    let expired = 0;
    ioDeadline(port, 1000, () => expired++).cancel();
    let firedBeforeCancel = 0;
    const stalled = ioDeadline(port, 1000, () => expired++);
    // Due after the deadline, so it runs right after the deadline's late timer, in the same phase.
    clock.setTimeout(() => {
      firedBeforeCancel = state.fired;
      stalled.cancel();
    }, 1200);
    stall(STALL_MS);
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
    // The stalled deadline's timer had fired (its grace turns begun) when it was cancelled.
    expect(firedBeforeCancel).toBe(1);
    expect(expired).toBe(0);
  });
});
