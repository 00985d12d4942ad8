/**
 * A resolved simulated-cluster topology: every node with its capacity, what the kubelet
 * reserves, its eviction thresholds and addresses. `clusters/sim/*.yaml` files are parsed and
 * checked into this shape by `load.ts`; the node objects and each node's kubelet are built from it.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';

/** An eviction signal threshold (`memory.available<100Mi`, `nodefs.available<10%`). */
export interface EvictionThreshold {
  signal: string;
  /** Absolute amount in the signal's unit (bytes for memory), or … */
  quantity?: number;
  /** … a fraction (0–1) of the signal's capacity. */
  fraction?: number;
  /** The text as written, for messages ("100Mi", "10%"). */
  text: string;
  /** Soft thresholds: how long the signal must stay past the threshold (simulated ms). */
  gracePeriodMs?: number;
}

export interface SimNodeConfig {
  name: string;
  index: number;
  role: 'control-plane' | 'worker';
  labels: Record<string, string>;
  taints: Taint[];
  /** Quantity texts, as written to status.capacity (cpu, memory, pods, ephemeral-storage). */
  capacity: Record<string, string>;
  /** status.allocatable: capacity − systemReserved − kubeReserved − hard eviction thresholds. */
  allocatable: Record<string, string>;
  systemReserved: Record<string, string>;
  kubeReserved: Record<string, string>;
  /** Memory in use outside pods (OS, kubelet, runtime), in bytes: memory.available starts below capacity by this much. */
  systemMemoryUsage: number;
  evictionHard: EvictionThreshold[];
  evictionSoft: EvictionThreshold[];
  /** evictionPressureTransitionPeriod (simulated ms). */
  evictionPressureTransitionPeriodMs: number;
  /** evictionMaxPodGracePeriod in seconds (soft evictions). */
  evictionMaxPodGracePeriodSeconds: number;
  internalIP: string;
  podCIDR: string;
}

export interface SimTopology {
  /** Cluster name: node names derive from it (`<name>-control-plane`, `<name>-worker2`). */
  name: string;
  /** Where it came from (a file path, or "built-in default"). */
  source: string;
  nodes: SimNodeConfig[];
}
