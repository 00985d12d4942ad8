/**
 * Node registration, as each kubelet does it at start (kubelet_node_status.go initialNode +
 * the status setters): labels, taints, capacity and allocatable from the topology, the four
 * node conditions, addresses in loopback space and node info. After this the node's kubelet
 * keeps the status current.
 */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { SimContext } from './context.ts';
import { NODES } from './kinds/resources.ts';
import type { SimNodeConfig } from './topology/types.ts';

export const KUBELET_VERSION = 'v1.32.0';

/** The healthy form of each condition, with the kubelet's reasons and messages (nodestatus/setters.go). */
export const HEALTHY_CONDITIONS: readonly [type: string, status: string, reason: string, message: string][] =
  [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ];

export function nodeObject(config: SimNodeConfig, now: string, kubeletVersion = KUBELET_VERSION): Node {
  const conditions: NodeCondition[] = HEALTHY_CONDITIONS.map(([type, status, reason, message]) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  }));
  const i = config.index;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.name,
      labels: { ...config.labels },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'scars.dev/simulated': 'true',
      },
    },
    spec: {
      podCIDR: config.podCIDR,
      podCIDRs: [config.podCIDR],
      providerID: `scars-sim://${config.name}`,
      ...(config.taints.length > 0 ? { taints: config.taints.map((t) => ({ ...t })) } : {}),
    },
    status: {
      capacity: { ...config.capacity },
      allocatable: { ...config.allocatable },
      conditions,
      addresses: [
        { type: 'InternalIP', address: config.internalIP },
        { type: 'Hostname', address: config.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `scars${String(i).padStart(27, '0')}`,
        systemUUID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        bootID: `00000000-0000-0000-0001-${String(i).padStart(12, '0')}`,
        kernelVersion: '6.1.0-scars-sim',
        osImage: 'scars simulated node',
        containerRuntimeVersion: 'scars-sim://1.0.0',
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** Registers every node of the topology (the kubelets' first act). */
export function registerNodes(ctx: SimContext, kubeletVersion = KUBELET_VERSION): void {
  const now = ctx.clock.timestamp();
  for (const config of ctx.topology.nodes) {
    ctx.registry.create(NODES, undefined, nodeObject(config, now, kubeletVersion), { manager: 'kubelet' });
  }
}
