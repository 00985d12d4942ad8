/**
 * NetworkPolicy and the fake metadata service as stages of the sim network: objects written
 * through the registry (so the apiserver's defaulting applies), verdicts through `route`, and the
 * metadata address answered by a real listener on 127.0.0.1. Nothing is sent beyond loopback.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import {
  FakeMetadataService,
  type MetadataServiceOptions,
} from '../../../../src/sim/dataplane/metadata-service.ts';
import { NetworkPolicies } from '../../../../src/sim/dataplane/network-policy.ts';
import type { NetworkSource } from '../../../../src/sim/dataplane/pod-network.ts';
import { NETWORK_POLICIES, PODS } from '../../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { WORKERS } from '../../../support/controller-fixture.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  ctx: SimContext;
  policies: NetworkPolicies;
  metadata: FakeMetadataService;
}

async function setup(metadataOptions: MetadataServiceOptions = {}): Promise<Setup> {
  const ctx = createSimCore({ topology: defaultTopology(), timeScale: 1 });
  registerNodes(ctx);
  const kubelet = new FakeKubelet(ctx, { nodes: WORKERS });
  const policies = new NetworkPolicies(ctx);
  const metadata = new FakeMetadataService(ctx, metadataOptions);
  kubelet.start();
  policies.start();
  metadata.start();
  cleanups.push(async () => {
    metadata.stop();
    policies.stop();
    kubelet.stop();
    await metadata.close();
    await ctx.network.close();
    ctx.clock.stop();
  });
  await metadata.ready();
  return { ctx, policies, metadata };
}

const ticks = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Creates a pod and waits until the fake kubelet gave it an IP and the policy index saw it. */
async function pod(
  { ctx }: Setup,
  name: string,
  labels: Record<string, string>,
  spec: Partial<Pod['spec']> = {},
): Promise<NetworkSource> {
  ctx.registry.create(
    PODS,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: { containers: [{ name: 'main', image: 'pause' }], ...spec },
    } as KubeObject,
    { manager: 'test' },
  );
  for (let i = 0; i < 100; i++) {
    const live = ctx.registry.find(PODS, 'default', name) as Pod | undefined;
    const ip = live?.status?.podIP;
    if (ip && live.spec?.nodeName) {
      await ticks();
      return {
        kind: spec.hostNetwork ? 'node' : 'pod',
        ip,
        nodeName: live.spec.nodeName,
        pod: { namespace: 'default', name },
        log: () => {},
      };
    }
    await ticks(1);
  }
  throw new Error(`pod ${name} got no IP`);
}

function policy(ctx: SimContext, name: string, spec: Record<string, unknown>): void {
  ctx.registry.create(
    NETWORK_POLICIES,
    'default',
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec } as KubeObject,
    { manager: 'test' },
  );
}

const NO_IMDS = {
  podSelector: { matchLabels: { app: 'blocked' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
};

describe('the metadata service stage', () => {
  it('169.254.169.254:80 from a pod is delivered to the fake IMDS on 127.0.0.1, which hands out credentials', async () => {
    const s = await setup();
    const source = await pod(s, 'open', { app: 'open' });
    const { host, port } = s.metadata.address();
    expect(host).toBe('127.0.0.1');
    expect(s.ctx.network.route('169.254.169.254', 80, 'tcp', source)).toEqual({
      kind: 'real',
      address: '127.0.0.1',
      port,
      mapped: true,
    });
    // Only port 80 over TCP; the test process is not on a cloud node.
    expect(s.ctx.network.route('169.254.169.254', 443, 'tcp', source).kind).toBe('dropped');
    expect(s.ctx.network.route('169.254.169.254', 80, 'udp', source).kind).toBe('dropped');
    expect(
      s.ctx.network.route('169.254.169.254', 80, 'tcp', { kind: 'host', ip: '127.0.0.1', log: () => {} })
        .kind,
    ).toBe('dropped');

    const net = s.ctx.network.attach(source);
    cleanups.push(() => net.close());
    const roles = await net.http({
      url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      timeoutMs: 5000,
    });
    expect(roles.status).toBe(200);
    const role = Buffer.from(roles.body).toString('utf8').trim();
    expect(role).toBe('scars-fake-role');
    const creds = await net.http({
      url: `http://169.254.169.254/latest/meta-data/iam/security-credentials/${role}`,
      timeoutMs: 5000,
    });
    expect(JSON.parse(Buffer.from(creds.body).toString('utf8'))).toMatchObject({
      Code: 'Success',
      AccessKeyId: expect.stringMatching(/^ASIAFAKESCARS/),
    });
    const missing = await net.http({ url: 'http://169.254.169.254/favicon.ico', timeoutMs: 5000 });
    expect(missing.status).toBe(404);
    expect(s.metadata.stats()).toEqual({ requests: 3, credentialResponses: 1 });
    // Nothing went to the link-local address for real.
    expect(s.ctx.network.destinations().real).not.toContain('169.254.169.254');
  });

  it('an egress policy excepting 169.254.169.254/32 drops it for the pods it selects only; hostNetwork pods still reach it', async () => {
    const s = await setup();
    const blocked = await pod(s, 'blocked', { app: 'blocked' });
    const open = await pod(s, 'open', { app: 'open' });
    const onHost = await pod(s, 'on-host', { app: 'blocked' }, { hostNetwork: true });
    policy(s.ctx, 'no-imds', NO_IMDS);
    await ticks();
    expect(s.ctx.network.route('169.254.169.254', 80, 'tcp', blocked).kind).toBe('dropped');
    expect(s.ctx.network.route('169.254.169.254', 80, 'tcp', open).kind).toBe('real');
    expect(s.ctx.network.route('169.254.169.254', 80, 'tcp', onHost).kind).toBe('real');
    // The rest of 0.0.0.0/0 stays open to the blocked pod: another pod's server.
    expect(s.ctx.network.route(open.ip, 8080, 'tcp', blocked).kind).toBe('refused');
    expect(s.policies.stats()).toMatchObject({ policies: 1, deniedEgress: 1 });
    expect(s.policies.evaluate({ ip: '169.254.169.254', port: 80, transport: 'tcp' }, blocked)).toMatchObject(
      {
        allowed: false,
        egress: { outcome: 'denied', pod: 'default/blocked', policies: ['no-imds'] },
      },
    );
  });

  it('requireToken: IMDSv1 GETs get 401; disabled: the address is unrouted', async () => {
    const strict = await setup({ requireToken: true, role: 'ci-role' });
    const source = await pod(strict, 'p', { app: 'p' });
    const net = strict.ctx.network.attach(source);
    cleanups.push(() => net.close());
    const v1 = await net.http({
      url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      timeoutMs: 5000,
    });
    expect(v1.status).toBe(401);
    const token = await net.http({
      url: 'http://169.254.169.254/latest/api/token',
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      timeoutMs: 5000,
    });
    const v2 = await net.http({
      url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      headers: { 'x-aws-ec2-metadata-token': Buffer.from(token.body).toString('utf8') },
      timeoutMs: 5000,
    });
    expect(Buffer.from(v2.body).toString('utf8')).toBe('ci-role');

    const off = await setup({ enabled: false });
    const other = await pod(off, 'q', { app: 'q' });
    expect(off.ctx.network.route('169.254.169.254', 80, 'tcp', other).kind).toBe('dropped');
    expect(() => off.metadata.address()).toThrow(/disabled/);
  });
});

describe('the NetworkPolicy stage', () => {
  it('judges the destination as given to admit (post-DNAT) and lets the node’s kubelet in under a default deny', async () => {
    const s = await setup();
    const web = await pod(s, 'web', { app: 'web' });
    const client = await pod(s, 'client', { app: 'client' });
    policy(s.ctx, 'default-deny', { podSelector: {} });
    await ticks();
    // policyTypes defaulted by the apiserver: Ingress.
    const stored = s.ctx.registry.get(NETWORK_POLICIES, 'default', 'default-deny') as KubeObject & {
      spec: { policyTypes: string[] };
    };
    expect(stored.spec.policyTypes).toEqual(['Ingress']);
    expect(s.ctx.network.route(web.ip, 8080, 'tcp', client).kind).toBe('dropped');
    const kubelet: NetworkSource = {
      kind: 'node',
      ip: '127.18.0.3',
      nodeName: web.nodeName as string,
      log: () => {},
    };
    // Nothing listens there: past the policy, the listener table refuses it.
    expect(s.ctx.network.route(web.ip, 8080, 'tcp', kubelet).kind).toBe('refused');

    // A stage that translates (as kube-proxy does) hands admit the endpoint, not the ClusterIP.
    const remove = s.ctx.network.use({
      translate: (dest) => (dest.ip === '10.96.100.1' ? { ...dest, ip: web.ip, port: 8080 } : undefined),
    });
    cleanups.push(remove);
    expect(s.ctx.network.route('10.96.100.1', 80, 'tcp', client).kind).toBe('dropped');
    policy(s.ctx, 'allow-client', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 8080 }] }],
    });
    await ticks();
    expect(s.ctx.network.route('10.96.100.1', 80, 'tcp', client).kind).toBe('refused');
    expect(s.policies.stats()).toMatchObject({ policies: 2, deniedIngress: 2 });
  });
});
