import { describe, expect, it } from 'vitest';
import type { HostClock } from '../../../src/agent/host.ts';
import { pace } from '../../../src/agent/pacer.ts';

/** A clock whose sleeps return at once, up to `early` ms short of what was asked (as real timers can be). */
function virtualClock(early = 0): HostClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      // Early by up to `early` ms, but a sleep always lets some time pass (timers have ms resolution).
      clock.t += Math.max(ms - early, Math.min(ms, 1));
    },
  };
  return clock;
}

describe('pace by duration', () => {
  it.each([0, 1])(
    'lasts the whole duration, not only until the last start (timers %i ms early)',
    async (early) => {
      const clock = virtualClock(early);
      const starts: number[] = [];
      const result = await pace(
        {
          clock,
          rate: 200,
          durationMs: 1000,
          concurrency: 10,
          whenBusy: 'skip',
          signal: new AbortController().signal,
        },
        async () => {
          starts.push(clock.now());
        },
      );
      expect(result).toMatchObject({ started: 200, skipped: 0, stoppedBy: 'duration' });
      // The last start is due at 995 ms; the run ends at 1000, as k6's arrival-rate executors do.
      expect(Math.max(...starts)).toBeLessThan(1000);
      expect(result.elapsedMs).toBeGreaterThanOrEqual(1000);
    },
  );
});
