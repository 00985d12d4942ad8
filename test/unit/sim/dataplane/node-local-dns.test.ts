/**
 * NodeLocal DNSCache's parts on their own: the addon's Corefile as the node cache reads it, the
 * cache's TTLs (success 30 s, denial 5 s, as its ConfigMap says), forwarding with retries and the
 * forward plugin's deadline, the per-node capacity, and which connections the intercept stage
 * claims. Time is a hand-driven clock; upstreams are in-memory fakes. Nothing touches a socket.
 */
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { DnsExchangeOptions, Endpoint } from '../../../../src/agent/host.ts';
import { HostNetworkError } from '../../../../src/agent/host.ts';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import {
  blockFor,
  DEFAULT_NODE_CACHE_CONFIG,
  parseCorefile,
} from '../../../../src/sim/dataplane/dns/node-cache/corefile.ts';
import { forwardQuery } from '../../../../src/sim/dataplane/dns/node-cache/forwarder.ts';
import {
  emptyNodeCacheStats,
  NodeCache,
  type NodeCacheStats,
} from '../../../../src/sim/dataplane/dns/node-cache/node-cache.ts';
import { NODE_LOCAL_DNS_IP, NodeLocalDns } from '../../../../src/sim/dataplane/dns/node-local-dns.ts';
import type { NetworkSource } from '../../../../src/sim/dataplane/pod-network.ts';
import { resourceAt } from '../../../../src/sim/kinds/registry.ts';
import { PODS } from '../../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { WORKERS } from '../../../support/controller-fixture.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';

const ADDON = new URL('../../../../clusters/addons/nodelocaldns.yaml', import.meta.url);
const UPSTREAM_IP = '10.96.0.20';

const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A clock moved by hand: `advance` runs the timers that fall due, letting promises settle between. */
class ManualClock {
  private t = 1_000_000;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): void {
    this.timers.push({ at: this.t + ms, fn });
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      this.after(ms, resolve);
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

type Behaviour = 'answer' | 'drop' | 'refuse';

/** An upstream in memory: A records for `*.svc.cluster.local` (TTL 30, as kubeadm's CoreDNS), NXDOMAIN with an SOA (TTL 30) otherwise. */
class FakeUpstream {
  readonly received: { server: string; name: string; transport: string }[] = [];
  behaviour: Behaviour = 'answer';
  constructor(private readonly clock: ManualClock) {}

  dnsExchange(server: Endpoint, query: Uint8Array, options: DnsExchangeOptions): Promise<Uint8Array> {
    const q = dnsPacket.decode(Buffer.from(query));
    const question = q.questions?.[0];
    this.received.push({
      server: `${server.address}:${server.port}`,
      name: question?.name ?? '',
      transport: options.transport,
    });
    if (this.behaviour === 'refuse')
      return Promise.reject(new HostNetworkError('ECONNREFUSED', 'connect ECONNREFUSED'));
    if (this.behaviour === 'drop')
      return new Promise((_, reject) =>
        this.clock.after(options.timeoutMs, () =>
          reject(new HostNetworkError('ETIMEDOUT', `no answer within ${options.timeoutMs}ms`)),
        ),
      );
    const name = question?.name ?? '';
    const found = name.endsWith('.svc.cluster.local') && question?.type === 'A';
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (found ? 0 : 3),
      questions: q.questions ?? [],
      answers: found ? [{ type: 'A', name, ttl: 30, class: 'IN', data: '10.96.0.1' }] : [],
      authorities: found
        ? []
        : [
            {
              type: 'SOA',
              name: 'cluster.local',
              ttl: 30,
              class: 'IN',
              data: {
                mname: 'ns.dns.cluster.local',
                rname: 'hostmaster.cluster.local',
                serial: 1,
                refresh: 7200,
                retry: 1800,
                expire: 86400,
                minimum: 30,
              },
            },
          ],
    });
    return Promise.resolve(new Uint8Array(reply));
  }
}

let nextId = 1;
const query = (name: string, type: 'A' | 'AAAA' = 'A') =>
  new Uint8Array(
    dnsPacket.encode({
      type: 'query',
      id: nextId++ & 0xffff,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    }),
  );

/** A record's TTL (dns-packet's Answer union leaves it out of OPT). */
const ttlOf = (r: dnsPacket.Answer | undefined): number | undefined =>
  (r as { ttl?: number } | undefined)?.ttl;

const decode = (bytes: Uint8Array | undefined) => {
  if (!bytes) throw new Error('no reply');
  return dnsPacket.decode(Buffer.from(bytes)) as ReturnType<typeof dnsPacket.decode> & { rcode: string };
};

function nodeCache(options: { capacityQps?: number } = {}) {
  const clock = new ManualClock();
  const upstream = new FakeUpstream(clock);
  const stats: NodeCacheStats = emptyNodeCacheStats();
  const cache = new NodeCache({
    config: DEFAULT_NODE_CACHE_CONFIG,
    clock,
    network: upstream,
    upstreams: (t) =>
      t.kind === 'cluster-dns'
        ? [{ address: UPSTREAM_IP, port: 53 }]
        : t.kind === 'node-resolvers'
          ? [{ address: '127.18.0.1', port: 53 }]
          : [{ address: t.ip, port: t.port }],
    capacityQps: options.capacityQps ?? Infinity,
    stats,
  });
  return { clock, upstream, stats, cache };
}

describe('the addon Corefile', () => {
  it('is the node cache built-in config: four server blocks, cluster.local cached 30/5 and forwarded over TCP', () => {
    const docs = parseAllDocuments(readFileSync(ADDON, 'utf8')).map((d) => d.toJS() as KubeObject);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as KubeObject & { data: { Corefile: string } };
    const config = parseCorefile(cm.data.Corefile);
    expect(config).toEqual(DEFAULT_NODE_CACHE_CONFIG);
    const cluster = blockFor(config, 'kubernetes.default.svc.cluster.local');
    expect(cluster?.zones).toEqual(['cluster.local']);
    expect(cluster?.cache).toEqual({
      success: { capacity: 9984, maxTtl: 30, minTtl: 5, disabledZones: [] },
      denial: { capacity: 9984, maxTtl: 5, minTtl: 5, disabledZones: [] },
      servfailTtl: 5,
    });
    expect(cluster?.forward).toEqual({
      from: '',
      to: [{ kind: 'cluster-dns' }],
      forceTcp: true,
      preferUdp: false,
    });
    expect(blockFor(config, '10.in-addr.arpa')?.zones).toEqual(['in-addr.arpa']);
    expect(blockFor(config, '10.in-addr.arpa')?.forward?.forceTcp).toBe(true);
    const root = blockFor(config, 'example.com');
    expect(root?.zones).toEqual(['']);
    expect(root?.cache?.success.maxTtl).toBe(30);
    expect(root?.cache?.denial.maxTtl).toBe(30);
    expect(root?.forward).toMatchObject({ to: [{ kind: 'node-resolvers' }], forceTcp: false });
    // The DaemonSet binds the substituted addresses and names the upstream Service.
    const ds = docs.find((d) => d.kind === 'DaemonSet') as KubeObject & {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = ds.spec.template.spec.containers[0]?.args ?? [];
    expect(args.slice(0, 2)).toEqual(['-localip', '169.254.20.10,10.96.0.10']);
    expect(args).toContain('kube-dns-upstream');
    // Only the header comment still names the substituted placeholders.
    const body = readFileSync(ADDON, 'utf8').replace(/^#.*$/gm, '');
    expect(body).not.toMatch(/__PILLAR__(LOCAL__DNS|DNS__SERVER|DNS__DOMAIN)__/);
  });

  it('reads `disable success|denial ZONES` per tier (no zones: every name), as kubeadm ≥ 1.32 writes it', () => {
    const config = parseCorefile(
      '.:53 {\n  cache 30 {\n    disable success Cluster.Local.\n    disable denial\n  }\n}\n',
    );
    expect(config.blocks[0]?.cache).toMatchObject({
      success: { maxTtl: 30, disabledZones: ['cluster.local'] },
      denial: { maxTtl: 30, disabledZones: [''] },
    });
  });

  it('rejects what it cannot read, with the line', () => {
    expect(() => parseCorefile('cluster.local:53 {\n  cache {\n    success many\n  }\n}\n')).toThrow(
      /Corefile line 2: cache success capacity: not a non-negative integer: many/,
    );
    expect(() => parseCorefile('cluster.local:53 {\n  errors\n')).toThrow(/unclosed server block/);
  });
});

describe('the node cache', () => {
  it('a cluster name: a miss forwarded over TCP to kube-dns-upstream, then hits with the TTL counting down from 30 s; expired at 30 s', async () => {
    const { clock, upstream, stats, cache } = nodeCache();
    const name = 'kubernetes.default.svc.cluster.local';
    const first = decode(await cache.exchange(query(name), 'udp'));
    expect(first.rcode).toBe('NOERROR');
    expect(first.answers?.[0]).toMatchObject({ type: 'A', data: '10.96.0.1', ttl: 30 });
    expect(upstream.received).toEqual([{ server: `${UPSTREAM_IP}:53`, name, transport: 'tcp' }]);

    await clock.advance(12_500);
    const hit = decode(await cache.exchange(query(name), 'udp'));
    expect(hit.answers?.[0]).toMatchObject({ data: '10.96.0.1', ttl: 18 });
    expect(hit.flag_aa).toBe(true);
    await clock.advance(17_000); // 29.5 s after it was stored
    expect(ttlOf(decode(await cache.exchange(query(name), 'udp')).answers?.[0])).toBe(1);
    expect(upstream.received).toHaveLength(1);

    await clock.advance(500); // 30 s: gone
    expect(ttlOf(decode(await cache.exchange(query(name), 'tcp')).answers?.[0])).toBe(30);
    expect(upstream.received).toHaveLength(2);
    expect(stats).toEqual({ queries: 4, hits: 2, misses: 2, forwarded: 2, dropped: 0 });
  });

  it('a denial is kept 5 s (the SOA says 30), and the reply says 5', async () => {
    const { clock, upstream, cache } = nodeCache();
    const name = 'nope.default.svc.cluster.local';
    const first = decode(await cache.exchange(query(name, 'AAAA'), 'udp'));
    expect(first.rcode).toBe('NXDOMAIN');
    expect(first.authorities?.[0]).toMatchObject({ type: 'SOA', ttl: 5 });
    await clock.advance(4_900);
    const hit = decode(await cache.exchange(query(name, 'AAAA'), 'udp'));
    expect(hit.rcode).toBe('NXDOMAIN');
    expect(ttlOf(hit.authorities?.[0])).toBe(1);
    expect(upstream.received).toHaveLength(1);
    await clock.advance(100);
    await cache.exchange(query(name, 'AAAA'), 'udp');
    expect(upstream.received).toHaveLength(2);
    // Another type is another entry.
    await cache.exchange(query(name, 'A'), 'udp');
    expect(upstream.received).toHaveLength(3);
  });

  it('other names go to the node resolvers over the client transport, cached 30 s at most', async () => {
    const { clock, upstream, cache } = nodeCache();
    const reply = decode(await cache.exchange(query('api.example.com'), 'udp'));
    expect(reply.rcode).toBe('NXDOMAIN');
    expect(ttlOf(reply.authorities?.[0])).toBe(30);
    expect(upstream.received).toEqual([
      { server: '127.18.0.1:53', name: 'api.example.com', transport: 'udp' },
    ]);
    await clock.advance(29_000);
    await cache.exchange(query('api.example.com'), 'udp');
    expect(upstream.received).toHaveLength(1);
  });

  it('an upstream that never answers: retried every 2 s until the 5 s deadline, then SERVFAIL (not cached)', async () => {
    const { clock, upstream, stats, cache } = nodeCache();
    upstream.behaviour = 'drop';
    const pending = cache.exchange(query('web.default.svc.cluster.local'), 'udp');
    let reply: Uint8Array | undefined;
    void pending.then((r) => (reply = r));
    await clock.advance(5_000);
    expect(reply).toBeUndefined();
    expect(upstream.received).toHaveLength(3); // at 0, 2 and 4 s
    await clock.advance(1_000);
    expect(decode(reply).rcode).toBe('SERVFAIL');
    expect(stats).toMatchObject({ queries: 1, misses: 1, forwarded: 3, dropped: 0 });
    upstream.behaviour = 'answer';
    expect(decode(await cache.exchange(query('web.default.svc.cluster.local'), 'udp')).rcode).toBe('NOERROR');
  });

  it('a refused upstream (no endpoints): SERVFAIL at the deadline, without a retry storm', async () => {
    const clock = new ManualClock();
    const upstream = new FakeUpstream(clock);
    upstream.behaviour = 'refuse';
    let result: Awaited<ReturnType<typeof forwardQuery>> | undefined;
    void forwardQuery(upstream, clock, {
      upstreams: [{ address: UPSTREAM_IP, port: 53 }],
      query: query('x.svc.cluster.local'),
      transport: 'tcp',
    }).then((r) => (result = r));
    await clock.advance(4_999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toMatchObject({ kind: 'failed', attempts: 1 });
    expect(result?.kind === 'failed' && result.reason).toMatch(/ECONNREFUSED/);
  });

  it('takes at most its capacity per second: the rest is dropped unanswered', async () => {
    const { clock, stats, cache } = nodeCache({ capacityQps: 3 });
    const name = 'kubernetes.default.svc.cluster.local';
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await cache.exchange(query(name), 'udp'));
    expect(replies.map((r) => r !== undefined)).toEqual([true, true, true, false, false]);
    await clock.advance(1_000);
    expect(await cache.exchange(query(name), 'udp')).toBeDefined();
    expect(stats).toMatchObject({ queries: 6, hits: 3, misses: 1, dropped: 2 });
  });

  it('a stopped cache answers nothing, even a query it was forwarding', async () => {
    const { clock, upstream, cache, stats } = nodeCache();
    upstream.behaviour = 'drop';
    let settled: Uint8Array | undefined | 'pending' = 'pending';
    void cache.exchange(query('a.svc.cluster.local'), 'udp').then((r) => (settled = r));
    await clock.advance(100);
    cache.stop();
    await clock.advance(10_000);
    expect(settled).toBeUndefined();
    expect(await cache.exchange(query('b.svc.cluster.local'), 'udp')).toBeUndefined();
    expect(stats.dropped).toBe(2);
  });
});

describe('the intercept stage', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(notReady: (pod: Pod & KubeObject) => boolean = () => false) {
    const ctx: SimContext = createSimCore({ topology: defaultTopology(), timeScale: 1 });
    registerNodes(ctx);
    const kubelet = new FakeKubelet(ctx, { nodes: WORKERS, notReady });
    const nld = new NodeLocalDns(ctx);
    kubelet.start();
    nld.start();
    cleanups.push(async () => {
      nld.stop();
      kubelet.stop();
      await nld.close();
      await ctx.network.close();
      ctx.clock.stop();
    });
    return { ctx, nld, kubelet };
  }

  function cachePod(ctx: SimContext, name: string, node: string, args?: string[]) {
    ctx.registry.create(PODS, 'kube-system', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { 'k8s-app': 'node-local-dns' } },
      spec: {
        nodeName: node,
        hostNetwork: true,
        containers: [
          {
            name: 'node-cache',
            image: 'registry.k8s.io/dns/k8s-dns-node-cache:1.26.4',
            ...(args ? { args } : {}),
          },
        ],
      },
    });
  }

  const from = (nodeName: string | undefined, kind: NetworkSource['kind'] = 'pod'): NetworkSource => ({
    kind,
    ip: '127.64.1.9',
    ...(nodeName ? { nodeName } : {}),
    log() {},
  });
  const dest = (ip: string, port = 53, transport: 'udp' | 'tcp' = 'udp') => ({ ip, port, transport });

  it('on a node with a running cache: 169.254.20.10:53 and the kube-dns IP:53, UDP and TCP, from pods and the host network', async () => {
    const { ctx, nld } = await setup();
    cachePod(ctx, 'node-local-dns-a', 'scars-worker', [
      '-localip',
      '169.254.20.10,10.96.0.10',
      '-upstreamsvc',
      'kube-dns-upstream',
    ]);
    await flush();
    expect(nld.caches()).toEqual([
      {
        node: 'scars-worker',
        pod: 'kube-system/node-local-dns-a',
        addresses: ['169.254.20.10', '10.96.0.10'],
        entries: { success: 0, denial: 0 },
      },
    ]);
    for (const source of [from('scars-worker'), from('scars-worker', 'node')]) {
      expect(nld.intercept(dest(NODE_LOCAL_DNS_IP), source)?.kind).toBe('dns');
      expect(nld.intercept(dest('10.96.0.10', 53, 'tcp'), source)?.kind).toBe('dns');
      // Another port, another address: not the cache's.
      expect(nld.intercept(dest('10.96.0.10', 80, 'tcp'), source)).toBeUndefined();
      expect(nld.intercept(dest('10.96.0.11'), source)).toBeUndefined();
    }
    // Through the network's route: the cache answers before any NAT.
    expect(ctx.network.route('10.96.0.10', 53, 'udp', from('scars-worker')).kind).toBe('dns');
    // Another node has no cache: the link-local address is dropped, the Service IP left to kube-proxy.
    expect(nld.intercept(dest(NODE_LOCAL_DNS_IP), from('scars-worker2'))).toEqual({ kind: 'dropped' });
    expect(nld.intercept(dest('10.96.0.10'), from('scars-worker2'))).toBeUndefined();
    // The machine outside the sim is on no node.
    expect(nld.intercept(dest('10.96.0.10'), from(undefined, 'host'))).toBeUndefined();
    expect(nld.stats()['scars-worker2']).toMatchObject({ queries: 1, dropped: 1 });
  });

  it('a readiness flap stops the interception for as long as it lasts', async () => {
    let ready = true;
    const { ctx, nld, kubelet } = await setup(() => !ready);
    cachePod(ctx, 'flappy', 'scars-worker');
    await flush();
    expect(nld.intercept(dest('10.96.0.10'), from('scars-worker'))?.kind).toBe('dns');
    ready = false;
    kubelet.refresh('kube-system', 'flappy');
    await flush();
    expect(nld.caches()).toEqual([]);
    expect(nld.intercept(dest('10.96.0.10'), from('scars-worker'))).toBeUndefined();
    ready = true;
    kubelet.refresh('kube-system', 'flappy');
    await flush();
    expect(nld.intercept(dest('10.96.0.10'), from('scars-worker'))?.kind).toBe('dns');
  });

  it('follows the node-local-dns ConfigMap; a Corefile it cannot read leaves the built-in one, and says why', async () => {
    const { ctx, nld } = await setup();
    const configMaps = resourceAt('v1', 'configmaps');
    if (!configMaps) throw new Error('no configmaps');
    const cm = ctx.registry.create(configMaps, 'kube-system', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'node-local-dns' },
      data: { Corefile: 'cluster.local:53 {\n  cache {\n    success lots\n  }\n}\n' },
    });
    await flush();
    expect(nld.corefileProblem()).toMatch(
      /kube-system\/node-local-dns: Corefile line 2: cache success capacity: not a non-negative integer: lots; the addon's own Corefile is used/,
    );
    ctx.registry.replace(configMaps, cm, { ...cm, data: { Corefile: '.:53 {\n  cache 10\n}\n' } });
    await flush();
    expect(nld.corefileProblem()).toBeUndefined();
  });

  it('no -localip flag: the link-local address and the kube-dns IP (10.96.0.10 without the Service)', async () => {
    const { ctx, nld } = await setup();
    cachePod(ctx, 'node-local-dns-b', 'scars-worker2');
    await flush();
    expect(nld.caches()[0]?.addresses).toEqual(['169.254.20.10', '10.96.0.10']);
  });

  it('a cache that is not Ready, or terminating, or gone: nothing intercepted', async () => {
    const { ctx, nld } = await setup((pod) => pod.metadata.name === 'unready');
    cachePod(ctx, 'unready', 'scars-worker');
    cachePod(ctx, 'leaving', 'scars-worker2');
    await flush();
    expect(nld.caches().map((c) => c.node)).toEqual(['scars-worker2']);
    expect(nld.intercept(dest(NODE_LOCAL_DNS_IP), from('scars-worker'))).toEqual({ kind: 'dropped' });
    // A graceful delete marks it terminating first (the pod has a grace period).
    ctx.registry.delete(PODS, 'kube-system', 'leaving', { gracePeriodSeconds: 30 });
    await flush();
    expect(nld.caches()).toEqual([]);
    expect(nld.intercept(dest('10.96.0.10'), from('scars-worker2'))).toBeUndefined();
  });
});
