/**
 * The sim's self-injected API faults (src/sim/api/faults.ts), seen from the wire: status answers
 * and their bodies, Retry-After, hung requests and the apiserver's deadline, a restart that refuses
 * connections and comes back on the same port with the same store; watches that resume across it;
 * and the harness client (KubeApi) riding each of them out with retries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApi } from '../../src/harness/kube-api.ts';
import type { RetryReport } from '../../src/harness/retry.ts';
import { parseApiFaultFlag } from '../../src/sim/api/fault-flag.ts';
import { SERVER_REQUEST_TIMEOUT_MS } from '../../src/sim/api/faults.ts';
import { cliInProcess, startCli } from '../support/cli.ts';
import { served, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { waitFor } from '../support/wait.ts';

let t: TestSim | undefined;
afterEach(async () => {
  await t?.sim.stop();
  t = undefined;
});

async function sim(options: Parameters<typeof startTestSim>[0] = {}): Promise<TestSim> {
  t = await startTestSim({ apiOnly: true, tls: false, timeScale: 20, ...options });
  return t;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on its own connection; rejects with the socket error (ECONNREFUSED, …). */
function send(
  base: string,
  path: string,
  options: { method?: string; body?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: options.body ? { 'Content-Type': 'application/json' } : {},
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const errorCode = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: NodeJS.ErrnoException) => e.code ?? e.name,
  );

const configMaps = () => served('v1', 'configmaps');
const createInProcess = (s: TestSim, name: string) =>
  s.sim.registry.create(configMaps(), 'default', { metadata: { name } }, { manager: 'test' });

describe('sim API faults: status answers', () => {
  it('500 answers a Status InternalError to matching requests only, until its count is used up', async () => {
    const s = await sim();
    const fault = s.sim.apiFaults.inject({
      kind: 'status',
      status: 500,
      count: 2,
      match: { verbs: ['list'], resources: ['configmaps'] },
    });
    const first = await send(s.sim.url, '/api/v1/namespaces/default/configmaps');
    expect(first.status).toBe(500);
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: expect.stringMatching(/^Internal error occurred: /),
    });
    // Other verbs and resources are served as usual.
    expect((await send(s.sim.url, '/api/v1/nodes')).status).toBe(200);
    expect((await send(s.sim.url, '/api/v1/namespaces/default/configmaps/none')).status).toBe(404);
    expect((await send(s.sim.url, '/api/v1/namespaces/default/configmaps')).status).toBe(500);
    expect(fault.hits).toBe(2);
    expect(fault.active).toBe(false);
    await fault.ended;
    expect((await send(s.sim.url, '/api/v1/namespaces/default/configmaps')).status).toBe(200);
  });

  it('429 is the flow-control filter’s plain-text answer with Retry-After; 503 a ServiceUnavailable Status', async () => {
    const s = await sim();
    const throttled = s.sim.apiFaults.inject({ kind: 'status', status: 429, count: 1 });
    const a = await send(s.sim.url, '/api/v1/namespaces');
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBe('1');
    expect(a.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(a.body).toBe('Too many requests, please try again later.\n');
    await throttled.ended;

    s.sim.apiFaults.inject({ kind: 'status', status: 503, retryAfterSeconds: 3, count: 1 });
    const b = await send(s.sim.url, '/apis/apps/v1/deployments');
    expect(b.status).toBe(503);
    expect(b.headers['retry-after']).toBe('3');
    expect(JSON.parse(b.body)).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      code: 503,
      details: { retryAfterSeconds: 3 },
    });
    // Subresources are matched by their own RBAC name only.
    s.sim.apiFaults.inject({ kind: 'status', status: 503, match: { resources: ['pods/eviction'] } });
    expect((await send(s.sim.url, '/api/v1/namespaces/default/pods')).status).toBe(200);
    const eviction = await send(s.sim.url, '/api/v1/namespaces/default/pods/x/eviction', {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'x' } }),
    });
    expect(eviction.status).toBe(503);
  });

  it('a fault lasts forMs of cluster time; health endpoints answer throughout', async () => {
    const s = await sim();
    const t0 = s.sim.clock.now();
    const fault = s.sim.apiFaults.inject({ kind: 'status', status: 503, forMs: 3_000 });
    expect((await send(s.sim.url, '/api/v1/namespaces')).status).toBe(503);
    expect((await send(s.sim.url, '/readyz')).status).toBe(200);
    let firstOk: number | undefined;
    while (firstOk === undefined) {
      if ((await send(s.sim.url, '/api/v1/namespaces')).status === 200) firstOk = s.sim.clock.now();
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(firstOk - t0).toBeGreaterThanOrEqual(3_000);
    // Generous: a loaded machine stretches wall time, and every wall ms is 20 cluster ms here.
    expect(firstOk - t0).toBeLessThan(3_000 + 20_000);
    expect(fault.active).toBe(false);
  });

  it('refuses a malformed spec with the field and what was expected', async () => {
    const s = await sim();
    expect(() => s.sim.apiFaults.inject({ kind: 'status', status: 404 as 500 })).toThrow(
      /status must be 500, 503 or 429/,
    );
    expect(() => s.sim.apiFaults.inject({ kind: 'restart', count: 2 })).toThrow(/count does not apply/);
    expect(() => s.sim.apiFaults.inject({ kind: 'timeout', forMs: -1 })).toThrow(/forMs must be ≥ 0/);
    expect(() => s.sim.apiFaults.inject({ kind: 'status', match: { verbs: ['fetch' as 'get'] } })).toThrow(
      /unknown verb "fetch"/,
    );
    expect(s.sim.apiFaults.active()).toEqual([]);
  });
});

describe('sim API faults: timeouts', () => {
  it('holds a request until the client gives up, and lets go of it then', async () => {
    const s = await sim();
    s.sim.apiFaults.inject({ kind: 'timeout' });
    const controller = new AbortController();
    const pending = errorCode(send(s.sim.url, '/api/v1/namespaces', { signal: controller.signal }));
    await waitFor('the request to be held', () => s.sim.apiFaults.held() === 1);
    controller.abort();
    expect(await pending).toBe('ABORT_ERR');
    await waitFor('the server to let go of it', () => s.sim.apiFaults.held() === 0);
  });

  it('answers 504 Timeout once the apiserver’s own request deadline (cluster time) has passed', async () => {
    // At ×200 the 60 s deadline is 0.3 wall seconds.
    const s = await sim({ timeScale: 200 });
    s.sim.apiFaults.inject({ kind: 'timeout', match: { resources: ['namespaces'] } });
    const t0 = s.sim.clock.now();
    const a = await send(s.sim.url, '/api/v1/namespaces');
    expect(s.sim.clock.now() - t0).toBeGreaterThanOrEqual(SERVER_REQUEST_TIMEOUT_MS);
    expect(a.status).toBe(504);
    expect(JSON.parse(a.body)).toMatchObject({ kind: 'Status', reason: 'Timeout', code: 504 });
    expect(s.sim.apiFaults.held()).toBe(0);
  });

  it('drops held requests when the sim stops (no socket outlives it)', async () => {
    const s = await sim({ timeScale: 1 });
    s.sim.apiFaults.inject({ kind: 'timeout' });
    const pending = errorCode(send(s.sim.url, '/api/v1/namespaces'));
    await waitFor('the request to be held', () => s.sim.apiFaults.held() === 1);
    const started = Date.now();
    await s.sim.stop();
    expect(await pending).toBe('ECONNRESET');
    expect(s.sim.apiFaults.held()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('sim API faults: restart', () => {
  it('refuses connections for forMs, cuts open watches, then serves the same store on the same port', async () => {
    const s = await sim();
    createInProcess(s, 'before');
    const port = new URL(s.sim.url).port;
    // An open watch: the restart must cut it.
    let watchOpen = false;
    let watchClosed = false;
    const watchReq = request(new URL('/api/v1/namespaces/default/configmaps?watch=true', s.sim.url), {
      agent: false,
    });
    watchReq.on('response', (res) => {
      watchOpen = true;
      res.resume();
      res.on('close', () => (watchClosed = true));
    });
    watchReq.on('error', () => (watchClosed = true));
    watchReq.end();
    await waitFor('the watch to be open', () => watchOpen);

    const t0 = s.sim.clock.now();
    const restart = s.sim.apiFaults.inject({ kind: 'restart', forMs: 2_000 });
    await waitFor('the listener to refuse', () => watchClosed, 5_000);
    expect(await errorCode(send(s.sim.url, '/api/v1/namespaces'))).toBe('ECONNREFUSED');
    // Written while the API is down (the sim's controllers write in-process, as before).
    createInProcess(s, 'during');
    await restart.ended;
    expect(s.sim.clock.now() - t0).toBeGreaterThanOrEqual(2_000);
    expect(restart.hits).toBeGreaterThanOrEqual(1);
    expect(new URL(s.sim.url).port).toBe(port);
    const list = JSON.parse((await send(s.sim.url, '/api/v1/namespaces/default/configmaps')).body) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['before', 'during']);
  });

  it('stopping the sim mid-restart leaves no listener behind', async () => {
    const s = await sim();
    const port = Number(new URL(s.sim.url).port);
    const restart = s.sim.apiFaults.inject({ kind: 'restart', forMs: 600_000 });
    while ((await errorCode(send(s.sim.url, '/version'))) !== 'ECONNREFUSED')
      await new Promise((r) => setTimeout(r, 10));
    await s.sim.stop();
    await restart.ended;
    // The port is free: nothing of the sim listens on it any more.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });
});

/**
 * A watch that resumes as client-go's RetryWatcher does: from the last resourceVersion it saw
 * (events and bookmarks), and with a fresh list when the server answers 410 Gone.
 */
function resumingWatch(s: TestSim, path: string) {
  const { kc } = simClients(s);
  const watch = new Watch(kc);
  const added: string[] = [];
  const versions: number[] = [];
  let rv = '';
  let expired = 0;
  let reconnects = 0;
  let stopped = false;
  let current: AbortController | undefined;
  const relist = async () => {
    const list = JSON.parse((await send(s.sim.url, path)).body) as {
      metadata: { resourceVersion: string };
      items: { metadata: { name: string } }[];
    };
    for (const i of list.items) if (!added.includes(i.metadata.name)) added.push(i.metadata.name);
    rv = list.metadata.resourceVersion;
  };
  const start = async (): Promise<void> => {
    if (stopped) return;
    current = await watch.watch(
      path,
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number }) => {
        if (type === 'ERROR' && obj.code === 410) {
          expired++;
          rv = '';
          return;
        }
        if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
        if (type === 'ADDED') {
          added.push(obj.metadata?.name ?? '');
          versions.push(Number(obj.metadata?.resourceVersion));
        }
      },
      () => {
        if (stopped) return;
        reconnects++;
        setTimeout(() => void (rv ? start() : relist().then(start, () => start())), 20);
      },
    );
  };
  return {
    added,
    versions,
    get expired() {
      return expired;
    },
    get reconnects() {
      return reconnects;
    },
    async begin() {
      await relist();
      await start();
    },
    stop() {
      stopped = true;
      current?.abort();
    },
  };
}

describe('watches across an API restart', () => {
  it('resume from their last resourceVersion: every change made while the API was down arrives once, in order', async () => {
    const s = await sim();
    createInProcess(s, 'cm-0');
    const w = resumingWatch(s, '/api/v1/namespaces/default/configmaps');
    await w.begin();
    createInProcess(s, 'cm-1');
    await waitFor('the live event', () => w.added.includes('cm-1'));

    const restart = s.sim.apiFaults.inject({ kind: 'restart', forMs: 3_000 });
    await waitFor('the watch to drop', () => w.reconnects >= 1, 5_000);
    for (let i = 2; i < 12; i++) createInProcess(s, `cm-${i}`);
    await restart.ended;
    await waitFor('the changes made during the outage', () => w.added.includes('cm-11'), 10_000);
    w.stop();
    expect(w.expired).toBe(0);
    expect(w.added).toEqual(Array.from({ length: 12 }, (_, i) => `cm-${i}`));
    expect(w.versions).toEqual([...w.versions].sort((a, b) => a - b));
  });

  it('get 410 Gone and relist when the outage outlasted the retained history', async () => {
    const s = await sim({ historySize: 5 });
    const w = resumingWatch(s, '/api/v1/namespaces/default/configmaps');
    await w.begin();
    createInProcess(s, 'live');
    await waitFor('the live event', () => w.added.includes('live'));
    const restart = s.sim.apiFaults.inject({ kind: 'restart', forMs: 3_000 });
    await waitFor('the watch to drop', () => w.reconnects >= 1, 5_000);
    for (let i = 0; i < 30; i++) createInProcess(s, `burst-${i}`);
    await restart.ended;
    await waitFor('the relist', () => w.added.includes('burst-29'), 10_000);
    w.stop();
    expect(w.expired).toBeGreaterThanOrEqual(1);
    expect(new Set(w.added)).toEqual(
      new Set(['live', ...Array.from({ length: 30 }, (_, i) => `burst-${i}`)]),
    );
  });
});

describe('the harness client (KubeApi) against each fault', () => {
  it('retries through 500, 429, 503, a restart and hung requests; answers that are not worth retrying fail at once', async () => {
    const s = await sim();
    const reports: RetryReport[] = [];
    const { kc } = simClients(s);
    const api = new KubeApi(kc, { clock: s.sim.clock, requestTimeoutMs: 300 });
    api.onRetry((r) => reports.push(r));
    createInProcess(s, 'x');
    const listNames = async () =>
      (await api.list('v1', 'ConfigMap', { namespace: 'default' })).map((c) => c.metadata?.name);

    for (const spec of [
      { kind: 'status', status: 500, forMs: 2_000 },
      { kind: 'status', status: 429, forMs: 2_000 },
      { kind: 'status', status: 503, count: 3 },
      { kind: 'restart', forMs: 2_000 },
      { kind: 'timeout', forMs: 1_000 },
    ] as const) {
      s.sim.apiFaults.inject(spec);
      expect(await listNames(), JSON.stringify(spec)).toEqual(['x']);
      await s.sim.apiFaults.clearAll();
    }
    const causes = Object.keys(Object.assign({}, ...reports.map((r) => r.causes)) as object);
    expect(causes).toEqual(expect.arrayContaining(['429', '500', '503', 'ECONNREFUSED', 'timeout']));
    // A pooled keep-alive connection cut by the restart shows as a reset on its next request.
    expect(causes.filter((c) => !['429', '500', '503', 'ECONNREFUSED', 'timeout'].includes(c))).toEqual(
      causes.includes('ECONNRESET') ? ['ECONNRESET'] : [],
    );
    expect(reports.every((r) => r.outcome === 'recovered')).toBe(true);

    // Not worth retrying: a 404 is an answer (read → undefined), a duplicate create a 409 at once.
    reports.length = 0;
    expect(await api.read({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'no' })).toBe(
      undefined,
    );
    await expect(
      api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }),
    ).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists', attempts: 1 });
    expect(reports).toEqual([]);
  });
});

describe('scars sim serve --api-fault', () => {
  it('parses <what>[:resources][@after][+for] in cluster time', () => {
    expect(parseApiFaultFlag('503@30s+10s')).toEqual({
      afterMs: 30_000,
      spec: { kind: 'status', status: 503, forMs: 10_000 },
    });
    expect(parseApiFaultFlag('429:pods,nodes+1m')).toEqual({
      afterMs: 0,
      spec: { kind: 'status', status: 429, forMs: 60_000, match: { resources: ['pods', 'nodes'] } },
    });
    expect(parseApiFaultFlag('restart@2m+20s')).toEqual({
      afterMs: 120_000,
      spec: { kind: 'restart', forMs: 20_000 },
    });
    expect(parseApiFaultFlag('timeout')).toEqual({ afterMs: 0, spec: { kind: 'timeout' } });
    expect(() => parseApiFaultFlag('404@1s')).toThrow(/expected <500\|503\|429\|timeout\|restart>/);
    expect(() => parseApiFaultFlag('restart@1s')).toThrow(/a restart needs \+<for>/);
    expect(() => parseApiFaultFlag('503@soon')).toThrow(/after "soon" is not a duration/);
  });

  it('a bad --api-fault: one line naming the flag, exit 2, nothing started', async () => {
    const r = await cliInProcess(['sim', 'serve', '--api-fault', 'restart:pods+5s']);
    expect(r.code).toBe(2);
    // The usage hint every usage error gets follows the one line; no stack trace.
    expect(r.stderr).toMatch(/^scars: --api-fault: a restart cuts every connection: no resources; expected /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('serves the scheduled fault (real CLI child)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-serve-faults-'));
    const serve = startCli([
      'sim',
      'serve',
      '--http',
      '--api-only',
      '--kubeconfig',
      join(dir, 'kc.yaml'),
      '--api-fault',
      '503:namespaces+1h',
    ]);
    let stdout = '';
    serve.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await serve.waitForOutput(
        /scars sim: API fault: 503 on namespaces from 0s, for 3600s \(cluster time\)/,
      );
      const base = /ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? '';
      expect(base, stdout).not.toBe('');
      expect((await send(base, '/api/v1/namespaces')).status).toBe(503);
      expect((await send(base, '/api/v1/nodes')).status).toBe(200);
    } finally {
      serve.child.kill('SIGINT');
      await serve.done;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
