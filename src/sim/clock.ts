/**
 * Simulated time. With a time scale of X, one wall second is X simulated seconds, so a
 * five-minute CrashLoopBackOff costs five seconds at X=60. Every timestamp the sim writes
 * (creationTimestamp, events, conditions) and every timer it sets goes through this clock.
 */
import type { Clock } from '../harness/timeline.ts';

export class SimClock implements Clock {
  private readonly wallStart = Date.now();
  private readonly simStart: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private lastSecond = NaN;
  private lastStamp = '';

  constructor(
    readonly timeScale = 1,
    simStart = Date.now(),
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError(`time scale must be > 0, got ${timeScale}`);
    this.simStart = simStart;
  }

  now(): number {
    return this.simStart + (Date.now() - this.wallStart) * this.timeScale;
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

  /** A timer in simulated milliseconds; cancelled by `stop()` so a stopped sim leaves nothing behind. */
  setTimeout(fn: () => void, simMs: number): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, this.toWall(simMs)),
    );
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
