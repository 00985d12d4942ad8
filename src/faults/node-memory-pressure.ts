/**
 * Node memory pressure: drive one node past its kubelet's memory eviction threshold, through the
 * API only, so that the kubelet's eviction manager has to choose whom to evict.
 *
 * Two Guaranteed memhog pods pinned to the node (requests = limits = what they hold, so the kubelet
 * ranks them behind every pod using more than it requested, and the kernel's OOM killer spares
 * them, oom_score_adj −997):
 * - `fill` grows fast to the node's allocatable memory minus the requests of the pods already
 *   there, minus `headroom`;
 * - `creep` then grows slowly through the headroom until the node reports MemoryPressure.
 *
 * Why two speeds: the API does not say how much memory a node really uses (the OS, the runtime and
 * pods above their requests are not in its status), so where the threshold lies is found by
 * creeping up to it. The creep must be slower than the threshold per monitoring period (the
 * eviction manager looks every 10 s; between `memory.available < threshold` and the kernel's OOM
 * killer there is only the threshold): 8Mi/s against the default 100Mi.
 *
 * Inject returns once the node reports MemoryPressure (or `timeout` passed); the pods hold their
 * memory until revert deletes them. The kubelet keeps MemoryPressure (and the node lifecycle
 * controller its `node.kubernetes.io/memory-pressure` taint) for evictionPressureTransitionPeriod
 * (5m by default) after the pressure ends: revert cannot undo that, so `recover` waits it out.
 *
 * The node is claimed for the run before the hogs start (src/harness/node-claim.ts), so a
 * concurrent run does not cordon, drain or pressure it while this one waits for it to recover.
 */
import type { CoreV1Event, V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { parseAgentLog } from '../agent/output.ts';
import type { Evidence, Fault, FaultEffect, RunContext } from '../harness/scenario.ts';
import { type Duration, parseDuration } from '../harness/duration.ts';
import { parseQuantity } from '../kube/quantity.ts';
import { agentContainer } from '../workloads/agent.ts';
import type { NodeChoice } from './memory-hog.ts';
import { agentImagePreflight } from './preflight.ts';
import { kubectlDelete, kubectlRunAgent } from './kubectl.ts';
import { allOf, nodeClaimPreflight, pickAndClaim } from './node-claims.ts';

export interface NodeMemoryPressureOptions {
  /** The node to pressure, or how to pick it (e.g. `nodeOf('app=monitoring')`). */
  node: NodeChoice;
  /** Room left after the fast fill, crossed slowly; must exceed what the node uses beyond requests. Default 1Gi. */
  headroom?: string;
  /** How fast the fill grows; default 2Gi/s. */
  fillRate?: string;
  /** Default 8Mi/s: below the hard threshold per 10 s monitoring period. */
  creepRate?: string;
  /** How long inject waits for MemoryPressure; default 3m. */
  timeout?: Duration;
  /** Pod name prefix; default `node-pressure`. */
  name?: string;
}

/**
 * What a memhog container uses before it allocates (the runtime's baseline, ~50Mi for the agent):
 * its limit is its target plus this, so the hog is never OOM-killed at its own limit.
 */
const AGENT_ALLOWANCE = 64 * 2 ** 20;
const POLL_MS = 1000;
const MiB = 2 ** 20;

const quantityBytes = (q: unknown): number => (q === undefined ? 0 : (parseQuantity(String(q)) ?? 0));
const mi = (bytes: number) => `${Math.floor(bytes / MiB)}Mi`;

/**
 * The memory a pod's requests hold on its node, as the scheduler counts it (resourcehelper
 * PodRequests): regular containers plus sidecars (init containers with restartPolicy Always), or
 * an init container with the sidecars started before it if that is more, plus the pod overhead.
 */
export function podMemoryRequest(p: V1Pod): number {
  const req = (c: V1Container) => quantityBytes(c.resources?.requests?.memory);
  let sidecars = 0;
  let initPeak = 0;
  for (const c of p.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars += req(c);
    else initPeak = Math.max(initPeak, sidecars + req(c));
  }
  const regular = (p.spec?.containers ?? []).reduce((n, c) => n + req(c), 0) + sidecars;
  return Math.max(regular, initPeak) + quantityBytes(p.spec?.overhead?.memory);
}

const terminal = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

interface Plan {
  node: string;
  allocatable: number;
  requested: number;
  fill: number;
  creep: number;
}

export function nodeMemoryPressure(options: NodeMemoryPressureOptions): Fault {
  const prefix = options.name ?? 'node-pressure';
  const headroom = parseQuantity(options.headroom ?? '1Gi') ?? 2 ** 30;
  const fillRate = options.fillRate ?? '2Gi/s';
  const creepRate = options.creepRate ?? '8Mi/s';
  const timeoutMs = parseDuration(options.timeout ?? '3m');
  let plan: Plan | undefined;
  let injectedAt = 0;
  let pressureSeenAt: number | undefined;

  const hog = (ctx: RunContext, role: 'fill' | 'creep', bytes: number, rate: string, node: string): V1Pod => {
    const limit = String(bytes);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${prefix}-${role}`,
        namespace: ctx.namespace,
        labels: { app: prefix, 'scars.dev/fault': 'node-memory-pressure', 'scars.dev/role': role },
      },
      spec: {
        nodeName: node,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        tolerations: [
          { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        ],
        containers: [
          agentContainer(ctx, {
            name: 'memhog',
            args: [
              'memhog',
              '--target',
              String(bytes - AGENT_ALLOWANCE),
              '--rate',
              rate,
              '--step',
              role === 'fill' ? '256Mi' : '2Mi',
            ],
            resources: {
              requests: { cpu: '10m', memory: limit },
              limits: { cpu: '10m', memory: limit },
            },
          }),
        ],
      },
    };
  };

  return {
    name: 'node-memory-pressure',
    kubectl: (ctx) => {
      const node = typeof options.node === 'string' ? options.node : '<node>';
      const run = (role: 'fill' | 'creep', size: string, rate: string, step: string) =>
        kubectlRunAgent(
          ctx,
          `${prefix}-${role}`,
          ['memhog', '--target', `<${size} less 48Mi>`, '--rate', rate, '--step', step],
          {
            labels: { 'scars.dev/fault': 'node-memory-pressure', 'scars.dev/role': role },
            container: 'memhog',
            spec: {
              nodeName: node,
              resources: {
                requests: { cpu: '10m', memory: `<${size}>` },
                limits: { cpu: '10m', memory: `<${size}>` },
              },
            },
          },
        );
      return {
        inject: [
          `# fill: the node's allocatable memory less what its pods request less ${options.headroom ?? '1Gi'} (kubectl describe node ${node})`,
          run('fill', 'fill', fillRate, '256Mi'),
          `# creep: the rest of the headroom, slowly, until the node reports MemoryPressure (kubectl get node ${node} -w)`,
          run('creep', 'headroom', creepRate, '2Mi'),
        ],
        revert: [
          kubectlDelete(ctx, 'pods', 'scars.dev/fault=node-memory-pressure'),
          `# the kubelet keeps MemoryPressure for its evictionPressureTransitionPeriod: wait until kubectl get node ${node} shows it False`,
        ],
      };
    },
    describe: () =>
      `fill ${typeof options.node === 'string' ? `node ${options.node}` : 'the chosen node'} with Guaranteed memhog pods up to its allocatable memory less ${options.headroom ?? '1Gi'}, then creep at ${creepRate} until it reports MemoryPressure`,
    preflight: (ctx) =>
      allOf(
        () => agentImagePreflight(ctx),
        () => nodeClaimPreflight(ctx, typeof options.node === 'string' ? [options.node] : []),
      ),
    async inject(ctx) {
      injectedAt = ctx.clock.now();
      pressureSeenAt = undefined;
      // The node's MemoryPressure and taint are a change to the node another run must not overlap.
      const nodeName = await pickAndClaim(ctx, options.node);
      const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
      if (!node) throw new Error(`node ${nodeName} not found`);
      const allocatable = quantityBytes(node.status?.allocatable?.memory);
      const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', { fieldSelector: `spec.nodeName=${nodeName}` });
      const requested = pods.filter((p) => !terminal(p)).reduce((n, p) => n + podMemoryRequest(p), 0);
      const fill = allocatable - requested - headroom;
      const creep = headroom;
      if (fill < AGENT_ALLOWANCE + MiB || creep < AGENT_ALLOWANCE + MiB) {
        throw new Error(
          `node ${nodeName} has ${mi(allocatable)} allocatable and ${mi(requested)} requested: no room for a ${mi(headroom)} headroom`,
        );
      }
      plan = { node: nodeName, allocatable, requested, fill, creep };
      ctx.record('node-pressure-plan', { ...plan });
      const deadline = injectedAt + timeoutMs;
      await ctx.kube.create(hog(ctx, 'fill', fill, fillRate, nodeName));
      // The creep starts from where the fill ended, so its slow pace is what crosses the threshold.
      if (!(await untilTargetReached(ctx, `${prefix}-fill`, deadline))) {
        ctx.record('node-memory-pressure-timeout', { node: nodeName, phase: 'fill' });
        return;
      }
      ctx.record('node-pressure-filled', { node: nodeName, afterMs: ctx.clock.now() - injectedAt });
      await ctx.kube.create(hog(ctx, 'creep', creep, creepRate, nodeName));
      while (ctx.clock.now() < deadline && !ctx.signal.aborted) {
        const live = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
        if (freshPressure(live, injectedAt)) {
          pressureSeenAt = ctx.clock.now();
          ctx.record('node-memory-pressure', { node: nodeName });
          return;
        }
        await ctx.clock.sleep(POLL_MS, ctx.signal).catch(() => {});
      }
      ctx.record('node-memory-pressure-timeout', { node: nodeName, waitedMs: ctx.clock.now() - injectedAt });
    },
    async observe(ctx) {
      if (!plan) return { observed: false, summary: 'no node was pressured', evidence: [] };
      return observePressure(ctx, plan, injectedAt, pressureSeenAt);
    },
    async recover(ctx) {
      if (!plan) return;
      const node = plan.node;
      const t0 = ctx.clock.now();
      // The kubelet holds MemoryPressure for evictionPressureTransitionPeriod after the hogs are
      // gone, and the node lifecycle controller its NoSchedule taint: wait them out, so the next
      // scenario does not find one worker fewer.
      while (await underPressure(ctx, node)) await ctx.clock.sleep(POLL_MS, ctx.signal);
      ctx.record('node-memory-pressure-recovered', { node, waitedMs: ctx.clock.now() - t0 });
    },
  };
}

async function underPressure(ctx: RunContext, name: string): Promise<boolean> {
  const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name });
  if (!node) return false;
  const condition = (node.status?.conditions ?? []).some(
    (c) => c.type === 'MemoryPressure' && c.status === 'True',
  );
  const taint = (node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/memory-pressure');
  return condition || taint;
}

/** Polls the hog's log until memhog says `target-reached`; false if it stopped or the deadline passed. */
async function untilTargetReached(ctx: RunContext, pod: string, deadline: number): Promise<boolean> {
  while (ctx.clock.now() < deadline && !ctx.signal.aborted) {
    const live = await ctx.kube.read<V1Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ctx.namespace,
      name: pod,
    });
    if (!live || terminal(live)) return false;
    let log = '';
    try {
      log = await ctx.kube.logs(ctx.namespace, pod, { container: 'memhog' });
    } catch {
      // Not started yet: no log to read.
    }
    if (parseAgentLog(log).some((l) => l.event === 'target-reached')) return true;
    await ctx.clock.sleep(POLL_MS, ctx.signal).catch(() => {});
  }
  return false;
}

/** MemoryPressure=True that began after `since` (a condition left over from earlier is not this fault's). */
function freshPressure(node: V1Node | undefined, since: number): boolean {
  const c = node?.status?.conditions?.find((x) => x.type === 'MemoryPressure');
  if (c?.status !== 'True') return false;
  const at = c.lastTransitionTime ? new Date(c.lastTransitionTime).getTime() : Number.NaN;
  // Condition times have second precision.
  return at >= since - 1000;
}

async function observePressure(
  ctx: RunContext,
  plan: Plan,
  since: number,
  pressureSeenAt: number | undefined,
): Promise<FaultEffect> {
  const evidence: Evidence[] = [];
  const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: plan.node });
  const condition = node?.status?.conditions?.find((x) => x.type === 'MemoryPressure');
  if (pressureSeenAt !== undefined || freshPressure(node, since)) {
    evidence.push({
      what: 'node reported MemoryPressure',
      ref: `Node/${plan.node}`,
      data: { status: condition?.status, reason: condition?.reason, since: condition?.lastTransitionTime },
    });
  }
  const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', { fieldSelector: `spec.nodeName=${plan.node}` });
  const evicted = pods.filter(
    (p) =>
      p.status?.reason === 'Evicted' &&
      (p.status.conditions ?? []).some(
        (c) =>
          c.type === 'DisruptionTarget' &&
          c.reason === 'TerminationByKubelet' &&
          new Date(c.lastTransitionTime ?? 0).getTime() >= since - 1000,
      ),
  );
  for (const p of evicted) {
    evidence.push({
      what: `evicted by the kubelet (${p.status?.qosClass ?? 'unknown QoS'})`,
      ref: `Pod/${p.metadata?.namespace}/${p.metadata?.name}`,
      data: { message: p.status?.message },
    });
  }
  let thresholdEvents = 0;
  try {
    const events = await ctx.kube.list<CoreV1Event>('v1', 'Event', {
      fieldSelector: `involvedObject.kind=Node,involvedObject.name=${plan.node},reason=EvictionThresholdMet`,
    });
    thresholdEvents = events.filter((e) => {
      const last = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
      return last !== undefined && new Date(last).getTime() >= since - 1000;
    }).length;
  } catch {
    // Events are evidence on top; a cluster that will not list them still shows the condition.
  }
  if (thresholdEvents > 0)
    evidence.push({ what: 'EvictionThresholdMet event on the node', ref: `Node/${plan.node}` });
  const observed = evidence.some((e) => e.what === 'node reported MemoryPressure') || evicted.length > 0;
  const summary = observed
    ? `${plan.node} under memory pressure: ${evicted.length} pod(s) evicted (fill ${mi(plan.fill)}, headroom ${mi(plan.creep)}, ${mi(plan.requested)} already requested of ${mi(plan.allocatable)})`
    : `${plan.node} never reported MemoryPressure and no pod was evicted from it`;
  return { observed, summary, evidence };
}
