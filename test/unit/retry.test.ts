/**
 * The retry policy (backoff, jitter, budget, Retry-After, fence) on a fake clock, which failures
 * are retried, and the harness client's retries against a scripted loopback server: creates whose
 * answer was lost, answers that must fail at once, request deadlines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure, retryAfterOf } from '../../src/harness/api-failure.ts';
import { KubeApi, KubeApiError } from '../../src/harness/kube-api.ts';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryReport,
  retryDelay,
  withRetries,
} from '../../src/harness/retry.ts';
import type { Clock } from '../../src/harness/timeline.ts';

/** Time passes only when someone sleeps; every sleep is recorded. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      now += ms;
    },
  };
}

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...over });
const transient = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const apiException = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  new ApiException(
    code,
    'Unsuccessful HTTP Request',
    typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  );
const status = (code: number, reason: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  code,
  reason,
  message: reason,
});

describe('retryDelay', () => {
  it('grows exponentially to its cap; jitter draws within [delay·(1−jitter), delay]', () => {
    const p = policy({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 0.5 });
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(p, n, () => 1))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(p, n, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(retryDelay(policy({ initialDelayMs: 100, jitter: 0 }), 1, () => 0)).toBe(100);
  });

  it('waits at least what Retry-After asks, cut to maxRetryAfterMs', () => {
    const p = policy({ initialDelayMs: 100, maxRetryAfterMs: 5_000 });
    expect(retryDelay(p, 1, () => 1, 2_000)).toBe(2_000);
    expect(retryDelay(p, 1, () => 1, 120_000)).toBe(5_000);
    // A Retry-After shorter than the backoff does not shorten it.
    expect(retryDelay(p, 3, () => 1, 0)).toBe(400);
  });
});

describe('withRetries on a fake clock', () => {
  it('retries retryable failures with backoff and reports how the call recovered', async () => {
    const clock = fakeClock();
    const reports: RetryReport[] = [];
    let n = 0;
    const out = await withRetries(
      async () => {
        n++;
        if (n === 1) throw transient('ECONNREFUSED');
        if (n === 2) throw transient('ECONNRESET');
        return 'ok';
      },
      {
        call: 'GET Node/w1',
        policy: policy({ initialDelayMs: 100, jitter: 0 }),
        clock,
        classify: (e) => classifyFailure(e, 'read'),
        onReport: (r) => reports.push(r),
      },
    );
    expect(out).toBe('ok');
    expect(clock.slept).toEqual([100, 200]);
    expect(reports).toEqual([
      {
        call: 'GET Node/w1',
        attempts: 3,
        causes: { ECONNREFUSED: 1, ECONNRESET: 1 },
        outcome: 'recovered',
        firstFailureAt: 0,
        endedAt: 300,
        ambiguous: true,
      },
    ]);
  });

  it('gives up once the next wait would pass the budget, rethrowing the last failure', async () => {
    const clock = fakeClock();
    const reports: RetryReport[] = [];
    let n = 0;
    const err = await withRetries(
      async () => {
        n++;
        throw apiException(503, status(503, 'ServiceUnavailable'));
      },
      {
        call: 'LIST Pod',
        policy: policy({
          initialDelayMs: 1_000,
          multiplier: 2,
          maxDelayMs: 8_000,
          jitter: 0,
          budgetMs: 20_000,
        }),
        clock,
        classify: (e) => classifyFailure(e, 'read'),
        onReport: (r) => reports.push(r),
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    // 1 + 2 + 4 + 8 = 15 s waited; the next 8 s would end at 23 s > 20 s.
    expect(clock.slept).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(n).toBe(5);
    expect(reports[0]).toMatchObject({
      outcome: 'gave-up',
      attempts: 5,
      causes: { '503': 5 },
      ambiguous: false,
    });
  });

  it('does not retry an answer that is not transient, and reports nothing for it', async () => {
    for (const code of [400, 403, 404, 409, 422]) {
      const clock = fakeClock();
      const reports: RetryReport[] = [];
      let n = 0;
      await expect(
        withRetries(
          async () => {
            n++;
            throw apiException(code, status(code, 'x'));
          },
          {
            call: 'PATCH x',
            policy: policy(),
            clock,
            classify: (e) => classifyFailure(e, 'write'),
            onReport: (r) => reports.push(r),
          },
        ),
      ).rejects.toBeInstanceOf(ApiException);
      expect({ code, attempts: n, slept: clock.slept, reports }).toEqual({
        code,
        attempts: 1,
        slept: [],
        reports: [],
      });
    }
  });

  it('honours Retry-After on a 429 (capped)', async () => {
    const clock = fakeClock();
    let n = 0;
    await withRetries(
      async () => {
        if (++n < 3)
          throw apiException(429, 'Too many requests, please try again later.\n', {
            'retry-after': n === 1 ? '3' : '900',
          });
        return n;
      },
      {
        call: 'LIST Pod',
        policy: policy({ initialDelayMs: 10, maxRetryAfterMs: 30_000 }),
        clock,
        classify: (e) => classifyFailure(e, 'read'),
      },
    );
    expect(clock.slept).toEqual([3_000, 30_000]);
  });

  it('stops at once when fenced: a waiting call gives up and reports it', async () => {
    const fence = new AbortController();
    const reports: RetryReport[] = [];
    // A clock whose sleep only ends by abort, as a long backoff would.
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    };
    const call = withRetries(
      async () => {
        throw transient('ECONNREFUSED');
      },
      {
        call: 'PATCH Node/w1',
        policy: policy(),
        clock,
        classify: (e) => classifyFailure(e, 'write'),
        fence: fence.signal,
        onReport: (r) => reports.push(r),
      },
    );
    await new Promise((r) => setTimeout(r, 10));
    fence.abort();
    await expect(call).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(reports[0]).toMatchObject({ outcome: 'fenced', attempts: 1 });
  });
});

describe('classifyFailure', () => {
  it('retries 429, 5xx and transport failures; knows which may have acted', () => {
    expect(
      classifyFailure(apiException(429, 'Too many requests\n', { 'Retry-After': '2' }), 'create'),
    ).toEqual({
      cause: '429',
      ambiguous: false,
      retryAfterMs: 2_000,
    });
    expect(classifyFailure(apiException(503, status(503, 'ServiceUnavailable')), 'create')).toEqual({
      cause: '503',
      ambiguous: false,
    });
    for (const code of [500, 502, 504])
      expect(classifyFailure(apiException(code, status(code, 'x')), 'write')).toEqual({
        cause: String(code),
        ambiguous: true,
      });
    expect(classifyFailure(transient('ECONNREFUSED'), 'create')).toEqual({
      cause: 'ECONNREFUSED',
      ambiguous: false,
    });
    expect(classifyFailure(transient('ECONNRESET'), 'create')).toEqual({
      cause: 'ECONNRESET',
      ambiguous: true,
    });
    const aborted = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    expect(classifyFailure(aborted, 'read')).toEqual({ cause: 'timeout', ambiguous: true });
    for (const code of [400, 401, 403, 404, 405, 409, 410, 413, 422])
      expect(classifyFailure(apiException(code, status(code, 'x')), 'read')).toBeUndefined();
    expect(classifyFailure(new Error('certificate has expired'), 'read')).toBeUndefined();
  });

  it('leaves a disruption budget’s answer to an eviction alone, but not the flow-control 429', () => {
    const pdb = apiException(429, {
      ...status(429, 'TooManyRequests'),
      details: { causes: [{ reason: 'DisruptionBudget' }] },
    });
    expect(classifyFailure(pdb, 'evict')).toBeUndefined();
    expect(classifyFailure(apiException(500, status(500, 'InternalError')), 'evict')).toBeUndefined();
    expect(
      classifyFailure(apiException(429, 'Too many requests, please try again later.\n'), 'evict'),
    ).toMatchObject({ cause: '429' });
    // Through the pod proxy a 5xx is the pod's answer.
    expect(classifyFailure(apiException(503, 'no endpoints'), 'proxy')).toBeUndefined();
    expect(classifyFailure(transient('ECONNREFUSED'), 'proxy')).toMatchObject({ cause: 'ECONNREFUSED' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterOf({ 'retry-after': '7' })).toBe(7_000);
    expect(retryAfterOf({ 'Retry-After': new Date(61_000).toUTCString() }, 1_000)).toBe(60_000);
    expect(retryAfterOf({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterOf({})).toBeUndefined();
  });
});

// --- KubeApi against a scripted loopback server -------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'v1',
  resources: [
    {
      name: 'configmaps',
      singularName: 'configmap',
      namespaced: true,
      kind: 'ConfigMap',
      verbs: ['create', 'get', 'list', 'patch', 'delete'],
    },
  ],
};

/** A server that answers discovery itself and sends every other request to `handle`; counts them. */
async function scripted(
  handle: Handler,
): Promise<{ api: (o?: ConstructorParameters<typeof KubeApi>[1]) => KubeApi; requests: string[] }> {
  const requests: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/api/v1') return json(res, 200, RESOURCES);
      requests.push(`${req.method} ${req.url?.split('?')[0]}`);
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { api: (o = {}) => new KubeApi(kc, { clock: fakeClock(), ...o }), requests };
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const CM = '/api/v1/namespaces/default/configmaps';
const cm = (labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'default', labels },
});
const OURS = { 'scars.dev/run-id': 'run-a', 'app.kubernetes.io/managed-by': 'scars' };

/** POST stores the object and loses the answer (the connection is cut); later POSTs get AlreadyExists. */
function createLosesItsAnswer(stored: Record<string, unknown>): Handler {
  let posts = 0;
  return (req, res) => {
    if (req.method === 'POST') {
      if (++posts === 1) return req.socket.destroy();
      return json(res, 409, {
        ...status(409, 'AlreadyExists'),
        message: 'configmaps "settings" already exists',
      });
    }
    if (req.method === 'GET')
      return json(res, 200, {
        ...stored,
        metadata: { ...(stored.metadata as object), uid: 'u-1', resourceVersion: '5' },
      });
    json(res, 500, status(500, 'unexpected'));
  };
}

describe('KubeApi retries (scripted server)', () => {
  it('a create whose answer was lost finds its own object on retry and keeps it', async () => {
    const { api, requests } = await scripted(createLosesItsAnswer(cm(OURS)));
    const reports: RetryReport[] = [];
    const client = api();
    client.onRetry((r) => reports.push(r));
    const created = await client.create(cm(OURS));
    expect(created.metadata?.uid).toBe('u-1');
    expect(requests).toEqual([`POST ${CM}`, `POST ${CM}`, `GET ${CM}/settings`]);
    expect(reports).toEqual([
      expect.objectContaining({
        outcome: 'recovered',
        attempts: 2,
        ambiguous: true,
        causes: { ECONNRESET: 1 },
      }),
    ]);
  });

  it('… but not somebody else’s object of that name: a definite 409', async () => {
    const { api } = await scripted(createLosesItsAnswer(cm({ app: 'theirs' })));
    const err = (await api()
      .create(cm(OURS))
      .catch((e: unknown) => e)) as KubeApiError;
    expect(err).toBeInstanceOf(KubeApiError);
    expect({ code: err.code, reason: err.reason, answered: err.answered, attempts: err.attempts }).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      answered: true,
      attempts: 2,
    });
  });

  it('after a 503 (not acted on) a 409 is not read back: the name was taken before', async () => {
    let posts = 0;
    const { api, requests } = await scripted((req, res) =>
      ++posts === 1
        ? json(res, 503, status(503, 'ServiceUnavailable'))
        : json(res, 409, status(409, 'AlreadyExists')),
    );
    const err = (await api()
      .create(cm(OURS))
      .catch((e: unknown) => e)) as KubeApiError;
    expect(err.code).toBe(409);
    expect(err.answered).toBe(true);
    expect(requests).toEqual([`POST ${CM}`, `POST ${CM}`]);
  });

  it('a write whose answer was lost and whose retry is refused is reported as unanswered (the journal keeps its undo)', async () => {
    let patches = 0;
    const { api } = await scripted((req, res) => {
      if (req.method === 'GET') return json(res, 200, cm(OURS));
      if (++patches === 1) return req.socket.destroy();
      json(res, 409, { ...status(409, 'Conflict'), message: 'the object has been modified' });
    });
    const err = (await api()
      .patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' },
        { data: { a: '1' } },
      )
      .catch((e: unknown) => e)) as KubeApiError;
    expect(err.code).toBe(409);
    expect(err.uncertain).toBe(true);
    expect(err.answered).toBe(false);
  });

  it('answers that are not transient fail after one request', async () => {
    for (const code of [400, 403, 404, 409, 422]) {
      const { api, requests } = await scripted((_req, res) => json(res, code, status(code, `R${code}`)));
      const err = (await api()
        .patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' }, { data: {} })
        .catch((e: unknown) => e)) as KubeApiError;
      expect({ code: err.code, requests: requests.length }).toEqual({ code, requests: 1 });
      server?.closeAllConnections();
      await new Promise<void>((r) => server?.close(() => r()));
    }
  });

  it('gives every request a deadline: a server that never answers is a timeout, retried, then reported', async () => {
    const { api, requests } = await scripted(() => {});
    const reports: RetryReport[] = [];
    const client = api({ requestTimeoutMs: 100, retry: { budgetMs: 1_000, initialDelayMs: 250, jitter: 0 } });
    client.onRetry((r) => reports.push(r));
    const started = Date.now();
    const err = (await client
      .read({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' })
      .catch((e: unknown) => e)) as KubeApiError;
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.message).toMatch(/no answer: request timed out \(after 3 attempts\)/);
    // Fake-clock waits 250 + 500; the next (1000) would pass the 1 s budget.
    expect(requests.length).toBe(3);
    expect(reports[0]).toMatchObject({ outcome: 'gave-up', causes: { timeout: 3 } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an eviction refused by a disruption budget is an answer (one request); a flow-control 429 is retried', async () => {
    let posts = 0;
    const { api, requests } = await scripted((req, res) => {
      posts++;
      if (posts === 1)
        return json(res, 429, {
          ...status(429, 'TooManyRequests'),
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
        });
      if (posts === 2) {
        res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
        return res.end('Too many requests, please try again later.\n');
      }
      json(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    });
    const client = api();
    expect(await client.evict('default', 'web-1')).toMatchObject({ evicted: false, code: 429 });
    expect(requests.length).toBe(1);
    expect(await client.evict('default', 'web-1')).toEqual({ evicted: true });
    expect(requests.length).toBe(3);
  });
});
