/**
 * Node-pressure eviction for memory (pkg/kubelet/eviction eviction_manager.go synchronize and
 * helpers.go), every 10s per node:
 * - observe memory.available (capacity − working set) and allocatableMemory.available;
 * - a threshold is met when its quantity (a percentage is of capacity) is greater than what is
 *   available; a soft one acts only once met for its grace period;
 * - MemoryPressure is reported from the first observation of any met threshold until none has
 *   been met for evictionPressureTransitionPeriod;
 * - with a threshold to act on: Warning `EvictionThresholdMet` "Attempting to reclaim memory" on
 *   the node, rank the pods (usage over request first, then lower priority, then larger usage −
 *   request) and evict the first that is not critical — one pod per round; the next round starts
 *   once that pod's containers are gone (polled every second, at most 30s).
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { containerRequests } from '../kinds/pod.ts';
import { canonicalQuantity } from '../../kube/quantity.ts';
import type { EvictionThreshold, SimNodeConfig } from '../topology/types.ts';
import { isCriticalPod, podPriority } from './admission.ts';
import { bytesQuantity } from './format.ts';
import type { NodeMemory } from './memory.ts';
import type { PodWorker } from './pod-worker.ts';
import { Loop, type Timers } from './timers.ts';

export const MONITORING_INTERVAL_MS = 10_000;
const CLEANUP_POLL_MS = 1_000;
const CLEANUP_TIMEOUT_MS = 30_000;
/** Hard-threshold evictions give the pod this grace (immediateEvictionGracePeriodSeconds). */
const IMMEDIATE_GRACE_SECONDS = 1;

const MEMORY_SIGNALS = new Set(['memory.available', 'allocatableMemory.available']);

export interface EvictionHost {
  readonly config: SimNodeConfig;
  readonly memory: NodeMemory;
  readonly timers: Timers;
  /** Allocatable memory in bytes (the capacity of allocatableMemory.available). */
  readonly allocatableMemoryBytes: number;
  paused(): boolean;
  /** Pods that could be evicted: admitted, not finished, not already evicted. */
  candidates(): PodWorker[];
  nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Records the Evicted event and kills the pod with the eviction status. */
  evict(worker: PodWorker, graceSeconds: number, message: string, annotations: Record<string, string>): void;
  /** The set of reported node conditions changed. */
  conditionsChanged(): void;
}

interface Threshold extends EvictionThreshold {
  hard: boolean;
}

interface Observation {
  available: number;
  capacity: number;
}

export interface RankedPod {
  /** Working set, bytes. */
  usage: number;
  /** Memory request, bytes (0 for BestEffort). */
  request: number;
  priority: number;
}

/**
 * rankMemoryPressure (helpers.go): pods using more than their request first, then lower
 * priority, then the larger usage − request. The first entry is evicted first.
 */
export function rankMemoryPressure<T extends RankedPod>(pods: readonly T[]): T[] {
  const over = (p: RankedPod) => (p.usage > p.request ? 1 : 0);
  return [...pods].sort(
    (a, b) => over(b) - over(a) || a.priority - b.priority || b.usage - b.request - (a.usage - a.request),
  );
}

export class EvictionManager {
  private readonly thresholds: Threshold[];
  private readonly firstObservedAt = new Map<Threshold, number>();
  private readonly conditionLastObservedAt = new Map<string, number>();
  private conditions: string[] = [];
  private readonly loop: Loop;
  evictions = 0;

  constructor(private readonly host: EvictionHost) {
    this.loop = new Loop(host.timers, () => this.synchronize());
    this.thresholds = [
      ...host.config.evictionHard.map((t) => ({ ...t, hard: true })),
      ...host.config.evictionSoft.map((t) => ({ ...t, hard: false })),
    ].filter((t) => MEMORY_SIGNALS.has(t.signal));
  }

  /** The node conditions the eviction manager reports (MemoryPressure or nothing). */
  get nodeConditions(): readonly string[] {
    return this.conditions;
  }

  start(offsetMs: number): void {
    this.loop.start(offsetMs);
  }

  stop(): void {
    this.loop.stop();
  }

  private observe(signal: string): Observation {
    const memory = this.host.memory;
    if (signal === 'allocatableMemory.available') {
      const capacity = this.host.allocatableMemoryBytes;
      return { capacity, available: capacity - memory.podsWorkingSetBytes };
    }
    return { capacity: memory.capacityBytes, available: memory.availableBytes };
  }

  private quantityOf(t: Threshold, capacity: number): number {
    return t.quantity ?? Math.trunc(capacity * (t.fraction ?? 0));
  }

  /** One round of the monitoring loop. */
  synchronize(): void {
    if (this.loop.stopped) return;
    if (this.host.paused() || this.thresholds.length === 0) {
      this.loop.next(MONITORING_INTERVAL_MS);
      return;
    }
    const now = this.host.timers.clock.now();
    const observations = new Map<string, Observation>();
    const met: Threshold[] = [];
    for (const t of this.thresholds) {
      let o = observations.get(t.signal);
      if (!o) observations.set(t.signal, (o = this.observe(t.signal)));
      if (this.quantityOf(t, o.capacity) > o.available) met.push(t);
    }
    for (const t of [...this.firstObservedAt.keys()]) if (!met.includes(t)) this.firstObservedAt.delete(t);
    for (const t of met) if (!this.firstObservedAt.has(t)) this.firstObservedAt.set(t, now);
    if (met.length > 0) this.conditionLastObservedAt.set('MemoryPressure', now);
    const reported = [...this.conditionLastObservedAt]
      .filter(([, at]) => now - at < this.host.config.evictionPressureTransitionPeriodMs)
      .map(([c]) => c);
    if (reported.join() !== this.conditions.join()) {
      this.conditions = reported;
      this.host.conditionsChanged();
    }
    const actionable = met.filter(
      (t) => t.hard || now - (this.firstObservedAt.get(t) ?? now) >= (t.gracePeriodMs ?? 0),
    );
    if (actionable.length === 0) {
      this.loop.next(MONITORING_INTERVAL_MS);
      return;
    }
    const threshold = actionable.find((t) => t.hard) ?? (actionable[0] as Threshold);
    this.host.nodeEvent('Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory');
    const observation = observations.get(threshold.signal) as Observation;
    const evicted = this.evictOne(threshold, observation);
    if (!evicted) {
      this.loop.next(MONITORING_INTERVAL_MS);
      return;
    }
    this.waitForCleanup(evicted, now);
  }

  private evictOne(threshold: Threshold, observation: Observation): PodWorker | undefined {
    const memory = this.host.memory;
    const ranked = rankMemoryPressure(
      this.host.candidates().map((worker) => ({
        worker,
        usage: memory.podWorkingSet(worker.uid),
        request: worker.requests.memory ?? 0,
        priority: podPriority(worker.pod),
      })),
    );
    for (const { worker } of ranked) {
      if (isCriticalPod(worker.pod)) continue;
      const grace = threshold.hard
        ? IMMEDIATE_GRACE_SECONDS
        : Math.min(
            this.host.config.evictionMaxPodGracePeriodSeconds,
            worker.pod.spec?.terminationGracePeriodSeconds ?? 30,
          );
      const { message, annotations } = this.message(threshold, observation, worker);
      this.host.evict(worker, grace, message, annotations);
      this.evictions++;
      return worker;
    }
    return undefined;
  }

  /** evictionMessage (helpers.go), with the annotations the Evicted event carries. */
  private message(
    threshold: Threshold,
    observation: Observation,
    worker: PodWorker,
  ): { message: string; annotations: Record<string, string> } {
    const quantity =
      threshold.quantity !== undefined
        ? (canonicalQuantity(threshold.text) ?? threshold.text)
        : bytesQuantity(this.quantityOf(threshold, observation.capacity));
    let message = 'The node was low on resource: memory. ';
    message += `Threshold quantity: ${quantity}, available: ${bytesQuantity(observation.available)}. `;
    const offending: string[] = [];
    const usages: string[] = [];
    for (const { container, bytes } of worker.containerUsage()) {
      const request = containerRequests(container).memory ?? 0;
      if (bytes > request) {
        const used = bytesQuantity(bytes);
        message += `Container ${container.name} was using ${used}, request is ${requestText(container)}, has larger consumption of memory. `;
        offending.push(container.name);
        usages.push(used);
      }
    }
    return {
      message,
      annotations: {
        offending_containers: offending.join(','),
        offending_containers_usage: usages.join(','),
        starved_resource: 'memory',
      },
    };
  }

  /** waitForPodsCleanup: the next round starts once the evicted pod's containers are gone. */
  private waitForCleanup(worker: PodWorker, since: number): void {
    const poll = () => {
      const clock = this.host.timers.clock;
      if (!worker.anyRunning || clock.now() - since >= CLEANUP_TIMEOUT_MS) this.synchronize();
      else this.loop.next(CLEANUP_POLL_MS, poll);
    };
    this.loop.next(CLEANUP_POLL_MS, poll);
  }
}

function requestText(container: Container): string {
  const text = container.resources?.requests?.memory;
  if (text === undefined) return '0';
  return canonicalQuantity(String(text)) ?? String(text);
}
