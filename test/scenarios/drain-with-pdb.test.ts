import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario drain-with-pdb (sim, with its negative control)', () => {
  it('passes with a PodDisruptionBudget; the control without it fails; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('drain-with-pdb');
    const why = `${explain(scenario)}\nwall: main ${scenario.wallMs} ms, control ${scenario.control?.wallMs} ms`;
    expect(scenario.verdict, why).toBe('passed');
    expect(scenario.control?.verdict, why).toBe('failed');
    expect(leftovers).toEqual([]);

    // The fault bit in both arms: the node was cordoned and evictions were made.
    for (const arm of [scenario, scenario.control!]) {
      const drain = arm.faults.find((f) => f.fault === 'node-drain');
      expect(drain?.observed, why).toBe(true);
      expect(drain?.summary, why).toMatch(/1\/1 node\(s\) unschedulable/);
    }
    // Main: the budget refused evictions with 429 and the drain still finished.
    const mainDrain = scenario.faults.find((f) => f.fault === 'node-drain');
    expect(mainDrain?.summary, why).toMatch(/[1-9]\d* refused with 429/);
    expect(mainDrain?.summary, why).toMatch(/ drained$/);
    // Control: nothing refused; the replicas were all evicted and the budget check names the breach.
    const controlDrain = scenario.control!.faults.find((f) => f.fault === 'node-drain');
    expect(controlDrain?.summary, why).toMatch(/ 0 refused with 429/);
    const pdb = scenario.control!.assertions.find((a) => a.name === 'pdb-held');
    expect(pdb?.pass, why).toBe(false);
    expect(
      pdb?.evidence.some((e) => /eviction of Ready pod web-/.test(e.what)),
      why,
    ).toBe(true);
    const availability = scenario.control!.assertions.find((a) => a.name === 'service-availability');
    expect(availability?.pass, why).toBe(false);
  }, 120_000);
});
