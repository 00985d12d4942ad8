/**
 * The stub resolver's search and retry rules against a scripted network: each message gets the
 * answer the script gives for (server, name, type, transport), so glibc's edge cases (a timeout in
 * the middle of the search list, SERVFAIL from one server, connection refused) are exact and fast.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { type Endpoint, type HostNetwork, HostNetworkError } from '../../../src/agent/host.ts';
import { realClock } from '../../../src/agent/host/real.ts';
import { parseResolvConf, type ResolvConf } from '../../../src/agent/dns/resolv-conf.ts';
import { StubResolver } from '../../../src/agent/dns/stub-resolver.ts';

type Answer =
  | {
      rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
      addresses?: string[];
      cname?: string;
      tc?: boolean;
    }
  | 'timeout'
  | 'refused';

interface Sent {
  server: string;
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

function scriptedNet(script: (s: Sent) => Answer): { net: HostNetwork; sent: Sent[] } {
  const sent: Sent[] = [];
  const net: HostNetwork = {
    async dnsExchange(server: Endpoint, bytes, options) {
      const query = dnsPacket.decode(Buffer.from(bytes));
      const q = query.questions?.[0];
      const s: Sent = {
        server: `${server.address}:${server.port}`,
        name: q?.name ?? '',
        type: q?.type ?? '',
        transport: options.transport,
      };
      sent.push(s);
      const answer = script(s);
      if (answer === 'timeout') throw new HostNetworkError('ETIMEDOUT', 'no answer');
      if (answer === 'refused') throw new HostNetworkError('ECONNREFUSED', 'connection refused');
      const answers: dnsPacket.Answer[] = [];
      if (answer.cname) answers.push({ type: 'CNAME', name: s.name, data: answer.cname });
      for (const address of answer.addresses ?? [])
        answers.push({ type: s.type as 'A' | 'AAAA', name: s.name, data: address });
      return dnsPacket.encode({
        type: 'response',
        id: query.id ?? 0,
        flags:
          RCODES[answer.rcode] |
          (answer.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) |
          dnsPacket.RECURSION_AVAILABLE,
        questions: query.questions ?? [],
        answers,
      });
    },
    http: () => Promise.reject(new Error('unused')),
    tlsConnect: () => Promise.reject(new Error('unused')),
    listen: () => Promise.reject(new Error('unused')),
  };
  return { net, sent };
}

const CONF = parseResolvConf(
  'nameserver 10.0.0.1\nsearch ns.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
);
const resolver = (net: HostNetwork, conf: Partial<ResolvConf> = {}) =>
  new StubResolver(net, realClock, { ...CONF, ...conf });
const nx = { rcode: 'NXDOMAIN' } as const;
const names = (sent: Sent[]) => sent.map((s) => s.name);

describe('StubResolver search rules', () => {
  it('sends A and AAAA per candidate and stops at the first candidate with records', async () => {
    const { net, sent } = scriptedNet((s) =>
      s.name === 'api.example.com' && s.type === 'A' ? { rcode: 'NOERROR', addresses: ['192.0.2.1'] } : nx,
    );
    const r = await resolver(net).lookup('api.example.com');
    expect(r).toMatchObject({
      outcome: 'ok',
      addresses: ['192.0.2.1'],
      answeredName: 'api.example.com',
      queries: 8,
    });
    expect(r.candidates).toEqual([
      'api.example.com.ns.svc.cluster.local',
      'api.example.com.svc.cluster.local',
      'api.example.com.cluster.local',
      'api.example.com',
    ]);
    expect(sent.map((s) => s.type)).toEqual(['A', 'AAAA', 'A', 'AAAA', 'A', 'AAAA', 'A', 'AAAA']);
  });

  it('goes on past NODATA and SERVFAIL, and reports NODATA over a later NXDOMAIN', async () => {
    const { net, sent } = scriptedNet((s) =>
      s.name.startsWith('web.ns.')
        ? { rcode: 'NOERROR' }
        : s.name.startsWith('web.svc.')
          ? { rcode: 'SERVFAIL' }
          : nx,
    );
    const r = await resolver(net, { attempts: 1 }).lookup('web');
    expect(r.outcome).toBe('nodata');
    expect(names(sent)).toEqual([
      'web.ns.svc.cluster.local',
      'web.ns.svc.cluster.local',
      'web.svc.cluster.local',
      'web.svc.cluster.local',
      'web.cluster.local',
      'web.cluster.local',
      'web',
      'web',
    ]);
  });

  it('stops the search list at a timeout but still tries the name as is', async () => {
    const { net, sent } = scriptedNet((s) => (s.name.startsWith('web.ns.') ? 'timeout' : nx));
    const r = await resolver(net, { attempts: 2 }).lookup('web', { family: '4' });
    expect(r.outcome).toBe('nxdomain');
    expect(names(sent)).toEqual(['web.ns.svc.cluster.local', 'web.ns.svc.cluster.local', 'web']);
    expect(r.timeouts).toBe(2);
  });

  it('goes on to the search list when the as-is try of a dotted name times out, and reports that timeout', async () => {
    const { net, sent } = scriptedNet((s) => (s.name === 'a.b.c' ? 'timeout' : nx));
    const r = await resolver(net, { ndots: 2, attempts: 1 }).lookup('a.b.c', { family: '4' });
    expect(r.outcome).toBe('timeout');
    expect(names(sent)).toEqual([
      'a.b.c',
      'a.b.c.ns.svc.cluster.local',
      'a.b.c.svc.cluster.local',
      'a.b.c.cluster.local',
    ]);
  });

  it('gives up the whole lookup when every server refuses the connection', async () => {
    const { net, sent } = scriptedNet(() => 'refused');
    const r = await resolver(net, { attempts: 2 }).lookup('web', { family: '4' });
    expect(r.outcome).toBe('refused');
    expect(r.error).toMatch(/refused/);
    expect(sent).toHaveLength(2); // 2 attempts × 1 server, first candidate only
  });

  it('stops at an answer without addresses (a CNAME alone) as NODATA', async () => {
    const { net, sent } = scriptedNet((s) =>
      s.name.startsWith('web.ns.') ? { rcode: 'NOERROR', cname: 'elsewhere.example' } : nx,
    );
    const r = await resolver(net).lookup('web');
    expect(r).toMatchObject({ outcome: 'nodata', answeredName: 'web.ns.svc.cluster.local', queries: 2 });
    expect(sent).toHaveLength(2);
  });

  it('answers IP literals without DNS and rejects bad names before sending', async () => {
    const { net, sent } = scriptedNet(() => nx);
    expect(await resolver(net).lookup('10.1.2.3')).toMatchObject({
      outcome: 'ok',
      addresses: ['10.1.2.3'],
      queries: 0,
    });
    expect(await resolver(net).lookup('::1', { family: '4' })).toMatchObject({
      outcome: 'error',
      queries: 0,
    });
    expect(await resolver(net).lookup('a..b')).toMatchObject({ outcome: 'error', queries: 0 });
    expect(await resolver(net).lookup(`${'x'.repeat(64)}.example`)).toMatchObject({ outcome: 'error' });
    expect(sent).toHaveLength(0);
  });
});

describe('StubResolver retries', () => {
  const two = [
    { address: '10.0.0.1', port: 53 },
    { address: '10.0.0.2', port: 53 },
  ];

  it('asks each server in order per attempt: attempts × nameservers messages per query', async () => {
    const { net, sent } = scriptedNet(() => 'timeout');
    const r = await resolver(net, { nameservers: two, attempts: 3 }).lookup('x.example.', { family: '4' });
    expect(r).toMatchObject({ outcome: 'timeout', queries: 6, timeouts: 6 });
    expect(sent.map((s) => s.server)).toEqual([
      '10.0.0.1:53',
      '10.0.0.2:53',
      '10.0.0.1:53',
      '10.0.0.2:53',
      '10.0.0.1:53',
      '10.0.0.2:53',
    ]);
  });

  it('moves to the next server on SERVFAIL and takes its answer', async () => {
    const { net, sent } = scriptedNet((s) =>
      s.server === '10.0.0.1:53' ? { rcode: 'SERVFAIL' } : { rcode: 'NOERROR', addresses: ['192.0.2.7'] },
    );
    const r = await resolver(net, { nameservers: two }).lookup('x.example.', { family: '4' });
    expect(r).toMatchObject({ outcome: 'ok', queries: 2, rcodes: { SERVFAIL: 1, NOERROR: 1 } });
    expect(sent.map((s) => s.server)).toEqual(['10.0.0.1:53', '10.0.0.2:53']);
  });

  it('starts each candidate at the next server under rotate', async () => {
    const { net, sent } = scriptedNet(() => ({ rcode: 'NOERROR', addresses: ['192.0.2.1'] }));
    const res = resolver(net, { nameservers: two, rotate: true });
    await res.lookup('x.example.', { family: '4' });
    await res.lookup('x.example.', { family: '4' });
    await res.lookup('x.example.', { family: '4' });
    expect(sent.map((s) => s.server)).toEqual(['10.0.0.1:53', '10.0.0.2:53', '10.0.0.1:53']);
  });

  it('asks again over TCP at the same server after a truncated reply, with no further rounds', async () => {
    const { net, sent } = scriptedNet((s) =>
      s.transport === 'udp' ? { rcode: 'NOERROR', tc: true } : 'timeout',
    );
    const r = await resolver(net, { nameservers: two, attempts: 2 }).lookup('x.example.', { family: '4' });
    expect(r).toMatchObject({ outcome: 'timeout', queries: 3, tcpQueries: 2 });
    expect(sent.map((s) => `${s.server}/${s.transport}`)).toEqual([
      '10.0.0.1:53/udp',
      '10.0.0.1:53/tcp',
      '10.0.0.2:53/tcp',
    ]);
  });

  it('sends A before AAAA and waits between them under single-request', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sentOrder: string[] = [];
    const base = scriptedNet(() => ({ rcode: 'NOERROR', addresses: [] }));
    const net: HostNetwork = {
      ...base.net,
      async dnsExchange(server, bytes, options) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        const reply = await base.net.dnsExchange(server, bytes, options);
        sentOrder.push(base.sent.at(-1)?.type ?? '');
        inFlight--;
        return reply;
      },
    };
    await resolver(net, { singleRequest: true }).lookup('x.example.');
    expect(sentOrder).toEqual(['A', 'AAAA']);
    expect(maxInFlight).toBe(1);
    maxInFlight = 0;
    await resolver(net).lookup('x.example.');
    expect(maxInFlight).toBe(2);
  });

  it('rejects at once when the signal aborts, without waiting for the reply', async () => {
    const stop = new AbortController();
    const net: HostNetwork = {
      ...scriptedNet(() => nx).net,
      dnsExchange: () => new Promise(() => undefined),
    };
    const pending = resolver(net).lookup('x.example.', { signal: stop.signal });
    stop.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
