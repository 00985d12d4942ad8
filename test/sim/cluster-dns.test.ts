/**
 * The cluster DNS in the simulator, end to end: CoreDNS installed as kubeadm does (on the control
 * plane), `dig`-style queries from the test process to its real DNS server (through kube-proxy to
 * a replica), each replica's Prometheus metrics over real HTTP, an agent pod resolving a Service
 * name with its own resolv.conf, and the capacity story: a dnsflood whose ndots:5 expansion of an
 * external name overloads CoreDNS, while the same flood with ndots:2 stays clean. Loopback only.
 *
 * The flood runs against a CoreDNS made small on purpose (10 misses/s per replica, two replicas:
 * 20 misses/s in all). An ndots:5 lookup of `api.example.com` is 8 queries: 6 cluster-domain
 * NXDOMAINs (never cached: kubeadm disables the cache for cluster.local) and 2 cached upstream
 * answers, 6.4 misses' worth; 8 lookups/s are 51 misses' worth a second, 2.6 times what CoreDNS
 * takes. With ndots:2 the same 8 lookups/s are 16 cache hits a second, a sixth of its capacity.
 * Small numbers keep the in-process traffic light on a busy machine (the sim's default is as small;
 * cluster-dns.ts says why). A real replica's capacity (5000 misses/s) is shown to bite by a burst
 * sent straight into the sim network (last but one describe), and with a steady flood in the model's unit test (test/unit/sim/dns/replica-model.test.ts).
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { CoreV1Api } from '@kubernetes/client-node';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { summaryOf } from '../../src/observers/agent-log.ts';
import {
  type ClusterDns,
  DEFAULT_CLUSTER_DNS_OPTIONS,
  REAL_COREDNS_QPS_PER_REPLICA,
} from '../../src/sim/dataplane/dns/cluster-dns.ts';
import type { HostAddress } from '../../src/sim/dataplane/part.ts';
import { isReady, runAgentPod, WORKER } from '../support/agent-pods.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { until } from '../support/wait.ts';

const SCALE = 10;
const CONTROL_PLANE = 'scars-control-plane';

let t: TestSim;
let core: CoreV1Api;
let kube: KubeApi;
let dns: ClusterDns;
let webIP: string;
beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, kube } = simClients(t));
  dns = dataPlaneOf(t).dns;
  const web = await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
  });
  webIP = web.spec?.clusterIP ?? '';
});
afterAll(async () => {
  await t?.sim.stop();
});

/** Both replicas Ready, and kube-proxy sending kube-dns traffic to them. */
const dnsReady = () =>
  until('two Ready CoreDNS replicas behind kube-dns', () => {
    const ready = t.sim.dataPlane?.kubeProxy
      .endpoints('kube-system', 'kube-dns', 'dns')
      .filter((e) => e.ready);
    return dns.stats().replicas.length === 2 && (ready?.length ?? 0) === 2 ? true : undefined;
  });

type Decoded = ReturnType<typeof dnsPacket.decode> & { rcode?: string };

/** One query over UDP, as `dig @host -p port name type` sends it. */
function digUdp(server: HostAddress, name: string, type: string, timeoutMs = 5000): Promise<Decoded> {
  const query = dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 65_535),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as 'A', name }],
  });
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no reply to ${name} ${type} from ${server.host}:${server.port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg) as Decoded);
    });
    socket.send(query, server.port, server.host);
  });
}

/** The same over TCP (`dig +tcp`). */
function digTcp(server: HostAddress, name: string, type: string, timeoutMs = 5000): Promise<Decoded> {
  const query = dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type: type as 'A', name }] });
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP reply to ${name} ${type}`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', () => socket.write(query));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))) as Decoded);
      }
    });
  });
}

const data = (m: Decoded) => (m.answers ?? []).map((a) => (a as { data: unknown }).data);

/** Runs an agent pod on a worker to completion and returns its lines. */
const runAgent = (name: string, args: string[], dnsConfig?: Record<string, unknown>) =>
  runAgentPod(
    { core, kube },
    'default',
    name,
    args,
    { node: WORKER, ...(dnsConfig ? { spec: { dnsConfig } } : {}) },
    20_000,
  );

describe('CoreDNS as kubeadm installs it', () => {
  it('Deployment, Service, ConfigMap in kube-system; both replicas Ready on the control plane', async () => {
    const svc = await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' });
    expect(svc.spec?.clusterIP).toBe('10.96.0.10');
    expect(svc.spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual([
      'dns 53/UDP',
      'dns-tcp 53/TCP',
      'metrics 9153/TCP',
    ]);
    const cm = await core.readNamespacedConfigMap({ name: 'coredns', namespace: 'kube-system' });
    expect(cm.data?.Corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa {');
    expect(cm.data?.Corefile).toContain('forward . /etc/resolv.conf {');
    await dnsReady();
    const pods = await core.listNamespacedPod({
      namespace: 'kube-system',
      labelSelector: 'k8s-app=kube-dns',
    });
    expect(pods.items).toHaveLength(2);
    for (const p of pods.items) {
      expect(isReady(p)).toBe(true);
      expect(p.spec?.nodeName).toBe(CONTROL_PLANE);
      expect(p.spec?.containers[0]?.image).toBe('registry.k8s.io/coredns/coredns:v1.11.3');
    }
    // Nothing of the addon on the workers: their capacity is the scenarios'.
    const all = await core.listPodForAllNamespaces();
    expect(
      all.items.filter((p) => p.metadata?.namespace === 'kube-system' && p.spec?.nodeName !== CONTROL_PLANE),
    ).toEqual([]);
  }, 20_000);
});

describe('dig from the test process', () => {
  it('resolves a Service name, answers NXDOMAIN and NODATA like CoreDNS, over UDP and TCP', async () => {
    await dnsReady();
    const server = dns.address();
    const a = await digUdp(server, 'web.default.svc.cluster.local', 'A');
    expect(a.rcode).toBe('NOERROR');
    expect(a.flag_aa).toBe(true);
    expect(data(a)).toEqual([webIP]);
    expect(a.answers?.[0]).toMatchObject({ ttl: 30 });

    const missing = await digUdp(server, 'nope.default.svc.cluster.local', 'A');
    expect(missing.rcode).toBe('NXDOMAIN');
    expect(missing.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', ttl: 30 });

    const aaaa = await digUdp(server, 'web.default.svc.cluster.local', 'AAAA');
    expect(aaaa.rcode).toBe('NOERROR');
    expect(aaaa.answers).toEqual([]);
    expect(aaaa.authorities?.[0]?.type).toBe('SOA');

    const srv = await digTcp(server, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(data(srv)).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
    ]);

    // Outside the cluster domain: forwarded to the upstream stub, which knows nothing by default.
    const external = await digUdp(server, 'example.com', 'A');
    expect(external.rcode).toBe('NXDOMAIN');
    expect(external.flag_ra).toBe(true);
  }, 20_000);

  it('each replica serves its CoreDNS metrics over real HTTP on :9153', async () => {
    await dnsReady();
    const server = dns.address();
    for (let i = 0; i < 10; i++) await digUdp(server, 'web.default.svc.cluster.local', 'A');
    const replicas = dns.stats().replicas;
    let requests = 0;
    for (const r of replicas) {
      expect(r.metrics).toBeDefined();
      const res = await fetch(`http://${r.metrics}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^# TYPE coredns_dns_requests_total counter$/m);
      expect(text).toMatch(/^# TYPE coredns_dns_request_duration_seconds histogram$/m);
      expect(text).toContain('coredns_cache_misses_total{server="dns://:53",view="",zones="."}');
      for (const m of text.matchAll(
        /^coredns_dns_requests_total\{[^}]*proto="udp"[^}]*type="A"[^}]*\} (\d+)$/gm,
      ))
        requests += Number(m[1]);
    }
    // Every query the test sent reached one of them (kube-proxy spreads them).
    expect(requests).toBeGreaterThanOrEqual(11);
  }, 20_000);
});

describe('pods resolve through their resolv.conf', () => {
  it('dnsprobe in an agent pod resolves a Service name to its ClusterIP', async () => {
    await dnsReady();
    const lines = await runAgent('probe', [
      'dnsprobe',
      '--name',
      'web.default.svc.cluster.local',
      '--count',
      '3',
      '--timeout',
      '20s',
    ]);
    const summary = summaryOf(lines, 'dnsprobe');
    expect(summary).toMatchObject({ exitCode: 0, attempts: 3, unexpected: 0, outcomes: { ok: 3 } });
    const attempts = lines.filter((l) => l.event === 'attempt') as unknown as {
      addresses: string[];
      queries: number;
    }[];
    expect(attempts.map((a) => a.addresses)).toEqual([[webIP], [webIP], [webIP]]);
    // 4 dots < ndots:5: the search list first (3 NXDOMAINs), then the name: 8 queries.
    expect(attempts[0]?.queries).toBe(8);
  }, 30_000);
});

describe('capacity: ndots:5 amplification overloads CoreDNS, ndots:2 does not', () => {
  const FLOOD = [
    'dnsflood',
    '--name',
    'api.example.com',
    '--qps',
    '8',
    '--count',
    '64',
    '--concurrency',
    '200',
  ];
  let clean: NonNullable<ReturnType<typeof summaryOf<'dnsflood'>>>;
  let flooded: NonNullable<ReturnType<typeof summaryOf<'dnsflood'>>>;

  const drained = () =>
    until('CoreDNS to catch up', () =>
      dns.stats().replicas.every((r) => r.backlogMs === 0) ? true : undefined,
    );
  const dropped = () => dns.stats().replicas.reduce((n, r) => n + r.dropped, 0);

  beforeAll(async () => {
    await dnsReady();
    dns.configure({ qpsPerReplica: 10, upstream: { 'api.example.com': ['127.0.0.9'] } });
  });
  afterAll(() => {
    dns.configure({ qpsPerReplica: DEFAULT_CLUSTER_DNS_OPTIONS.qpsPerReplica, upstream: {} });
  });

  it('with ndots:2 the flood is 2 cached queries a lookup: every lookup ok, fast, nothing dropped', async () => {
    await drained();
    const before = dropped();
    const lines = await runAgent('flood-ndots2', FLOOD, { options: [{ name: 'ndots', value: '2' }] });
    clean = summaryOf(lines, 'dnsflood') as typeof clean;
    expect(clean).toMatchObject({ lookups: 64, queriesPerLookup: 2, failures: 0, timeouts: 0 });
    expect(clean.latency?.p99Ms).toBeLessThan(1000);
    expect(dropped() - before).toBe(0);
  }, 30_000);

  it('with ndots:5 the same flood is 8 queries a lookup: queues fill, queries are dropped, lookups time out', async () => {
    await drained();
    const before = dropped();
    const lines = await runAgent('flood-ndots5', FLOOD);
    flooded = summaryOf(lines, 'dnsflood') as typeof flooded;
    expect(flooded.lookups).toBe(64);
    expect(flooded.queriesPerLookup).toBeGreaterThanOrEqual(8);
    expect(flooded.timeouts).toBeGreaterThan(0);
    expect(dropped() - before).toBeGreaterThan(0);
    expect(flooded.latency?.p50Ms).toBeGreaterThan(10 * (clean.latency?.p50Ms ?? Infinity));
    expect(dns.stats().replicas.some((r) => r.maxQueueDelayMs > 1000)).toBe(true);
  }, 60_000);
});

describe("a real replica's capacity (5000 misses/s) bites through the sim network", () => {
  /*
   * Overflowing the defaults takes tens of thousands of queries (two replicas absorb 2 s of work
   * each before dropping), more than the agent can send in a few wall seconds. So the queries are
   * sent from the test straight into the sim network, as a pod's would be (kube-proxy picks the
   * replica), in a sim whose clock runs at a quarter of wall time: however fast this machine is,
   * they arrive within a fraction of a sim second.
   */
  const SLOW = 0.25;
  let s: TestSim;
  beforeAll(async () => {
    s = await startTestSim({ timeScale: SLOW });
    // A real replica's capacity (the sim's default is scaled down; see cluster-dns.ts).
    s.sim.dataPlane?.dns.configure({
      qpsPerReplica: REAL_COREDNS_QPS_PER_REPLICA,
      upstream: { 'api.example.com': ['127.0.0.9'] },
    });
  }, 30_000);
  afterAll(async () => {
    await s?.sim.stop();
  });

  const source = {
    kind: 'pod' as const,
    ip: '127.64.1.250',
    nodeName: 'scars-worker',
    pod: { namespace: 'default', name: 'flood' },
    log() {},
  };
  const encoded = (name: string, type: string) =>
    new Uint8Array(dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: type as 'A', name }] }));
  /** `lookups` lookups' worth of queries of these names, A and AAAA each, all sent at once. */
  function burst(names: string[], lookups: number) {
    const queries = names.flatMap((n) => [encoded(n, 'A'), encoded(n, 'AAAA')]);
    let dropped = 0;
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < lookups; i++)
      for (const q of queries) {
        const route = s.sim.network.route('10.96.0.10', 53, 'udp', source);
        if (route.kind !== 'dns') throw new Error(`kube-dns routed ${route.kind}`);
        replies.push(
          route.exchange(q, 'udp').then((r) => {
            if (!r) dropped++;
          }),
        );
      }
    return { sent: replies.length, dropped: () => dropped, all: () => Promise.all(replies) };
  }
  const replicas = () => s.sim.dataPlane?.dns.stats().replicas ?? [];

  it('5000 lookups of an external name: ndots:2 (10,000 cache hits) fits, ndots:5 (40,000 queries) overflows', async () => {
    await until(
      'two ready replicas',
      () => {
        const ready = s.sim.dataPlane?.kubeProxy
          .endpoints('kube-system', 'kube-dns', 'dns')
          .filter((e) => e.ready);
        return replicas().length === 2 && ready?.length === 2 ? true : undefined;
      },
      20_000,
    );
    // Warm both replicas' caches with the external name (kube-proxy spreads these over them).
    await burst(['api.example.com'], 20).all();

    const ndots2 = burst(['api.example.com'], 5000);
    await ndots2.all();
    expect(ndots2.sent).toBe(10_000);
    expect(ndots2.dropped()).toBe(0);
    expect(Math.max(...replicas().map((r) => r.maxQueueDelayMs))).toBeLessThan(1000);

    await until('the replicas to catch up', () =>
      replicas().every((r) => r.backlogMs === 0) ? true : undefined,
    );
    const ndots5 = burst(
      ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']
        .map((d) => `api.example.com.${d}`)
        .concat('api.example.com'),
      5000,
    );
    await new Promise((r) => setImmediate(r));
    expect(ndots5.sent).toBe(40_000);
    // About 6.4 s of work at 0.2 ms a miss against 2 s of queue per replica: most of it is dropped.
    expect(ndots5.dropped()).toBeGreaterThan(10_000);
    for (const r of replicas()) {
      expect(r.backlogMs).toBeGreaterThan(1500);
      expect(r.dropped).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('replicas come and go with their pods', () => {
  it('a deleted replica answers nothing; the Deployment replaces it with a fresh one', async () => {
    await dnsReady();
    const [victim] = dns.stats().replicas;
    if (!victim) throw new Error('no replica');
    await core.deleteNamespacedPod({ name: victim.pod, namespace: 'kube-system', gracePeriodSeconds: 0 });
    await until('the replica to be gone', () => (dns.replicaAt(victim.podIP) ? undefined : true));
    const route = t.sim.network.route(victim.podIP, 53, 'udp', { kind: 'host', ip: '127.0.0.1', log() {} });
    expect(route.kind).not.toBe('dns');
    await dnsReady();
    const fresh = dns.stats().replicas.find((r) => r.pod !== victim.pod && r.queries === 0);
    expect(fresh).toBeDefined();
    // Lookups work again through the survivors.
    expect(data(await digUdp(dns.address(), 'web.default.svc.cluster.local', 'A'))).toEqual([webIP]);
  }, 30_000);
});
