/**
 * The timers one owner (a pod worker, a node's loops) has pending on the sim clock, so that
 * everything it scheduled can be cancelled at once when it goes away.
 */
import type { SimClock } from '../clock.ts';

export type Timer = NodeJS.Timeout;

export class Timers {
  // Created on first use: most pod workers only ever hold a timer or two, briefly.
  private pending: Set<Timer> | undefined;

  constructor(readonly clock: SimClock) {}

  /** Runs `fn` after `ms` of simulated time. */
  after(ms: number, fn: () => void): Timer {
    const timer = this.clock.setTimeout(() => {
      this.pending?.delete(timer);
      fn();
    }, ms);
    (this.pending ??= new Set()).add(timer);
    return timer;
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    this.clock.clearTimeout(timer);
    this.pending?.delete(timer);
  }

  clear(): void {
    if (!this.pending) return;
    for (const timer of this.pending) this.clock.clearTimeout(timer);
    this.pending = undefined;
  }

  get size(): number {
    return this.pending?.size ?? 0;
  }
}
