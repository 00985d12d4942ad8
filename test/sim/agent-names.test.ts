/**
 * Agent containers reach Services by name, as a Node client in a pod does: the name is looked up
 * with the pod's resolv.conf (search list, ndots:5, A+AAAA) through the cluster DNS, and the
 * CoreDNS replicas count every query (glibc's expansion: `web` costs 2 queries per request,
 * `web.<ns>.svc` 6, an unknown name 8). Through the API only, plus the CoreDNS model's counters.
 */
import type { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { linesOf, summaryOf } from '../../src/observers/agent-log.ts';
import { issueLeaf } from '../support/certs.ts';
import { agentLines, agentPod, isReady, terminated, untilPod, WORKER } from '../support/agent-pods.ts';
import { simClients, startTestSim, type TestSim } from '../support/sim.ts';

const SCALE = 20;
const NS = 'shop';

let t: TestSim;
let core: CoreV1Api;
let discovery: DiscoveryV1Api;
let kube: KubeApi;
let caCert: string;

/** Queries the CoreDNS replicas answered so far. */
const dnsQueries = (): number =>
  (t.sim.dataPlane?.dns.stats().replicas ?? []).reduce((n, r) => n + r.queries, 0);

beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, discovery, kube } = simClients(t));
  await core.createNamespace({ body: { metadata: { name: NS } } });
  const leaf = await issueLeaf({ dnsNames: ['web.shop.svc'], ipAddresses: [] });
  caCert = leaf.caCert;
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: 'web-tls' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': leaf.cert, 'tls.key': leaf.key },
    },
  });
  await core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'web-ca' }, data: { 'ca.crt': caCert } },
  });
  await core.createNamespacedPod({
    namespace: NS,
    body: agentPod('web', ['serve', '--tls-port', '8443', '--tls-dir', '/etc/tls'], {
      node: WORKER,
      container: {
        ports: [
          { name: 'http', containerPort: 8080 },
          { name: 'https', containerPort: 8443 },
        ],
        volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }],
      },
      spec: { volumes: [{ name: 'tls', secret: { secretName: 'web-tls' } }] },
    }),
  });
  await core.createNamespacedService({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'https', port: 443, targetPort: 'https' },
        ],
      },
    },
  });
  await untilPod(core, NS, 'web', 'Ready', isReady, 15_000);
  const end = Date.now() + 10_000;
  for (;;) {
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace: NS,
      labelSelector: 'kubernetes.io/service-name=web',
    });
    if (slices.items.some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready))) break;
    if (Date.now() > end) throw new Error('the web Service has no ready endpoint');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(async () => {
  await t?.sim.stop();
});

/** Runs a one-shot agent pod in NS to completion; its lines and the CoreDNS queries it cost. */
async function runClient(name: string, args: string[], extra: Parameters<typeof agentPod>[2] = {}) {
  const before = dnsQueries();
  await core.createNamespacedPod({
    namespace: NS,
    body: agentPod(name, args, { ...extra, spec: { restartPolicy: 'Never', ...extra.spec } }),
  });
  const done = await untilPod(core, NS, name, 'finished', (p) => terminated(p) !== undefined, 15_000);
  return { done, lines: await agentLines(kube, NS, name), queries: dnsQueries() - before };
}

describe('an agent pod reaches a Service by name', () => {
  it('httpprobe --url http://web/healthz: 200 twice, 2 queries each (web.shop.svc.cluster.local, A and AAAA)', async () => {
    const { done, lines, queries } = await runClient('get-web', [
      'httpprobe',
      '--url',
      'http://web/healthz',
      '--count',
      '2',
      '--timeout',
      '20s',
    ]);
    expect(terminated(done)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const attempts = linesOf(lines, 'httpprobe').filter((l) => l.event === 'attempt');
    expect(attempts).toEqual([
      expect.objectContaining({ outcome: 'ok', status: 200 }),
      expect.objectContaining({ outcome: 'ok', status: 200 }),
    ]);
    expect(queries).toBe(4);
  }, 30_000);

  it('tlsprobe --host web.shop.svc: the handshake verifies against that name; 6 queries (two search suffixes miss)', async () => {
    const { done, lines, queries } = await runClient(
      'tls-web',
      ['tlsprobe', '--host', 'web.shop.svc', '--ca', '/etc/ca/ca.crt', '--count', '1', '--timeout', '20s'],
      {
        container: { volumeMounts: [{ name: 'ca', mountPath: '/etc/ca' }] },
        spec: { volumes: [{ name: 'ca', configMap: { name: 'web-ca' } }] },
      },
    );
    expect(terminated(done)).toMatchObject({ exitCode: 0 });
    const certificate = linesOf(lines, 'tlsprobe').find((l) => l.event === 'certificate');
    expect(certificate).toMatchObject({ host: 'web.shop.svc', port: 443, verified: true });
    expect(queries).toBe(6);
  }, 30_000);

  it('an unknown name: getaddrinfo ENOTFOUND after the whole search list and the name as is (8 queries)', async () => {
    const { done, lines, queries } = await runClient('get-nope', [
      'httpprobe',
      '--url',
      'http://nope/healthz',
      '--count',
      '1',
      '--timeout',
      '20s',
    ]);
    expect(terminated(done)).toMatchObject({ exitCode: 1 });
    const attempts = linesOf(lines, 'httpprobe').filter((l) => l.event === 'attempt');
    expect(attempts).toEqual([
      expect.objectContaining({
        outcome: 'error',
        error: 'GET http://nope/healthz: getaddrinfo ENOTFOUND nope',
      }),
    ]);
    expect(summaryOf(lines, 'httpprobe')).toMatchObject({ exitCode: 1, failures: 1 });
    expect(queries).toBe(8);
  }, 30_000);
});
