/**
 * CoreDNS flood: a noisy neighbour (a client without a DNS cache, a retry storm) sends CoreDNS more
 * lookups than its replicas can answer. Every pod's DNS then queues behind the flood: lookups slow
 * down to seconds, then time out. NodeLocal DNSCache answers on each node from its cache and sends
 * CoreDNS only its misses, so the application's lookups stay fast while the flood lasts.
 */
import { readFileSync } from 'node:fs';
import type { KubernetesObject, V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { defineScenario } from 'scars';
import { dnsFailureRate, dnsLatency, dnsRetries } from 'scars/assertions';
import { corednsFlood } from 'scars/faults';
import { agentLogs } from 'scars/observers';
import { agentContainer, deployment, service } from 'scars/workloads';

const probe = 'dns-probe';
const selector = `app=${probe}`;
const NODELOCAL = 'node-local-dns';

/** The upstream NodeLocal DNSCache addon, exactly as `kubectl apply -f` would create it. */
const addon: KubernetesObject[] = parseAllDocuments(
  readFileSync(new URL('../clusters/addons/nodelocaldns.yaml', import.meta.url), 'utf8'),
)
  .map((d) => d.toJS() as KubernetesObject | null)
  .filter((o): o is KubernetesObject => o !== null);

export default defineScenario({
  name: 'coredns-flood-nodelocal',
  description:
    'Flood CoreDNS beyond its capacity from the run namespace; with NodeLocal DNSCache on every node, other pods keep resolving Service names fast and without failures.',
  runbook: {
    hypothesis:
      'With NodeLocal DNSCache, a flood of lookups from one workload does not degrade DNS for the others: their lookups are answered from the node cache, CoreDNS only sees cache misses.',
    blastRadius:
      'The run namespace (probe and flood pods) and, in the main arm, the NodeLocal DNSCache addon in kube-system (ServiceAccount, ConfigMap, DaemonSet, Services kube-dns-upstream and node-local-dns), removed at cleanup. The flood loads the cluster DNS for every namespace while it runs.',
    expected:
      'Main: the probes resolve `web` without failures and with next to no resolver retries (≤ 5%) while CoreDNS is flooded, p90 under 1 s; the fault evidence counts the flood at the DNS tier from the flood pods (CoreDNS itself sees little). Control (no NodeLocal): CoreDNS receives the flood (coredns_dns_requests_total), its replicas fall seconds behind and drop queries, the probes see multi-second lookups and resolver timeouts (retries), and the DNS assertions fail. The flood rate (40 lookups/s) is sized for the simulated cluster, whose CoreDNS is scaled down 1000× (docs/sim-fidelity.md); a real CoreDNS answers it easily, so on kind or a real cluster raise `qps` to tens of thousands, or the control arm passes and the verdict is inconclusive.',
    watch: [
      'kubectl get --raw /api/v1/namespaces/kube-system/pods/<coredns-pod>:9153/proxy/metrics | grep coredns_dns_requests_total',
      `kubectl logs -n <run-namespace> -l ${selector} --tail 5`,
      'kubectl get ds -n kube-system node-local-dns',
    ],
    abort: [
      'DNS failures outside the run namespace (other teams share CoreDNS): delete the dnsflood Deployment.',
    ],
  },
  tags: ['dns'],
  suites: ['default', 'nightly'],
  namespaces: ['kube-system'],
  workloads: [
    service({ name: 'web', selector: { app: 'web' } }),
    (ctx) =>
      deployment({
        name: probe,
        replicas: 3,
        spec: {
          containers: [
            agentContainer(ctx, {
              args: [
                'dnsprobe',
                '--name',
                'web',
                '--interval',
                '500ms',
                '--duration',
                '24h',
                '--expect',
                'ok',
              ],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
            }),
          ],
        },
      }),
  ],
  mitigation: {
    description: 'NodeLocal DNSCache (clusters/addons/nodelocaldns.yaml) on every node',
    manifests: addon,
  },
  fault: corednsFlood({
    qps: 40,
    replicas: 2,
    names: ['kubernetes.default.svc.cluster.local.'],
    family: '4',
    concurrency: 128,
  }),
  observers: [agentLogs({ selector, intervalMs: 1000 })],
  steadyState: [
    {
      name: 'node-local-dns as the arm needs it',
      async check(ctx) {
        const ds = await ctx.kube.read<V1DaemonSet>({
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          namespace: 'kube-system',
          name: NODELOCAL,
        });
        // Terminating pods (the main arm's addon being removed) no longer cache anything.
        const pods = (
          await ctx.kube.list<V1Pod>('v1', 'Pod', {
            namespace: 'kube-system',
            labelSelector: `k8s-app=${NODELOCAL}`,
          })
        ).filter((p) => !p.metadata?.deletionTimestamp);
        const ready = pods.filter((p) =>
          (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        ).length;
        if (ctx.arm === 'control') {
          // Installed by someone else: the control arm cannot leave the mitigation out.
          if ((ds && !ds.metadata?.deletionTimestamp) || pods.length > 0)
            return {
              ok: false,
              summary: `NodeLocal DNSCache is already installed on this cluster (DaemonSet kube-system/${NODELOCAL}, ${pods.length} pod(s)): the control arm cannot run without it; run on a cluster without the addon`,
            };
          return { ok: true, summary: 'no NodeLocal DNSCache: pods query CoreDNS directly' };
        }
        const desired = ds?.status?.desiredNumberScheduled ?? 0;
        return ds && desired > 0 && ready >= desired
          ? { ok: true, summary: `NodeLocal DNSCache Ready on ${ready}/${desired} node(s)` }
          : { ok: false, summary: `NodeLocal DNSCache not Ready: ${ready}/${desired} pod(s)` };
      },
    },
  ],
  expect: [
    // A query unanswered within the resolver's timeout (glibc: 5 s) was dropped or queued too long.
    dnsRetries({ selector, max: 0.05, minSamples: 5 }),
    dnsFailureRate({ selector, max: 0.01, minSamples: 5 }),
    // p90: the bulk of lookups, answered from the node cache, stays fast. p99 at two resolver
    // timeouts (timeout 5 s, attempts 2): a lookup that slow has failed for the app.
    dnsLatency({ selector, p99Ms: 10_000, p90Ms: 1000, minSamples: 5 }),
  ],
  hold: '20s',
  settle: '3s',
});
