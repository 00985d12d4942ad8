/**
 * The scheduling queue (pkg/scheduler/backend/queue PriorityQueue): an active queue ordered by
 * priority, then by the time the pod entered the queue (PrioritySort); a backoff queue where a
 * failed pod waits 1s doubling to 10s per attempt; and the unschedulable pods, parked until a
 * cluster event that could help them (the caller decides which, per rejecting plugin, like
 * queueing hints) or until they have waited 5 minutes (podMaxInUnschedulablePodsDuration).
 * Pods with scheduling gates wait, ungated, like PreEnqueue's SchedulingGates.
 * Every timer goes through the sim clock.
 */
import type { SimClock } from '../clock.ts';
import type { PluginName } from './filters.ts';

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;
export const MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight';

export interface QueuedPod {
  key: string;
  priority: number;
  /** When it entered the queue or last failed (sim ms): the FIFO order within a priority and the backoff base. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it in its last cycle; empty means "any event may help". */
  rejectors: ReadonlySet<PluginName>;
  where: QueueName;
  /** Insertion sequence: a stable tie-break. */
  seq: number;
  heapIndex: number;
  timer: NodeJS.Timeout | undefined;
}

/** The order of the active queue: higher priority first, then earlier timestamp. */
const before = (a: QueuedPod, b: QueuedPod): boolean =>
  a.priority !== b.priority
    ? a.priority > b.priority
    : a.timestamp !== b.timestamp
      ? a.timestamp < b.timestamp
      : a.seq < b.seq;

class Heap {
  private readonly items: QueuedPod[] = [];

  get size(): number {
    return this.items.length;
  }

  push(p: QueuedPod): void {
    p.heapIndex = this.items.length;
    this.items.push(p);
    this.up(p.heapIndex);
  }

  pop(): QueuedPod | undefined {
    const top = this.items[0];
    if (top) this.removeAt(0);
    return top;
  }

  remove(p: QueuedPod): void {
    if (this.items[p.heapIndex] === p) this.removeAt(p.heapIndex);
  }

  fix(p: QueuedPod): void {
    if (this.items[p.heapIndex] !== p) return;
    this.up(p.heapIndex);
    this.down(p.heapIndex);
  }

  private removeAt(i: number): void {
    const last = this.items.pop() as QueuedPod;
    if (i < this.items.length) {
      this.items[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
  }

  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as QueuedPod, items[parent] as QueuedPod)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && before(items[l] as QueuedPod, items[best] as QueuedPod)) best = l;
      if (r < items.length && before(items[r] as QueuedPod, items[best] as QueuedPod)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as QueuedPod;
    const b = this.items[j] as QueuedPod;
    this.items[i] = b;
    this.items[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }
}

export class SchedulingQueue {
  private readonly pods = new Map<string, QueuedPod>();
  private readonly active = new Heap();
  /** Parked pods by rejecting plugin, so an event looks only at pods it could help. */
  private readonly parkedBy = new Map<PluginName, Set<string>>();
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly clock: SimClock,
    /** Called when the active queue goes from empty to non-empty. */
    private readonly onActive: () => void,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  /** Pods the queue holds in any state (what `kubectl get pods` would show Pending and unbound). */
  get size(): number {
    return this.pods.size;
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  /** A pod seen for the first time (or again after it left): into the active queue, or gated. */
  add(key: string, priority: number, gated: boolean): void {
    if (this.stopped || this.pods.has(key)) return;
    const p: QueuedPod = {
      key,
      priority,
      timestamp: this.clock.now(),
      attempts: 0,
      rejectors: new Set(),
      where: 'gated',
      seq: this.seq++,
      heapIndex: -1,
      timer: undefined,
    };
    this.pods.set(key, p);
    if (!gated) this.toActive(p);
  }

  /**
   * The pod changed. A priority change reorders it; an ungated pod becomes schedulable; a parked
   * pod whose spec or labels changed gets another try (after its backoff).
   */
  update(key: string, priority: number, gated: boolean, schedulingChange: boolean): void {
    const p = this.pods.get(key);
    if (!p) return;
    if (p.priority !== priority) {
      p.priority = priority;
      if (p.where === 'active') this.active.fix(p);
    }
    if (p.where === 'gated' && !gated) this.toActive(p);
    else if (p.where === 'unschedulable' && schedulingChange) this.requeue(p);
  }

  delete(key: string): void {
    const p = this.pods.get(key);
    if (!p) return;
    this.leave(p);
    this.pods.delete(key);
  }

  /** The next pod to schedule; it stays known (in flight) until `scheduled`, `failed` or `delete`. */
  pop(): QueuedPod | undefined {
    const p = this.active.pop();
    if (!p) return undefined;
    p.where = 'inFlight';
    p.attempts++;
    return p;
  }

  /** Bound: the queue forgets the pod. */
  scheduled(key: string): void {
    this.delete(key);
  }

  /**
   * The cycle failed. Rejected by plugins: parked until an event or the 5-minute flush; rejected
   * for no plugin's reason (an error, no nodes at all): straight to backoff, as upstream.
   */
  failed(key: string, rejectors: ReadonlySet<PluginName>): void {
    const p = this.pods.get(key);
    if (!p || p.where !== 'inFlight') return;
    p.timestamp = this.clock.now();
    p.rejectors = rejectors;
    if (rejectors.size === 0) {
      this.toBackoffOrActive(p);
      return;
    }
    p.where = 'unschedulable';
    for (const plugin of rejectors) this.parked(plugin).add(key);
    p.timer = this.clock.setTimeout(() => {
      p.timer = undefined;
      if (p.where === 'unschedulable') this.requeue(p);
    }, MAX_IN_UNSCHEDULABLE_MS);
  }

  /**
   * A cluster event that `plugins` care about: every parked pod rejected by one of them moves to
   * the active queue (or to backoff while its backoff lasts) if that plugin's hint says the event
   * may make it schedulable (QueueingHintFn returning Queue).
   */
  move(plugins: readonly PluginName[], hint: (p: QueuedPod, plugin: PluginName) => boolean): void {
    const seen = new Set<string>();
    for (const plugin of plugins) {
      const keys = this.parkedBy.get(plugin);
      if (!keys || keys.size === 0) continue;
      for (const key of [...keys]) {
        if (seen.has(key)) continue;
        seen.add(key);
        const p = this.pods.get(key);
        if (p?.where !== 'unschedulable') continue;
        if (plugins.some((pl) => p.rejectors.has(pl) && hint(p, pl))) this.requeue(p);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pods.values()) if (p.timer) this.clock.clearTimeout(p.timer);
    this.pods.clear();
    this.parkedBy.clear();
  }

  /** calculateBackoffDuration: 1s, doubling per attempt, at most 10s. */
  backoffMs(p: QueuedPod): number {
    if (p.attempts === 0) return 0;
    let d = INITIAL_BACKOFF_MS;
    for (let i = 1; i < p.attempts && d < MAX_BACKOFF_MS; i++) d *= 2;
    return Math.min(d, MAX_BACKOFF_MS);
  }

  private parked(plugin: PluginName): Set<string> {
    let set = this.parkedBy.get(plugin);
    if (!set) this.parkedBy.set(plugin, (set = new Set()));
    return set;
  }

  private requeue(p: QueuedPod): void {
    this.leave(p);
    this.toBackoffOrActive(p);
  }

  private toBackoffOrActive(p: QueuedPod): void {
    const wait = p.timestamp + this.backoffMs(p) - this.clock.now();
    if (wait <= 0) {
      this.toActive(p);
      return;
    }
    p.where = 'backoff';
    p.timer = this.clock.setTimeout(() => {
      p.timer = undefined;
      if (p.where === 'backoff') this.toActive(p);
    }, wait);
  }

  private toActive(p: QueuedPod): void {
    if (this.stopped) return;
    p.where = 'active';
    const wasEmpty = this.active.size === 0;
    this.active.push(p);
    if (wasEmpty) this.onActive();
  }

  /** Takes the pod out of whatever sub-queue it is in. */
  private leave(p: QueuedPod): void {
    if (p.timer) {
      this.clock.clearTimeout(p.timer);
      p.timer = undefined;
    }
    if (p.where === 'active') this.active.remove(p);
    if (p.where === 'unschedulable')
      for (const plugin of p.rejectors) this.parkedBy.get(plugin)?.delete(p.key);
  }
}
