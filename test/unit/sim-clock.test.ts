import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/sim/clock.ts';

describe('SimClock', () => {
  it('runs time-scale times faster than the wall clock, for now() and for timers', async () => {
    const clock = new SimClock(100, Date.parse('2026-01-01T00:00:00Z'));
    const wall0 = Date.now();
    const sim0 = clock.now();
    // One simulated second at ×100 takes about 10 ms of wall time.
    await clock.sleep(1000);
    const wall = Date.now() - wall0;
    expect(wall).toBeLessThan(500);
    expect(clock.now() - sim0).toBeGreaterThanOrEqual(1000);
    clock.stop();
  });

  it('never fires a timer before its simulated delay has passed by now()', async () => {
    // Node rounds a timer to whole wall milliseconds and measures it on another clock than
    // Date.now(), so at ×20 a bare setTimeout fired up to ~40 ms of cluster time early in most
    // of these; a drain's last retry then went out at its deadline instead of stopping.
    const clock = new SimClock(20);
    const early: number[] = [];
    for (let i = 0; i < 100; i++) {
      const ms = 37 + (i % 13) * 7;
      const due = clock.now() + ms;
      const firedAt = await new Promise<number>((resolve) =>
        clock.setTimeout(() => resolve(clock.now()), ms),
      );
      if (firedAt < due) early.push(due - firedAt);
    }
    expect(early).toEqual([]);

    // A re-armed timer is still cancelled through the handle its caller holds.
    let cleared = false;
    let firedAfterClear = 0;
    const timers = Array.from({ length: 20 }, (_, i) =>
      clock.setTimeout(() => (firedAfterClear += cleared ? 1 : 0), 37 + i * 7),
    );
    await new Promise((r) => setTimeout(r, 2));
    for (const timer of timers) clock.clearTimeout(timer);
    cleared = true;
    await new Promise((r) => setTimeout(r, 40));
    expect(firedAfterClear).toBe(0);
    clock.stop();
  });

  it('formats metav1.Time with second precision and MicroTime with microseconds', () => {
    const clock = new SimClock(1);
    const ms = Date.parse('2026-11-23T10:20:30.456Z');
    expect(clock.timestamp(ms)).toBe('2026-11-23T10:20:30Z');
    expect(clock.microTimestamp(ms)).toBe('2026-11-23T10:20:30.456000Z');
  });

  it('stop() cancels pending timers, so a stopped sim leaves nothing behind', async () => {
    const clock = new SimClock(1);
    let fired = false;
    clock.setTimeout(() => (fired = true), 20);
    clock.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toBe(false);
  });

  it('refuses a time scale that is not a positive number', () => {
    expect(() => new SimClock(0)).toThrow(/time scale must be > 0/);
    expect(() => new SimClock(Number.NaN)).toThrow(/time scale must be > 0/);
  });
});
