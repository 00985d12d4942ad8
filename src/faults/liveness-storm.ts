/**
 * Liveness storm: load that slows an app's responses past its probe timeouts. An agent `httpprobe`
 * Deployment in the run namespace sends open-loop requests (`--rate`, bounded by `--concurrency`)
 * to a Service's ClusterIP, so an app whose health checks share a worker pool with real work sees
 * its probes queue behind the load. That is all it does, through the API only; whether the kubelet
 * then restarts the containers is up to their probes, which is what the assertions judge.
 *
 * Nothing to undo by hand: the load Deployment is journalled, and revert deletes it.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { AgentLine } from '../agent/output.ts';
import { parseAgentLog } from '../agent/output.ts';
import type { HttpprobeEvent } from '../agent/modes/httpprobe.ts';
import type { Evidence, Fault, RunContext } from '../harness/scenario.ts';
import { readServicePort } from '../harness/service-port.ts';
import { agentContainer, deployment } from '../workloads/agent.ts';
import { agentImagePreflight } from './preflight.ts';
import { kubectlAgentDeployment, shellLine } from './kubectl.ts';

export interface LivenessStormOptions {
  /** The target Service's name in the run namespace. */
  service: string;
  /** Its port, by name or number (default: the first). */
  port?: string | number;
  /** Default `/`: the app's ordinary (slow) path. */
  path?: string;
  /** Requests started per second (cluster time), over all load pods. */
  rate: number;
  /** Most requests in flight at once, over all load pods. */
  concurrency: number;
  /** Load pods (default 1); rate and concurrency are split between them. */
  replicas?: number;
  /** Client timeout per request (default `30s`): long, so the load waits in the app's queue instead of piling up behind abandoned requests. */
  timeout?: string;
  /** The app's pods (label selector), whose `Unhealthy` probe events count as evidence. */
  targetSelector?: string;
  /**
   * Latency (ms) the load must see for the storm to count as biting when no probe failed:
   * the probes' timeout. Default 1000 (timeoutSeconds' default).
   */
  probeTimeoutMs?: number;
  /** Name of the load Deployment (default `liveness-storm`). */
  name?: string;
}

type HttpprobeLine = AgentLine<HttpprobeEvent>;
type Tick = Extract<HttpprobeEvent, { event: 'tick' }>;

/** What the load pods' tick lines add up to. */
export interface StormLoad {
  pods: number;
  started: number;
  completed: number;
  ok: number;
  /** Requests the app answered with any HTTP status (not refused, reset or timed out). */
  answered: number;
  /** Requests in flight at each pod's last tick, summed. */
  inFlight: number;
  /** Mean of the tick lines' achieved rates, summed over pods. */
  achievedRate: number;
  /** Highest per-tick p95 and max latency seen, ms. */
  worstP95Ms: number;
  worstMaxMs: number;
}

export function summariseStorm(logs: readonly (readonly HttpprobeLine[])[]): StormLoad {
  const out: StormLoad = {
    pods: logs.length,
    started: 0,
    completed: 0,
    ok: 0,
    answered: 0,
    inFlight: 0,
    achievedRate: 0,
    worstP95Ms: 0,
    worstMaxMs: 0,
  };
  for (const lines of logs) {
    const ticks = lines.filter((l): l is AgentLine<Tick> => l.event === 'tick');
    const full = ticks.filter((t) => t.started > 0);
    for (const t of ticks) {
      out.started += t.started;
      out.completed += t.completed;
      out.ok += t.outcomes.ok ?? 0;
      out.answered += (t.outcomes.ok ?? 0) + (t.outcomes['bad-status'] ?? 0);
      out.worstP95Ms = Math.max(out.worstP95Ms, t.latency?.p95Ms ?? 0);
      out.worstMaxMs = Math.max(out.worstMaxMs, t.latency?.maxMs ?? 0);
    }
    out.inFlight += ticks.at(-1)?.inFlight ?? 0;
    if (full.length > 0) out.achievedRate += full.reduce((n, t) => n + t.achievedRate, 0) / full.length;
  }
  out.achievedRate = Math.round(out.achievedRate * 100) / 100;
  return out;
}

export function livenessStorm(options: LivenessStormOptions): Fault {
  const name = options.name ?? 'liveness-storm';
  const replicas = Math.max(1, options.replicas ?? 1);
  const path = options.path ?? '/';
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const selector = `app=${name}`;
  let url: string | undefined;
  let injectedAt: Date | undefined;
  const loadArgs = (target: string) => [
    'httpprobe',
    '--url',
    target,
    '--rate',
    `${options.rate / replicas}/s`,
    '--concurrency',
    String(Math.max(1, Math.ceil(options.concurrency / replicas))),
    '--timeout',
    options.timeout ?? '30s',
    '--report-interval',
    '1s',
  ];
  return {
    name: 'liveness-storm',
    kubectl: (ctx) => ({
      inject: [
        `# <cluster-ip>:<port>: kubectl get svc ${options.service} -n ${ctx.namespace} -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}'`,
        kubectlAgentDeployment(ctx, name, replicas, loadArgs(`http://<cluster-ip>:<port>${path}`)),
      ],
      revert: [shellLine(['kubectl', 'delete', 'deployment', name, '-n', ctx.namespace, '--wait'])],
    }),
    describe: () =>
      `load Service ${options.service}${path} at ${options.rate} requests/s (≤ ${options.concurrency} in flight) from ${replicas} agent httpprobe pod(s)`,
    preflight: agentImagePreflight,
    async inject(ctx) {
      url = undefined;
      url = await serviceUrl(ctx, options.service, options.port, path);
      injectedAt = new Date(ctx.clock.now());
      const load = deployment({
        name,
        replicas,
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            agentContainer(ctx, {
              args: loadArgs(url),
              // The agent is a Node process: about 48 MiB before it does anything.
              resources: {
                requests: { cpu: '100m', memory: '64Mi' },
                limits: { memory: '128Mi' },
              },
            }),
          ],
        },
      });
      load.metadata = { ...load.metadata, namespace: ctx.namespace };
      await ctx.kube.create(load);
      ctx.record('liveness-storm-started', { deployment: name, url, rate: options.rate });
    },
    async observe(ctx) {
      if (!url) return { observed: false, summary: 'the load was never started', evidence: [] };
      const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
        namespace: ctx.namespace,
        labelSelector: selector,
      });
      const logs: HttpprobeLine[][] = [];
      const evidence: Evidence[] = [];
      for (const p of pods) {
        const pod = p.metadata?.name ?? '';
        // A load pod not started yet has no log: it adds nothing.
        const text = await ctx.kube.logs(ctx.namespace, pod).catch(() => '');
        const lines = parseAgentLog(text).filter((l) => l.mode === 'httpprobe') as HttpprobeLine[];
        logs.push(lines);
      }
      const load = summariseStorm(logs);
      evidence.push({
        what: `load: ${load.started} requests started (${load.achievedRate}/s of ${options.rate}/s), ${load.completed} completed, ${load.answered} answered (${load.ok} ok), ${load.inFlight} in flight, worst tick p95 ${load.worstP95Ms} ms, max ${load.worstMaxMs} ms`,
        ref: `Deployment/${name}`,
        data: load,
      });
      const unhealthy = options.targetSelector
        ? await probeFailures(ctx, options.targetSelector, injectedAt)
        : [];
      for (const e of unhealthy.slice(0, 5)) {
        evidence.push({
          what: `${e.reason}: ${e.message ?? ''}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`,
          ref: `Pod/${e.involvedObject.name ?? ''}`,
        });
      }
      const slow = load.answered > 0 && load.worstMaxMs > probeTimeoutMs;
      const failingPods = new Set(unhealthy.map((e) => e.involvedObject.name)).size;
      // Either the load's own answers came slower than the probes may wait, or the probes failed
      // while it ran (a queue so deep that no answer came back before the hold ended shows only so).
      const observed = load.started > 0 && (slow || failingPods > 0);
      const seen = `${load.started} request(s) started, ${load.answered} answered, ${load.inFlight} still waiting`;
      const summary =
        load.started === 0
          ? `the load sent no request to ${options.service}`
          : load.answered === 0 && failingPods === 0
            ? `the load did not reach ${options.service}: ${seen}, no probe failed`
            : `${seen}, worst latency ${load.worstMaxMs} ms ${slow ? '>' : '≤'} probe timeout ${probeTimeoutMs} ms; probe failures on ${failingPods} pod(s)`;
      return { observed, summary, evidence };
    },
  };
}

/** The Service's ClusterIP and port: no DNS in the load's path, so the storm loads the app and not CoreDNS. */
async function serviceUrl(
  ctx: RunContext,
  name: string,
  port: string | number | undefined,
  path: string,
): Promise<string> {
  const { service: svc, port: p } = await readServicePort(ctx, 'liveness-storm', name, port);
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') throw new Error(`liveness-storm: Service ${name} has no ClusterIP`);
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${p.port}${path}`;
}

/** Warning `Unhealthy` events on the target's pods since the storm began (one per pod and probe kind, latest first). */
async function probeFailures(
  ctx: RunContext,
  targetSelector: string,
  since: Date | undefined,
): Promise<CoreV1Event[]> {
  const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
    namespace: ctx.namespace,
    labelSelector: targetSelector,
  });
  const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
  const events = await ctx.kube.list<CoreV1Event>('v1', 'Event', { namespace: ctx.namespace });
  const seen = new Set<string>();
  const out: CoreV1Event[] = [];
  const when = (e: CoreV1Event) =>
    new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).getTime();
  for (const e of events.sort((a, b) => when(b) - when(a))) {
    if (e.reason !== 'Unhealthy' || e.involvedObject.kind !== 'Pod') continue;
    if (!names.has(e.involvedObject.name ?? '')) continue;
    // Event times have second resolution: a failure in the storm's first second still counts.
    if (since && when(e) < since.getTime() - 1000) continue;
    const key = `${e.involvedObject.name}/${(e.message ?? '').split(' ')[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
