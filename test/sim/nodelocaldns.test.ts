/**
 * NodeLocal DNSCache in the simulator, end to end: the addon manifest (clusters/addons/
 * nodelocaldns.yaml) applied with the real kubectl (client-node when no kubectl is installed),
 * its DaemonSet pods Ready on every node, agent pods resolving through their node's cache, the
 * same dnsflood that overloads CoreDNS without the cache staying within bounds with it, and the
 * fall-back to CoreDNS once the DaemonSet is deleted. Counts come from the agents' own lines
 * (pods/log) and the data plane's counters; no DNS traffic leaves the process.
 *
 * The flood is sized to the sim's CoreDNS made small on purpose (10 misses/s per replica, two
 * replicas): 5 lookups/s of an in-cluster name under ndots:5 are 40 queries/s, twice what CoreDNS
 * takes. Small numbers keep the in-process traffic light, and a time scale of 5 keeps the sim's
 * latencies from growing with a busy machine's event-loop lag, so the counts hold on a CI runner.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { summaryOf } from '../../src/observers/agent-log.ts';
import type { ClusterDnsStats } from '../../src/sim/dataplane/dns/cluster-dns.ts';
import type { NodeLocalDns } from '../../src/sim/dataplane/dns/node-local-dns.ts';
import { isReady, runAgentPod } from '../support/agent-pods.ts';
import { findKubectl, kubectlRunner } from '../support/kubectl.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { until } from '../support/wait.ts';

const SCALE = 5;
const ADDON = new URL('../../clusters/addons/nodelocaldns.yaml', import.meta.url);
const kubectl = findKubectl('default');
if (!kubectl) console.warn('kubectl not found on PATH: the addon is applied through client-node instead');

let t: TestSim;
let core: CoreV1Api;
let kube: KubeApi;
let nld: NodeLocalDns;
beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, kube } = simClients(t));
  const dataPlane = dataPlaneOf(t);
  nld = dataPlane.nodeLocalDns;
  // A small CoreDNS, so that a light flood overloads it (see the header).
  dataPlane.dns.configure({ qpsPerReplica: 10 });
});
afterAll(async () => {
  await t?.sim.stop();
});

const dnsStats = (): ClusterDnsStats => dataPlaneOf(t).dns.stats();
/** Queries the CoreDNS replicas received: answered plus dropped. */
const coreDnsQueries = (): number => dnsStats().replicas.reduce((n, r) => n + r.queries + r.dropped, 0);

/** Runs an agent pod on `node` to completion and returns its lines. */
const runAgent = (name: string, node: string, args: string[]) =>
  runAgentPod({ core, kube }, 'default', name, args, { node }, 15_000);

const NAME = 'kubernetes.default.svc.cluster.local';
const FLOOD = ['dnsflood', '--name', NAME, '--qps', '5', '--count', '50', '--concurrency', '100'];

async function flood(name: string) {
  const before = coreDnsQueries();
  const summary = summaryOf(await runAgent(name, 'scars-worker', FLOOD), 'dnsflood');
  if (!summary) throw new Error(`${name} wrote no summary`);
  return { summary, coreDns: coreDnsQueries() - before };
}

let plain: Awaited<ReturnType<typeof flood>>;

describe('NodeLocal DNSCache', () => {
  it('without it, the flood overloads CoreDNS: queries dropped, lookups timing out and slow', async () => {
    await until('two CoreDNS replicas', () => dnsStats().replicas.length === 2 || undefined);
    plain = await flood('flood-plain');
    expect(plain.summary.lookups).toBe(50);
    expect(plain.summary.timeouts).toBeGreaterThan(0);
    expect(dnsStats().replicas.some((r) => r.dropped > 0)).toBe(true);
    // Every query of the flood reached CoreDNS (8 per lookup, plus the retries of lost ones).
    expect(plain.coreDns).toBeGreaterThanOrEqual(400);
  }, 20_000);

  it(`the addon applies cleanly${kubectl ? ` with kubectl ${kubectl.version}` : ' (client-node)'}; its pods are Ready on every node`, async () => {
    if (kubectl) {
      const out = await kubectlRunner(kubectl, t.kubeconfigPath).ok(['apply', '-f', fileURLToPath(ADDON)]);
      expect(out.trim().split('\n')).toEqual([
        'serviceaccount/node-local-dns created',
        'service/kube-dns-upstream created',
        'configmap/node-local-dns created',
        'daemonset.apps/node-local-dns created',
        'service/node-local-dns created',
      ]);
    } else {
      for (const doc of parseAllDocuments(readFileSync(ADDON, 'utf8')))
        await kube.create(doc.toJS() as KubernetesObject);
    }
    const nodes = t.sim.nodes;
    const pods = await until('a Ready node-local-dns pod on every node', async () => {
      const list = await core.listNamespacedPod({
        namespace: 'kube-system',
        labelSelector: 'k8s-app=node-local-dns',
      });
      const ready = list.items.filter(isReady);
      return ready.length === nodes.length ? ready : undefined;
    });
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual([...nodes].sort());
    for (const p of pods) {
      expect(p.spec?.hostNetwork).toBe(true);
      expect(p.status?.podIP).toBe(p.status?.hostIP);
    }
    // Every node's cache is up, on the link-local address and the kube-dns IP.
    await until('every node cache', () => nld.caches().length === nodes.length || undefined);
    for (const c of nld.caches()) expect(c.addresses).toEqual(['169.254.20.10', '10.96.0.10']);
  }, 20_000);

  it('a pod resolves through its node cache: ok, and hits after the first miss', async () => {
    const lines = await runAgent('probe-cached', 'scars-worker2', [
      'dnsprobe',
      '--name',
      NAME,
      '--count',
      '3',
      '--timeout',
      '20s',
    ]);
    const summary = summaryOf(lines, 'dnsprobe');
    expect(summary?.outcomes).toEqual({ ok: 3 });
    const node = nld.stats()['scars-worker2'];
    // The first lookup's 8 queries (3 search candidates and the name, A and AAAA) miss, the next
    // ones hit (usually all 16: the NXDOMAINs are kept 5 s, and the probe asks once a second).
    expect(node).toMatchObject({ queries: 24, dropped: 0 });
    expect(node?.misses).toBeGreaterThanOrEqual(8);
    expect(node?.hits).toBeGreaterThanOrEqual(8);
    expect(node?.forwarded).toBe(node?.misses);
  }, 20_000);

  it('the same flood with it stays within bounds: far fewer timeouts and far fewer queries at CoreDNS', async () => {
    const cached = await flood('flood-cached');
    expect(cached.summary.lookups).toBe(50);
    expect(cached.summary.failures).toBe(0);
    expect(cached.summary.timeouts).toBeLessThanOrEqual(plain.summary.timeouts / 5);
    // Only misses reach CoreDNS: usually 30 to 60 queries against 430 (the denial entries live 5 s,
    // and lookups arriving while one is being refilled miss too: the cache does not coalesce).
    expect(cached.coreDns).toBeLessThan(plain.coreDns / 2);
    const worker = nld.stats()['scars-worker'];
    expect(worker?.queries).toBe(cached.summary.queries);
    expect(worker?.hits).toBeGreaterThan(worker?.misses ?? Infinity);
    expect(cached.summary.latency?.p50Ms).toBeLessThan(plain.summary.latency?.p50Ms ?? 0);
  }, 20_000);

  it('once the DaemonSet is deleted, pods fall back to CoreDNS through kube-proxy', async () => {
    await kube.delete({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      namespace: 'kube-system',
      name: 'node-local-dns',
    });
    await until('no node cache left', () => nld.caches().length === 0 || undefined);
    const cachedBefore = nld.stats()['scars-worker2'];
    const coreDnsBefore = coreDnsQueries();
    const lines = await runAgent('probe-fallback', 'scars-worker2', [
      'dnsprobe',
      '--name',
      NAME,
      '--count',
      '1',
      '--timeout',
      '20s',
    ]);
    expect(summaryOf(lines, 'dnsprobe')?.outcomes).toEqual({ ok: 1 });
    expect(nld.stats()['scars-worker2']).toEqual(cachedBefore);
    expect(coreDnsQueries() - coreDnsBefore).toBeGreaterThanOrEqual(8);
  }, 20_000);
});
