/**
 * Simulated time. With a time scale of X, one wall second is X simulated seconds, so a
 * five-minute CrashLoopBackOff costs five seconds at X=60. Every timestamp the sim writes
 * (creationTimestamp, events, conditions) and every timer it sets goes through this clock.
 */
import type { Clock } from '../harness/timeline.ts';

export interface ClockAnchor {
  wallMs: number;
  simMs: number;
  timeScale: number;
}

export class SimClock implements Clock {
  private readonly wallStart: number;
  private readonly simStart: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** A timer that fired early and was re-armed: the caller's handle → the live one. */
  private readonly rearmed = new Map<NodeJS.Timeout, NodeJS.Timeout>();
  private lastSecond = NaN;
  private lastStamp = '';

  constructor(
    readonly timeScale = 1,
    simStart = Date.now(),
    wallStart = Date.now(),
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError(`time scale must be > 0, got ${timeScale}`);
    this.simStart = simStart;
    this.wallStart = wallStart;
  }

  now(): number {
    return this.simStart + (Date.now() - this.wallStart) * this.timeScale;
  }

  /** One point of the clock's line (wall ms ↔ sim ms) and its slope: all another process needs to follow it. */
  anchor(): ClockAnchor {
    return { wallMs: this.wallStart, simMs: this.simStart, timeScale: this.timeScale };
  }

  /** A clock in this process that follows a sim clock published by another (same machine, same wall time). */
  static following(anchor: ClockAnchor): SimClock {
    const wallNow = Date.now();
    return new SimClock(
      anchor.timeScale,
      anchor.simMs + (wallNow - anchor.wallMs) * anchor.timeScale,
      wallNow,
    );
  }

  /** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
  timestamp(ms = this.now()): string {
    const second = Math.floor(ms / 1000);
    // Formatting dates is a measurable share of a create; most writes land in the same second.
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastStamp = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    }
    return this.lastStamp;
  }

  /** RFC 3339 with microseconds, as metav1.MicroTime (events.k8s.io eventTime, Lease renewTime). */
  microTimestamp(ms = this.now()): string {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  /** Wall milliseconds that correspond to `simMs` of simulated time. */
  toWall(simMs: number): number {
    return simMs / this.timeScale;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A timer in simulated milliseconds; cancelled by `stop()` so a stopped sim leaves nothing behind.
   * It never fires before `simMs` of simulated time has passed. Node starts a timer from the event
   * loop's cached time, so after a long tick it fires early by Date.now()'s measure — at scale 20
   * a 40 ms tick is 800 ms of cluster time. Such a timer is re-armed for the rest; the handle the
   * caller holds still cancels it.
   */
  setTimeout(fn: () => void, simMs: number): NodeJS.Timeout {
    const due = this.now() + Math.max(0, simMs);
    const arm = (wallMs: number, first?: NodeJS.Timeout): NodeJS.Timeout => {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          const owner = first ?? timer;
          const left = due - this.now();
          if (left > 0) {
            const next = arm(this.toWall(left), owner);
            if (!timer.hasRef()) next.unref();
            this.rearmed.set(owner, next);
            return;
          }
          this.rearmed.delete(owner);
          fn();
        },
        Math.max(0, wallMs),
      );
      this.timers.add(timer);
      return timer;
    };
    return arm(this.toWall(simMs));
  }

  clearTimeout(timer: NodeJS.Timeout): void {
    const current = this.rearmed.get(timer);
    for (const t of current ? [timer, current] : [timer]) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    this.rearmed.delete(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.rearmed.clear();
  }
}
