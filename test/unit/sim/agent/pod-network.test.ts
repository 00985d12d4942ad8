/**
 * The sim network: pod servers on real sockets at their pod IP (or mapped from 127.0.0.1 when the
 * address is taken), the listener table, refused and dropped destinations. Loopback only.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SimClock } from '../../../../src/sim/clock.ts';
import { SimNetwork } from '../../../../src/sim/dataplane/pod-network.ts';
import { HostNetworkError } from '../../../../src/agent/host.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function network(timeScale = 1) {
  const clock = new SimClock(timeScale);
  const net = new SimNetwork(clock);
  cleanups.push(
    () => clock.stop(),
    () => net.close(),
  );
  return net;
}

const ok = async () => ({ status: 200, body: 'hello' });
const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');

/** A real server on `address`:`port`, outside any sim (another sim holding the same pod IP). */
async function occupy(address: string, port: number): Promise<Server> {
  const server = createServer((_, res) => res.end('someone else'));
  await new Promise<void>((resolve) => server.listen(port, address, resolve));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return server;
}

describe('SimNetwork', () => {
  it('a pod server listens on its pod IP; other pods reach it there', async () => {
    const net = network();
    const lines: string[] = [];
    const server = net.attach({ kind: 'pod', ip: '127.64.250.2', log: (l) => lines.push(l) });
    const client = net.attach({ kind: 'pod', ip: '127.64.250.3', log: () => {} });
    const listener = await server.listen({ port: 0 }, async (req) => ({ status: 200, body: `${req.path}` }));
    expect(listener.address).toBe('127.64.250.2');
    expect(net.listeners()).toEqual([
      { podIP: '127.64.250.2', port: listener.port, actual: `127.64.250.2:${listener.port}` },
    ]);
    const res = await client.http({ url: `http://127.64.250.2:${listener.port}/x?y=1`, timeoutMs: 2000 });
    expect(res.status).toBe(200);
    expect(text(res.body)).toBe('/x?y=1');
    expect(lines).toEqual([]);
    await listener.close();
    expect(net.stats().listeners).toBe(0);
  });

  it('falls back to 127.0.0.1 when the pod IP and port are taken, and routes there', async () => {
    const net = network();
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    await occupy('127.64.250.4', port);
    const lines: string[] = [];
    const server = net.attach({ kind: 'pod', ip: '127.64.250.4', log: (l) => lines.push(l) });
    const client = net.attach({ kind: 'pod', ip: '127.64.250.5', log: () => {} });
    const listener = await server.listen({ port }, async (req) => ({
      status: 200,
      body: req.headers.host ?? '',
    }));
    expect(listener.port).toBe(port);
    expect(net.stats().fallbacks).toBe(1);
    const [entry] = net.listeners();
    expect(entry?.actual).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^scars-sim: cannot bind 127\\.64\\.250\\.4:${port} on this machine \\(EADDRINUSE\\); listening on 127\\.0\\.0\\.1:\\d+ instead`,
      ),
    );
    const res = await client.http({ url: `http://127.64.250.4:${port}/`, timeoutMs: 2000 });
    // Our server, not the one holding the address; it sees the authority the client asked for.
    expect(text(res.body)).toBe(`127.64.250.4:${port}`);
    await expect(client.tcpConnect('127.64.250.4', port, 2000)).resolves.toBeUndefined();
  });

  it('one pod IP and port holds one listener', async () => {
    const net = network();
    const a = net.attach({ kind: 'pod', ip: '127.64.250.6', log: () => {} });
    const listener = await a.listen({ port: 0 }, ok);
    const err = await a.listen({ port: listener.port }, ok).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostNetworkError);
    expect((err as HostNetworkError).code).toBe('EADDRINUSE');
    expect((err as Error).message).toBe(
      `listen on 0.0.0.0:${listener.port}: listen EADDRINUSE: address already in use 127.64.250.6:${listener.port}`,
    );
    await expect(a.listen({ port: 0, address: '10.0.0.1' }, ok)).rejects.toThrow(
      'listen on 10.0.0.1:0: listen EADDRNOTAVAIL: address not available 10.0.0.1:0',
    );
  });

  it('nothing listening at a sim address: refused at once, nothing sent', async () => {
    const net = network();
    const client = net.attach({ kind: 'pod', ip: '127.64.250.7', log: () => {} });
    const err = await client
      .http({ url: 'http://127.64.250.8:8080/healthz', timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect((err as HostNetworkError).code).toBe('ECONNREFUSED');
    expect((err as Error).message).toBe(
      'GET http://127.64.250.8:8080/healthz: connect ECONNREFUSED 127.64.250.8:8080',
    );
    await expect(client.tcpConnect('127.18.0.1', 53, 1000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(
      client.dnsExchange({ address: '127.18.0.1', port: 53 }, new Uint8Array(12), {
        transport: 'udp',
        timeoutMs: 1000,
      }),
    ).rejects.toThrow('DNS query to 127.18.0.1:53/udp: recvmsg ECONNREFUSED');
    expect(net.stats()).toMatchObject({ refused: 3, real: 0, dropped: 0 });
  });

  it('outside loopback nothing is sent: the caller times out on the sim clock', async () => {
    const net = network(100);
    const client = net.attach({ kind: 'pod', ip: '127.64.250.9', log: () => {} });
    const started = Date.now();
    const results = await Promise.allSettled([
      client.http({ url: 'http://169.254.169.254/latest/meta-data/', timeoutMs: 1000 }),
      client.dnsExchange({ address: '10.96.0.10', port: 53 }, new Uint8Array(12), {
        transport: 'udp',
        timeoutMs: 2000,
      }),
      client.tlsConnect({ host: '93.184.216.34', port: 443, timeoutMs: 1000 }),
      client.http({ url: 'http://kubernetes.default.svc/', timeoutMs: 1000 }),
    ]);
    // 2 simulated seconds at 100× is 20 wall ms; generous bound for a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    const errors = results.map((r) => (r.status === 'rejected' ? (r.reason as HostNetworkError) : undefined));
    expect(errors.map((e) => e?.code)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(errors[0]?.message).toBe('GET http://169.254.169.254/latest/meta-data/: no answer within 1000ms');
    expect(errors[1]?.message).toBe('DNS query to 10.96.0.10:53/udp: no answer within 2000ms');
    expect(net.stats()).toMatchObject({ dropped: 4, real: 0 });
    expect(net.destinations()).toEqual({
      real: [],
      dropped: ['169.254.169.254', '10.96.0.10', '93.184.216.34', 'kubernetes.default.svc'],
    });
  });

  it('other loopback addresses are real', async () => {
    const net = network();
    const server = createServer((_, res) => res.end('test server'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const client = net.attach({ kind: 'pod', ip: '127.64.250.10', log: () => {} });
    const res = await client.http({ url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
    expect(text(res.body)).toBe('test server');
    expect(net.destinations().real).toEqual(['127.0.0.1']);
  });

  it('a closed attachment frees its ports; a closed network closes them all', async () => {
    const net = network();
    const a = net.attach({ kind: 'pod', ip: '127.64.250.11', log: () => {} });
    const listener = await a.listen({ port: 0 }, ok);
    await a.close();
    expect(net.stats().listeners).toBe(0);
    await expect(a.http({ url: 'http://127.0.0.1:1/', timeoutMs: 100 })).rejects.toThrow(
      "the process's network is gone",
    );
    const b = net.attach({ kind: 'pod', ip: '127.64.250.11', log: () => {} });
    const again = await b.listen({ port: listener.port }, ok);
    expect(again.port).toBe(listener.port);
    await net.close();
    expect(net.stats().listeners).toBe(0);
    const late = net.attach({ kind: 'pod', ip: '127.64.250.12', log: () => {} });
    await expect(late.listen({ port: 0 }, ok)).rejects.toThrow("the process's network is gone");
  });

  it('a killed process resets its open connections; its server closes at once', async () => {
    const net = network(1);
    const server = net.attach({ kind: 'pod', ip: '127.64.250.13', log: () => {} });
    const client = net.attach({ kind: 'pod', ip: '127.64.250.14', log: () => {} });
    // A handler that never answers (the process stopped mid-request).
    const listener = await server.listen({ port: 0 }, () => new Promise(() => {}));
    const request = client.http({ url: `http://127.64.250.13:${listener.port}/slow`, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    await expect(request).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
