/**
 * The built-in load generator against node:http(s) servers on 127.0.0.1: the arrival rate it
 * holds, connection reuse, failures (500s, refused connections, timeouts, an expired certificate),
 * dropped iterations when every slot is busy, the stop signal, the k6 summary shape, and the
 * loopback-only rule. Counts are checked generously: a busy CI machine may lag the pacer.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadTargetError, runLoad } from '../../src/observers/index.ts';
import { checkTarget, SUMMARY_TREND_STATS } from '../../src/observers/load/index.ts';
import { createCa, expiredLeaf, validLeaf } from '../support/certs.ts';

const servers: Server[] = [];

async function serve(
  handler: RequestListener,
  tls?: { cert: string; key: string },
): Promise<{ url: string; connections: () => number }> {
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  let connections = 0;
  server.on(tls ? 'secureConnection' : 'connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/path?q=1`, connections: () => connections };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        }),
    ),
  );
});

const ok: RequestListener = (_req, res) => res.end('hello');

describe('runLoad', () => {
  it('holds 200 req/s for 1 s over reused connections, and reports k6 summary fields', async () => {
    const target = await serve(ok);
    const result = await runLoad({
      url: target.url,
      rate: 200,
      durationMs: 1000,
      maxInFlight: 100,
      timeoutMs: 5000,
    });
    const m = result.metrics;
    expect(m.http_reqs.values.count).toBeGreaterThanOrEqual(150);
    expect(m.http_reqs.values.count).toBeLessThanOrEqual(201);
    expect(m.http_reqs.values.rate).toBeGreaterThan(100);
    expect(m.http_req_failed.values).toEqual({ rate: 0, passes: 0, fails: m.http_reqs.values.count });
    expect(m.iterations.values.count).toBe(m.http_reqs.values.count);
    // A stall of the event loop (a busy machine) makes the pacer catch up in a burst that can fill
    // every slot; a few drops are that, not a lost rate.
    expect(m.dropped_iterations.values.count).toBeLessThan(30);
    expect(m.http_reqs.values.count + m.dropped_iterations.values.count).toBeGreaterThanOrEqual(190);
    expect(m.vus_max.values).toEqual({ value: 100, min: 100, max: 100 });
    expect(m.data_received.values.count).toBeGreaterThan(m.http_reqs.values.count * 10);
    expect(m.data_sent.values.count).toBeGreaterThan(m.http_reqs.values.count * 10);
    const d = m.http_req_duration.values;
    expect(d.min).toBeLessThanOrEqual(d.med);
    expect(d.med).toBeLessThanOrEqual(d['p(90)']);
    expect(d['p(90)']).toBeLessThanOrEqual(d['p(95)']);
    expect(d['p(95)']).toBeLessThanOrEqual(d['p(99)']);
    expect(d['p(99)']).toBeLessThanOrEqual(d.max);
    // Keep-alive: no more connections than were ever in flight, far fewer than requests.
    expect(target.connections()).toBeLessThanOrEqual(m.vus.values.max);
    expect(target.connections()).toBeLessThan(m.http_reqs.values.count);
    expect(result.scars).toMatchObject({
      source: 'builtin',
      stoppedBy: 'duration',
      statuses: { '200': m.http_reqs.values.count },
    });
    expect(result.state.testRunDurationMs).toBeGreaterThanOrEqual(1000);
  });

  it('has the field names of k6 handleSummary data', async () => {
    const target = await serve(ok);
    const result = await runLoad({ url: target.url, rate: 20, durationMs: 200 });
    expect(Object.keys(result).sort()).toEqual(['metrics', 'options', 'root_group', 'scars', 'state']);
    expect(Object.keys(result.metrics).sort()).toEqual(
      [
        'data_received',
        'data_sent',
        'dropped_iterations',
        'http_req_duration',
        'http_req_duration{expected_response:true}',
        'http_req_failed',
        'http_reqs',
        'iterations',
        'vus',
        'vus_max',
      ].sort(),
    );
    const m = result.metrics;
    expect(m.http_reqs).toMatchObject({ type: 'counter', contains: 'default' });
    expect(Object.keys(m.http_reqs.values)).toEqual(['count', 'rate']);
    expect(m.data_received).toMatchObject({ type: 'counter', contains: 'data' });
    expect(m.http_req_failed.type).toBe('rate');
    expect(Object.keys(m.http_req_failed.values).sort()).toEqual(['fails', 'passes', 'rate']);
    expect(m.http_req_duration).toMatchObject({ type: 'trend', contains: 'time' });
    expect(Object.keys(m.http_req_duration.values).sort()).toEqual(
      ['avg', 'max', 'med', 'min', 'p(90)', 'p(95)', 'p(99)'].sort(),
    );
    expect(m.vus_max.type).toBe('gauge');
    expect(Object.keys(m.vus_max.values).sort()).toEqual(['max', 'min', 'value']);
    expect(result.options.summaryTrendStats).toEqual(SUMMARY_TREND_STATS);
    expect(result.root_group).toMatchObject({ name: '', path: '', groups: [], checks: [] });
  });

  it('counts 500s and refused connections as failed (http_req_failed passes)', async () => {
    let n = 0;
    const half = await serve((_req, res) => {
      res.statusCode = n++ % 2 === 0 ? 500 : 200;
      res.end();
    });
    const mixed = await runLoad({
      url: half.url,
      rate: 100,
      durationMs: 400,
      maxInFlight: 1,
      timeoutMs: 5000,
    });
    const total = mixed.metrics.http_reqs.values.count;
    expect(total).toBeGreaterThanOrEqual(20);
    expect(mixed.metrics.http_req_failed.values.passes).toBe(mixed.scars.statuses['500']);
    expect(mixed.metrics.http_req_failed.values.fails).toBe(mixed.scars.statuses['200']);
    expect(mixed.metrics.http_req_failed.values.rate).toBeGreaterThan(0.3);
    expect(mixed.metrics['http_req_duration{expected_response:true}'].values.max).toBeGreaterThan(0);

    const closed = await serve(ok);
    const closedUrl = closed.url;
    await new Promise<void>((r) => {
      const s = servers.pop() as Server;
      s.close(() => r());
    });
    const refused = await runLoad({ url: closedUrl, rate: 50, durationMs: 200, timeoutMs: 5000 });
    expect(refused.metrics.http_reqs.values.count).toBeGreaterThanOrEqual(5);
    expect(refused.metrics.http_req_failed.values.rate).toBe(1);
    expect(refused.scars.errors).toEqual({ ECONNREFUSED: refused.metrics.http_reqs.values.count });
  });

  it('times requests out, drops starts when every slot is busy, and stops on the signal', async () => {
    const hang = await serve(() => undefined);
    const timedOut = await runLoad({
      url: hang.url,
      rate: 20,
      durationMs: 250,
      maxInFlight: 2,
      timeoutMs: 200,
    });
    expect(timedOut.scars.errors.timeout).toBeGreaterThanOrEqual(1);
    expect(timedOut.metrics.dropped_iterations.values.count).toBeGreaterThanOrEqual(1);
    expect(timedOut.metrics.vus.values.max).toBe(2);

    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    const stopped = await runLoad({
      url: hang.url,
      rate: 10,
      durationMs: 10_000,
      timeoutMs: 10_000,
      signal: stop.signal,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stopped.scars.stoppedBy).toBe('signal');
    expect(stopped.scars.interrupted).toBeGreaterThanOrEqual(1);
    expect(stopped.metrics.http_reqs.values.count).toBe(0);
  });

  it('speaks HTTPS with a CA and a servername; an expired certificate fails with CERT_HAS_EXPIRED', async () => {
    const ca = await createCa();
    const good = await serve(ok, await validLeaf({ ca, dnsNames: ['app.example.com'] }));
    const fine = await runLoad({
      url: good.url,
      rate: 20,
      durationMs: 200,
      headers: { host: 'app.example.com' },
      tls: { ca: ca.cert, servername: 'app.example.com' },
    });
    expect(fine.metrics.http_req_failed.values.rate).toBe(0);
    expect(fine.metrics.http_reqs.values.count).toBeGreaterThanOrEqual(2);

    const bad = await serve(ok, await expiredLeaf({ ca, dnsNames: ['app.example.com'] }));
    const expired = await runLoad({
      url: bad.url,
      rate: 20,
      durationMs: 200,
      tls: { ca: ca.cert, servername: 'app.example.com' },
    });
    expect(expired.metrics.http_req_failed.values.rate).toBe(1);
    expect(Object.keys(expired.scars.errors)).toEqual(['CERT_HAS_EXPIRED']);
  });

  it('refuses targets outside loopback unless told otherwise, and bad options', async () => {
    await expect(runLoad({ url: 'http://10.96.0.1/', rate: 1, durationMs: 100 })).rejects.toBeInstanceOf(
      LoadTargetError,
    );
    await expect(runLoad({ url: 'https://example.com/', rate: 1, durationMs: 100 })).rejects.toThrow(
      /refusing to send to example.com/,
    );
    await expect(runLoad({ url: 'ftp://127.0.0.1/', rate: 1, durationMs: 100 })).rejects.toThrow(/only http/);
    await expect(runLoad({ url: 'http://127.0.0.1:1/', rate: 0, durationMs: 100 })).rejects.toThrow(/rate/);
    expect(checkTarget('http://[::1]:8080/', false).port).toBe('8080');
    expect(checkTarget('http://localhost/', false).hostname).toBe('localhost');
    // Opting out only lifts the check (nothing is sent here).
    expect(checkTarget('http://10.96.0.1/', true).hostname).toBe('10.96.0.1');
  });
});
