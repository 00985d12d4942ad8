/**
 * Memory hog: agent `memhog` pods in the run namespace that grow their working set to a target at
 * a steady rate, as a leak does — on a chosen node, with or without requests and limits.
 *
 * With a memory limit below the target the kernel kills the container at the limit (OOMKilled,
 * exit 137) and the kubelet restarts it with back-off; without one it grows to the target and
 * holds it, and on a full node the kubelet's eviction manager (or the kernel's OOM killer) steps in.
 * The pods are created through the journalled client, so revert deletes them.
 */
import type { V1Deployment, V1Node, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { parseAgentLog } from '../agent/output.ts';
import type { BuildContext, Evidence, Fault, FaultEffect, RunContext } from '../harness/scenario.ts';
import { agentContainer } from '../workloads/agent.ts';
import { agentImagePreflight } from './preflight.ts';
import { kubectlDelete, kubectlRunAgent } from './kubectl.ts';
import { allOf, nodeClaimPreflight, withoutClaimed } from './node-claims.ts';

/** A node by name, or a function of the run picking one (e.g. `nodeOf('app=api')`). */
export type NodeChoice = string | ((ctx: RunContext) => string | Promise<string>);

/**
 * Picks the node a running pod matching the selector (in the run namespace) is on; the first by
 * name whose node no other scars run has claimed.
 */
export function nodeOf(selector: string): (ctx: RunContext) => Promise<string> {
  return async (ctx) => {
    const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
      namespace: ctx.namespace,
      labelSelector: selector,
    });
    const running = pods
      .filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName && !p.metadata?.deletionTimestamp)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (running.length === 0)
      throw new Error(`no running pod matches ${selector} in ${ctx.namespace}: cannot pick its node`);
    const nodes = [...new Set(running.map((p) => p.spec?.nodeName as string))];
    return (await withoutClaimed(ctx, nodes, `the pods matching ${selector}`))[0] as string;
  };
}

export async function resolveNode(ctx: RunContext, choice: NodeChoice): Promise<string> {
  return typeof choice === 'string' ? choice : await choice(ctx);
}

export interface MemoryHogOptions {
  /** Pod name prefix and `app` label; default `memhog`. */
  name?: string;
  /** How many hog pods; default 1. */
  replicas?: number;
  /** What each hog allocates on top of the agent's own working set (memhog --target), e.g. `1Gi`. */
  target: string;
  /** Allocation rate (memhog --rate); default `64Mi/s`. */
  rate?: string;
  /** Allocation step (memhog --step); default the agent's (4Mi). */
  step?: string;
  /** Where the hogs run; default wherever the scheduler puts them. */
  node?: NodeChoice;
  /** The hog container's requests and limits; default none (BestEffort). */
  resources?: V1ResourceRequirements;
  /**
   * Take the requests and limits of a Deployment's container as it is deployed in the run, so the
   * hog leaks with the app's own resources: set in the arm that applies them, absent in the other.
   * Overrides `resources`.
   */
  resourcesFrom?: { deployment: string; container?: string };
  /** Extra pod labels. */
  labels?: Record<string, string>;
  /** Default `Always`, as a Deployment's pods: an OOM-killed hog restarts with back-off. */
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
}

const FAULT_LABEL = 'scars.dev/fault';
const KILLED_EXIT_CODE = 137;

export function memoryHog(options: MemoryHogOptions): Fault {
  const name = options.name ?? 'memhog';
  const replicas = options.replicas ?? 1;
  const rate = options.rate ?? '64Mi/s';
  const created: string[] = [];
  let injectedAt = 0;
  const describe = (_ctx: BuildContext) =>
    `${replicas} memhog pod(s) ${name} growing to ${options.target} at ${rate}` +
    `${options.node === undefined ? '' : typeof options.node === 'string' ? ` on ${options.node}` : ' on a chosen node'}` +
    `${options.resourcesFrom ? ` with the resources of deployment ${options.resourcesFrom.deployment}` : options.resources ? ' with the given resources' : ' without requests or limits'}`;

  return {
    name: 'memory-hog',
    describe,
    kubectl: (ctx) => {
      const args = [
        'memhog',
        '--target',
        options.target,
        '--rate',
        rate,
        ...(options.step ? ['--step', options.step] : []),
      ];
      const node =
        options.node === undefined ? undefined : typeof options.node === 'string' ? options.node : '<node>';
      const inject = [
        ...(options.resourcesFrom
          ? [
              `# resources: copy them from deployment ${options.resourcesFrom.deployment} (kubectl get deploy ${options.resourcesFrom.deployment} -n ${ctx.namespace} -o jsonpath='{.spec.template.spec.containers[0].resources}')`,
            ]
          : []),
        ...Array.from({ length: replicas }, (_, i) =>
          kubectlRunAgent(ctx, replicas === 1 ? name : `${name}-${i}`, args, {
            labels: { [FAULT_LABEL]: 'memory-hog', ...options.labels },
            restart: options.restartPolicy ?? 'Always',
            container: 'memhog',
            spec: {
              ...(node ? { nodeName: node } : {}),
              ...(options.resources ? { resources: options.resources } : {}),
            },
          }),
        ),
      ];
      return { inject, revert: [kubectlDelete(ctx, 'pods', `${FAULT_LABEL}=memory-hog`)] };
    },
    // The hogs change no node, so they claim none; they only keep off nodes other runs are changing.
    preflight: (ctx) => {
      const node = options.node;
      return typeof node === 'string'
        ? allOf(
            () => agentImagePreflight(ctx),
            () => nodeClaimPreflight(ctx, [node]),
          )
        : agentImagePreflight(ctx);
    },
    async inject(ctx) {
      created.length = 0;
      injectedAt = ctx.clock.now();
      const node = options.node === undefined ? undefined : await resolveNode(ctx, options.node);
      const resources = options.resourcesFrom
        ? await resourcesOfDeployment(ctx, options.resourcesFrom.deployment, options.resourcesFrom.container)
        : options.resources;
      const args = ['memhog', '--target', options.target, '--rate', rate];
      if (options.step) args.push('--step', options.step);
      for (let i = 0; i < replicas; i++) {
        const podName = replicas === 1 ? name : `${name}-${i}`;
        const pod: V1Pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: podName,
            namespace: ctx.namespace,
            labels: { app: name, [FAULT_LABEL]: 'memory-hog', ...options.labels },
          },
          spec: {
            ...(node ? { nodeName: node } : {}),
            restartPolicy: options.restartPolicy ?? 'Always',
            // memhog lets go of its memory on SIGTERM: revert need not wait 30s for it.
            terminationGracePeriodSeconds: 5,
            containers: [agentContainer(ctx, { name: 'memhog', args, ...(resources ? { resources } : {}) })],
          },
        };
        await ctx.kube.create(pod);
        created.push(podName);
        ctx.record('memhog-created', { pod: podName, node: node ?? null, resources: resources ?? null });
      }
    },
    async observe(ctx) {
      return observeHogs(ctx, created, injectedAt, options.target);
    },
  };
}

/** The requests and limits of a container of a Deployment in the run namespace, as deployed. */
export async function resourcesOfDeployment(
  ctx: RunContext,
  deployment: string,
  container?: string,
): Promise<V1ResourceRequirements | undefined> {
  const d = await ctx.kube.read<V1Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: ctx.namespace,
    name: deployment,
  });
  if (!d) throw new Error(`deployment ${deployment} not found in ${ctx.namespace}`);
  const containers = d.spec?.template.spec?.containers ?? [];
  const c = container === undefined ? containers[0] : containers.find((x) => x.name === container);
  if (!c) throw new Error(`deployment ${deployment} has no container ${container ?? '(none)'}`);
  const r = c.resources;
  const empty =
    !r || (Object.keys(r.requests ?? {}).length === 0 && Object.keys(r.limits ?? {}).length === 0);
  return empty ? undefined : structuredClone(r);
}

interface HogMemory {
  peakWorkingSetBytes: number;
  targetReached: boolean;
}

/** The memhog lines of the current and the previous container: the peak working set it reported. */
async function hogMemory(ctx: RunContext, pod: string, restarted: boolean): Promise<HogMemory> {
  const out: HogMemory = { peakWorkingSetBytes: 0, targetReached: false };
  const texts: string[] = [];
  for (const previous of restarted ? [false, true] : [false]) {
    try {
      texts.push(await ctx.kube.logs(ctx.namespace, pod, { container: 'memhog', previous }));
    } catch {
      // No log yet (the container is being created) or no previous container: nothing to read.
    }
  }
  for (const line of texts.flatMap(parseAgentLog)) {
    const l = line as { event: string; workingSetBytes?: number; peakWorkingSetBytes?: number };
    if (l.event === 'target-reached') out.targetReached = true;
    const ws = Math.max(l.workingSetBytes ?? 0, l.peakWorkingSetBytes ?? 0);
    out.peakWorkingSetBytes = Math.max(out.peakWorkingSetBytes, ws);
  }
  return out;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;

async function observeHogs(
  ctx: RunContext,
  names: readonly string[],
  since: number,
  target: string,
): Promise<FaultEffect> {
  if (names.length === 0) return { observed: false, summary: 'no memhog pod was created', evidence: [] };
  const evidence: Evidence[] = [];
  const bit: string[] = [];
  for (const name of names) {
    const pod = await ctx.kube.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name });
    if (!pod) {
      evidence.push({ what: 'memhog pod is gone', ref: `Pod/${name}` });
      continue;
    }
    const statuses = pod.status?.containerStatuses ?? [];
    const oom = statuses.flatMap((c) =>
      [c.state?.terminated, c.lastState?.terminated]
        .filter((t) => t?.reason === 'OOMKilled' && t.exitCode === KILLED_EXIT_CODE)
        .map((t) => ({ container: c.name, restartCount: c.restartCount, finishedAt: t?.finishedAt })),
    );
    const restarted = statuses.some((c) => c.restartCount > 0);
    const memory = await hogMemory(ctx, name, restarted);
    if (oom.length > 0) {
      bit.push(`${name} OOMKilled`);
      evidence.push({ what: 'container OOMKilled (exit 137)', ref: `Pod/${name}`, data: oom[0] });
    }
    if (pod.status?.reason === 'Evicted') {
      bit.push(`${name} evicted`);
      evidence.push({
        what: 'evicted by the kubelet',
        ref: `Pod/${name}`,
        data: { message: pod.status.message },
      });
    }
    if (memory.targetReached) {
      bit.push(`${name} reached ${target}`);
      evidence.push({ what: `memhog reached its target ${target}`, ref: `Pod/${name}`, data: memory });
    } else if (memory.peakWorkingSetBytes > 0) {
      evidence.push({
        what: `memhog working set peaked at ${mib(memory.peakWorkingSetBytes)}`,
        ref: `Pod/${name}`,
        data: memory,
      });
    }
    const nodeName = pod.spec?.nodeName;
    if (nodeName) {
      const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
      const pressure = node?.status?.conditions?.find(
        (c) => c.type === 'MemoryPressure' && c.status === 'True',
      );
      const fresh =
        pressure?.lastTransitionTime && new Date(pressure.lastTransitionTime).getTime() >= since - 1000;
      if (pressure && fresh) {
        bit.push(`${nodeName} MemoryPressure`);
        evidence.push({
          what: 'node reports MemoryPressure',
          ref: `Node/${nodeName}`,
          data: { since: pressure.lastTransitionTime },
        });
      }
    }
  }
  return bit.length > 0
    ? { observed: true, summary: `memory consumed: ${[...new Set(bit)].join(', ')}`, evidence }
    : {
        observed: false,
        summary: `no memhog was OOM-killed, evicted or reached ${target} (${names.join(', ')})`,
        evidence,
      };
}
