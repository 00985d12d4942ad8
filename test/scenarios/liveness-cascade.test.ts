import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario liveness-cascade (sim, with its negative control)', () => {
  it('a TCP liveness probe rides out the load; the 1 s / 1-failure /healthz probe cascades; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('liveness-cascade');
    const why = explain(scenario);
    expect(scenario.verdict, why).toBe('passed');
    expect(scenario.control?.verdict, why).toBe('failed');
    expect(leftovers).toEqual([]);

    // The storm bit in both arms: the load was answered, slower than the probes' 1 s timeout.
    for (const arm of [scenario, scenario.control!]) {
      const storm = arm.faults.find((f) => f.fault === 'liveness-storm');
      expect(storm?.observed, why).toBe(true);
      expect(storm?.summary, why).toMatch(
        /worst latency \d+ ms > probe timeout 1000 ms|probe failures on [1-3] pod/,
      );
    }
    expect(scenario.assertions[0]?.summary, why).toMatch(/^0 restart\(s\)/);
    // The control's cascade: more than one replica restarted, each named with its restart count.
    const cascade = scenario.control!.assertions.find((a) => a.name === 'no-restart-cascade');
    expect(cascade?.summary, why).toMatch(/^restart cascade: \d+ restarts in the minute/);
    expect(cascade?.evidence.length, why).toBeGreaterThanOrEqual(2);
    expect(cascade?.evidence[0]?.what, why).toMatch(/^restartCount [1-9]/);
  }, 120_000);
});
