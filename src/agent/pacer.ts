/**
 * Open-loop pacing for floods, load and periodic probes: start task i at `start + i / rate`,
 * whatever earlier tasks are doing, up to `concurrency` in flight. A slot that finds every worker
 * busy is skipped and counted (a flood that cannot keep up says so instead of silently slowing
 * down) or, with `whenBusy: 'wait'`, waits for a worker (periodic probes: the next attempt starts
 * when the previous one ends, as the kubelet's prober does). Every run is bounded: by count, by
 * duration, or by the stop signal.
 */
import type { HostClock } from './host.ts';

export interface PaceOptions {
  clock: HostClock;
  /** Starts per second. */
  rate: number;
  /** Stop after this many starts. */
  count?: number;
  /** Stop starting after this long (tasks in flight are awaited). */
  durationMs?: number;
  concurrency: number;
  whenBusy: 'skip' | 'wait';
  signal: AbortSignal;
}

export interface PaceResult {
  started: number;
  skipped: number;
  stoppedBy: 'count' | 'duration' | 'signal';
  elapsedMs: number;
}

export async function pace(
  options: PaceOptions,
  task: (index: number) => Promise<void>,
): Promise<PaceResult> {
  const { clock, rate, count, durationMs, concurrency, whenBusy, signal } = options;
  if (count === undefined && durationMs === undefined)
    throw new RangeError('pace needs a count or a duration');
  const start = clock.now();
  const interval = 1000 / rate;
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  let skipped = 0;
  let slot = 0;
  let stoppedBy: PaceResult['stoppedBy'];
  const run = (index: number) => {
    const p = task(index)
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for (;;) {
    if (signal.aborted) {
      stoppedBy = 'signal';
      break;
    }
    if (count !== undefined && started >= count) {
      stoppedBy = 'count';
      break;
    }
    const due = start + slot * interval;
    if (durationMs !== undefined && due - start >= durationMs) {
      stoppedBy = 'duration';
      await sleepUntil(clock, start + durationMs, signal);
      break;
    }
    const wait = due - clock.now();
    if (wait > 0) {
      try {
        await clock.sleep(wait, signal);
      } catch {
        continue; // aborted: the loop head reports it
      }
    }
    slot++;
    if (inFlight.size >= concurrency) {
      if (whenBusy === 'skip') {
        skipped++;
        continue;
      }
      await Promise.race(inFlight);
      if (signal.aborted) continue;
      // Late: start now, and put the next start back on the grid instead of bursting to catch up.
      slot = Math.max(slot, Math.ceil((clock.now() - start) / interval));
    }
    run(started++);
  }
  await Promise.all(inFlight);
  return { started, skipped, stoppedBy, elapsedMs: clock.now() - start };
}

/**
 * A run lasts its whole duration, as k6's arrival-rate executors do, not only until its last
 * start (at 200/s the last one is due 5 ms before the end). A timer can fire a millisecond early
 * by the clock it is compared with, hence the loop.
 */
async function sleepUntil(clock: HostClock, at: number, signal: AbortSignal): Promise<void> {
  for (let rest = at - clock.now(); rest > 0 && !signal.aborted; rest = at - clock.now()) {
    try {
      await clock.sleep(rest, signal);
    } catch {
      return; // aborted: the caller reports it
    }
  }
}

/** Calls `fn` every `ms` until the signal aborts or the returned stop function is called. */
export function every(clock: HostClock, ms: number, fn: () => void, signal: AbortSignal): () => void {
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  void (async () => {
    for (;;) {
      try {
        await clock.sleep(ms, both);
      } catch {
        return;
      }
      fn();
    }
  })();
  return () => stop.abort();
}
