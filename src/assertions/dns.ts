/**
 * DNS from the application's side: what `dnsprobe` pods saw while the fault was in place. Pure over
 * the `attempt` lines the agentLogs observer recorded (one per lookup, with its outcome, latency
 * and the queries it cost), so the verdict names the pods and the attempts behind it.
 */
import type { DnsprobeAttempt } from '../agent/modes/dnsprobe.ts';
import type { AssertionInput, Assertion, Evidence } from '../harness/scenario.ts';
import { agentLinesIn } from '../observers/agent-logs.ts';
import { FAULT_WINDOW } from './window.ts';

export interface DnsProbeSelection {
  /** The selector the agentLogs observer follows the dnsprobe pods with (e.g. `app=dns-probe`). */
  selector: string;
  /** Fewest attempts the fault window must hold for the verdict to mean anything (default 10). */
  minSamples?: number;
}

export interface DnsLatencyOptions extends DnsProbeSelection {
  /** Highest 99th-percentile lookup latency allowed, in ms. */
  p99Ms: number;
  /** Highest 90th-percentile lookup latency allowed, in ms (optional): the bulk, not the tail. */
  p90Ms?: number;
}

export interface DnsFailureRateOptions extends DnsProbeSelection {
  /** Highest share of attempts allowed to fail (not as the probe expected): 0.01 = 1%. */
  max: number;
}

export interface DnsRetriesOptions extends DnsProbeSelection {
  /** Highest share of lookups allowed to need a resolver retry (a query unanswered within its timeout). */
  max: number;
}

export interface DnsQueriesPerLookupOptions extends DnsProbeSelection {
  /** Highest mean number of DNS messages per lookup (2 is one name, A and AAAA). */
  max: number;
}

interface Sample {
  t: number;
  pod: string;
  attempt: DnsprobeAttempt;
}

function samplesIn(input: AssertionInput, selector: string): Sample[] {
  return agentLinesIn(input.timeline, {
    mode: 'dnsprobe',
    selector,
    event: 'attempt',
    steps: FAULT_WINDOW,
  }).map((l) => ({ t: l.t, pod: l.pod, attempt: l.line as unknown as DnsprobeAttempt }));
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

function tooFew(samples: Sample[], min: number, selector: string) {
  return {
    pass: false,
    summary: `only ${samples.length} dnsprobe attempt(s) from pods matching ${selector} during the fault window (need ${min}; is the agentLogs observer following them?)`,
    evidence: [],
  };
}

const podsOf = (samples: Sample[]) => [...new Set(samples.map((s) => s.pod))].sort();

function sampleEvidence(s: Sample, what: string): Evidence {
  const a = s.attempt;
  return {
    what,
    ref: `Pod/${s.pod}`,
    t: s.t,
    data: {
      seq: a.seq,
      name: a.name,
      outcome: a.outcome,
      latencyMs: a.latencyMs,
      queries: a.queries,
      timeouts: a.timeouts,
      rcodes: a.rcodes,
      ...(a.error ? { error: a.error } : {}),
    },
  };
}

/** The 99th (and optionally the 90th) percentile of lookup latency seen by the probes stayed within bounds. */
export function dnsLatency(options: DnsLatencyOptions): Assertion {
  const minSamples = options.minSamples ?? 10;
  const { p99Ms, p90Ms } = options;
  const bounds = `p99 ≤ ${p99Ms} ms${p90Ms !== undefined ? `, p90 ≤ ${p90Ms} ms` : ''}`;
  return {
    name: 'dns-latency',
    description: `DNS lookups from pods matching ${options.selector}: ${bounds} while the fault is in place`,
    thresholds: { p99Ms, ...(p90Ms !== undefined ? { p90Ms } : {}), minSamples },
    evaluate(input) {
      const samples = samplesIn(input, options.selector);
      if (samples.length < minSamples) return tooFew(samples, minSamples, options.selector);
      const sorted = samples.map((s) => s.attempt.latencyMs).sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      const p90 = percentile(sorted, 90);
      const p50 = percentile(sorted, 50);
      const pods = podsOf(samples);
      const ms = (n: number) => `${Math.round(n)} ms`;
      const summary = `p99 ${ms(p99)}, p90 ${ms(p90)}, p50 ${ms(p50)}, max ${ms(sorted.at(-1) ?? 0)} over ${samples.length} lookups from ${pods.length} pod(s) (${pods.join(', ')})`;
      const problems: string[] = [];
      if (p99 > p99Ms) problems.push(`p99 ${ms(p99)} > ${p99Ms} ms`);
      if (p90Ms !== undefined && p90 > p90Ms) problems.push(`p90 ${ms(p90)} > ${p90Ms} ms`);
      if (problems.length === 0) return { pass: true, summary: `${summary}; bounds ${bounds}`, evidence: [] };
      const limit = p90Ms !== undefined ? Math.min(p90Ms, p99Ms) : p99Ms;
      const slow = samples
        .filter((s) => s.attempt.latencyMs > limit)
        .sort((a, b) => b.attempt.latencyMs - a.attempt.latencyMs);
      return {
        pass: false,
        summary: `${problems.join('; ')}: ${slow.length}/${samples.length} lookups slower than ${limit} ms (${summary})`,
        evidence: slow
          .slice(0, 5)
          .map((s) =>
            sampleEvidence(
              s,
              `${s.attempt.name}: ${s.attempt.outcome} after ${Math.round(s.attempt.latencyMs)} ms`,
            ),
          ),
      };
    },
  };
}

/** The share of probe lookups that did not come back as expected stayed within `max`. */
export function dnsFailureRate(options: DnsFailureRateOptions): Assertion {
  const minSamples = options.minSamples ?? 10;
  return {
    name: 'dns-failure-rate',
    description: `at most ${(options.max * 100).toFixed(1)}% of DNS lookups from pods matching ${options.selector} fail while the fault is in place`,
    thresholds: { max: options.max, minSamples },
    evaluate(input) {
      const samples = samplesIn(input, options.selector);
      if (samples.length < minSamples) return tooFew(samples, minSamples, options.selector);
      const failed = samples.filter((s) => !s.attempt.asExpected);
      const rate = failed.length / samples.length;
      const outcomes: Record<string, number> = {};
      for (const s of failed) outcomes[s.attempt.outcome] = (outcomes[s.attempt.outcome] ?? 0) + 1;
      const pods = podsOf(samples);
      const summary = `${failed.length}/${samples.length} lookups failed (${(rate * 100).toFixed(1)}%${failed.length ? `: ${JSON.stringify(outcomes)}` : ''}) from ${pods.length} pod(s) (${pods.join(', ')})`;
      if (rate <= options.max)
        return { pass: true, summary: `${summary}; bound ${(options.max * 100).toFixed(1)}%`, evidence: [] };
      return {
        pass: false,
        summary: `failure rate ${(rate * 100).toFixed(1)}% > ${(options.max * 100).toFixed(1)}%: ${summary}`,
        evidence: failed
          .slice(0, 5)
          .map((s) =>
            sampleEvidence(
              s,
              `${s.attempt.name}: ${s.attempt.outcome} after ${Math.round(s.attempt.latencyMs)} ms`,
            ),
          ),
      };
    },
  };
}

/**
 * The share of probe lookups that needed a resolver retry stayed within `max`: a query that got no
 * reply within the resolver's timeout (glibc: 5 s) was dropped or queued too long by the DNS
 * server, the signature of an overloaded one, whether or not the retry then succeeded.
 */
export function dnsRetries(options: DnsRetriesOptions): Assertion {
  const minSamples = options.minSamples ?? 10;
  return {
    name: 'dns-retries',
    description: `at most ${(options.max * 100).toFixed(1)}% of DNS lookups from pods matching ${options.selector} need a resolver retry while the fault is in place`,
    thresholds: { max: options.max, minSamples },
    evaluate(input) {
      const samples = samplesIn(input, options.selector);
      if (samples.length < minSamples) return tooFew(samples, minSamples, options.selector);
      const retried = samples.filter((s) => s.attempt.timeouts > 0);
      const rate = retried.length / samples.length;
      const unanswered = retried.reduce((n, s) => n + s.attempt.timeouts, 0);
      const pods = podsOf(samples);
      const summary = `${retried.length}/${samples.length} lookups needed a retry (${(rate * 100).toFixed(1)}%, ${unanswered} queries unanswered in time) from ${pods.length} pod(s) (${pods.join(', ')})`;
      if (rate <= options.max)
        return { pass: true, summary: `${summary}; bound ${(options.max * 100).toFixed(1)}%`, evidence: [] };
      return {
        pass: false,
        summary: `retry rate ${(rate * 100).toFixed(1)}% > ${(options.max * 100).toFixed(1)}%: ${summary}`,
        evidence: retried
          .slice(0, 5)
          .map((s) =>
            sampleEvidence(
              s,
              `${s.attempt.name}: ${s.attempt.timeouts} quer${s.attempt.timeouts === 1 ? 'y' : 'ies'} unanswered in time, ${s.attempt.outcome} after ${Math.round(s.attempt.latencyMs)} ms`,
            ),
          ),
      };
    },
  };
}

/**
 * The mean number of DNS messages a lookup cost stayed within `max`: 2 for a name answered at the
 * first try (A and AAAA), 8 for an external name under ndots:5 and three cluster search domains.
 */
export function dnsQueriesPerLookup(options: DnsQueriesPerLookupOptions): Assertion {
  const minSamples = options.minSamples ?? 10;
  return {
    name: 'dns-queries-per-lookup',
    description: `DNS lookups from pods matching ${options.selector} cost at most ${options.max} queries on average`,
    thresholds: { max: options.max, minSamples },
    evaluate(input) {
      const samples = samplesIn(input, options.selector);
      if (samples.length < minSamples) return tooFew(samples, minSamples, options.selector);
      const queries = samples.reduce((n, s) => n + s.attempt.queries, 0);
      const mean = queries / samples.length;
      // The lookups that answered: their candidate lists show where the queries went.
      const answered = samples.filter((s) => s.attempt.outcome === 'ok');
      const example = (answered[0] ?? samples[0]) as Sample;
      const summary = `${queries} queries for ${samples.length} lookups: ${mean.toFixed(2)} per lookup (e.g. ${example.attempt.name} tried ${example.attempt.candidates.join(', ')})`;
      if (mean <= options.max) return { pass: true, summary, evidence: [] };
      return {
        pass: false,
        summary: `${mean.toFixed(2)} queries per lookup > ${options.max}: ${summary}`,
        evidence: [
          sampleEvidence(
            example,
            `${example.attempt.queries} queries for one lookup of ${example.attempt.name}: ${example.attempt.candidates.join(' → ')}`,
          ),
        ],
      };
    },
  };
}
