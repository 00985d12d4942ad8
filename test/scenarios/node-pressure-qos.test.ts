import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario node-pressure-qos (sim, with its negative control)', () => {
  it('evicts BestEffort batch pods and keeps the Burstable monitoring pod; the BestEffort control loses it', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('node-pressure-qos');
    expect(scenario.verdict, explain(scenario)).toBe('passed');
    expect(scenario.control?.verdict, explain(scenario)).toBe('failed');

    const main = Object.fromEntries(scenario.assertions.map((a) => [a.name, a]));
    expect(
      main['eviction-order-by-qos']?.evidence.every((e) => e.what === 'evicted BestEffort'),
      explain(scenario),
    ).toBe(true);
    expect(main['critical-not-best-effort']?.summary).toMatch(/QoS Burstable, not evicted/);

    // The control fails because the kubelet evicted the monitoring pod, not only on its spec.
    const control = scenario.control!;
    const critical = control.assertions.find((a) => a.name === 'critical-not-best-effort');
    expect(critical?.pass).toBe(false);
    expect(critical?.summary, explain(scenario)).toMatch(/evicted: The node was low on resource: memory\./);
    expect(control.faults[0]?.observed).toBe(true);

    // Revert waited out the kubelet's pressure transition period: the nodes are as they were.
    for (const arm of [scenario, control]) {
      expect(arm.timeline.some((e) => e.event === 'node-memory-pressure-recovered')).toBe(true);
    }
    expect(leftovers).toEqual([]);
  }, 120_000);
});
