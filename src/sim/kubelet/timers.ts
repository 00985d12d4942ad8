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

/**
 * A kubelet loop (the eviction manager's monitoring, the node status heartbeat): one pending run
 * at a time on its owner's Timers, started with a stagger and stopped for good. `next` sets when
 * (and, for a one-off step such as waiting for an evicted pod's cleanup, what) runs next.
 */
export class Loop {
  private timer: Timer | undefined;
  private halted = true;

  constructor(
    private readonly timers: Timers,
    private readonly body: () => void,
  ) {}

  get stopped(): boolean {
    return this.halted;
  }

  /** Starts the loop; its first run is after `offsetMs`. A running loop is left as it is. */
  start(offsetMs: number): void {
    if (!this.halted) return;
    this.halted = false;
    this.next(offsetMs);
  }

  stop(): void {
    this.halted = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
  }

  /** Runs `run` (the loop's body by default) after `ms`, replacing the pending run; nothing once stopped. */
  next(ms: number, run: () => void = this.body): void {
    this.timers.cancel(this.timer);
    this.timer = this.timers.after(ms, () => {
      this.timer = undefined;
      if (!this.halted) run();
    });
  }
}
