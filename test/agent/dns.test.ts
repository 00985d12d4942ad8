/**
 * The stub resolver, dnsflood and dnsprobe against a real DNS server on 127.0.0.1 (UDP and TCP),
 * on the real host behind the loopback guard. The server logs every query, so the counts here are
 * what went over the wire: one external name under ndots:5 and three search domains costs 8.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResolvConf, resolverOptions } from '../../src/agent/dns/resolver-flags.ts';
import { StubResolver } from '../../src/agent/dns/stub-resolver.ts';
import { RealHost } from '../../src/agent/host/real.ts';
import type { DnsfloodLine } from '../../src/agent/modes/dnsflood.ts';
import type { DnsprobeLine } from '../../src/agent/modes/dnsprobe.ts';
import { parseAgentLog } from '../../src/agent/output.ts';
import { runAgent } from '../../src/agent/run.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { spawnAgent } from '../support/real-agent.ts';

const SEARCH = ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

let server: TestDnsServer;
let dir: string;
let podResolvConf: string;

beforeAll(async () => {
  server = await startDnsServer({
    zone: {
      'api.example.com': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      'web.ns.svc.cluster.local': { A: ['10.96.1.5'] },
      'big.example.com': { A: ['192.0.2.20', '192.0.2.21'] },
      'slow.example.com': { A: ['192.0.2.30'] },
    },
    behaviour: {
      'big.example.com': { truncate: true },
      'silent.example.com': { drop: true },
      'broken.example.com': { rcode: 'SERVFAIL' },
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'scars-dns-'));
  // What the kubelet writes for a ClusterFirst pod in namespace "ns"; the nameserver comes from the flag.
  podResolvConf = join(dir, 'resolv.conf');
  await writeFile(podResolvConf, `nameserver 10.96.0.10\nsearch ${SEARCH.join(' ')}\noptions ndots:5\n`);
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const host = () => new RealHost({ loopbackOnly: true, stdout: () => undefined, stderr: () => undefined });

/** A resolver configured as the modes configure it, from flags. */
async function resolverFor(flags: Record<string, unknown>): Promise<StubResolver> {
  const h = host();
  const o = resolverOptions({
    'resolv-conf': podResolvConf,
    nameserver: [`127.0.0.1:${server.port}`],
    ...flags,
  });
  return new StubResolver(h.net, h.clock, await loadResolvConf(h, o));
}

/** The queries the server received during `fn`, as "name type transport". */
async function received(fn: () => Promise<unknown>): Promise<string[]> {
  const before = server.queries.length;
  await fn();
  return server.queries.slice(before).map((q) => `${q.name} ${q.type} ${q.transport}`);
}

/** Runs the agent in-process on the real (loopback-only) host and returns its exit code and lines. */
async function agent(args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const h = new RealHost({
    loopbackOnly: true,
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
  });
  const code = await runAgent(args, h);
  return { code, lines: parseAgentLog(stdout.join('\n')), stderr: stderr.join('\n') };
}

/** Pairs of queries per candidate, each pair sorted (A and AAAA go out together, either may land first). */
const pairs = (log: string[]) => {
  const out: string[][] = [];
  for (let i = 0; i < log.length; i += 2) out.push(log.slice(i, i + 2).sort());
  return out;
};

describe('stub resolver on the wire', () => {
  it('costs 8 queries for an external name under ndots:5 with three search domains, in glibc order', async () => {
    const resolver = await resolverFor({});
    let result: Awaited<ReturnType<StubResolver['lookup']>> | undefined;
    const log = await received(async () => (result = await resolver.lookup('api.example.com')));
    expect(result).toMatchObject({
      outcome: 'ok',
      queries: 8,
      answeredName: 'api.example.com',
      addresses: ['192.0.2.10', '2001:db8::10'],
      rcodes: { NXDOMAIN: 6, NOERROR: 2 },
    });
    expect(pairs(log)).toEqual([
      ['api.example.com.ns.svc.cluster.local A udp', 'api.example.com.ns.svc.cluster.local AAAA udp'],
      ['api.example.com.svc.cluster.local A udp', 'api.example.com.svc.cluster.local AAAA udp'],
      ['api.example.com.cluster.local A udp', 'api.example.com.cluster.local AAAA udp'],
      ['api.example.com A udp', 'api.example.com AAAA udp'],
    ]);
  });

  it('costs 2 for a trailing-dot name and 2 under ndots:2', async () => {
    const resolver = await resolverFor({});
    const absolute = await received(() => resolver.lookup('api.example.com.'));
    expect(absolute.sort()).toEqual(['api.example.com A udp', 'api.example.com AAAA udp']);
    const ndots2 = await resolverFor({ ndots: 2 });
    const r = await ndots2.lookup('api.example.com');
    expect(r).toMatchObject({ outcome: 'ok', queries: 2, answeredName: 'api.example.com' });
  });

  it('finds a cluster service at the first search suffix for 2 queries', async () => {
    const resolver = await resolverFor({});
    const r = await resolver.lookup('web');
    expect(r).toMatchObject({
      outcome: 'ok',
      queries: 2,
      answeredName: 'web.ns.svc.cluster.local',
      addresses: ['10.96.1.5'],
      rcodes: { NOERROR: 2 }, // AAAA: NOERROR without records; A has them
    });
  });

  it('reports NXDOMAIN after all 8 queries when no candidate exists', async () => {
    const resolver = await resolverFor({});
    const log = await received(async () => {
      const r = await resolver.lookup('nope.example.com');
      expect(r).toMatchObject({ outcome: 'nxdomain', queries: 8, addresses: [], rcodes: { NXDOMAIN: 8 } });
      expect(r.answeredName).toBeUndefined();
    });
    expect(log).toHaveLength(8);
  });

  it('retries a silent name attempts × nameservers times, then times out', async () => {
    const other = await startDnsServer({ behaviour: { 'silent.example.com': { drop: true } } });
    try {
      const resolver = await resolverFor({
        nameserver: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`],
        timeout: '200ms',
        attempts: 2,
        family: '4',
      });
      const before = server.queries.length;
      const r = await resolver.lookup('silent.example.com.', { family: '4' });
      expect(r).toMatchObject({ outcome: 'timeout', queries: 4, timeouts: 4 });
      expect(server.queries.length - before).toBe(2);
      expect(other.queries).toHaveLength(2);
      expect(r.latencyMs).toBeGreaterThanOrEqual(4 * 200 - 50);
    } finally {
      await other.close();
    }
  });

  it('asks again over TCP when the UDP reply is truncated', async () => {
    const resolver = await resolverFor({});
    const log = await received(async () => {
      const r = await resolver.lookup('big.example.com.', { family: '4' });
      expect(r).toMatchObject({
        outcome: 'ok',
        queries: 2,
        tcpQueries: 1,
        addresses: ['192.0.2.20', '192.0.2.21'],
      });
    });
    expect(log).toEqual(['big.example.com A udp', 'big.example.com A tcp']);
  });

  it('uses TCP from the start with use-vc', async () => {
    const resolver = await resolverFor({ 'resolv-options': 'use-vc' });
    const log = await received(() => resolver.lookup('api.example.com.'));
    expect(log.sort()).toEqual(['api.example.com A tcp', 'api.example.com AAAA tcp']);
  });

  it('goes on past SERVFAIL to the next candidate', async () => {
    const resolver = await resolverFor({
      ndots: 1,
      search: 'ns.svc.cluster.local',
      attempts: 1,
      family: '4',
    });
    const r = await resolver.lookup('broken.example.com', { family: '4' });
    // as is first (SERVFAIL), then the suffix (NXDOMAIN); the as-is failure is the one reported
    expect(r).toMatchObject({ outcome: 'servfail', queries: 2, rcodes: { SERVFAIL: 1, NXDOMAIN: 1 } });
    expect(r.candidates).toEqual(['broken.example.com', 'broken.example.com.ns.svc.cluster.local']);
  });

  it('reports refused when nothing listens on the nameserver port', async () => {
    const closed = await startDnsServer();
    const port = closed.port;
    await closed.close();
    const resolver = await resolverFor({ nameserver: [`127.0.0.1:${port}`], timeout: '500ms', family: '4' });
    const r = await resolver.lookup('web', { family: '4' });
    expect(r.outcome).toBe('refused');
    expect(r.queries).toBe(2); // attempts × 1 nameserver for the first candidate, then glibc gives up
  });
});

describe('dnsflood', () => {
  it('makes the requested lookups and counts queries = lookups × queries per lookup', async () => {
    const before = server.queries.length;
    const { code, lines } = await agent([
      'dnsflood',
      '--name',
      'api.example.com',
      '--qps',
      '200',
      '--count',
      '200',
      '--report-interval',
      '250ms',
      '--resolv-conf',
      podResolvConf,
      '--nameserver',
      `127.0.0.1:${server.port}`,
    ]);
    expect(code).toBe(0);
    const flood = lines as DnsfloodLine[];
    const resolverLine = flood.find((l) => l.event === 'resolver');
    expect(resolverLine).toMatchObject({
      ndots: 5,
      search: SEARCH,
      nameservers: [`127.0.0.1:${server.port}`],
    });
    const summary = flood.at(-1);
    expect(summary?.event).toBe('summary');
    if (summary?.event !== 'summary') return;
    expect(summary).toMatchObject({
      exitCode: 0,
      stoppedBy: 'count',
      started: 200,
      lookups: 200,
      skipped: 0,
      queries: 1600,
      queriesPerLookup: 8,
      outcomes: { ok: 200 },
      failures: 0,
    });
    expect(summary.achievedQps).toBeGreaterThan(50); // 200 over about a second; generous for busy machines
    expect(summary.latency?.count).toBe(200);
    expect(server.queries.length - before).toBe(1600);
    const ticks = flood.filter((l) => l.event === 'tick');
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    expect(flood.filter((l) => l.event === 'summary')).toHaveLength(1);
  });

  it('round-robins names and exits 1 above --max-failure-ratio', async () => {
    const { code, lines } = await agent([
      'dnsflood',
      '--name',
      'web,nope.example.com.',
      '--qps',
      '100',
      '--count',
      '20',
      '--max-failure-ratio',
      '0.2',
      '--resolv-conf',
      podResolvConf,
      '--nameserver',
      `127.0.0.1:${server.port}`,
    ]);
    const summary = (lines as DnsfloodLine[]).at(-1);
    expect(summary).toMatchObject({
      event: 'summary',
      exitCode: 1,
      lookups: 20,
      queries: 40, // 10 × web (found at the first suffix) + 10 × an absolute name
      outcomes: { ok: 10, nxdomain: 10 },
      failures: 10,
      failureRatio: 0.5,
    });
    expect(code).toBe(1);
  });

  it('winds down at SIGTERM without waiting out slow lookups', async () => {
    const stop = new AbortController();
    const stdout: string[] = [];
    const h = new RealHost({
      loopbackOnly: true,
      terminated: stop.signal,
      stdout: (l) => stdout.push(l),
      stderr: () => undefined,
    });
    setTimeout(() => stop.abort(new Error('received SIGTERM')), 300);
    const code = await runAgent(
      [
        'dnsflood',
        '--name',
        'silent.example.com.',
        '--qps',
        '20',
        '--duration',
        '1m',
        '--timeout',
        '5s',
        '--resolv-conf',
        'none',
        '--nameserver',
        `127.0.0.1:${server.port}`,
      ],
      h,
    );
    expect(code).toBe(0);
    const summary = (parseAgentLog(stdout.join('\n')) as DnsfloodLine[]).at(-1);
    // the lookups in flight were cut short, not counted as timeouts
    expect(summary).toMatchObject({ event: 'summary', stoppedBy: 'signal', lookups: 0 });
  });

  it('refuses bad flags with exit 2', async () => {
    const { code, stderr } = await agent(['dnsflood', '--name', 'x', '--qps', 'fast']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--qps/);
    const bad = await agent(['dnsflood', '--name', 'x', '--qps', '10', '--nameserver', 'kube-dns']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--nameserver/);
  });
});

describe('dnsprobe', () => {
  const probe = (...args: string[]) =>
    agent([
      'dnsprobe',
      '--interval',
      '20ms',
      '--count',
      '3',
      '--resolv-conf',
      podResolvConf,
      '--nameserver',
      `127.0.0.1:${server.port}`,
      ...args,
    ]);

  it('writes one attempt line per lookup and exits 0 when every attempt resolves', async () => {
    const { code, lines } = await probe('--name', 'web');
    expect(code).toBe(0);
    const attempts = (lines as DnsprobeLine[]).filter((l) => l.event === 'attempt');
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toMatchObject({
      seq: 1,
      name: 'web',
      outcome: 'ok',
      asExpected: true,
      queries: 2,
      addresses: ['10.96.1.5'],
      answeredName: 'web.ns.svc.cluster.local',
    });
    expect((lines as DnsprobeLine[]).at(-1)).toMatchObject({
      event: 'summary',
      exitCode: 0,
      stoppedBy: 'count',
      attempts: 3,
      unexpected: 0,
      outcomes: { ok: 3 },
      queries: 6,
    });
  });

  it('exits 1 when an attempt differs from --expect, 0 when NXDOMAIN was expected', async () => {
    const missing = await probe('--name', 'nope.example.com');
    expect(missing.code).toBe(1);
    expect((missing.lines as DnsprobeLine[]).at(-1)).toMatchObject({
      event: 'summary',
      exitCode: 1,
      unexpected: 3,
      outcomes: { nxdomain: 3 },
      queries: 24,
    });
    const expected = await probe('--name', 'nope.example.com', '--expect', 'nxdomain');
    expect(expected.code).toBe(0);
    const any = await probe(
      '--name',
      'silent.example.com.',
      '--expect',
      'any',
      '--timeout',
      '50ms',
      '--attempts',
      '1',
      '--count',
      '1',
    );
    expect(any.code).toBe(0);
    expect((any.lines as DnsprobeLine[]).find((l) => l.event === 'attempt')).toMatchObject({
      outcome: 'timeout',
      queries: 2,
    });
  });

  it('exits 3 with an error line when resolv.conf cannot be read', async () => {
    const { code, lines } = await agent([
      'dnsprobe',
      '--name',
      'web',
      '--resolv-conf',
      join(dir, 'missing.conf'),
    ]);
    expect(code).toBe(3);
    expect(lines.find((l) => l.event === 'error')).toMatchObject({
      message: expect.stringMatching(/missing\.conf/),
    });
    expect(lines.at(-1)).toMatchObject({ event: 'summary', exitCode: 3, stoppedBy: 'error' });
  });

  it('runs through the CLI entry point', async () => {
    const { code, stdout, stderr } = await spawnAgent([
      'dnsprobe',
      '--name',
      'api.example.com',
      '--count',
      '2',
      '--interval',
      '20ms',
      '--resolv-conf',
      podResolvConf,
      '--nameserver',
      `127.0.0.1:${server.port}`,
    ]).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = parseAgentLog(stdout) as DnsprobeLine[];
    expect(lines.map((l) => l.event)).toEqual(['start', 'resolver', 'attempt', 'attempt', 'summary']);
    expect(lines.at(-1)).toMatchObject({ mode: 'dnsprobe', exitCode: 0, attempts: 2, queries: 16 });
  });
});
