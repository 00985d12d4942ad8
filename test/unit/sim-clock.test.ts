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
