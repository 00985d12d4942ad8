/**
 * Agent pods in the sim e2e tests: the manifest of a pod whose one container (`agent`) runs the
 * scars agent, polls on a pod's status (wall time), and what a finished pod left: its agent lines,
 * its log, its events. Through the API only, as a test of the cluster would look.
 */
import type { CoreV1Api, CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { AgentLine } from '../../src/agent/output.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { readAgentLines } from '../../src/observers/agent-log.ts';

/** The worker the tests pin their agent pods to (the sim's first worker). */
export const WORKER = 'scars-worker';

export interface AgentPodOptions {
  /** Default `{ app: <name> }`. */
  labels?: Record<string, string>;
  /** The node it runs on (a nodeSelector on kubernetes.io/hostname); unset, the scheduler picks. */
  node?: string;
  /** Any image named scars-agent runs the agent in the sim (default `scars-agent`). */
  image?: string;
  /** Merged into the `agent` container: ports, probes, resources, command, volumeMounts, … */
  container?: Record<string, unknown>;
  /** Merged into the pod spec: restartPolicy, volumes, dnsConfig, … */
  spec?: Record<string, unknown>;
}

/** A pod running the agent with `args` (none: the image's default, `serve`). */
export function agentPod(name: string, args: string[] | undefined, options: AgentPodOptions = {}): V1Pod {
  return {
    metadata: { name, labels: options.labels ?? { app: name } },
    spec: {
      ...(options.node ? { nodeSelector: { 'kubernetes.io/hostname': options.node } } : {}),
      containers: [
        {
          name: 'agent',
          image: options.image ?? 'scars-agent',
          ...(args ? { args } : {}),
          ...options.container,
        },
      ],
      ...options.spec,
    },
  };
}

export const isReady = (p: V1Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The agent container's terminated state, once it has ended. */
export const terminated = (p: V1Pod) => p.status?.containerStatuses?.[0]?.state?.terminated;

const finished = (p: V1Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** The agent container's log (of the previous instance, after a restart). */
export const agentLog = (
  core: CoreV1Api,
  namespace: string,
  name: string,
  previous = false,
): Promise<string> => core.readNamespacedPodLog({ name, namespace, container: 'agent', previous });

/** The agent's lines, through the harness's observer, as scenarios read agent pods. */
export const agentLines = (
  kube: KubeApi,
  namespace: string,
  name: string,
  previous = false,
): Promise<AgentLine[]> => readAgentLines(kube, namespace, name, { container: 'agent', previous });

export async function eventsOf(core: CoreV1Api, namespace: string, name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

/**
 * Polls a pod until `check` holds (wall time). On a timeout the error carries the pod's status
 * and the end of its log: what a failed e2e run needs to be read.
 */
export async function untilPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  what: string,
  check: (p: V1Pod) => boolean,
  ms = 10_000,
): Promise<V1Pod> {
  const end = Date.now() + ms;
  for (;;) {
    const pod = await core.readNamespacedPod({ name, namespace });
    if (check(pod)) return pod;
    if (Date.now() > end) {
      const log = await agentLog(core, namespace, name).catch(() => '');
      throw new Error(
        `timed out waiting for ${namespace}/${name}: ${what}; status: ${JSON.stringify(pod.status, null, 1).slice(0, 3000)}\nlog:\n${log.slice(-3000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs an agent pod to completion (restartPolicy Never) and returns its lines. */
export async function runAgentPod(
  clients: { core: CoreV1Api; kube: KubeApi },
  namespace: string,
  name: string,
  args: string[],
  options: AgentPodOptions = {},
  ms = 10_000,
): Promise<AgentLine[]> {
  const body = agentPod(name, args, { ...options, spec: { restartPolicy: 'Never', ...options.spec } });
  await clients.core.createNamespacedPod({ namespace, body });
  await untilPod(clients.core, namespace, name, 'finished', finished, ms);
  return agentLines(clients.kube, namespace, name);
}
