/**
 * ndots amplification: with the default `ndots:5`, a name with fewer than five dots goes through
 * the pod's search list first, so one lookup of `api.example.com` sends A and AAAA for three
 * cluster suffixes before the name itself: 8 queries, 6 of them cluster-domain NXDOMAINs that
 * CoreDNS never caches. At peak lookup load CoreDNS saturates. Written as a fully qualified name
 * (trailing dot) the lookup is 2 queries, answered from CoreDNS's cache.
 *
 * Why the trailing dot and not `ndots:2`: `api.example.com` does not exist (NXDOMAIN, in the sim,
 * whose upstream knows no external names, and on the internet). glibc goes through the search list
 * after an NXDOMAIN for the name as is, so under `ndots:2` a name that does not resolve still costs
 * 8 queries; only a name that resolves is helped by a lower ndots. The absolute name is 2 queries
 * either way.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { dnsFailureRate, dnsLatency, dnsQueriesPerLookup, dnsRetries } from 'scars/assertions';
import { corednsFlood } from 'scars/faults';
import { agentLogs } from 'scars/observers';
import { agentContainer, deployment } from 'scars/workloads';

const app = 'api-client';
const selector = `app=${app}`;
const EXTERNAL = 'api.example.com';

export default defineScenario({
  name: 'ndots-amplification',
  description:
    'An app looks up an external name at peak load; with the default ndots:5 each lookup is 8 queries and CoreDNS saturates, written as an absolute name (trailing dot) it is 2 cached queries and DNS stays fast.',
  runbook: {
    hypothesis:
      'Pods that resolve external names by their fully qualified form (trailing dot) cost CoreDNS 2 queries per lookup, so a peak of lookups stays within its capacity; with the default ndots:5 the same peak is 8 queries per lookup and saturates it.',
    blastRadius:
      'The run namespace only (the app and its extra load). The load goes to the cluster DNS, which every namespace shares, while the fault is in place.',
    expected:
      'Main: 2 queries per lookup, p90 under 2 s, next to no resolver retries (≤ 5%), no failed lookup. Control (ndots:5 expansion): 8 queries per lookup (candidates api.example.com.<ns>.svc.cluster.local, …, api.example.com), CoreDNS falls seconds behind and drops queries, lookups need resolver retries: the DNS assertions fail. The lookup rate is sized for the simulated cluster, whose CoreDNS is scaled down 1000× (docs/sim-fidelity.md); on a real cluster the queries-per-lookup assertion still fails in the control arm, but the latency ones need about 1000× the rate.',
    watch: [
      `kubectl logs -n <run-namespace> -l ${selector} --tail 3   # "queries" and "candidates" per attempt`,
      'kubectl get --raw /api/v1/namespaces/kube-system/pods/<coredns-pod>:9153/proxy/metrics | grep coredns_dns_responses_total',
    ],
    abort: ['DNS failures outside the run namespace: delete the api-client-peak Deployment.'],
  },
  tags: ['dns'],
  suites: ['default', 'nightly'],
  workloads: [
    (ctx) =>
      deployment({
        name: app,
        replicas: 5,
        spec: {
          containers: [
            agentContainer(ctx, {
              args: [
                'dnsprobe',
                '--name',
                EXTERNAL,
                '--interval',
                '1s',
                '--duration',
                '24h',
                '--expect',
                'nxdomain',
              ],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
            }),
          ],
        },
      }),
  ],
  mitigation: {
    description: `look up the fully qualified name ${EXTERNAL}. (trailing dot: no search-list expansion)`,
    apply: (objects) =>
      objects.map((o) => {
        if (o.kind !== 'Deployment' || o.metadata?.name !== app) return o;
        const d = structuredClone(o) as V1Deployment;
        for (const c of d.spec?.template.spec?.containers ?? [])
          c.args = c.args?.map((a) => (a === EXTERNAL ? `${EXTERNAL}.` : a));
        return d;
      }),
  },
  // The app's peak: more of its own lookups, with its own names and DNS settings.
  fault: corednsFlood({ name: `${app}-peak`, like: app, qps: 10, replicas: 2, concurrency: 128 }),
  observers: [agentLogs({ selector, intervalMs: 1000 })],
  expect: [
    dnsQueriesPerLookup({ selector, max: 4, minSamples: 5 }),
    // A query unanswered within the resolver's timeout (glibc: 5 s) was dropped or queued too long.
    dnsRetries({ selector, max: 0.05, minSamples: 5 }),
    dnsFailureRate({ selector, max: 0.01, minSamples: 5 }),
    // p90: the bulk of lookups stays fast. p99 at two resolver timeouts (timeout 5 s, attempts 2):
    // a lookup that slow has failed for the app.
    dnsLatency({ selector, p99Ms: 10_000, p90Ms: 2000, minSamples: 5 }),
  ],
  hold: '20s',
  settle: '3s',
});
