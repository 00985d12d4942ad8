/**
 * Availability: the service kept enough Ready replicas while the fault was in place.
 * Pure over the pod-readiness samples in the timeline.
 */
import type { Assertion, AssertionInput } from '../harness/scenario.ts';
import type { ReadinessSample } from '../observers/pod-readiness.ts';
import { FAULT_WINDOW } from './window.ts';

export interface MinReadyOptions {
  selector: string;
  /** Fewest Ready pods allowed at any sample in the fault window. */
  min: number;
}

export function minReadyReplicas(options: MinReadyOptions): Assertion {
  return {
    name: 'min-ready-replicas',
    description: `at least ${options.min} Ready pod(s) matching ${options.selector} at every sample while the fault is in place`,
    thresholds: { min: options.min },
    evaluate(input: AssertionInput) {
      const samples = input.timeline.filter((e) => {
        const d = e.detail as Partial<ReadinessSample> | undefined;
        return (
          e.event === 'sample' &&
          FAULT_WINDOW.has(e.step) &&
          d?.observer === 'pod-readiness' &&
          d.selector === options.selector
        );
      });
      if (samples.length === 0) {
        return {
          pass: false,
          summary: `no readiness samples for ${options.selector} during the fault window (is the pod-readiness observer configured?)`,
          evidence: [],
        };
      }
      const below = samples.filter(
        (e) => ((e.detail as unknown as ReadinessSample).ready ?? 0) < options.min,
      );
      const lowest = Math.min(...samples.map((e) => (e.detail as unknown as ReadinessSample).ready));
      if (below.length === 0) {
        return {
          pass: true,
          summary: `${samples.length} samples, never fewer than ${lowest} Ready (min ${options.min})`,
          evidence: [],
        };
      }
      return {
        pass: false,
        summary: `${below.length}/${samples.length} samples had fewer than ${options.min} Ready (lowest ${lowest})`,
        evidence: below.slice(0, 5).map((e) => {
          const d = e.detail as unknown as ReadinessSample;
          return { what: `${d.ready}/${d.total} Ready`, t: e.t, data: { notReady: d.notReady } };
        }),
      };
    },
  };
}
