/**
 * The CoreDNS flood fault against the simulated cluster (default topology, time scale 20), through
 * the harness's journalled client as the runner gives it to faults: preflight finds the cluster
 * DNS, inject creates the dnsflood Deployment through the API (rate split across replicas, query
 * types and the imitated app's DNS settings), observe reads CoreDNS's own request counters through
 * the API server's pod proxy and reports the fault only when the flood reached the DNS tier, and
 * revert removes the Deployment.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corednsFlood, corednsRequestsTotal } from '../../src/faults/coredns-flood.ts';
import { type FaultSim, startFaultSim } from '../support/fault-harness.ts';

let sim: FaultSim;

beforeAll(async () => {
  sim = await startFaultSim('faults-dns');
}, 60_000);

afterAll(() => sim?.dispose());

const flood = (ns: string, name = 'dnsflood') =>
  sim.api.read<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });

describe('corednsRequestsTotal', () => {
  it('sums every sample of coredns_dns_requests_total, labels and timestamps or not', () => {
    const text = [
      '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
      '# TYPE coredns_dns_requests_total counter',
      'coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="A",view="",zone="."} 120',
      'coredns_dns_requests_total{family="1",proto="tcp",server="dns://:53",type="AAAA",view="",zone="."} 3 1700000000000',
      'coredns_dns_requests_totally_other 99',
      'coredns_dns_responses_total{plugin="kubernetes",rcode="NOERROR",server="dns://:53",view="",zone="."} 50',
    ].join('\n');
    expect(corednsRequestsTotal(text)).toBe(123);
    expect(corednsRequestsTotal('# nothing here\n')).toBeUndefined();
  });
});

describe('corednsFlood', () => {
  it('preflight finds the cluster DNS (Service kube-system/kube-dns)', async () => {
    const { ctx } = await sim.context('flood-preflight');
    const r = await corednsFlood({ qps: 10 }).preflight!(ctx);
    expect(r.ok, r.summary).toBe(true);
    expect(r.summary).toContain('cluster DNS at 10.96.0.10');
  });

  it('imitates an app (its DNS settings and names); a flood that reaches no DNS server is not observed', async () => {
    const { ctx, revert } = await sim.context('flood-nowhere');
    // An app whose pods use a nameserver nobody answers (an unallocated ClusterIP: dropped in the sim).
    await ctx.kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'flood-nowhere' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            dnsPolicy: 'None',
            dnsConfig: { nameservers: ['10.96.0.99'], options: [{ name: 'timeout', value: '1' }] },
            containers: [
              { name: 'a', image: 'scars-agent:test', args: ['dnsprobe', '--name', 'lost.example.com'] },
            ],
          },
        },
      },
    } as V1Deployment);
    const fault = corednsFlood({ like: 'app', qps: 4, replicas: 1 });
    await fault.inject(ctx);
    const spec = (await flood('flood-nowhere'))?.spec?.template.spec;
    expect(spec?.dnsPolicy).toBe('None');
    expect(spec?.dnsConfig?.nameservers).toEqual(['10.96.0.99']);
    expect(spec?.containers[0]?.args).toEqual(expect.arrayContaining(['--name', 'lost.example.com']));
    await sim.clock.sleep(8_000);
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(false);
    expect(effect.summary).toMatch(
      /^not enough: the flood sent [\d.]+ queries\/s \(target 4 lookups\/s, at least 8 queries\/s\), 0\/s answered/,
    );
    await revert();
  }, 60_000);

  it("creates the flood through the API; CoreDNS's own counters (via the pod proxy) show it reached the server; revert deletes it", async () => {
    const { ctx, revert } = await sim.context('flood-bites');
    const fault = corednsFlood({
      qps: 30,
      replicas: 3,
      names: ['kubernetes.default.svc.cluster.local.'],
      family: '4',
    });
    expect((await fault.observe(ctx)).observed).toBe(false);
    await fault.inject(ctx);
    const d = await flood('flood-bites');
    expect(d?.spec?.replicas).toBe(3);
    const c = d?.spec?.template.spec?.containers[0];
    expect(c?.image).toBe('scars-agent:test');
    expect(c?.args).toEqual(
      expect.arrayContaining([
        'dnsflood',
        '--name',
        'kubernetes.default.svc.cluster.local.',
        '--qps',
        '10',
        '--family',
        '4',
      ]),
    );
    await sim.clock.sleep(12_000);
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(true);
    expect(effect.summary).toMatch(/^CoreDNS received [\d.]+ queries\/s during the flood/);
    expect(effect.summary).toContain('source: coredns_dns_requests_total of 2 replica(s)');
    expect(
      effect.evidence.some((e) => e.ref?.startsWith('Pod/coredns-') && e.ref.endsWith('-n kube-system')),
    ).toBe(true);
    await revert();
    expect(await flood('flood-bites')).toBeUndefined();
  }, 60_000);
});
