/**
 * What the API server says about a cluster's nodes: readiness (waited on after create) and the
 * facts `scars cluster status` prints. Read through client-node, as everything else in scars.
 */
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Node, VersionApi } from '@kubernetes/client-node';
import { ClusterError, errorMessage, formatMs } from '../../errors.ts';
import { wallClock } from '../../harness/timeline.ts';

export interface NodeFacts {
  name: string;
  roles: string[];
  ready: boolean;
  kubeletVersion: string;
  /** Images the kubelet reports (status.images names). */
  images: string[];
}

export function nodeFacts(node: V1Node): NodeFacts {
  const labels = node.metadata?.labels ?? {};
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return {
    name: node.metadata?.name ?? '?',
    roles: roles.length ? roles : ['worker'],
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '?',
    images: (node.status?.images ?? []).flatMap((i) => i.names ?? []),
  };
}

export async function listNodes(kc: KubeConfig): Promise<NodeFacts[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNode();
  return list.items.map(nodeFacts);
}

export interface WaitOptions {
  /** Nodes the config asks for; fewer registered nodes are not ready yet. */
  expected: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  log: (line: string) => void;
  /** Between polls (default 2s). */
  intervalMs?: number;
}

/** Polls until `expected` nodes are registered and all Ready; bounded by timeoutMs. */
export async function waitForNodesReady(kc: KubeConfig, options: WaitOptions): Promise<NodeFacts[]> {
  const started = Date.now();
  const interval = options.intervalMs ?? 2_000;
  let last = '';
  for (;;) {
    options.signal?.throwIfAborted();
    let error = '';
    try {
      const nodes = await listNodes(kc);
      const ready = nodes.filter((n) => n.ready).length;
      const state = `${ready}/${Math.max(options.expected, nodes.length)} node(s) Ready`;
      if (nodes.length >= options.expected && ready === nodes.length) {
        options.log(`${state} after ${formatMs(Date.now() - started)}`);
        return nodes;
      }
      if (state !== last) options.log(`waiting for nodes: ${state}`);
      last = state;
    } catch (err) {
      // The API server may still be starting (connection refused, 503) right after create.
      error = errorMessage(err);
    }
    if (Date.now() - started >= options.timeoutMs) {
      throw new ClusterError(
        `nodes not Ready within ${formatMs(options.timeoutMs)} (${last || 'no node registered'}${error ? `; last error: ${error}` : ''})`,
      );
    }
    await wallClock.sleep(interval, options.signal);
  }
}

export async function serverVersion(kc: KubeConfig): Promise<string> {
  const v = await kc.makeApiClient(VersionApi).getCode();
  return v.gitVersion;
}

/** The kube-system DaemonSets that tell which network and DNS addons a cluster runs. */
export async function kubeSystemDaemonSets(
  kc: KubeConfig,
): Promise<{ name: string; ready: number; desired: number }[]> {
  const list = await kc.makeApiClient(AppsV1Api).listNamespacedDaemonSet({ namespace: 'kube-system' });
  return list.items.map((ds) => ({
    name: ds.metadata?.name ?? '?',
    ready: ds.status?.numberReady ?? 0,
    desired: ds.status?.desiredNumberScheduled ?? 0,
  }));
}
