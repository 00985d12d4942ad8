/**
 * The simulated cluster in tests, plus the few kubelet acts that part 1 of the simulator does
 * not perform yet (binding a pod and reporting it Running/Ready), done through the same
 * registry a kubelet would write through.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  NetworkingV1Api,
  PolicyV1Api,
} from '@kubernetes/client-node';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { KubeApi } from '../../src/harness/kube-api.ts';
import type { DataPlane } from '../../src/sim/dataplane/index.ts';
import { resourceAt, type ResourceType } from '../../src/sim/kinds/registry.ts';
import { type SimCluster, type SimClusterOptions, startSimCluster } from '../../src/sim/cluster.ts';
import type { KubeObject } from '../../src/sim/object.ts';

export interface TestSim {
  sim: SimCluster;
  kubeconfigPath: string;
  dir: string;
}

export async function startTestSim(options: SimClusterOptions = {}): Promise<TestSim> {
  const sim = await startSimCluster({ nodes: 3, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'scars-sim-test-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfigPath);
  return { sim, kubeconfigPath, dir };
}

/** API clients for a test sim, through its kubeconfig as any client would connect. */
export interface SimClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  policy: PolicyV1Api;
  discovery: DiscoveryV1Api;
  /** The harness's own client, as scenarios and observers use it. */
  kube: KubeApi;
}

export function simClients(t: TestSim): SimClients {
  const kc = new KubeConfig();
  kc.loadFromFile(t.kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    kube: new KubeApi(kc),
  };
}

/** The sim's data plane (kube-proxy, cluster DNS, …), which the e2e tests of its parts need. */
export function dataPlaneOf(t: TestSim): DataPlane {
  const dataPlane = t.sim.dataPlane;
  if (!dataPlane) throw new Error('the sim runs no data plane');
  return dataPlane;
}

export function served(apiVersion: string, plural: string): ResourceType {
  const r = resourceAt(apiVersion, plural);
  if (!r) throw new Error(`${apiVersion}/${plural} is not served`);
  return r;
}

/** Binds the pod to `node` and reports every container running and ready, as the kubelet would. */
export function runPod(
  sim: SimCluster,
  namespace: string,
  name: string,
  node: string,
  ready = true,
): KubeObject {
  const pods = served('v1', 'pods');
  const live = sim.registry.get(pods, namespace, name);
  const now = sim.clock.timestamp();
  const bound = structuredClone(live) as KubeObject & Pod;
  const spec = bound.spec as NonNullable<Pod['spec']>;
  const withNode = sim.registry.replace(
    pods,
    live,
    { ...bound, spec: { ...spec, nodeName: node } },
    { subresource: 'binding' },
  );
  const next = structuredClone(withNode) as KubeObject;
  const cond = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  });
  next.status = {
    ...(next.status as object),
    phase: 'Running',
    hostIP: '172.18.0.3',
    podIP: `10.244.1.${Math.floor(Math.random() * 200) + 2}`,
    startTime: now,
    conditions: [
      cond('PodReadyToStartContainers', true),
      cond('Initialized', true),
      cond('Ready', ready),
      cond('ContainersReady', ready),
      cond('PodScheduled', true),
    ],
    containerStatuses: spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `docker.io/library/${c.image}@sha256:0`,
      containerID: `containerd://${name}-${c.name}`,
      ready,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
      lastState: {},
    })),
  };
  return sim.registry.replace(pods, withNode, next, { subresource: 'status' });
}

export function podManifest(
  name: string,
  labels: Record<string, string> = { app: name },
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
  };
}

/**
 * Writes a PodDisruptionBudget's status as the disruption controller would (part 1 of the
 * simulator has no disruption controller yet), through the status subresource.
 */
export function setBudgetStatus(
  sim: SimCluster,
  namespace: string,
  name: string,
  status: {
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    disruptionsAllowed: number;
  },
): void {
  const pdbs = served('policy/v1', 'poddisruptionbudgets');
  const live = sim.registry.get(pdbs, namespace, name);
  const next = {
    ...structuredClone(live),
    status: { observedGeneration: live.metadata.generation, ...status },
  };
  sim.registry.replace(pdbs, live, next, { subresource: 'status' });
}
