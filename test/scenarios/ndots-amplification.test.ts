import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario ndots-amplification (sim, with its negative control)', () => {
  it('passes with the absolute name (2 queries a lookup); the ndots:5 control (8 a lookup) saturates CoreDNS and fails; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('ndots-amplification');
    const why = explain(scenario);
    expect(scenario.verdict, why).toBe('passed');
    expect(scenario.control?.verdict, why).toBe('failed');
    expect(leftovers).toEqual([]);

    // The peak reached CoreDNS in both arms, counted by CoreDNS itself.
    for (const f of [...scenario.faults, ...(scenario.control?.faults ?? [])]) {
      expect(f.observed, why).toBe(true);
      expect(f.summary, why).toContain('source: coredns_dns_requests_total');
    }
    const main = new Map(scenario.assertions.map((a) => [a.name, a]));
    const control = new Map(scenario.control?.assertions.map((a) => [a.name, a]) ?? []);
    expect(main.get('dns-queries-per-lookup')?.summary, why).toContain('2.00 per lookup');
    // The control's evidence is the search-list expansion itself, and the slow lookups it caused.
    // 8 a lookup (A and AAAA for 3 search suffixes and the name), more with the retries of dropped queries.
    const perLookup = Number(
      /^([\d.]+) queries per lookup/.exec(control.get('dns-queries-per-lookup')?.summary ?? '')?.[1],
    );
    expect(perLookup, why).toBeGreaterThanOrEqual(8);
    expect(control.get('dns-queries-per-lookup')?.evidence[0]?.what, why).toContain(
      'api.example.com.svc.cluster.local → api.example.com.cluster.local → api.example.com',
    );
    expect(control.get('dns-latency')?.pass, why).toBe(false);
  }, 120_000);
});
