/**
 * A node's memory as the kernel sees it: the system's own usage plus every running container's
 * working set, sampled only when a container's usage can change (start, ramp step, annotation
 * change, exit) — never by a loop over all containers.
 *
 * Two OOM killers, as on Linux:
 * - memcg OOM: a container past its memory limit is killed (only processes in that cgroup are
 *   candidates);
 * - global OOM: the node out of memory (working set ≥ capacity) kills the process with the
 *   highest oom_score, ≈ its share of memory in per-mille plus its oom_score_adj, until it fits.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../kinds/pod.ts';
import { containerRequests } from '../kinds/pod.ts';
import { qosClassOf } from '../kinds/qos.ts';

export interface MemoryConsumer {
  readonly podUid: string;
  readonly containerName: string;
  /** The cgroup limit (container memory limit), if any. */
  readonly limitBytes: number | undefined;
  readonly oomScoreAdj: number;
  readonly pid: number;
  readonly processName: string;
  workingSetBytes(): number;
}

export type OomScope = 'container' | 'node';

export interface NodeMemorySnapshot {
  capacityBytes: number;
  systemBytes: number;
  workingSetBytes: number;
  availableBytes: number;
  /** Working set per pod uid. */
  pods: Map<string, number>;
}

// pkg/kubelet/qos/policy.go
const GUARANTEED_ADJ = -997;
const BEST_EFFORT_ADJ = 1000;
const SYSTEM_NODE_CRITICAL = 'system-node-critical';
const CRITICAL_PRIORITY = 2_000_000_000;

/** GetContainerOOMScoreAdjust: by QoS class; Burstable by the container's request share of the node. */
export function oomScoreAdj(
  pod: SimPod,
  container: Container,
  capacityBytes: number,
  sidecar: boolean,
): number {
  const critical =
    pod.spec?.priorityClassName === SYSTEM_NODE_CRITICAL &&
    (pod.spec.priority ?? CRITICAL_PRIORITY) >= CRITICAL_PRIORITY;
  if (critical) return GUARANTEED_ADJ;
  const qos = pod.status?.qosClass ?? qosClassOf(pod);
  if (qos === 'Guaranteed') return GUARANTEED_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_ADJ;
  const burstable = (c: Container): number => {
    const request = containerRequests(c).memory ?? 0;
    const adj = 1000 - Math.trunc((1000 * request) / capacityBytes);
    if (adj < 1000 + GUARANTEED_ADJ) return 1000 + GUARANTEED_ADJ;
    if (adj === BEST_EFFORT_ADJ) return adj - 1;
    return adj;
  };
  const own = burstable(container);
  if (!sidecar) return own;
  // A sidecar is never more likely to be killed than the regular container least likely to be.
  const regular = (pod.spec?.containers ?? []).map(burstable);
  return regular.length > 0 ? Math.min(own, ...regular) : own;
}

export class NodeMemory {
  private readonly consumers = new Map<MemoryConsumer, number>();
  private readonly byPod = new Map<string, number>();
  private used: number;
  private killing = false;

  constructor(
    readonly capacityBytes: number,
    readonly systemBytes: number,
    /** Called for each process the kernel kills; the consumer is already untracked. */
    private readonly onOomKill: (victim: MemoryConsumer, scope: OomScope) => void,
  ) {
    this.used = systemBytes;
  }

  get workingSetBytes(): number {
    return this.used;
  }

  get availableBytes(): number {
    return this.capacityBytes - this.used;
  }

  /** The consumer's working set as last sampled. */
  bytesOf(consumer: MemoryConsumer): number {
    return this.consumers.get(consumer) ?? 0;
  }

  podWorkingSet(podUid: string): number {
    return this.byPod.get(podUid) ?? 0;
  }

  /** Sum of all pods' working sets (the kubepods cgroup). */
  get podsWorkingSetBytes(): number {
    return this.used - this.systemBytes;
  }

  track(consumer: MemoryConsumer): void {
    if (!this.consumers.has(consumer)) this.consumers.set(consumer, 0);
    this.sample(consumer);
  }

  untrack(consumer: MemoryConsumer): void {
    const last = this.consumers.get(consumer);
    if (last === undefined) return;
    this.consumers.delete(consumer);
    this.add(consumer.podUid, -last);
  }

  /** Reads the consumer's working set again; may OOM-kill it or, node-wide, someone else. */
  sample(consumer: MemoryConsumer): void {
    const last = this.consumers.get(consumer);
    if (last === undefined) return;
    const now = Math.max(0, consumer.workingSetBytes());
    this.consumers.set(consumer, now);
    this.add(consumer.podUid, now - last);
    if (consumer.limitBytes !== undefined && consumer.limitBytes > 0 && now > consumer.limitBytes) {
      this.untrack(consumer);
      this.onOomKill(consumer, 'container');
    }
    if (now > last) this.checkNode();
  }

  snapshot(): NodeMemorySnapshot {
    return {
      capacityBytes: this.capacityBytes,
      systemBytes: this.systemBytes,
      workingSetBytes: this.used,
      availableBytes: this.availableBytes,
      pods: new Map(this.byPod),
    };
  }

  private add(podUid: string, delta: number): void {
    if (delta === 0) return;
    this.used += delta;
    const next = (this.byPod.get(podUid) ?? 0) + delta;
    if (next <= 0 && this.podHasNoConsumers(podUid)) this.byPod.delete(podUid);
    else this.byPod.set(podUid, next);
  }

  private podHasNoConsumers(podUid: string): boolean {
    for (const c of this.consumers.keys()) if (c.podUid === podUid) return false;
    return true;
  }

  private checkNode(): void {
    if (this.killing) return;
    this.killing = true;
    try {
      while (this.used >= this.capacityBytes) {
        const victim = this.badest();
        if (!victim) break;
        this.untrack(victim);
        this.onOomKill(victim, 'node');
      }
    } finally {
      this.killing = false;
    }
  }

  /** oom_badness: memory share in per-mille plus oom_score_adj; the highest score dies. */
  private badest(): MemoryConsumer | undefined {
    let victim: MemoryConsumer | undefined;
    let best = Number.NEGATIVE_INFINITY;
    let bestBytes = -1;
    for (const [c, bytes] of this.consumers) {
      if (c.oomScoreAdj <= -1000) continue;
      const score = Math.floor((bytes * 1000) / this.capacityBytes) + c.oomScoreAdj;
      if (score > best || (score === best && bytes > bestBytes)) {
        victim = c;
        best = score;
        bestBytes = bytes;
      }
    }
    return victim;
  }
}
