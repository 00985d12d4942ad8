import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario cert-expiry (sim, with its negative control)', () => {
  it('the monitor warns ahead of expiry with a valid chain; without it nothing does; the Secret is restored', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('cert-expiry');
    expect(scenario.verdict, explain(scenario)).toBe('passed');
    expect(scenario.control?.verdict, explain(scenario)).toBe('failed');
    // The fault bit in both arms: the witness saw the swapped certificate served.
    expect(scenario.faults[0]?.observed, explain(scenario)).toBe(true);
    expect(scenario.control?.faults[0]?.observed, explain(scenario)).toBe(true);
    const detected = scenario.assertions.find((a) => a.name === 'cert-expiry-detected');
    expect(detected?.summary).toMatch(/reported 5 day\(s\) left/);
    const missed = scenario.control?.assertions.find((a) => a.name === 'cert-expiry-detected');
    expect(missed?.pass).toBe(false);
    expect(missed?.summary).toMatch(/no certificate report/);
    // web-tls (and everything else) byte-identical to before the run.
    expect(leftovers).toEqual([]);
  }, 120_000);
});
