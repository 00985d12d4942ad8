/**
 * `serve` and `httpprobe` on the real host, loopback only: servers bind 127.0.0.1 on free ports,
 * probes go to them, and the spawned CLI runs with SCARS_AGENT_LOOPBACK_ONLY=1. Timing checks are
 * one-sided and generous (a busy machine makes things slower, never faster than the model).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/agent/host.ts';
import { RealHost } from '../../src/agent/host/real.ts';
import type { HttpprobeEvent, HttpprobeSummary } from '../../src/agent/modes/httpprobe.ts';
import type { ServeEvent, ServeSummary } from '../../src/agent/modes/serve.ts';

import { validLeaf } from '../support/certs.ts';
import { type RunningAgent, runToEnd, spawnAgent, startAgent } from '../support/real-agent.ts';
import { waitFor } from '../support/wait.ts';

type Of<E, K> = Extract<E, { event: K }>;

const client = new RealHost({ loopbackOnly: true }).net;

function get(url: string, extra: { ca?: string; timeoutMs?: number } = {}): Promise<HttpResponse> {
  return client.http({
    url,
    timeoutMs: extra.timeoutMs ?? 5000,
    tls: extra.ca ? { ca: extra.ca } : undefined,
  });
}

const bodyText = (r: HttpResponse) => Buffer.from(r.body).toString('utf8');

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** A port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Served {
  agent: RunningAgent;
  port: number;
  base: string;
  stop(): Promise<number>;
}

const running = new Set<RunningAgent>();

async function serve(...flags: string[]): Promise<Served> {
  // Quiet by default; a repeated flag would be an array (yargs), so only when the test sets none.
  const quiet = flags.includes('--stats-interval') ? [] : ['--stats-interval', '0'];
  const agent = startAgent(['serve', '--port', '0', ...quiet, ...flags]);
  running.add(agent);
  const listening = await agent.waitForEvent<Of<ServeEvent, 'listening'>>('listening');
  return {
    agent,
    port: listening.port,
    base: `http://127.0.0.1:${listening.port}`,
    stop: async () => {
      agent.terminate();
      const code = await agent.done;
      running.delete(agent);
      return code;
    },
  };
}

afterAll(async () => {
  for (const agent of running) agent.terminate();
  await Promise.all([...running].map((a) => a.done));
});

describe('serve', () => {
  it('answers /healthz, /readyz and / and sums them up on SIGTERM', async () => {
    const s = await serve();
    const listening = s.agent.events<Of<ServeEvent, 'listening'>>('listening');
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ tls: false, address: '127.0.0.1' });

    const healthz = await get(`${s.base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(bodyText(healthz).trim()).toBe('ok');
    expect((await get(`${s.base}/readyz`)).status).toBe(200);
    const root = await get(`${s.base}/some/path?x=1`);
    expect(root.status).toBe(200);
    expect(JSON.parse(bodyText(root))).toEqual({
      hostname: s.agent.host.hostname,
      path: '/some/path?x=1',
      served: 1,
    });

    expect(await s.stop()).toBe(0);
    const [summary] = s.agent.events<ServeSummary>('summary');
    expect(summary).toMatchObject({
      exitCode: 0,
      stoppedBy: 'signal',
      requests: 3,
      byPath: { '/healthz': 1, '/readyz': 1, '/some/path': 1 },
      byStatus: { '200': 3 },
    });
    expect(s.agent.events('terminating')).toHaveLength(1);
  });

  it('fails readiness (not liveness) during the warm-up, then becomes ready', async () => {
    const s = await serve('--warmup', '700ms');
    const first = await get(`${s.base}/readyz`);
    expect(first.status).toBe(503);
    expect(bodyText(first)).toMatch(/warming up/);
    expect((await get(`${s.base}/healthz`)).status).toBe(200);
    const statuses = [first.status];
    const until = Date.now() + 5000;
    while (statuses.at(-1) !== 200 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      statuses.push((await get(`${s.base}/readyz`)).status);
    }
    expect(statuses.at(-1)).toBe(200);
    // 503 until the warm-up is over, then 200 for good.
    expect(statuses.slice(0, statuses.indexOf(200)).every((st) => st === 503)).toBe(true);
    expect(await s.stop()).toBe(0);
  });

  it('serves HTTPS from a mounted TLS Secret directory alongside HTTP', async () => {
    const leaf = await validLeaf();
    const dir = mkdtempSync(join(tmpdir(), 'scars-serve-tls-'));
    try {
      writeFileSync(join(dir, 'tls.crt'), leaf.cert);
      writeFileSync(join(dir, 'tls.key'), leaf.key);
      const s = await serve('--tls-port', '0', '--tls-dir', dir);
      await s.agent.waitForEvent('listening');
      await waitFor('both listeners', () => s.agent.events('listening').length === 2);
      const tlsListening = s.agent.events<Of<ServeEvent, 'listening'>>('listening').find((l) => l.tls) as Of<
        ServeEvent,
        'listening'
      >;
      const https = await get(`https://127.0.0.1:${tlsListening.port}/healthz`, { ca: leaf.caCert });
      expect(https.status).toBe(200);
      expect((await get(`${s.base}/healthz`)).status).toBe(200);
      expect(await s.stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 3 with an error line when the certificate cannot be read or the port is taken', async () => {
    const missing = await runToEnd([
      'serve',
      '--port',
      '0',
      '--tls-port',
      '0',
      '--cert',
      '/nonexistent/tls.crt',
      '--key',
      '/nonexistent/tls.key',
    ]);
    expect(missing.code).toBe(3);
    expect(missing.lines.find((l) => l.event === 'error')).toMatchObject({
      message: expect.stringContaining('/nonexistent/tls.crt'),
    });
    expect(missing.lines.at(-1)).toMatchObject({ event: 'summary', exitCode: 3, stoppedBy: 'error' });

    const s = await serve();
    const taken = await runToEnd(['serve', '--port', String(s.port)]);
    expect(taken.code).toBe(3);
    expect(taken.lines.find((l) => l.event === 'error')).toMatchObject({
      message: expect.stringContaining('EADDRINUSE'),
    });
    expect(await s.stop()).toBe(0);
  });

  it('refuses TLS flags that do not add up (exit 2)', async () => {
    expect((await runToEnd(['serve', '--tls-port', '8443'])).code).toBe(2);
    expect((await runToEnd(['serve', '--cert', 'a.crt', '--key', 'a.key'])).code).toBe(2);
  });

  it('on SIGTERM fails readiness, keeps serving for the shutdown delay, then exits 0', async () => {
    const s = await serve('--shutdown-delay', '1s');
    expect((await get(`${s.base}/readyz`)).status).toBe(200);
    s.agent.terminate();
    await s.agent.waitForEvent('terminating');
    const readyz = await get(`${s.base}/readyz`);
    expect(readyz.status).toBe(503);
    expect(bodyText(readyz)).toMatch(/shutting down/);
    // Liveness stays fine: a terminating pod must not be restarted by its liveness probe.
    expect((await get(`${s.base}/healthz`)).status).toBe(200);
    expect((await get(`${s.base}/`)).status).toBe(200);
    expect(await s.agent.done).toBe(0);
    running.delete(s.agent);
    const summary = s.agent.events<ServeSummary>('summary');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ exitCode: 0, stoppedBy: 'signal', byStatus: { '200': 3, '503': 1 } });
    // The listener is closed once the run is over.
    await expect(get(`${s.base}/healthz`, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('queues probes behind work in a busy worker pool, unless probes bypass it', async () => {
    // One worker, 100ms per request: five requests ahead of /healthz make it wait for ~500ms.
    const busy = await serve('--workers', '1', '--work', '100ms', '--log-requests');
    const load = Array.from({ length: 5 }, () => get(`${busy.base}/`));
    await waitFor('the five requests to arrive', () => busy.agent.events('request').length >= 1, 5000);
    const probe = await timed(() => get(`${busy.base}/healthz`));
    expect(probe.value.status).toBe(200);
    expect(probe.ms).toBeGreaterThanOrEqual(300);
    await Promise.all(load);
    const healthzLine = busy.agent
      .events<Of<ServeEvent, 'request'>>('request')
      .find((l) => l.path === '/healthz') as Of<ServeEvent, 'request'>;
    // Served after the five: it waited for at least the four still queued when it arrived.
    expect(healthzLine.queuedMs).toBeGreaterThanOrEqual(300);
    const order = busy.agent.events<Of<ServeEvent, 'request'>>('request').map((l) => l.path);
    expect(order.indexOf('/healthz')).toBe(5);
    expect(await busy.stop()).toBe(0);

    const bypass = await serve(
      '--workers',
      '1',
      '--work',
      '100ms',
      '--probes-bypass-workers',
      '--log-requests',
    );
    const load2 = Array.from({ length: 5 }, () => get(`${bypass.base}/`));
    await waitFor('the first request to be served', () => bypass.agent.events('request').length >= 1, 5000);
    const fast = await timed(() => get(`${bypass.base}/healthz`));
    expect(fast.value.status).toBe(200);
    await Promise.all(load2);
    // Answered while the pool was still busy with the queue.
    const order2 = bypass.agent.events<Of<ServeEvent, 'request'>>('request').map((l) => l.path);
    expect(order2.indexOf('/healthz')).toBeLessThan(5);
    expect(fast.ms).toBeLessThan(probe.ms);
    expect(await bypass.stop()).toBe(0);
  });

  it('adds --latency to requests and --probe-latency to probes', async () => {
    const s = await serve('--latency', '400ms', '--probe-latency', '0s');
    const root = await timed(() => get(`${s.base}/`));
    expect(root.ms).toBeGreaterThanOrEqual(350);
    const healthz = await timed(() => get(`${s.base}/healthz`));
    expect(healthz.ms).toBeLessThan(root.ms);
    expect(await s.stop()).toBe(0);
  });

  it('with --imds also answers the fake metadata paths, and its own paths as before', async () => {
    const s = await serve('--imds', '--imds-role', 'scars-test-role');
    const roles = await get(`${s.base}/latest/meta-data/iam/security-credentials/`);
    expect(roles.status).toBe(200);
    expect(bodyText(roles).trim()).toBe('scars-test-role');
    expect((await get(`${s.base}/healthz`)).status).toBe(200);
    const root = await get(`${s.base}/`);
    expect(JSON.parse(bodyText(root))).toMatchObject({ path: '/' });
    expect(await s.stop()).toBe(0);
  });

  it('writes stats lines with queue depth and per-path counts', async () => {
    const s = await serve('--stats-interval', '100ms', '--workers', '1', '--work', '300ms');
    const load = Array.from({ length: 3 }, () => get(`${s.base}/x`));
    await waitFor(
      'a stats line that sees the queue',
      () => s.agent.events<Of<ServeEvent, 'stats'>>('stats').some((l) => l.queueDepth >= 1),
      5000,
    );
    await Promise.all(load);
    await waitFor(
      'a stats line that counts the requests',
      () => s.agent.events<Of<ServeEvent, 'stats'>>('stats').some((l) => l.totalRequests === 3),
      5000,
    );
    const stats = s.agent.events<Of<ServeEvent, 'stats'>>('stats');
    expect(stats.reduce((n, l) => n + (l.byPath['/x'] ?? 0), 0)).toBe(3);
    expect(await s.stop()).toBe(0);
  });
});

describe('httpprobe', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('--fail-readiness');
  });
  afterAll(async () => {
    await s.stop();
  });

  const attempts = (lines: { event: string }[]) =>
    lines.filter((l) => l.event === 'attempt') as Of<HttpprobeEvent, 'attempt'>[];
  const summaryOf = (lines: { event: string }[]) =>
    lines.find((l) => l.event === 'summary') as HttpprobeSummary;

  it('reports ok attempts against serve and exits 0', async () => {
    const { code, lines } = await runToEnd([
      'httpprobe',
      '--url',
      `${s.base}/healthz`,
      '--count',
      '3',
      '--interval',
      '50ms',
    ]);
    expect(code).toBe(0);
    const got = attempts(lines);
    expect(got).toHaveLength(3);
    for (const a of got) expect(a).toMatchObject({ url: `${s.base}/healthz`, outcome: 'ok', status: 200 });
    expect(summaryOf(lines)).toMatchObject({
      exitCode: 0,
      stoppedBy: 'count',
      attempts: 3,
      outcomes: { ok: 3 },
    });
  });

  it('reports bad-status for a status outside --expect-status', async () => {
    const bad = await runToEnd(['httpprobe', '--url', `${s.base}/readyz`, '--count', '1']);
    expect(bad.code).toBe(1);
    expect(attempts(bad.lines)[0]).toMatchObject({ outcome: 'bad-status', status: 503 });
    const expected = await runToEnd([
      'httpprobe',
      '--url',
      `${s.base}/readyz`,
      '--count',
      '1',
      '--expect-status',
      '503',
    ]);
    expect(expected.code).toBe(0);
    expect(attempts(expected.lines)[0]).toMatchObject({ outcome: 'ok', status: 503 });
  });

  it('reports refused against a closed port and exits 1', async () => {
    const port = await closedPort();
    const { code, lines } = await runToEnd([
      'httpprobe',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--count',
      '2',
      '--interval',
      '10ms',
    ]);
    expect(code).toBe(1);
    expect(attempts(lines).map((a) => a.outcome)).toEqual(['refused', 'refused']);
    expect(attempts(lines)[0]?.error).toMatch(/ECONNREFUSED/);
    expect(summaryOf(lines)).toMatchObject({ exitCode: 1, failures: 2, failureRatio: 1 });
  });

  it('reports timeout against a handler slower than --timeout', async () => {
    const slow = await serve('--latency', '2s');
    const { code, lines } = await runToEnd([
      'httpprobe',
      '--url',
      `${slow.base}/`,
      '--count',
      '1',
      '--timeout',
      '200ms',
    ]);
    expect(code).toBe(1);
    const [a] = attempts(lines);
    expect(a).toMatchObject({ outcome: 'timeout' });
    expect(a?.latencyMs).toBeGreaterThanOrEqual(190);
    expect(a?.latencyMs).toBeLessThan(2000);
    expect(await slow.stop()).toBe(0);
  });

  it('tolerates failures up to --max-failure-ratio', async () => {
    const port = await closedPort();
    const { code } = await runToEnd([
      'httpprobe',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--count',
      '1',
      '--max-failure-ratio',
      '1',
    ]);
    expect(code).toBe(0);
  });

  it('load mode: paces requests, writes ticks that add up to the summary', async () => {
    const { code, lines } = await runToEnd([
      'httpprobe',
      '--url',
      `${s.base}/`,
      '--rate',
      '100/s',
      '--concurrency',
      '4',
      '--duration',
      '500ms',
      '--report-interval',
      '200ms',
    ]);
    expect(code).toBe(0);
    expect(attempts(lines)).toHaveLength(0);
    const ticks = lines.filter((l) => l.event === 'tick') as unknown as Of<HttpprobeEvent, 'tick'>[];
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    const summary = summaryOf(lines);
    // 500ms at 100/s is 50 slots: each one is either started or skipped (all four workers busy).
    expect(summary.attempts + (summary.skipped ?? 0)).toBe(50);
    expect(summary.outcomes.ok).toBe(summary.attempts);
    expect(ticks.reduce((n, t) => n + t.started, 0)).toBe(summary.attempts);
    expect(ticks.reduce((n, t) => n + t.completed, 0)).toBe(summary.attempts);
    expect(summary).toMatchObject({ stoppedBy: 'duration', maxFailureRatio: 0.01 });
    expect(ticks[0]).toMatchObject({ targetRate: 100 });
  });

  it('refuses bad flags with exit 2', async () => {
    expect((await runToEnd(['httpprobe', '--url', 'ftp://x/'])).code).toBe(2);
    expect((await runToEnd(['httpprobe'])).code).toBe(2);
    expect((await runToEnd(['httpprobe', '--url', s.base, '--rate', '10', '--interval', '1s'])).code).toBe(2);
    expect((await runToEnd(['httpprobe', '--url', s.base, '--header', 'no-equals'])).code).toBe(2);
  });
});

describe('serve as a process', () => {
  it('starts from the CLI, answers, and exits 0 with a summary on SIGTERM', async () => {
    const agent = spawnAgent(['serve', '--port', '0']);
    const { child } = agent;
    try {
      await waitFor(
        'the listening line',
        () => agent.lines().some((l) => l.event === 'listening'),
        15_000,
        () => agent.stdout() + agent.stderr(),
      );
      const listening = agent.lines().find((l) => l.event === 'listening') as unknown as Of<
        ServeEvent,
        'listening'
      >;
      expect(listening).toMatchObject({ tls: false, address: '127.0.0.1' });
      expect((await get(`http://127.0.0.1:${listening.port}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      const { code, lines } = await agent.exited;
      expect(code).toBe(0);
      expect(lines.at(-1)).toMatchObject({ event: 'summary', exitCode: 0, stoppedBy: 'signal', requests: 1 });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
