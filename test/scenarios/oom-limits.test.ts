import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario oom-limits (sim, with its negative control)', () => {
  it('contains the leak at its limit with limits set; without them the leak is never stopped; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('oom-limits');
    expect(scenario.verdict, explain(scenario)).toBe('passed');
    expect(scenario.control?.verdict, explain(scenario)).toBe('failed');
    expect(leftovers).toEqual([]);

    const main = Object.fromEntries(scenario.assertions.map((a) => [a.name, a]));
    const oom = main['oom-killed-surfaced'];
    expect(
      oom?.evidence.some((e) => /OOMKilled \(exit 137\) at limit 256Mi/.test(e.what)),
      explain(scenario),
    ).toBe(true);
    expect(main['restarts-back-off']?.summary, explain(scenario)).toMatch(/CrashLoopBackOff|BackOff event/);

    // The control fails because the leak was not contained, not because it did not run.
    const control = scenario.control!;
    expect(control.faults[0]?.observed, explain(scenario)).toBe(true);
    expect(control.faults[0]?.summary).toMatch(/reached 1Gi/);
    const failed = Object.fromEntries(control.assertions.map((a) => [a.name, a]));
    expect(failed['oom-killed-surfaced']?.pass).toBe(false);
    expect(failed['oom-killed-surfaced']?.summary).toMatch(/was OOMKilled: nothing stopped the leak/);
    expect(failed['restarts-back-off']?.pass).toBe(false);
    expect(failed['requests-limits-policy']?.pass).toBe(false);
    expect(failed['min-ready-replicas']?.pass).toBe(true);
  }, 120_000);
});
