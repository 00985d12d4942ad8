/**
 * NetworkPolicy and the fake cloud metadata service in the running sim, seen through the API and
 * the agents' own lines: agent pods (image scars-agent) talk to each other and to 169.254.169.254
 * over the sim network, policies decide on every connection, the kubelet's probes still get in.
 * Each case lives in its own namespaces so that one case's policies never touch another's pods.
 * All real traffic is loopback; the metadata address is answered inside the sim.
 */
import type {
  CoreV1Api,
  NetworkingV1Api,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1NetworkPolicySpec,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentLine } from '../../src/agent/output.ts';
import { isLoopbackAddress } from '../../src/agent/host/loopback-guard.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { summaryOf } from '../../src/observers/agent-log.ts';
import {
  agentLines,
  agentLog,
  agentPod as agentPodSpec,
  type AgentPodOptions,
  eventsOf,
  isReady,
  terminated,
  untilPod,
  WORKER,
} from '../support/agent-pods.ts';
import { simClients, startTestSim, type TestSim } from '../support/sim.ts';

/**
 * Simulated seconds per wall second. A dropped connection's `--timeout 2s` expires on the sim
 * clock (100 ms of wall time); requests that must succeed get 20 s (a wall second) because real
 * sockets run in wall time.
 */
const SCALE = 20;

let t: TestSim;
let core: CoreV1Api;
let net: NetworkingV1Api;
let kube: KubeApi;
beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, networking: net, kube } = simClients(t));
});
afterAll(async () => {
  await t?.sim.stop();
});

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels } } });
}

/** An agent pod on the worker that runs once. */
async function agentPod(
  ns: string,
  name: string,
  args: string[],
  o: Pick<AgentPodOptions, 'labels' | 'container' | 'spec'> = {},
): Promise<void> {
  await core.createNamespacedPod({
    namespace: ns,
    body: agentPodSpec(name, args, {
      ...o,
      node: WORKER,
      image: 'ghcr.io/acme/scars-agent:dev',
      spec: { restartPolicy: 'Never', ...o.spec },
    }),
  });
}

/** client-node's model spells an ingress rule's `from` as `_from` (a plain `from` is dropped on serialization). */
async function policy(ns: string, name: string, spec: V1NetworkPolicySpec): Promise<void> {
  await net.createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name }, spec } });
}

const finished = (ns: string, name: string) =>
  untilPod(core, ns, name, 'finished', (p) => terminated(p) !== undefined);
const runningIP = async (ns: string, name: string) =>
  (
    await untilPod(
      core,
      ns,
      name,
      'running with an IP',
      (p) => p.status?.phase === 'Running' && !!p.status.podIP,
    )
  ).status?.podIP as string;

const linesOf = (ns: string, name: string): Promise<AgentLine[]> => agentLines(kube, ns, name);

type Attempt = AgentLine & { outcome: string };
const attemptsOf = async (ns: string, name: string): Promise<Attempt[]> =>
  (await linesOf(ns, name)).filter((l): l is Attempt => l.event === 'attempt');

/** The outcomes of a finished httpprobe pod. */
async function probeOutcomes(ns: string, name: string): Promise<string[]> {
  await finished(ns, name);
  return (await attemptsOf(ns, name)).map((a) => a.outcome);
}

const httpprobe = (url: string, timeout: string) => [
  'httpprobe',
  '--url',
  url,
  '--count',
  '2',
  '--timeout',
  timeout,
];

describe('ingress', () => {
  it('a default deny on a serve pod: an unlisted client times out, a podSelector-allowed one gets through, the kubelet’s readiness probe still passes', async () => {
    const ns = 'np-ingress';
    await namespace(ns);
    await policy(ns, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    await policy(ns, 'allow-friends', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'friend' } } }] }],
    });
    await agentPod(ns, 'web', ['serve'], {
      container: {
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, timeoutSeconds: 10 },
      },
    });
    const web = await untilPod(core, ns, 'web', 'Ready', isReady);
    const url = `http://${web.status?.podIP}:8080/`;
    await agentPod(ns, 'stranger', httpprobe(url, '2s'));
    await agentPod(ns, 'friend', httpprobe(url, '20s'), { labels: { role: 'friend' } });

    expect(await probeOutcomes(ns, 'stranger')).toEqual(['timeout', 'timeout']);
    expect(await probeOutcomes(ns, 'friend')).toEqual(['ok', 'ok']);
    expect(summaryOf(await linesOf(ns, 'stranger'), 'httpprobe')).toMatchObject({ exitCode: 1 });
    // The probes come from web's own node: never isolated. Still Ready, and no probe was dropped
    // (a refused one before the server listened is the usual start-up race, policy or not).
    const after = await core.readNamespacedPod({ name: 'web', namespace: ns });
    expect(isReady(after)).toBe(true);
    const events = await eventsOf(core, ns, 'web');
    const unhealthy = events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message ?? '');
    expect(unhealthy.filter((m) => !/connection refused$/.test(m))).toEqual([]);
    expect(t.sim.dataPlane?.policies.stats().deniedIngress).toBeGreaterThanOrEqual(2);
  }, 15_000);
});

describe('the metadata service', () => {
  it('an egress policy 0.0.0.0/0 except 169.254.169.254/32 blocks IMDS for app=blocked only; others get credentials; no secret is printed', async () => {
    const ns = 'np-imds';
    await namespace(ns);
    await policy(ns, 'no-imds', {
      podSelector: { matchLabels: { app: 'blocked' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
    });
    const before = t.sim.dataPlane?.metadata.stats().credentialResponses ?? 0;
    await agentPod(ns, 'blocked', ['imdsprobe', '--expect', 'blocked', '--timeout', '2s']);
    await agentPod(ns, 'open', ['imdsprobe', '--expect', 'reachable', '--timeout', '20s']);

    expect(terminated(await finished(ns, 'blocked'))?.exitCode).toBe(0);
    const blocked = await linesOf(ns, 'blocked');
    expect(blocked.find((l) => l.event === 'result')).toMatchObject({
      outcome: 'timeout',
      credentialsReturned: false,
      credentialBytes: 0,
    });

    expect(terminated(await finished(ns, 'open'))?.exitCode).toBe(0);
    const open = await linesOf(ns, 'open');
    const result = open.find((l) => l.event === 'result') as AgentLine & { credentialBytes: number };
    expect(result).toMatchObject({ outcome: 'reachable', credentialsReturned: true, roleFound: true });
    expect(result.credentialBytes).toBeGreaterThan(0);

    // Only byte counts: neither the fake credentials nor the role name appear in the log.
    const raw = await agentLog(core, ns, 'open');
    expect(raw).not.toMatch(/ASIAFAKESCARS|fake\/scars\/|FAKE-SCARS-SESSION-TOKEN|scars-fake-role/);

    const metadata = t.sim.dataPlane?.metadata;
    expect((metadata?.stats().credentialResponses ?? 0) - before).toBeGreaterThanOrEqual(1);
    const { real } = t.sim.network.destinations();
    expect(real).not.toContain('169.254.169.254');
    expect(real.every(isLoopbackAddress)).toBe(true);
  }, 15_000);
});

describe('peers and ports', () => {
  it('namespaceSelector with a named port; egress endPort ranges; an ipBlock except', async () => {
    await namespace('np-srv');
    await namespace('np-blue', { team: 'blue' });
    await namespace('np-red', { team: 'red' });
    await policy('np-srv', 'api-from-blue', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [
        { _from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }], ports: [{ port: 'http' }] },
      ],
    });
    await agentPod('np-srv', 'api', ['serve'], {
      container: { ports: [{ name: 'http', containerPort: 8080 }] },
    });
    const ip = await runningIP('np-srv', 'api');
    const url = `http://${ip}:8080/`;
    const egress = (name: string, to: V1NetworkPolicyPeer, ports?: V1NetworkPolicyPort[]) =>
      policy('np-blue', name, {
        podSelector: { matchLabels: { app: name } },
        policyTypes: ['Egress'],
        egress: [{ to: [to], ...(ports ? { ports } : {}) }],
      });
    const podNetwork = { ipBlock: { cidr: '127.64.0.0/10' } };
    await egress('in-range', podNetwork, [{ protocol: 'TCP', port: 8000, endPort: 8100 }]);
    await egress('out-of-range', podNetwork, [{ protocol: 'TCP', port: 9000, endPort: 9100 }]);
    await egress('excepted', { ipBlock: { cidr: '127.64.0.0/10', except: [`${ip}/32`] } });

    await agentPod('np-blue', 'blue', httpprobe(url, '20s'));
    await agentPod('np-red', 'red', httpprobe(url, '2s'));
    await agentPod('np-blue', 'in-range', httpprobe(url, '20s'));
    await agentPod('np-blue', 'out-of-range', httpprobe(url, '2s'));
    await agentPod('np-blue', 'excepted', httpprobe(url, '2s'));

    expect(await probeOutcomes('np-blue', 'blue')).toEqual(['ok', 'ok']);
    expect(await probeOutcomes('np-red', 'red')).toEqual(['timeout', 'timeout']);
    expect(await probeOutcomes('np-blue', 'in-range')).toEqual(['ok', 'ok']);
    expect(await probeOutcomes('np-blue', 'out-of-range')).toEqual(['timeout', 'timeout']);
    expect(await probeOutcomes('np-blue', 'excepted')).toEqual(['timeout', 'timeout']);
  }, 15_000);
});

describe('DNS under a default-deny egress', () => {
  it('the pods’ DNS to CoreDNS (via the kube-dns ClusterIP) is dropped unless a rule allows UDP/TCP 53 to kube-system k8s-app=kube-dns', async () => {
    const ns = 'np-dns';
    await namespace(ns);
    await policy(ns, 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    await policy(ns, 'allow-dns', {
      podSelector: { matchLabels: { dns: 'allowed' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    // The pods' own resolv.conf: nameserver 10.96.0.10, which kube-proxy DNATs to a CoreDNS pod;
    // the policy judges that pod. A fully qualified name keeps it to one query per family.
    const dnsprobe = (timeout: string, expect: string) => [
      'dnsprobe',
      '--name',
      'kubernetes.default.svc.cluster.local.',
      '--family',
      '4',
      '--timeout',
      timeout,
      '--attempts',
      '1',
      '--count',
      '1',
      '--expect',
      expect,
    ];
    await agentPod(ns, 'denied', dnsprobe('2s', 'fail'));
    await agentPod(ns, 'allowed', dnsprobe('20s', 'ok'), { labels: { dns: 'allowed' } });
    expect(terminated(await finished(ns, 'denied'))?.exitCode).toBe(0);
    expect(terminated(await finished(ns, 'allowed'))?.exitCode).toBe(0);
    expect(await attemptsOf(ns, 'denied')).toMatchObject([{ outcome: 'timeout', addresses: [] }]);
    expect(await attemptsOf(ns, 'allowed')).toMatchObject([{ outcome: 'ok', addresses: ['10.96.0.1'] }]);
  }, 15_000);
});
