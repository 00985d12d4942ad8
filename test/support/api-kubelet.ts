/**
 * What the kubelet and the disruption controller would write, done over the Kubernetes API
 * (pods/binding, pods/status, poddisruptionbudgets/status) with client-node, for tests that talk
 * to a `scars sim serve` process. Part 1 of the simulator has neither component yet.
 */
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PolicyV1Api,
  type CoreV1Event,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import { KeepAliveKubeConfig } from '../../src/cluster/keep-alive.ts';

export function apiKubelet(kubeconfigPath: string) {
  const base = new KubeConfig();
  base.loadFromFile(kubeconfigPath);
  const kc = KeepAliveKubeConfig.from(base);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);

  /** Binds the pod and reports its containers running and ready (or not ready). */
  const runPod = async (namespace: string, name: string, node: string, ready = true): Promise<V1Pod> => {
    await core.createNamespacedPodBinding({
      namespace,
      name,
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } },
    });
    const pod = await core.readNamespacedPod({ namespace, name });
    const now = new Date();
    const cond = (type: string, status: boolean): V1PodCondition => ({
      type,
      status: status ? 'True' : 'False',
      lastTransitionTime: now,
    });
    pod.status = {
      ...pod.status,
      phase: 'Running',
      hostIP: '172.18.0.3',
      podIP: '10.244.1.7',
      startTime: now,
      conditions: [
        cond('Initialized', true),
        cond('Ready', ready),
        cond('ContainersReady', ready),
        cond('PodScheduled', true),
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `containerd://${name}-${c.name}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    return core.replaceNamespacedPodStatus({ namespace, name, body: pod });
  };

  /** The disruption controller's view of a budget, written through /status. */
  const setBudgetStatus = async (
    namespace: string,
    name: string,
    status: {
      currentHealthy: number;
      desiredHealthy: number;
      expectedPods: number;
      disruptionsAllowed: number;
    },
  ): Promise<void> => {
    const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace, name });
    pdb.status = { observedGeneration: pdb.metadata?.generation, ...status };
    await policy.replaceNamespacedPodDisruptionBudgetStatus({ namespace, name, body: pdb });
  };

  const createEvent = (namespace: string, event: CoreV1Event) =>
    core.createNamespacedEvent({ namespace, body: event });

  return { core, apps, policy, runPod, setBudgetStatus, createEvent, close: () => kc.close() };
}

export type ApiKubelet = ReturnType<typeof apiKubelet>;
