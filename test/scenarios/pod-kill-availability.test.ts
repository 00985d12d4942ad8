import { describe, expect, it } from 'vitest';
import { FAULT_WINDOW } from '../../src/assertions/window.ts';
import type { LoadSample } from '../../src/observers/service-load.ts';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario pod-kill-availability (sim, with its negative control)', () => {
  it('3 replicas behind readiness keep the Service answering; the 1-replica control fails; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('pod-kill-availability');
    const why = explain(scenario);
    expect(scenario.verdict, why).toBe('passed');
    expect(scenario.control?.verdict, why).toBe('failed');
    expect(leftovers).toEqual([]);

    const control = scenario.control!;
    const failed = (name: string) => control.assertions.find((a) => a.name === name);
    // The control's outage, as the load saw it: requests reset or refused while no endpoint was
    // ready (whether that crosses the error-rate bound depends on how fast the replacement starts;
    // the Ready count and the warm-up traffic below do not).
    const causes = control.timeline
      .filter((e) => e.event === 'load-sample' && FAULT_WINDOW.has(e.step))
      .flatMap((e) => Object.keys((e.detail as unknown as LoadSample).causes));
    expect(causes, why).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ECONNRESET$|^ECONNREFUSED$/)]),
    );
    expect(failed('min-ready-replicas')?.summary, why).toMatch(/lowest 0/);
    // The replacement, with no readiness probe, took traffic while /readyz said it was warming up.
    expect(failed('readiness-gating')?.pass, why).toBe(false);
    expect(failed('readiness-gating')?.evidence[0]?.ref, why).toMatch(/^Pod\/web-/);
    // Main: the replacement joined only once ready.
    expect(scenario.assertions.find((a) => a.name === 'readiness-gating')?.summary, why).toMatch(
      /, 0 while the app was not ready$/,
    );
  }, 120_000);
});
