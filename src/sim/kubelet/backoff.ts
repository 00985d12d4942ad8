/**
 * CrashLoopBackOff, per container, as the kubelet keys client-go's flowcontrol.Backoff
 * (10s initial, doubling to MaxContainerBackOff 300s, no jitter):
 * - the first exit restarts at once (no entry yet: Next creates one at 10s);
 * - a later exit within the current back-off of its finish time waits ("back-off 10s restarting
 *   failed container=…"), then the delay doubles when the restart happens;
 * - an entry not updated for 2 × max (10 minutes) has expired: the delay starts over at 10s.
 */
export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;
/** How often the pod worker retries a blocked sync (kubelet backOffPeriod), recording a BackOff event each time. */
export const BACKOFF_RETRY_MS = 10_000;

export class ContainerBackoff {
  private delayMs = 0;
  private lastUpdate = Number.NEGATIVE_INFINITY;
  private known = false;

  constructor(
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
  ) {}

  /** The current delay (what the CrashLoopBackOff message shows). */
  get currentMs(): number {
    return this.delayMs;
  }

  private expired(eventMs: number): boolean {
    return eventMs - this.lastUpdate > 2 * this.maxMs;
  }

  /** IsInBackOffSince: the container exited at `finishedMs`; may it not restart yet at `nowMs`? */
  inBackoff(finishedMs: number, nowMs: number): boolean {
    if (!this.known || this.expired(finishedMs)) return false;
    return nowMs - finishedMs < this.delayMs;
  }

  /** When the back-off for an exit at `finishedMs` ends. */
  readyAt(finishedMs: number): number {
    return finishedMs + this.delayMs;
  }

  /** Next: called when the container is restarted after an exit at `finishedMs`. */
  next(finishedMs: number, nowMs: number): void {
    if (!this.known || this.expired(finishedMs)) {
      this.delayMs = this.initialMs;
      this.known = true;
    } else {
      this.delayMs = Math.min(this.delayMs * 2, this.maxMs);
    }
    this.lastUpdate = nowMs;
  }
}
