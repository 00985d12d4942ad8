/**
 * CoreDNS flood: a `dnsflood` Deployment in the run namespace looks names up at a target rate, the
 * way a noisy neighbour (a retry storm, a client without a DNS cache) loads the cluster DNS. Each
 * lookup costs what the flood pods' resolv.conf makes it cost: A and AAAA per candidate name, the
 * search list expanded by ndots. Undone by deleting the Deployment (the journal does it at revert).
 *
 * Evidence that the flood reached the DNS server is read from the server side where it can be:
 * every CoreDNS replica's `coredns_dns_requests_total` (port 9153), through the API server's pod
 * proxy (what `kubectl get --raw /api/v1/namespaces/kube-system/pods/<pod>:9153/proxy/metrics`
 * reads), before the flood and at the end of the hold. With a cache in front of CoreDNS (NodeLocal
 * DNSCache), CoreDNS sees only the cache's misses, so the requests that reached the DNS tier are
 * counted from the flood pods' own lines instead, and the evidence says which source it used.
 */
import type {
  V1Deployment,
  V1Pod,
  V1PodDNSConfig,
  V1PodSpec,
  V1ResourceRequirements,
  V1Service,
} from '@kubernetes/client-node';
import type { DnsfloodEvent } from '../agent/modes/dnsflood.ts';
import { type AgentLine, parseAgentLog } from '../agent/output.ts';
import { errorMessage } from '../errors.ts';
import type { Evidence, Fault, RunContext } from '../harness/scenario.ts';
import { agentContainer, deployment } from '../workloads/agent.ts';
import { agentImagePreflight } from './preflight.ts';
import { kubectlAgentDeployment, shellLine } from './kubectl.ts';

export const CLUSTER_DNS_NAMESPACE = 'kube-system';
export const CLUSTER_DNS_SERVICE = 'kube-dns';
export const COREDNS_SELECTOR = 'k8s-app=kube-dns';
export const COREDNS_METRICS_PORT = 9153;

export interface CorednsFloodOptions {
  /** Lookups per second in all, split evenly across the replicas. */
  qps: number;
  /** Flood pods (default 2). */
  replicas?: number;
  /** Names looked up, round-robin (default `kubernetes.default`); a trailing dot makes one absolute. */
  names?: string[];
  /** Query types per candidate name: `any` A and AAAA (getaddrinfo AF_UNSPEC, the default), `4` A, `6` AAAA. */
  family?: 'any' | '4' | '6';
  /** Most lookups in flight per pod (default 256); starts beyond it are skipped and counted. */
  concurrency?: number;
  /** The flood pods' dnsConfig (e.g. ndots), merged by the kubelet with ClusterFirst's resolv.conf. */
  dnsConfig?: V1PodDNSConfig;
  /**
   * A Deployment in the run namespace whose pods the flood imitates, as more of the same app's
   * traffic: its dnsPolicy and dnsConfig, and (when `names` is not given) the names its agent
   * container looks up (`--name`). Read at inject, so a mitigation applied to it applies to the flood.
   */
  like?: string;
  /** The Deployment's name and app label (default `dnsflood`). */
  name?: string;
  resources?: V1ResourceRequirements;
  /**
   * The share of the target's queries (qps × queries per candidate) the flood pods must have sent
   * for the fault to count as observed (default 0.25: an overloaded resolver's lookups wait, and the
   * flood's concurrency bounds how many wait at once).
   */
  minShare?: number;
}

/** Requests counted at one CoreDNS replica (the sum of coredns_dns_requests_total over its labels). */
interface ReplicaCount {
  pod: string;
  requests: number;
}

const REQUESTS_METRIC = 'coredns_dns_requests_total';

/** The sum of every `coredns_dns_requests_total` sample in a Prometheus text exposition. */
export function corednsRequestsTotal(metrics: string): number | undefined {
  let total: number | undefined;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(REQUESTS_METRIC)) continue;
    const rest = line.slice(REQUESTS_METRIC.length);
    let sample: string;
    if (rest.startsWith('{')) sample = rest.slice(rest.lastIndexOf('}') + 1);
    else if (rest.startsWith(' ')) sample = rest;
    else continue;
    // `value [timestamp]`
    const v = Number(sample.trim().split(/\s+/)[0]);
    if (Number.isFinite(v)) total = (total ?? 0) + v;
  }
  return total;
}

/** Every running CoreDNS replica's request count, read through the pod proxy; failures are named. */
async function readCoreDns(ctx: RunContext): Promise<{ counts: ReplicaCount[]; problems: string[] }> {
  const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
    namespace: CLUSTER_DNS_NAMESPACE,
    labelSelector: COREDNS_SELECTOR,
  });
  const counts: ReplicaCount[] = [];
  const problems: string[] = [];
  for (const p of pods) {
    const pod = p.metadata?.name ?? '';
    if (p.status?.phase !== 'Running' || !p.status.podIP) continue;
    try {
      const text = await ctx.kube.proxyGet(CLUSTER_DNS_NAMESPACE, pod, 'metrics', COREDNS_METRICS_PORT);
      const requests = corednsRequestsTotal(text);
      if (requests === undefined) problems.push(`${pod}: no coredns_dns_requests_total in its metrics`);
      else counts.push({ pod, requests });
    } catch (err) {
      problems.push(`${pod}: ${errorMessage(err)}`);
    }
  }
  return { counts, problems };
}

/** What the flood pods' tick lines say they sent and got answered. */
interface FloodTally {
  pods: number;
  /** Lookups started; `lookups` and `queries` count the finished ones. */
  started: number;
  lookups: number;
  queries: number;
  timeouts: number;
  skipped: number;
  /** Sim ms covered by the ticks, per pod, summed. */
  windowMs: number;
}

async function readFlood(ctx: RunContext, selector: string): Promise<FloodTally> {
  const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', { namespace: ctx.namespace, labelSelector: selector });
  const tally: FloodTally = {
    pods: 0,
    started: 0,
    lookups: 0,
    queries: 0,
    timeouts: 0,
    skipped: 0,
    windowMs: 0,
  };
  for (const p of pods) {
    let lines: AgentLine[];
    try {
      lines = parseAgentLog(await ctx.kube.logs(ctx.namespace, p.metadata?.name ?? ''));
    } catch {
      continue;
    }
    let ticks = 0;
    for (const l of lines as AgentLine<DnsfloodEvent>[]) {
      if (l.mode !== 'dnsflood' || l.event !== 'tick') continue;
      ticks++;
      tally.started += l.started;
      tally.lookups += l.lookups;
      tally.queries += l.queries;
      tally.timeouts += l.timeouts;
      tally.windowMs += l.windowMs;
    }
    if (ticks > 0) tally.pods++;
  }
  return tally;
}

/** How long inject waits for the flood's pods to run (cluster time). */
const FLOOD_START_TIMEOUT_MS = 60_000;

/** Waits until `want` pods matching the selector run; returns how many do when it stops waiting. */
async function untilRunning(
  ctx: RunContext,
  selector: string,
  want: number,
  timeoutMs: number,
): Promise<number> {
  const end = ctx.clock.now() + timeoutMs;
  for (;;) {
    const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
      namespace: ctx.namespace,
      labelSelector: selector,
    });
    const running = pods.filter(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    ).length;
    if (running >= want || ctx.clock.now() >= end || ctx.signal.aborted) return running;
    await ctx.clock.sleep(500, ctx.signal).catch(() => undefined);
  }
}

const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

export function corednsFlood(options: CorednsFloodOptions): Fault {
  const name = options.name ?? 'dnsflood';
  const replicas = Math.max(1, options.replicas ?? 2);
  let names = options.names?.length ? options.names : ['kubernetes.default'];
  const family = options.family ?? 'any';
  const perPod = options.qps / replicas;
  const minShare = options.minShare ?? 0.25;
  const perCandidate = family === 'any' ? 2 : 1;
  const selector = `app=${name}`;
  let before: { at: number; counts: ReplicaCount[] } | undefined;
  let injectedAt: number | undefined;
  const floodArgs = (looked: readonly string[]) => [
    'dnsflood',
    ...looked.flatMap((n) => ['--name', n]),
    '--qps',
    String(perPod),
    '--family',
    family,
    '--concurrency',
    String(options.concurrency ?? 256),
    '--duration',
    '24h',
    '--report-interval',
    '1s',
  ];
  return {
    name: 'coredns-flood',
    kubectl: (ctx) => ({
      inject: [
        ...(options.like
          ? [
              `# give the flood pods the dnsPolicy and dnsConfig of deployment ${options.like} (kubectl edit deploy ${name} -n ${ctx.namespace})`,
            ]
          : []),
        kubectlAgentDeployment(
          ctx,
          name,
          replicas,
          floodArgs(options.like && !options.names?.length ? ['<name the app looks up>'] : names),
        ),
      ],
      revert: [shellLine(['kubectl', 'delete', 'deployment', name, '-n', ctx.namespace, '--wait'])],
    }),
    describe: () =>
      `${replicas} dnsflood pod(s) looking up ${options.like && !options.names?.length ? `what ${options.like} looks up` : names.join(', ')}${options.like ? ` with ${options.like}'s DNS settings` : ''} (${family === 'any' ? 'A+AAAA' : family === '4' ? 'A' : 'AAAA'}) at ${options.qps} lookups/s in all`,
    async preflight(ctx) {
      const image = await agentImagePreflight(ctx);
      if (!image.ok) return image;
      const svc = await ctx.kube.read<V1Service>({
        apiVersion: 'v1',
        kind: 'Service',
        namespace: CLUSTER_DNS_NAMESPACE,
        name: CLUSTER_DNS_SERVICE,
      });
      if (!svc)
        return {
          ok: false,
          summary: `no cluster DNS: Service ${CLUSTER_DNS_NAMESPACE}/${CLUSTER_DNS_SERVICE} does not exist`,
        };
      return {
        ok: true,
        summary: `${image.summary}; cluster DNS at ${svc.spec?.clusterIP ?? '?'} (Service ${CLUSTER_DNS_NAMESPACE}/${CLUSTER_DNS_SERVICE})`,
      };
    },
    async inject(ctx) {
      // The server's counters before the flood: the evidence is the difference.
      const start = await readCoreDns(ctx);
      before = { at: ctx.clock.now(), counts: start.counts };
      let dns: Partial<Pick<V1PodSpec, 'dnsPolicy' | 'dnsConfig'>> = options.dnsConfig
        ? { dnsConfig: options.dnsConfig }
        : {};
      if (options.like) {
        const app = await ctx.kube.read<V1Deployment>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: ctx.namespace,
          name: options.like,
        });
        const pod = app?.spec?.template.spec;
        if (!pod)
          throw new Error(
            `coredns-flood: Deployment ${options.like} (to imitate) not found in ${ctx.namespace}`,
          );
        dns = {
          ...(pod.dnsPolicy ? { dnsPolicy: pod.dnsPolicy } : {}),
          ...(pod.dnsConfig ? { dnsConfig: pod.dnsConfig } : {}),
          ...dns,
        };
        if (!options.names?.length) {
          const args = pod.containers.flatMap((c) => c.args ?? []);
          const looked = args.flatMap((a, i) =>
            a === '--name' && args[i + 1] ? [args[i + 1] as string] : [],
          );
          if (looked.length) names = looked;
        }
      }
      const flood: V1Deployment = deployment({
        name,
        replicas,
        spec: {
          ...dns,
          containers: [
            agentContainer(ctx, {
              name: 'dnsflood',
              args: floodArgs(names),
              resources: options.resources ?? {
                requests: { cpu: '50m', memory: '32Mi' },
                limits: { memory: '128Mi' },
              },
            }),
          ],
        },
      });
      await ctx.kube.create({ ...flood, metadata: { ...flood.metadata, namespace: ctx.namespace } });
      // The fault is in place once the flood runs: wait (bounded) for its pods to start, so the hold
      // that follows is all flood.
      const running = await untilRunning(ctx, selector, replicas, FLOOD_START_TIMEOUT_MS);
      injectedAt = ctx.clock.now();
      ctx.record('dnsflood-created', {
        running,
        deployment: name,
        replicas,
        qps: options.qps,
        names,
        family,
        coredns: start.counts,
        ...(start.problems.length ? { problems: start.problems } : {}),
      });
    },
    async observe(ctx) {
      if (injectedAt === undefined || !before)
        return { observed: false, summary: 'the flood was not started', evidence: [] };
      const now = ctx.clock.now();
      const after = await readCoreDns(ctx);
      const flood = await readFlood(ctx, selector);
      const expectedQps = options.qps * perCandidate;
      const threshold = expectedQps * minShare;
      const evidence: Evidence[] = [];
      // Requests per replica since inject; a replica that restarted counts from zero.
      let serverRequests = 0;
      for (const c of after.counts) {
        const b = before.counts.find((x) => x.pod === c.pod)?.requests ?? 0;
        const delta = c.requests >= b ? c.requests - b : c.requests;
        serverRequests += delta;
        evidence.push({
          what: `coredns_dns_requests_total +${delta} (from ${b} to ${c.requests})`,
          ref: `Pod/${c.pod} -n ${CLUSTER_DNS_NAMESPACE}`,
          data: { source: 'coredns-metrics', port: COREDNS_METRICS_PORT },
        });
      }
      for (const p of after.problems) evidence.push({ what: `metrics not read: ${p}` });
      // Rates over the time the flood ran (its pods' ticks), not the pods' start-up before it.
      const activeMs = flood.pods > 0 ? flood.windowMs / flood.pods : 0;
      const serverQps = rate(
        serverRequests,
        activeMs > 0 ? Math.min(activeMs, now - before.at) : now - before.at,
      );
      // Lookups still waiting for their answers are not in the tick's `queries` yet: count each
      // started one at its first candidate's queries at least.
      const floodQps = rate(Math.max(flood.queries, flood.started * perCandidate), activeMs);
      evidence.push({
        what: `flood pods: ${flood.started} lookups started, ${flood.lookups} finished with ${flood.queries} queries, ${flood.timeouts} unanswered in time`,
        ref: `Deployment/${name} -n ${ctx.namespace}`,
        data: { source: 'dnsflood-lines', ...flood },
      });
      const target = `target ${options.qps} lookups/s, at least ${expectedQps} queries/s`;
      const answeredQps = rate(flood.queries - flood.timeouts, activeMs);
      // The flood must have run at its rate and reached a server: its lookups got answers, or (all
      // still waiting on an overloaded one) CoreDNS counted queries at the share of the target.
      const ran = floodQps >= threshold && (answeredQps > 0 || serverQps >= threshold);
      const sent = `the flood sent ${fixed(floodQps)} queries/s (${target}), ${fixed(answeredQps)}/s answered`;
      if (!ran)
        return {
          observed: false,
          summary: `not enough: ${sent}; CoreDNS received ${fixed(serverQps)} queries/s (source: the flood pods' own lines and coredns_dns_requests_total)`,
          evidence,
        };
      // The answers came from CoreDNS when its own counters account for them (dropped queries are
      // in no counter: an overloaded CoreDNS counts at most what it answered).
      if (after.counts.length > 0 && serverQps >= 0.5 * answeredQps)
        return {
          observed: true,
          summary: `CoreDNS received ${fixed(serverQps)} queries/s during the flood; ${sent}, ${fixed(rate(flood.timeouts, activeMs))}/s unanswered in time (source: coredns_dns_requests_total of ${after.counts.length} replica(s) via the API server's pod proxy)`,
          evidence,
        };
      // CoreDNS saw less than the flood got answered: a cache in front (NodeLocal DNSCache) answered
      // the rest, or the metrics could not be read. NodeLocal's own metrics (:9253) are not read.
      return {
        observed: true,
        summary: `the DNS tier answered ${fixed(answeredQps)} queries/s of the flood; ${sent} (source: the flood pods' own lines, ${flood.pods} pod(s)); CoreDNS itself received ${fixed(serverQps)} queries/s${after.counts.length === 0 ? ' (its metrics could not be read)' : ' (the rest was answered before it, e.g. by NodeLocal DNSCache)'}`,
        evidence,
      };
    },
  };
}
