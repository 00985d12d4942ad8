import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario pod-kill (sim, with its negative control)', () => {
  it('passes with 3 replicas and readiness; the 1-replica control fails; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('pod-kill');
    expect(scenario.verdict, explain(scenario)).toBe('passed');
    expect(scenario.control?.verdict, explain(scenario)).toBe('failed');
    expect(leftovers).toEqual([]);
  }, 120_000);
});
