/**
 * The DNS assertions over synthetic timelines: dnsprobe `attempt` lines as the agentLogs observer
 * records them, inside and outside the fault window, from the selected pods and from others.
 */
import { describe, expect, it } from 'vitest';
import type { DnsprobeAttempt } from '../../../src/agent/modes/dnsprobe.ts';
import {
  dnsFailureRate,
  dnsLatency,
  dnsQueriesPerLookup,
  dnsRetries,
  percentile,
} from '../../../src/assertions/dns.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const SELECTOR = 'app=dns-probe';

let seq = 0;
function attempt(
  pod: string,
  over: Partial<DnsprobeAttempt> = {},
  where: { step?: string; selector?: string; t?: number } = {},
): TimelineEvent {
  seq++;
  const line: DnsprobeAttempt & { ts: string; mode: 'dnsprobe' } = {
    ts: '2026-01-01T00:00:00.000Z',
    mode: 'dnsprobe',
    event: 'attempt',
    seq,
    name: 'web',
    outcome: 'ok',
    asExpected: true,
    latencyMs: 4,
    queries: 2,
    addresses: ['10.96.0.20'],
    answeredName: 'web.ns.svc.cluster.local',
    candidates: ['web.ns.svc.cluster.local'],
    rcodes: { NOERROR: 2 },
    timeouts: 0,
    ...over,
  };
  return {
    t: where.t ?? seq * 1000,
    at: '2026-01-01T00:00:00.000Z',
    step: where.step ?? 'hold',
    event: 'agent-line',
    detail: { observer: 'agent-logs', selector: where.selector ?? SELECTOR, pod, line },
  };
}

const input = (timeline: TimelineEvent[]): AssertionInput => ({
  timeline,
  state: { namespace: 'ns', pods: [], events: [], objects: [] },
  faults: [],
});

/** 20 fast lookups from two pods, in the fault window. */
const healthy = () =>
  Array.from({ length: 20 }, (_, i) => attempt(i % 2 ? 'dns-probe-a' : 'dns-probe-b', { latencyMs: 2 + i }));

describe('percentile', () => {
  it('is the nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('dnsLatency', () => {
  it('passes when the p99 of the window is within the bound, naming the pods', () => {
    const r = dnsLatency({ selector: SELECTOR, p99Ms: 100 }).evaluate(input(healthy()));
    expect(r.pass).toBe(true);
    expect(r.summary).toContain('p99 21 ms');
    expect(r.summary).toContain('dns-probe-a, dns-probe-b');
  });

  it('fails on slow lookups and names the pods, attempts and latencies', () => {
    const timeline = [
      ...healthy(),
      attempt('dns-probe-a', { latencyMs: 7200, timeouts: 1, queries: 3 }),
      attempt('dns-probe-b', { latencyMs: 2300 }),
    ];
    const r = dnsLatency({ selector: SELECTOR, p99Ms: 1000 }).evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/^p99 7200 ms > 1000 ms: 2\/22 lookups slower than 1000 ms/);
    expect(r.evidence.map((e) => e.ref)).toEqual(['Pod/dns-probe-a', 'Pod/dns-probe-b']);
    expect(r.evidence[0]).toMatchObject({
      what: 'web: ok after 7200 ms',
      data: { latencyMs: 7200, timeouts: 1 },
    });
  });

  it('with p90Ms, fails when the bulk of lookups is slow even if the tail is within p99Ms', () => {
    const timeline = Array.from({ length: 20 }, (_, i) =>
      attempt('dns-probe-a', { latencyMs: i < 15 ? 10 : 1500 }),
    );
    const lax = dnsLatency({ selector: SELECTOR, p99Ms: 10_000 }).evaluate(input(timeline));
    expect(lax.pass).toBe(true);
    const r = dnsLatency({ selector: SELECTOR, p99Ms: 10_000, p90Ms: 1000 }).evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/^p90 1500 ms > 1000 ms: 5\/20 lookups slower than 1000 ms/);
    expect(r.evidence).toHaveLength(5);
  });

  it('only counts the fault window and the selected pods', () => {
    const timeline = [
      ...healthy(),
      attempt('dns-probe-a', { latencyMs: 9000 }, { step: 'steady-state' }),
      attempt('dns-probe-a', { latencyMs: 9000 }, { step: 'settle' }),
      attempt('other', { latencyMs: 9000 }, { selector: 'app=other' }),
    ];
    expect(dnsLatency({ selector: SELECTOR, p99Ms: 100 }).evaluate(input(timeline)).pass).toBe(true);
  });

  it('fails, saying why, when the window holds too few attempts', () => {
    const r = dnsLatency({ selector: SELECTOR, p99Ms: 100 }).evaluate(input(healthy().slice(0, 3)));
    expect(r.pass).toBe(false);
    expect(r.summary).toContain('only 3 dnsprobe attempt(s)');
  });
});

describe('dnsFailureRate', () => {
  it('passes with no failed lookups', () => {
    const r = dnsFailureRate({ selector: SELECTOR, max: 0.01 }).evaluate(input(healthy()));
    expect(r.pass).toBe(true);
    expect(r.summary).toContain('0/20 lookups failed');
  });

  it('fails above the bound, with the outcomes and the failed attempts as evidence', () => {
    const timeline = [
      ...healthy(),
      attempt('dns-probe-a', { outcome: 'timeout', asExpected: false, latencyMs: 10_000, timeouts: 2 }),
      attempt('dns-probe-b', { outcome: 'servfail', asExpected: false, rcodes: { SERVFAIL: 2 } }),
    ];
    const r = dnsFailureRate({ selector: SELECTOR, max: 0.05 }).evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toContain('2/22 lookups failed (9.1%: {"timeout":1,"servfail":1})');
    expect(r.evidence.map((e) => [e.ref, e.what])).toEqual([
      ['Pod/dns-probe-a', 'web: timeout after 10000 ms'],
      ['Pod/dns-probe-b', 'web: servfail after 4 ms'],
    ]);
  });

  it("judges by the probe's own expectation: an expected NXDOMAIN is no failure", () => {
    const timeline = healthy().map((e) => e);
    timeline.push(attempt('dns-probe-a', { outcome: 'nxdomain', asExpected: true, addresses: [] }));
    expect(dnsFailureRate({ selector: SELECTOR, max: 0 }).evaluate(input(timeline)).pass).toBe(true);
  });
});

describe('dnsQueriesPerLookup', () => {
  it('passes at 2 queries per lookup (A and AAAA of one name)', () => {
    const r = dnsQueriesPerLookup({ selector: SELECTOR, max: 4 }).evaluate(input(healthy()));
    expect(r.pass).toBe(true);
    expect(r.summary).toContain('2.00 per lookup');
  });

  it('fails on the ndots:5 expansion and shows the candidates tried', () => {
    const candidates = [
      'api.example.com.ns.svc.cluster.local',
      'api.example.com.svc.cluster.local',
      'api.example.com.cluster.local',
      'api.example.com',
    ];
    const timeline = Array.from({ length: 10 }, () =>
      attempt('dns-probe-a', { name: 'api.example.com', queries: 8, candidates, outcome: 'nxdomain' }),
    );
    const r = dnsQueriesPerLookup({ selector: SELECTOR, max: 4 }).evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/^8\.00 queries per lookup > 4/);
    expect(r.evidence[0]?.ref).toBe('Pod/dns-probe-a');
    expect(r.evidence[0]?.what).toContain(candidates.join(' → '));
  });
});

describe('dnsRetries', () => {
  it('passes when every query was answered within the resolver timeout, however slow', () => {
    const timeline = [...healthy(), attempt('dns-probe-a', { latencyMs: 4900 })];
    const r = dnsRetries({ selector: SELECTOR, max: 0 }).evaluate(input(timeline));
    expect(r.pass).toBe(true);
    expect(r.summary).toContain('0/21 lookups needed a retry');
  });

  it('fails on lookups whose queries went unanswered, even when the retry succeeded', () => {
    const timeline = [
      ...healthy(),
      attempt('dns-probe-b', { latencyMs: 5400, timeouts: 1, queries: 3 }),
      attempt('dns-probe-a', {
        latencyMs: 10_200,
        timeouts: 2,
        queries: 4,
        outcome: 'timeout',
        asExpected: false,
      }),
    ];
    const r = dnsRetries({ selector: SELECTOR, max: 0.05 }).evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(
      /^retry rate 9\.1% > 5\.0%: 2\/22 lookups needed a retry \(9\.1%, 3 queries unanswered in time\)/,
    );
    expect(r.evidence.map((e) => [e.ref, e.what])).toEqual([
      ['Pod/dns-probe-b', 'web: 1 query unanswered in time, ok after 5400 ms'],
      ['Pod/dns-probe-a', 'web: 2 queries unanswered in time, timeout after 10200 ms'],
    ]);
  });
});
