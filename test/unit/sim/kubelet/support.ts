/**
 * An in-process simulated cluster with only the kubelets running: pods are created already
 * bound (spec.nodeName set), so no scheduler is needed, on small nodes where pressure is easy to reach.
 */
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { EVENTS, NODES, PODS } from '../../../../src/sim/kinds/resources.ts';
import { Kubelets, type KubeletOptions } from '../../../../src/sim/kubelet/kubelets.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { resolveTopology, type TopologyInput } from '../../../../src/sim/topology/load.ts';
import { waitFor } from '../../../support/wait.ts';

type NodeGroup = TopologyInput['nodes'][number];

export interface KubeletSim {
  ctx: SimContext;
  kubelets: Kubelets;
  node: string;
  stop(): void;
}

export function startKubeletSim(
  options: { node?: Partial<NodeGroup>; timeScale?: number; kubelet?: Partial<KubeletOptions> } = {},
): KubeletSim {
  const topology = resolveTopology({
    apiVersion: 'scars.dev/v1alpha1',
    kind: 'SimTopology',
    name: 'kt',
    nodes: [
      {
        role: 'worker',
        capacity: { cpu: '4', memory: '2Gi', pods: '110' },
        systemMemoryUsage: '600Mi',
        evictionHard: { 'memory.available': '100Mi' },
        ...options.node,
      },
    ],
  });
  const ctx = createSimCore({ topology, timeScale: options.timeScale ?? 100 });
  registerNodes(ctx);
  const kubelets = new Kubelets(ctx, options.kubelet);
  kubelets.start();
  return {
    ctx,
    kubelets,
    node: topology.nodes[0]?.name ?? '',
    stop: () => {
      kubelets.stop();
      ctx.clock.stop();
    },
  };
}

export type TestPod = Pod & KubeObject;

export function createPod(sim: KubeletSim, pod: Omit<Pod, 'apiVersion' | 'kind'>): TestPod {
  const body = {
    apiVersion: 'v1',
    kind: 'Pod',
    ...pod,
    spec: { nodeName: sim.node, ...pod.spec },
  };
  return sim.ctx.registry.create(PODS, pod.metadata?.namespace ?? 'default', body, {
    manager: 'test',
  }) as TestPod;
}

export const getPod = (sim: KubeletSim, name: string, namespace = 'default'): TestPod | undefined =>
  sim.ctx.registry.find(PODS, namespace, name) as TestPod | undefined;

export const getNode = (sim: KubeletSim): Node & KubeObject =>
  sim.ctx.registry.get(NODES, undefined, sim.node) as Node & KubeObject;

export function events(
  sim: KubeletSim,
  filter: { name?: string; reason?: string; kind?: string } = {},
): Event[] {
  const all = sim.ctx.registry.list(EVENTS, {}).items as unknown as Event[];
  return all.filter(
    (e) =>
      (!filter.name || e.involvedObject.name === filter.name) &&
      (!filter.reason || e.reason === filter.reason) &&
      (!filter.kind || e.involvedObject.kind === filter.kind),
  );
}

/** Events of a pod as `reason: message` lines, for failure output. */
export const eventLines = (sim: KubeletSim, name?: string): string =>
  events(sim, name ? { name } : {})
    .map((e) => `${e.type} ${e.reason} (x${e.count ?? 1}) ${e.involvedObject.fieldPath ?? ''}: ${e.message}`)
    .join('\n');

export const podDump =
  (sim: KubeletSim, name: string): (() => string) =>
  () =>
    `${JSON.stringify(getPod(sim, name)?.status, null, 2)}\n${eventLines(sim, name)}`;

export async function waitForPod(
  sim: KubeletSim,
  name: string,
  what: string,
  check: (pod: TestPod) => boolean,
  ms = 15_000,
): Promise<TestPod> {
  await waitFor(
    `${name}: ${what}`,
    () => {
      const pod = getPod(sim, name);
      return pod !== undefined && check(pod);
    },
    ms,
    podDump(sim, name),
  );
  return getPod(sim, name) as TestPod;
}

export const condition = (pod: Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);

export const container = (pod: Pod, name = 'app') =>
  [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find(
    (c) => c.name === name,
  );
