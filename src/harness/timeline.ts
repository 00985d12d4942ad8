/**
 * The timeline: every step start/end, sample, mutation and note of one scenario arm, in order.
 * Assertions are pure functions over it, and reports print it.
 */
export interface TimelineEvent {
  /** Milliseconds since the arm started (cluster clock). */
  t: number;
  /** Wall-clock ISO time of the event. */
  at: string;
  step: string;
  event: string;
  detail?: Record<string, unknown>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const wallClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly origin: number;
  constructor(
    private readonly clock: Clock = wallClock,
    private readonly onEvent?: (e: TimelineEvent) => void,
  ) {
    this.origin = clock.now();
  }

  record(step: string, event: string, detail?: Record<string, unknown>): TimelineEvent {
    const e: TimelineEvent = { t: this.clock.now() - this.origin, at: new Date().toISOString(), step, event };
    if (detail !== undefined) e.detail = detail;
    this.events.push(e);
    this.onEvent?.(e);
    return e;
  }

  /** Events of one step, e.g. every `sample` the observers took during `hold`. */
  of(step: string, event?: string): TimelineEvent[] {
    return this.events.filter((e) => e.step === step && (event === undefined || e.event === event));
  }
}
