/**
 * Retries of one API call: exponential backoff with jitter inside an overall budget, and a
 * server's Retry-After honoured (capped), as client-go's rest client does for 429 and 5xx. The
 * caller says which failures may be retried (api-failure.ts); this module only decides when.
 *
 * Delays and the budget run on the retry clock, which is the cluster's clock: on a sim at time
 * scale 20 a one-second Retry-After is one simulated second, like the outage that caused it.
 */
import type { Clock } from './timeline.ts';

export interface RetryPolicy {
  /** Delay before the first retry, ms. */
  initialDelayMs: number;
  /** Each further retry waits this many times longer, up to `maxDelayMs`. */
  multiplier: number;
  maxDelayMs: number;
  /** Share of each delay drawn at random (0: none, 1: "full jitter"), so clients do not retry in step. */
  jitter: number;
  /** No retry is started once it would begin later than this after the first attempt, ms. */
  budgetMs: number;
  /** A longer Retry-After is cut to this, ms. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  initialDelayMs: 250,
  multiplier: 2,
  maxDelayMs: 8_000,
  jitter: 0.5,
  budgetMs: 60_000,
  maxRetryAfterMs: 30_000,
};

/** One failed attempt that may be tried again. */
export interface RetryableFailure {
  /** Short cause, for counts and logs: `429`, `503`, `ECONNREFUSED`, `timeout`. */
  cause: string;
  /** What the server asked for (Retry-After), ms. */
  retryAfterMs?: number;
  /**
   * The request may have taken effect: its answer was lost (reset, timeout) or the server failed
   * after it may have acted (500, 502, 504). A 429, a 503 or a refused connection was not acted on.
   */
  ambiguous: boolean;
}

/** How a call that failed at least once ended; calls that succeed at once report nothing. */
export interface RetryReport {
  /** What was called: verb and target, e.g. `LIST Pod -n web`. */
  call: string;
  attempts: number;
  /** Failed attempts by cause. */
  causes: Record<string, number>;
  /**
   * recovered: an attempt succeeded; gave-up: the budget was spent; fenced: the caller stopped
   * further attempts (see RetryOptions.fence); failed: a later answer that is not worth retrying.
   */
  outcome: 'recovered' | 'gave-up' | 'fenced' | 'failed';
  /** Retry-clock time of the first failed attempt and of the end of the call. */
  firstFailureAt: number;
  endedAt: number;
  /** Some attempt may have taken effect although no answer said so. */
  ambiguous: boolean;
}

/** What an attempt knows about the ones before it. */
export interface AttemptState {
  attempt: number;
  /** An earlier attempt may have taken effect (its answer was lost). */
  ambiguous: boolean;
}

export interface RetryOptions {
  call: string;
  policy: RetryPolicy;
  clock: Clock;
  /** The retryable failure an error is, or undefined for an answer to pass on at once. */
  classify: (err: unknown) => RetryableFailure | undefined;
  /** Aborted: no further attempt starts (the caller's backoff sleep ends at once). */
  fence?: AbortSignal;
  random?: () => number;
  onReport?: (report: RetryReport) => void;
}

/** The wait before retry number `retry` (1 for the first retry). */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const exponential = policy.initialDelayMs * policy.multiplier ** Math.max(0, retry - 1);
  const ceiling = Math.min(policy.maxDelayMs, exponential);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const backoff = ceiling * (1 - jitter) + ceiling * jitter * random();
  // The server knows when it can take the request again; waiting less only earns another 429.
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return Math.round(Math.max(backoff, asked));
}

export async function withRetries<T>(
  attempt: (state: AttemptState) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { clock, policy } = options;
  const random = options.random ?? Math.random;
  const started = clock.now();
  const causes: Record<string, number> = {};
  let firstFailureAt: number | undefined;
  let ambiguous = false;
  const report = (outcome: RetryReport['outcome'], attempts: number) => {
    if (firstFailureAt === undefined) return;
    options.onReport?.({
      call: options.call,
      attempts,
      causes: { ...causes },
      outcome,
      firstFailureAt,
      endedAt: clock.now(),
      ambiguous,
    });
  };
  for (let n = 1; ; n++) {
    try {
      const out = await attempt({ attempt: n, ambiguous });
      report('recovered', n);
      return out;
    } catch (err) {
      const failure = options.classify(err);
      if (!failure) {
        report('failed', n);
        throw err;
      }
      firstFailureAt ??= clock.now();
      causes[failure.cause] = (causes[failure.cause] ?? 0) + 1;
      ambiguous ||= failure.ambiguous;
      const delay = retryDelay(policy, n, random, failure.retryAfterMs);
      if (options.fence?.aborted) {
        report('fenced', n);
        throw err;
      }
      if (clock.now() + delay - started > policy.budgetMs) {
        report('gave-up', n);
        throw err;
      }
      try {
        await clock.sleep(delay, options.fence);
      } catch {
        report('fenced', n);
        throw err;
      }
    }
  }
}
