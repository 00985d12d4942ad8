/**
 * One CoreDNS replica's capacity model on a manual clock: below capacity every query is answered
 * after its service time; a burst above it queues (latency grows) and what would wait longer
 * than maxQueueDelay is dropped; cache hits are cheaper; forward's max_concurrent refuses; a
 * killed replica answers nothing. And the defaults: an ndots:5 flood of an external name that
 * overwhelms two replicas stays clean at ndots:2.
 */
import dnsPacket from 'dns-packet';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { cacheSettings } from '../../../../src/sim/dataplane/dns/cache.ts';
import { rcodeOf } from '../../../../src/sim/dataplane/dns/dns-message.ts';
import {
  DEFAULT_CLUSTER_DNS_OPTIONS,
  REAL_COREDNS_QPS_PER_REPLICA,
} from '../../../../src/sim/dataplane/dns/cluster-dns.ts';
import { RegistryClusterView } from '../../../../src/sim/dataplane/dns/cluster-view.ts';
import { ReplicaModel, type ReplicaOptions } from '../../../../src/sim/dataplane/dns/replica-model.ts';
import { StubUpstream } from '../../../../src/sim/dataplane/dns/upstream.ts';
import { ClusterZone } from '../../../../src/sim/dataplane/dns/zone.ts';
import { SERVICES } from '../../../../src/sim/kinds/resources.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { ManualClock } from './manual-clock.ts';

const SLOW: ReplicaOptions = {
  qpsPerReplica: 100, // a miss costs 10 ms
  hitCost: 0.2,
  maxQueueDelayMs: 2000,
  upstreamLatencyMs: 5,
  maxConcurrentForwards: 1000,
  cache: cacheSettings(30, ['cluster.local']),
};

const DEFAULTS: ReplicaOptions = {
  qpsPerReplica: REAL_COREDNS_QPS_PER_REPLICA,
  hitCost: DEFAULT_CLUSTER_DNS_OPTIONS.hitCost,
  maxQueueDelayMs: DEFAULT_CLUSTER_DNS_OPTIONS.maxQueueDelayMs,
  upstreamLatencyMs: DEFAULT_CLUSTER_DNS_OPTIONS.upstreamLatencyMs,
  maxConcurrentForwards: DEFAULT_CLUSTER_DNS_OPTIONS.maxConcurrentForwards,
  cache: cacheSettings(30, ['cluster.local']),
};

let ctx: SimContext;
let clock: ManualClock;
let zone: ClusterZone;
let upstream: StubUpstream;

beforeEach(() => {
  ctx = createSimCore({ topology: defaultTopology() });
  ctx.registry.create(
    SERVICES,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { clusterIP: '10.96.5.5', ports: [{ port: 80 }] },
    },
    { manager: 'test' },
  );
  clock = new ManualClock();
  upstream = new StubUpstream({ 'api.example.com': ['127.0.0.9'] });
  zone = new ClusterZone(new RegistryClusterView(ctx.registry), {
    domain: 'cluster.local',
    ttl: 30,
    nameservers: () => ['10.96.0.10'],
    serial: () => 1,
    upstream: (name, type) => upstream.resolve(name, type).answers,
  });
});

const replica = (options: ReplicaOptions, name = 'coredns-a') =>
  new ReplicaModel(name, clock, zone, upstream, options);

interface Sent {
  sentAt: number;
  /** When the reply came (undefined: not yet, or dropped). */
  at?: number;
  rcode?: string;
  dropped?: boolean;
}

const encoded = new Map<string, Uint8Array>();
function send(model: ReplicaModel, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Sent {
  const key = `${name}|${type}`;
  let bytes = encoded.get(key);
  if (!bytes) {
    const packet = {
      type: 'query' as const,
      id: 1,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: type as 'A', name }],
    };
    encoded.set(key, (bytes = new Uint8Array(dnsPacket.encode(packet))));
  }
  const sent: Sent = { sentAt: clock.now() };
  void model.exchange(bytes, transport).then((reply) => {
    if (!reply) {
      sent.dropped = true;
      return;
    }
    sent.at = clock.now();
    sent.rcode = rcodeOf(reply);
  });
  return sent;
}

const latency = (s: Sent) => (s.at ?? NaN) - s.sentAt;
const flush = () => clock.advanceAsync(0);

describe('capacity', () => {
  it('below capacity every query is answered after its service time, without queueing', async () => {
    const model = replica(SLOW);
    const sent: Sent[] = [];
    for (let i = 0; i < 50; i++) {
      sent.push(send(model, 'web.default.svc.cluster.local'));
      await clock.advanceAsync(20); // 50 queries/s against a capacity of 100
    }
    await clock.advanceAsync(100);
    expect(sent.every((s) => s.rcode === 'NOERROR' && latency(s) === 10)).toBe(true);
    expect(model.stats()).toMatchObject({ queries: 50, misses: 50, hits: 0, dropped: 0, maxQueueDelayMs: 0 });
  });

  it('a burst above capacity is served in order with growing delay, and what would wait over 2 s is dropped', async () => {
    const model = replica(SLOW);
    const sent = Array.from({ length: 400 }, () => send(model, 'nope.default.svc.cluster.local'));
    await flush();
    // Dropped at once: the replica would only get to them after more than 2 s.
    expect(sent.filter((s) => s.dropped)).toHaveLength(199);
    await clock.advanceAsync(3000);
    const answered = sent.filter((s) => s.rcode === 'NXDOMAIN');
    expect(answered).toHaveLength(201);
    expect(answered.map(latency)).toEqual(answered.map((_, i) => (i + 1) * 10));
    expect(model.stats()).toMatchObject({ queries: 201, dropped: 199, maxQueueDelayMs: 2000 });
    expect(model.stats().p99Ms).toBeGreaterThanOrEqual(1990);
  });

  it('a sustained flood fills the queue, then drops; the replica recovers once it stops', async () => {
    const model = replica(SLOW);
    const flood: Sent[] = [];
    for (let ms = 0; ms < 10_000; ms += 5) {
      if (ms % 20 !== 15) flood.push(send(model, 'web.default.svc.cluster.local')); // 150/s
      await clock.advanceAsync(5);
    }
    await clock.advanceAsync(3000);
    const early = flood.slice(0, 100);
    const late = flood.slice(-300);
    expect(early.every((s) => s.rcode === 'NOERROR')).toBe(true);
    expect(Math.max(...early.map(latency))).toBeLessThan(400);
    expect(late.some((s) => s.dropped)).toBe(true);
    expect(Math.max(...late.filter((s) => s.at !== undefined).map(latency))).toBeGreaterThan(1900);
    // Drained: a query now is served at once.
    const after = send(model, 'web.default.svc.cluster.local');
    await clock.advanceAsync(50);
    expect(latency(after)).toBe(10);
  });

  it('cache hits cost a fifth of a miss: a burst of one external name fits where misses would not', async () => {
    const model = replica(SLOW);
    const first = send(model, 'api.example.com');
    await clock.advanceAsync(50);
    expect(latency(first)).toBe(15); // 10 ms of the replica + 5 ms at the upstream
    const burst = Array.from({ length: 400 }, () => send(model, 'api.example.com'));
    await clock.advanceAsync(2000);
    expect(burst.every((s) => s.rcode === 'NOERROR')).toBe(true);
    expect(latency(burst[399] as Sent)).toBeCloseTo(800, 6);
    expect(model.stats()).toMatchObject({ hits: 400, misses: 1, forwarded: 1, dropped: 0 });
    // Each replica has its own cache.
    const other = replica(SLOW, 'coredns-b');
    const cold = send(other, 'api.example.com');
    await clock.advanceAsync(50);
    expect(latency(cold)).toBe(15);
    expect(other.stats()).toMatchObject({ misses: 1, hits: 0 });
  });

  it('negative answers from the upstream are cached too', async () => {
    const model = replica(SLOW);
    send(model, 'gone.example.com');
    await clock.advanceAsync(50);
    const again = send(model, 'gone.example.com');
    await clock.advanceAsync(50);
    expect(again.rcode).toBe('NXDOMAIN');
    expect(latency(again)).toBeCloseTo(2, 6);
    expect(model.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('forward max_concurrent: one query more than may wait at the upstream is REFUSED at once', async () => {
    const model = replica({
      ...SLOW,
      qpsPerReplica: 100_000,
      upstreamLatencyMs: 1000,
      maxConcurrentForwards: 3,
    });
    const sent = ['a', 'b', 'c', 'd', 'e'].map((n) => send(model, `${n}.example.com`));
    await clock.advanceAsync(1500);
    expect(sent.map((s) => s.rcode)).toEqual(['NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN', 'REFUSED', 'REFUSED']);
    expect(model.stats()).toMatchObject({ forwarded: 3, refused: 2 });
    expect(model.metricsText()).toContain('coredns_forward_max_concurrent_rejects_total 2');
    // Once they are back, forwarding resumes.
    const later = send(model, 'f.example.com');
    await clock.advanceAsync(1500);
    expect(later.rcode).toBe('NXDOMAIN');
  });

  it('a killed replica never answers what it held, nor anything after', async () => {
    const model = replica(SLOW);
    const held = Array.from({ length: 5 }, () => send(model, 'web.default.svc.cluster.local'));
    await clock.advanceAsync(15);
    model.kill();
    await flush();
    expect(held[0]?.rcode).toBe('NOERROR');
    expect(held.slice(1).every((s) => s.dropped)).toBe(true);
    const after = send(model, 'web.default.svc.cluster.local');
    await clock.advanceAsync(100);
    expect(after.dropped).toBe(true);
  });

  it('exports CoreDNS 1.11 metrics with their labels', async () => {
    const model = replica(SLOW);
    send(model, 'web.default.svc.cluster.local');
    send(model, 'web.default.svc.cluster.local', 'AAAA', 'tcp');
    send(model, 'api.example.com');
    await clock.advanceAsync(100);
    send(model, 'api.example.com');
    await clock.advanceAsync(1000);
    const text = model.metricsText();
    expect(text).toContain(
      'coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="A",view="",zone="."} 3',
    );
    expect(text).toContain(
      'coredns_dns_requests_total{family="1",proto="tcp",server="dns://:53",type="AAAA",view="",zone="."} 1',
    );
    expect(text).toContain(
      'coredns_dns_responses_total{plugin="kubernetes",rcode="NOERROR",server="dns://:53",view="",zone="."} 2',
    );
    expect(text).toContain(
      'coredns_dns_responses_total{plugin="cache",rcode="NOERROR",server="dns://:53",view="",zone="."} 1',
    );
    expect(text).toContain(
      'coredns_dns_responses_total{plugin="forward",rcode="NOERROR",server="dns://:53",view="",zone="."} 1',
    );
    expect(text).toContain('coredns_cache_hits_total{server="dns://:53",type="success",view="",zones="."} 1');
    expect(text).toContain('coredns_cache_misses_total{server="dns://:53",view="",zones="."} 3');
    expect(text).toContain(
      'coredns_dns_request_duration_seconds_count{server="dns://:53",view="",zone="."} 4',
    );
    expect(text).toContain(
      'coredns_dns_request_duration_seconds_bucket{le="+Inf",server="dns://:53",view="",zone="."} 4',
    );
    expect(text).toMatch(/^# TYPE coredns_dns_request_duration_seconds histogram$/m);
  });
});

describe('the defaults (5000 misses/s per replica, hits 0.2, 2 s queue) with two replicas', () => {
  /**
   * `api.example.com` from a pod with ndots:5 and three search domains: 3 cluster-domain names
   * (NXDOMAIN, never cached: kubeadm disables the cache for cluster.local) and the name itself,
   * each A and AAAA — 8 queries, 6.4 misses' worth once the external answers are cached. With
   * ndots:2 only the name itself: 2 queries, both hits.
   */
  const NDOTS5 = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', ''].map((s) =>
    s ? `api.example.com.${s}` : 'api.example.com',
  );
  const NDOTS2 = ['api.example.com'];

  async function flood(candidates: string[], lookupsPerSecond: number, seconds: number) {
    const replicas = [replica(DEFAULTS, 'coredns-a'), replica(DEFAULTS, 'coredns-b')];
    const sent: Sent[] = [];
    let turn = 0;
    let due = 0;
    for (let ms = 0; ms < seconds * 1000; ms++) {
      due += lookupsPerSecond / 1000;
      for (; due >= 1; due--)
        for (const name of candidates)
          for (const type of ['A', 'AAAA']) sent.push(send(replicas[turn++ % 2] as ReplicaModel, name, type));
      await clock.advanceAsync(1);
    }
    await clock.advanceAsync(3000);
    const answered = sent.filter((s) => s.at !== undefined).map(latency);
    answered.sort((a, b) => a - b);
    return {
      queries: sent.length,
      dropped: sent.filter((s) => s.dropped).length,
      p99: answered[Math.floor(answered.length * 0.99)] ?? NaN,
    };
  }

  it('ndots:5 at 6000 lookups/s (48,000 queries/s) overwhelms them: latency grows to 2 s, then drops', async () => {
    const r = await flood(NDOTS5, 6000, 1);
    expect(r.dropped).toBeGreaterThan(1000);
    expect(r.p99).toBeGreaterThan(1500);
  }, 60_000);

  it('ndots:2 at the same 6000 lookups/s stays clean (all cache hits)', async () => {
    const r = await flood(NDOTS2, 6000, 1);
    expect(r.dropped).toBe(0);
    expect(r.p99).toBeLessThan(5);
  }, 60_000);

  it('ndots:5 below the knee (1200 lookups/s, 1560 is the limit) is not dropped', async () => {
    const r = await flood(NDOTS5, 1200, 2);
    expect(r.dropped).toBe(0);
    expect(r.p99).toBeLessThan(20);
  }, 60_000);
});
