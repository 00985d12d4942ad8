/**
 * Services in the sim (src/sim/dataplane/kube-proxy.ts): a Deployment of agent `serve` pods behind
 * a Service answers real HTTP from the test process through the Service's host frontend and from
 * agent pods through the ClusterIP; readiness and deletion take pods out of rotation; a Service
 * without endpoints is refused; NodePorts listen on the nodes' InternalIPs; ClientIP affinity
 * sticks. Plus unit tests of the endpoint choice and the ClusterIP → loopback mirror.
 * All traffic is on loopback.
 */
import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import type { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { linesOf as modeLines } from '../../src/observers/agent-log.ts';
import type { HostAddress } from '../../src/sim/dataplane/part.ts';
import type { KubeProxy } from '../../src/sim/dataplane/kube-proxy.ts';
import type { NetworkSource, Route } from '../../src/sim/dataplane/pod-network.ts';
import { clusterIPOfMirror, mirrorClusterIP } from '../../src/sim/dataplane/services/cluster-ip-mirror.ts';
import {
  AffinityTable,
  chooseEndpoint,
  pickLikeIptables,
  usableEndpoints,
} from '../../src/sim/dataplane/services/endpoint-choice.ts';
import type { EndpointEntry } from '../../src/sim/dataplane/services/service-table.ts';
import { carryConnection } from '../../src/sim/dataplane/services/tcp-proxy.ts';
import { ENDPOINT_SLICES, SERVICES } from '../../src/sim/kinds/resources.ts';
import { runAgentPod, WORKER } from '../support/agent-pods.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { untilOk } from '../support/wait.ts';

/** A deterministic random source (mulberry32), so counts do not depend on luck. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ep = (ip: string, extra: Partial<EndpointEntry> = {}): EndpointEntry => ({
  ip,
  port: 8080,
  nodeName: 'n1',
  ready: true,
  serving: true,
  terminating: false,
  pod: undefined,
  ...extra,
});

describe('the ClusterIP → loopback mirror', () => {
  it('keeps the offset in 10.96.0.0/12 → 127.32.0.0/12, and nothing outside it', () => {
    expect(mirrorClusterIP('10.96.1.5')).toBe('127.32.1.5');
    expect(mirrorClusterIP('10.100.2.3')).toBe('127.36.2.3');
    expect(mirrorClusterIP('10.96.0.1')).toBe('127.32.0.1');
    expect(mirrorClusterIP('10.111.255.254')).toBe('127.47.255.254');
    expect(mirrorClusterIP('10.112.0.1')).toBeUndefined();
    expect(mirrorClusterIP('10.95.255.255')).toBeUndefined();
    expect(mirrorClusterIP('None')).toBeUndefined();
    expect(mirrorClusterIP('fd00::1')).toBeUndefined();
    expect(clusterIPOfMirror('127.36.2.3')).toBe('10.100.2.3');
    expect(clusterIPOfMirror('127.18.0.2')).toBeUndefined();
  });
});

describe('endpoint choice (iptables mode)', () => {
  it('uses ready endpoints; with none ready anywhere, serving terminating ones; else refuses', () => {
    const all = [
      ep('127.64.0.2'),
      ep('127.64.0.3', { ready: false, serving: false }),
      ep('127.64.0.4', { ready: false, serving: true, terminating: true }),
    ];
    expect(usableEndpoints(all, undefined).usable.map((e) => e.ip)).toEqual(['127.64.0.2']);
    const noneReady = all.slice(1);
    expect(usableEndpoints(noneReady, undefined).usable.map((e) => e.ip)).toEqual(['127.64.0.4']);
    const choice = (endpoints: EndpointEntry[], localNode?: string) =>
      chooseEndpoint({ endpoints, localNode, affinity: undefined });
    // Terminating and no longer serving: nothing usable → kube-proxy's REJECT rule.
    expect(choice([ep('127.64.0.5', { ready: false, serving: false, terminating: true })])).toBe('refused');
    expect(choice([])).toBe('refused');
  });

  it('Local policy: only endpoints on the node; none there but some elsewhere → dropped', () => {
    const all = [ep('127.64.0.2', { nodeName: 'n1' }), ep('127.64.1.2', { nodeName: 'n2' })];
    expect(chooseEndpoint({ endpoints: all, localNode: 'n2', affinity: undefined })).toMatchObject({
      ip: '127.64.1.2',
    });
    expect(chooseEndpoint({ endpoints: all, localNode: 'n3', affinity: undefined })).toBe('dropped');
    // A terminating-but-serving local endpoint is used when no local one is ready.
    const local = [
      ep('127.64.0.2', { nodeName: 'n1' }),
      ep('127.64.1.3', { nodeName: 'n2', ready: false, terminating: true }),
    ];
    expect(usableEndpoints(local, 'n2').usable.map((e) => e.ip)).toEqual(['127.64.1.3']);
  });

  it('the probability rules spread connections evenly (count-based, seeded)', () => {
    const random = seeded(7);
    const candidates = ['a', 'b', 'c', 'd'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const pick = pickLikeIptables(candidates, random);
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }
    for (const c of candidates) expect(counts.get(c)).toBeGreaterThan(850);
    for (const c of candidates) expect(counts.get(c)).toBeLessThan(1150);
    // Rule i matches with 1/(n-i): a random() of 0 always takes the first rule, 0.99 the last.
    expect(pickLikeIptables(candidates, () => 0)).toBe('a');
    expect(pickLikeIptables(candidates, () => 0.99)).toBe('d');
  });

  it('ClientIP affinity sticks per client until the timeout or until the endpoint goes', () => {
    let now = 0;
    const table = new AffinityTable(() => now);
    const endpoints = [ep('127.64.0.2'), ep('127.64.0.3'), ep('127.64.0.4')];
    const random = seeded(3);
    const pick = (client: string, list = endpoints) =>
      chooseEndpoint({
        endpoints: list,
        localNode: undefined,
        affinity: { table, servicePort: 'default/web:http/TCP', client, timeoutMs: 10_000 },
        random,
      }) as EndpointEntry;
    const first = pick('10.0.0.1').ip;
    for (let i = 0; i < 50; i++) {
      now += 1_000; // each use refreshes the entry
      expect(pick('10.0.0.1').ip).toBe(first);
    }
    // Other clients are spread independently.
    const others = new Set(Array.from({ length: 60 }, (_, i) => pick(`10.0.1.${i}`).ip));
    expect(others.size).toBe(3);
    // The sticky endpoint leaves: the client moves, and sticks to the new one.
    const moved = pick(
      '10.0.0.1',
      endpoints.filter((e) => e.ip !== first),
    ).ip;
    expect(moved).not.toBe(first);
    // Past the timeout without use, the entry is gone and the choice is random again.
    now += 10_001;
    const after = new Set(Array.from({ length: 30 }, () => ((now += 10_001), pick('10.0.0.1').ip)));
    expect(after.size).toBeGreaterThan(1);
  });
});

describe('carrying a host connection', () => {
  /** A proxy server on 127.0.0.1 that carries every connection along `route`. */
  async function proxyFor(route: Route, holdDroppedMs = 60_000) {
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (client) =>
      carryConnection(client, route, { holdDroppedMs, track: (s) => sockets.add(s) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  /** Writes `data`, half-closes, and collects what comes back until the peer closes. */
  function exchange(port: number, data: Buffer): Promise<{ data: Buffer; error?: string }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.end(data));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve({ data: Buffer.concat(chunks) }));
      socket.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ data: Buffer.concat(chunks), error: e.code }),
      );
    });
  }

  it('real: bytes both ways, and the reply after the client half-closed still arrives', async () => {
    // Answers only once the client is done sending: needs the FIN passed on and the way back open.
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => s.end(Buffer.concat([Buffer.from('echo:'), ...got])));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    const p = await proxyFor({ kind: 'real', address: '127.0.0.1', port, mapped: true });
    try {
      const answer = await exchange(p.port, Buffer.from('hello'));
      expect(answer.data.toString()).toBe('echo:hello');
    } finally {
      await p.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });

  it('real, but nothing listens at the endpoint: the client is reset', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const { port } = unused.address() as AddressInfo;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    const p = await proxyFor({ kind: 'real', address: '127.0.0.1', port, mapped: true });
    try {
      expect((await exchange(p.port, Buffer.from('x'))).error).toBe('ECONNRESET');
    } finally {
      await p.close();
    }
  });

  it('dropped: nothing comes back, then a reset after the hold', async () => {
    const p = await proxyFor({ kind: 'dropped' }, 100);
    try {
      const started = Date.now();
      const answer = await exchange(p.port, Buffer.from('anyone?'));
      expect(answer).toEqual({ data: Buffer.alloc(0), error: 'ECONNRESET' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    } finally {
      await p.close();
    }
  });

  it('dns: length-prefixed queries answered in order over TCP', async () => {
    const frame = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
    const p = await proxyFor({
      kind: 'dns',
      exchange: (query) =>
        Promise.resolve(query[0] === 0 ? undefined : Uint8Array.from([...query].reverse())),
    });
    try {
      const answer = await exchange(
        p.port,
        Buffer.concat([
          frame(Buffer.from([1, 2, 3])),
          frame(Buffer.from([0, 9])),
          frame(Buffer.from([4, 5])),
        ]),
      );
      // The second query is dropped by the server: no answer for it.
      expect([...answer.data]).toEqual([0, 3, 3, 2, 1, 0, 2, 5, 4]);
    } finally {
      await p.close();
    }
  });
});

// ---- The cluster ----

/** Simulated seconds per wall second. */
const SCALE = 20;
const NS = 'default';

let t: TestSim;
let core: CoreV1Api;
let apps: AppsV1Api;
let kube: KubeApi;
let proxy: KubeProxy;

beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, apps, kube } = simClients(t));
  proxy = dataPlaneOf(t).kubeProxy;
});
afterAll(async () => {
  await t?.sim.stop();
});

// Real sockets run in wall time: a 10 s probe timeout is half a wall second at scale 20.
const readiness = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 10 };

function serveContainer(args: string[]) {
  return {
    name: 'agent',
    image: 'scars-agent',
    args,
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: readiness,
  };
}

function service(name: string, spec: Record<string, unknown>) {
  return {
    metadata: { name },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
  };
}

interface Answer {
  status: number;
  body: string;
}

/** One GET on a fresh connection (kube-proxy balances connections, not requests). */
function get(address: HostAddress, timeoutMs = 5_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: address.host, port: address.port, path: '/', agent: false, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(Object.assign(new Error('client timeout'), { code: 'TIMEOUT' })),
    );
    req.on('error', reject);
    req.end();
  });
}

async function hostnames(address: HostAddress, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const answer = await get(address);
    expect(answer.status).toBe(200);
    names.push((JSON.parse(answer.body) as { hostname: string }).hostname);
  }
  return names;
}

async function frontendOf(name: string, port: number | string = 80): Promise<HostAddress> {
  await proxy.whenBound(NS, name);
  const address = proxy.address(NS, name, port);
  if (!address) throw new Error(`no host frontend for ${name}:${port}: ${JSON.stringify(proxy.frontends())}`);
  return address;
}

/** Pods kube-proxy would send new connections to (ready endpoints), by pod name. */
const readyPods = (name: string) =>
  proxy
    .endpoints(NS, name, 80)
    .filter((e) => e.ready)
    .map((e) => e.pod?.name ?? e.ip);

/** Runs an agent pod to completion and returns its httpprobe attempts. */
async function probeFromPod(name: string, url: string, count: number) {
  const lines = await runAgentPod(
    { core, kube },
    NS,
    name,
    [
      'httpprobe',
      '--url',
      url,
      '--count',
      String(count),
      '--timeout',
      '20s',
      '--interval',
      '1s',
      '--max-failure-ratio',
      '1',
    ],
    { node: WORKER },
  );
  return modeLines(lines, 'httpprobe').filter((l) => l.event === 'attempt');
}

describe('a Deployment of serve pods behind a Service', () => {
  let deploymentPods: string[] = [];

  beforeAll(async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [serveContainer(['serve'])] },
          },
        },
      },
    });
    await core.createNamespacedService({ namespace: NS, body: service('web', {}) });
    deploymentPods = await untilOk(
      '3 ready endpoints',
      () => readyPods('web'),
      (pods) => pods.length === 3,
    );
  }, 15_000);

  it('(a) the test process reaches it through the host frontend, balanced over the pods', async () => {
    const svc = await core.readNamespacedService({ name: 'web', namespace: NS });
    const clusterIP = svc.spec?.clusterIP ?? '';
    const address = await frontendOf('web');
    // Root can bind the mirror address at port 80; otherwise it fell back to 127.0.0.1.
    if (address.host !== '127.0.0.1') expect(address).toEqual({ host: mirrorClusterIP(clusterIP), port: 80 });
    expect(proxy.address(NS, 'web', 'http')).toEqual(address);
    const names = await hostnames(address, 30);
    expect(new Set(names).size).toBeGreaterThanOrEqual(2);
    for (const n of names) expect(deploymentPods).toContain(n);
    const stats = proxy.stats();
    expect(stats.connections).toBeGreaterThanOrEqual(30);
    expect(stats.byService[`${NS}/web`]?.translations).toBeGreaterThanOrEqual(30);
  });

  it('(b) a pod failing readiness gets no traffic; a deleted pod leaves the rotation', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'web-broken', labels: { app: 'web' } },
        spec: { containers: [serveContainer(['serve', '--fail-readiness'])] },
      },
    });
    // Listed, with its IP, but not ready.
    await untilOk(
      'web-broken as a not-ready endpoint',
      () => proxy.endpoints(NS, 'web', 80),
      (eps) => eps.some((e) => e.pod?.name === 'web-broken' && !e.ready),
    );
    const address = await frontendOf('web');
    const names = await hostnames(address, 30);
    expect(names).not.toContain('web-broken');
    for (const n of names) expect(deploymentPods).toContain(n);

    const victim = deploymentPods[0] as string;
    await core.deleteNamespacedPod({ name: victim, namespace: NS });
    await untilOk(
      'the deleted pod out of the ready endpoints',
      () => readyPods('web'),
      (pods) => !pods.includes(victim),
    );
    const after = await hostnames(address, 30);
    expect(after).not.toContain(victim);
    expect(after).not.toContain('web-broken');
    expect(new Set(after).size).toBeGreaterThanOrEqual(1);
  }, 15_000);

  it('(c) an agent pod reaches it on the ClusterIP: httpprobe gets 5 ok', async () => {
    const svc = await core.readNamespacedService({ name: 'web', namespace: NS });
    const attempts = await probeFromPod('probe-web', `http://${svc.spec?.clusterIP}:80/`, 5);
    expect(attempts).toHaveLength(5);
    expect(attempts.map((a) => a.event === 'attempt' && a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  }, 15_000);

  it('(e) a NodePort answers on the node InternalIPs; externalTrafficPolicy Local only where a pod runs', async () => {
    const np = await core.createNamespacedService({
      namespace: NS,
      body: service('web-np', { type: 'NodePort' }),
    });
    const nodePort = np.spec?.ports?.[0]?.nodePort ?? 0;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    await proxy.whenBound(NS, 'web-np');
    // The Service's EndpointSlice comes from the controller a moment after the Service.
    await untilOk(
      'endpoints of web-np',
      () => readyPods('web-np'),
      (pods) => pods.length >= 2,
    );
    for (const node of t.sim.nodes) {
      const address = proxy.nodePortAddress(node, nodePort);
      if (!address) throw new Error(`no NodePort frontend on ${node}`);
      const answer = await get(address);
      expect(answer.status).toBe(200);
    }
    const frontends = proxy.frontends().filter((f) => f.service === 'web-np' && f.kind === 'node-port');
    expect(frontends).toHaveLength(t.sim.nodes.length);
    for (const f of frontends) expect(f.target).toMatch(new RegExp(`^127\\.18\\.\\d+\\.\\d+:${nodePort}$`));

    const local = await core.createNamespacedService({
      namespace: NS,
      body: service('web-local', { type: 'NodePort', externalTrafficPolicy: 'Local' }),
    });
    const localPort = local.spec?.ports?.[0]?.nodePort ?? 0;
    await proxy.whenBound(NS, 'web-local');
    await untilOk(
      'endpoints of web-local',
      () => readyPods('web-local'),
      (pods) => pods.length >= 2,
    );
    // The control plane runs no web pod: an outside client's packets are dropped (it times out).
    const cp = proxy.nodePortAddress('scars-control-plane', localPort);
    if (!cp) throw new Error('no NodePort frontend on the control plane');
    await expect(get(cp, 300)).rejects.toMatchObject({ code: 'TIMEOUT' });
    // On a node that runs web pods, only that node's pods answer.
    const ready = proxy.endpoints(NS, 'web-local', 80).filter((e) => e.ready);
    const node = ready[0]?.nodeName ?? '';
    const onNode = ready.filter((e) => e.nodeName === node).map((e) => e.pod?.name);
    const address = proxy.nodePortAddress(node, localPort);
    if (!address) throw new Error(`no NodePort frontend on ${node}`);
    for (const n of await hostnames(address, 10)) expect(onNode).toContain(n);
  });

  it('(f) sessionAffinity ClientIP keeps a client on one pod', async () => {
    await core.createNamespacedService({
      namespace: NS,
      body: service('web-sticky', { sessionAffinity: 'ClientIP' }),
    });
    await untilOk(
      'endpoints of web-sticky',
      () => readyPods('web-sticky'),
      (pods) => pods.length >= 2,
    );
    const names = await hostnames(await frontendOf('web-sticky'), 20);
    expect(new Set(names).size).toBe(1);
  });
});

describe('a Service without endpoints', () => {
  it('(d) is refused: the host frontend resets the connection, an agent pod reads refused', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'nobody' },
        spec: { selector: { app: 'nobody' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const address = await frontendOf('nobody');
    await expect(get(address)).rejects.toMatchObject({ code: 'ECONNRESET' });
    const attempts = await probeFromPod('probe-nobody', `http://${svc.spec?.clusterIP}/`, 1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'refused' });
    expect(proxy.stats().byService[`${NS}/nobody`]?.refused).toBeGreaterThanOrEqual(2);
  }, 15_000);
});

describe('translation rules', () => {
  const from = (nodeName: string | undefined, kind: NetworkSource['kind'] = 'pod'): NetworkSource => ({
    kind,
    ip: kind === 'host' ? '127.0.0.1' : '127.64.9.100',
    ...(nodeName ? { nodeName } : {}),
    log: () => undefined,
  });

  it('named targetPorts through the slice, UDP too, internalTrafficPolicy Local, unknown ports, headless', async () => {
    const { registry } = t.sim;
    const svc = registry.create(
      SERVICES,
      NS,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'manual' },
        spec: {
          internalTrafficPolicy: 'Local',
          ports: [
            { name: 'http', port: 80, targetPort: 'web' },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        },
      },
      { manager: 'test' },
    );
    registry.create(
      ENDPOINT_SLICES,
      NS,
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'manual-1', labels: { 'kubernetes.io/service-name': 'manual' } },
        addressType: 'IPv4',
        ports: [
          { name: 'http', port: 9090, protocol: 'TCP' },
          { name: 'dns', port: 5353, protocol: 'UDP' },
        ],
        endpoints: [{ addresses: ['127.64.9.9'], nodeName: WORKER, conditions: { ready: true } }],
      },
      { manager: 'test' },
    );
    const clusterIP = (svc.spec as { clusterIP: string }).clusterIP;
    await untilOk(
      'the manual slice',
      () => proxy.endpoints(NS, 'manual', 'http').length,
      (n) => n === 1,
    );
    const tcp = (port: number) => ({ ip: clusterIP, port, transport: 'tcp' as const });
    expect(proxy.translate(tcp(80), from(WORKER))).toEqual({
      ip: '127.64.9.9',
      port: 9090,
      transport: 'tcp',
    });
    expect(proxy.translate({ ip: clusterIP, port: 53, transport: 'udp' }, from(WORKER))).toEqual({
      ip: '127.64.9.9',
      port: 5353,
      transport: 'udp',
    });
    // Local: no endpoint on the client's node while there are some elsewhere → dropped.
    expect(proxy.translate(tcp(80), from('scars-worker2'))).toBe('dropped');
    // A host client has no node: the cluster-wide choice.
    expect(proxy.translate(tcp(80), from(undefined, 'host'))).toMatchObject({ ip: '127.64.9.9' });
    // A port the Service does not have: iptables mode has no rule, the packet goes nowhere.
    expect(proxy.translate(tcp(81), from(WORKER))).toBe('dropped');
    // TCP on the UDP port is not the same Service port either.
    expect(proxy.translate(tcp(53), from(WORKER))).toBe('dropped');
    // Not a ClusterIP at all: left to the rest of the network.
    expect(
      proxy.translate({ ip: '10.96.200.200', port: 80, transport: 'tcp' }, from(WORKER)),
    ).toBeUndefined();
    // Only TCP ports get host frontends.
    await proxy.whenBound(NS, 'manual');
    expect(
      proxy
        .frontends()
        .filter((f) => f.service === 'manual')
        .map((f) => f.target),
    ).toEqual([`${clusterIP}:80`]);

    registry.create(
      SERVICES,
      NS,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'headless' },
        spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
      { manager: 'test' },
    );
    await proxy.whenBound(NS, 'headless');
    expect(proxy.frontends().filter((f) => f.service === 'headless')).toEqual([]);
    expect(proxy.endpoints(NS, 'headless', 80)).toEqual([]);

    // An address another part serves host clients on (the cluster DNS) gets no frontend.
    const mirror = mirrorClusterIP(clusterIP) ?? '';
    proxy.reserveHostAddress({ host: mirror, port: 80 });
    expect(proxy.frontends().filter((f) => f.service === 'manual')).toEqual([]);
    expect(proxy.address(NS, 'manual', 80)).toBeUndefined();

    // Deleting the Service takes its rules away.
    registry.delete(SERVICES, NS, 'manual', {}, { manager: 'test' });
    await proxy.whenBound(NS, 'manual');
    expect(proxy.translate(tcp(80), from(WORKER))).toBeUndefined();
    expect(proxy.endpoints(NS, 'manual', 'http')).toEqual([]);
  });
});
