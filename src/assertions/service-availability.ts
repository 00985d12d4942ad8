/**
 * Service availability under load: the error rate and latency the load generator measured while
 * the fault was in place stayed within bounds. Pure over the `load-sample` events of the
 * service-load observer.
 */
import type { Assertion, AssertionInput, Evidence } from '../harness/scenario.ts';
import type { LoadSample } from '../observers/service-load.ts';
import { FAULT_WINDOW } from './window.ts';

export interface ServiceAvailabilityOptions {
  service: string;
  /** Highest share of failed requests allowed (0.01 = 1%). Default 0.01. */
  maxErrorRate?: number;
  /** Highest p99 latency in ms of any load slice in the fault window. Optional. */
  maxP99Ms?: number;
  /** Fewest requests the window must hold for the verdict to mean anything. Default 20. */
  minRequests?: number;
}

export function serviceAvailability(options: ServiceAvailabilityOptions): Assertion {
  const maxErrorRate = options.maxErrorRate ?? 0.01;
  const minRequests = options.minRequests ?? 20;
  return {
    name: 'service-availability',
    description: `Service ${options.service} under load: error rate ≤ ${(maxErrorRate * 100).toFixed(1)}%${options.maxP99Ms !== undefined ? `, p99 ≤ ${options.maxP99Ms} ms` : ''} while the fault is in place`,
    thresholds: {
      maxErrorRate,
      minRequests,
      ...(options.maxP99Ms !== undefined ? { maxP99Ms: options.maxP99Ms } : {}),
    },
    evaluate(input: AssertionInput) {
      const samples = input.timeline
        .filter((e) => e.event === 'load-sample' && FAULT_WINDOW.has(e.step))
        .map((e) => ({ t: e.t, s: e.detail as unknown as LoadSample }))
        .filter(({ s }) => s.observer === 'service-load' && s.service === options.service);
      const requests = samples.reduce((n, x) => n + x.s.requests, 0);
      if (requests < minRequests) {
        return {
          pass: false,
          summary: `only ${requests} request(s) measured during the fault window (need ${minRequests}; is the service-load observer configured?)`,
          evidence: [],
        };
      }
      const failed = samples.reduce((n, x) => n + x.s.failed, 0);
      const rate = failed / requests;
      const worstP99 = Math.max(...samples.map((x) => x.s.p99));
      const causes: Record<string, number> = {};
      for (const x of samples)
        for (const [k, v] of Object.entries(x.s.causes)) causes[k] = (causes[k] ?? 0) + v;
      const problems: string[] = [];
      if (rate > maxErrorRate) problems.push(`error rate ${pct(rate)} > ${pct(maxErrorRate)}`);
      if (options.maxP99Ms !== undefined && worstP99 > options.maxP99Ms) {
        problems.push(`p99 ${worstP99.toFixed(0)} ms > ${options.maxP99Ms} ms`);
      }
      const summary = `${requests} requests, ${failed} failed (${pct(rate)}), worst slice p99 ${worstP99.toFixed(0)} ms`;
      const evidence: Evidence[] = samples
        .filter((x) => x.s.failed > 0)
        .slice(0, 5)
        .map((x) => ({ what: `${x.s.failed}/${x.s.requests} failed`, t: x.t, data: x.s.causes }));
      if (problems.length === 0) return { pass: true, summary, evidence: [] };
      return {
        pass: false,
        summary: `${problems.join('; ')} (${summary}; causes ${JSON.stringify(causes)})`,
        evidence,
      };
    },
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
