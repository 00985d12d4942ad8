import { describe, expect, it } from 'vitest';
import { explain, runBuiltInScenario } from '../support/scenario-run.ts';

describe('scenario coredns-flood-nodelocal (sim, with its negative control)', () => {
  it('passes with NodeLocal DNSCache; the control without it fails on DNS latency or retries; nothing is left behind', async () => {
    const { scenario, leftovers } = await runBuiltInScenario('coredns-flood-nodelocal');
    const why = explain(scenario);
    expect(scenario.verdict, why).toBe('passed');
    expect(scenario.control?.verdict, why).toBe('failed');
    expect(leftovers).toEqual([]);

    // The flood bit in both arms, and CoreDNS itself (its coredns_dns_requests_total, read through the
    // API server's pod proxy) received less of it behind the node caches than without them.
    const [mainFlood] = scenario.faults;
    const [controlFlood] = scenario.control?.faults ?? [];
    expect(mainFlood?.observed, why).toBe(true);
    expect(controlFlood?.observed, why).toBe(true);
    const atCoreDns = (summary = '') =>
      Number(/CoreDNS (?:itself )?received ([\d.]+) queries\/s/.exec(summary)?.[1]);
    expect(atCoreDns(controlFlood?.summary), why).toBeGreaterThan(atCoreDns(mainFlood?.summary));
    expect(
      controlFlood?.evidence.some((e) => e.ref?.startsWith('Pod/coredns-')),
      why,
    ).toBe(true);

    // The control fails on what the application saw (slow lookups, queries CoreDNS dropped), named by pod.
    const failed = (scenario.control?.assertions ?? []).filter((a) => !a.pass);
    expect(failed.length, why).toBeGreaterThan(0);
    for (const a of failed) {
      expect(['dns-latency', 'dns-retries', 'dns-failure-rate'], why).toContain(a.name);
      expect(a.evidence[0]?.ref, why).toMatch(/^Pod\/dns-probe-/);
    }
  }, 120_000);
});
