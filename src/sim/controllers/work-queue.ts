/**
 * A keyed work queue like client-go's workqueue: a key added many times before it is processed
 * is processed once, keys run in the order first added, and a key may come back after a delay
 * (in simulated time). Processing yields to the event loop between batches so that API clients
 * are served while a controller works through 100,000 keys.
 */
import type { SimClock } from '../clock.ts';

/** Returns a delay in simulated ms to process the key again, or nothing. */
export type Reconcile = (key: string) => number | undefined | void;

const BATCH = 256;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly clock: SimClock,
    private readonly reconcile: Reconcile,
  ) {}

  get length(): number {
    return this.queued.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Adds `key` after `simMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, simMs: number): void {
    if (this.stopped) return;
    if (simMs <= 0) return this.add(key);
    const at = this.clock.now() + simMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, simMs);
    this.delayed.set(key, { at, timer });
  }

  stop(): void {
    this.stopped = true;
    this.queued.clear();
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    let n = 0;
    for (const key of this.queued) {
      if (this.stopped || n++ >= BATCH) break;
      this.queued.delete(key);
      try {
        const again = this.reconcile(key);
        if (typeof again === 'number') this.addAfter(key, again);
      } catch (error) {
        console.error(`scars sim: ${this.name} failed to sync ${key}:`, error);
        // Like a rate-limited requeue: try again later rather than spin.
        this.addAfter(key, 1_000);
      }
    }
    if (!this.stopped && this.queued.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };
}

/** `namespace/name` keys, as cache.MetaNamespaceKeyFunc makes them. */
export const keyOf = (namespace: string | undefined, name: string): string =>
  namespace ? `${namespace}/${name}` : name;

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
