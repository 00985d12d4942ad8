/**
 * The cluster zone as CoreDNS's kubernetes plugin answers it (`pods insecure`, `ttl 30`), read
 * from a real registry: Services, EndpointSlices and Namespaces as the API holds them.
 */
import dnsPacket from 'dns-packet';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { RegistryClusterView } from '../../../../src/sim/dataplane/dns/cluster-view.ts';
import { decodeQuery, type DnsAnswer } from '../../../../src/sim/dataplane/dns/dns-message.ts';
import { StubUpstream } from '../../../../src/sim/dataplane/dns/upstream.ts';
import { ClusterZone } from '../../../../src/sim/dataplane/dns/zone.ts';
import { ENDPOINT_SLICES, SERVICES } from '../../../../src/sim/kinds/resources.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';

let ctx: SimContext;
let zone: ClusterZone;
const upstream = new StubUpstream({ 'api.example.com': ['127.0.0.9'] });

const manager = { manager: 'test' };

function service(name: string, spec: Record<string, unknown>, namespace = 'default') {
  ctx.registry.create(
    SERVICES,
    namespace,
    { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec },
    manager,
  );
}

function slice(
  service: string,
  endpoints: { ip: string; ready?: boolean; hostname?: string }[],
  ports: { name: string; port: number; protocol?: string }[] = [],
) {
  ctx.registry.create(
    ENDPOINT_SLICES,
    'default',
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: `${service}-`, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: endpoints.map((e) => ({
        addresses: [e.ip],
        conditions: { ready: e.ready ?? true },
        ...(e.hostname ? { hostname: e.hostname } : {}),
      })),
      ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
    },
    manager,
  );
}

function ask(name: string, type: string): DnsAnswer | undefined {
  const bytes = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as 'A', name }],
  });
  const query = decodeQuery(new Uint8Array(bytes));
  if (!query) throw new Error('bad query');
  return zone.answer(query)?.answer;
}

const datas = (a: DnsAnswer | undefined) => (a?.answers ?? []).map((r) => (r as { data: unknown }).data);

beforeEach(() => {
  ctx = createSimCore({ topology: defaultTopology() });
  zone = new ClusterZone(new RegistryClusterView(ctx.registry), {
    domain: 'cluster.local',
    ttl: 30,
    nameservers: () => ['10.96.0.10'],
    serial: () => 1_700_000_000,
    upstream: (name, type) => upstream.resolve(name, type).answers,
  });
  service('web', { clusterIP: '10.96.5.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
});

describe('Service records', () => {
  it('A for a ClusterIP Service is its ClusterIP, TTL 30, authoritative without recursion', () => {
    const a = ask('web.default.svc.cluster.local', 'A');
    expect(a).toMatchObject({ rcode: 'NOERROR', authoritative: true, recursionAvailable: false });
    expect(a?.answers).toEqual([
      { type: 'A', name: 'web.default.svc.cluster.local', ttl: 30, class: 'IN', data: '10.96.5.5' },
    ]);
  });

  it('names are case-insensitive and answered in the case asked', () => {
    const a = ask('Web.Default.SVC.cluster.LOCAL', 'A');
    expect(datas(a)).toEqual(['10.96.5.5']);
    expect(a?.answers[0]?.name).toBe('Web.Default.SVC.cluster.LOCAL');
  });

  it('AAAA for an existing name is NODATA with the SOA (IPv4-only cluster)', () => {
    const a = ask('web.default.svc.cluster.local', 'AAAA');
    expect(a?.rcode).toBe('NOERROR');
    expect(a?.answers).toEqual([]);
    expect(a?.authorities).toEqual([
      {
        type: 'SOA',
        name: 'cluster.local.',
        ttl: 30,
        class: 'IN',
        data: {
          mname: 'ns.dns.cluster.local.',
          rname: 'hostmaster.cluster.local.',
          serial: 1_700_000_000,
          refresh: 7200,
          retry: 1800,
          expire: 86_400,
          minimum: 30,
        },
      },
    ]);
  });

  it('a missing Service, a missing namespace and a name outside svc/pod are NXDOMAIN with the SOA', () => {
    for (const name of [
      'nope.default.svc.cluster.local',
      'web.nowhere.svc.cluster.local',
      'api.example.com.cluster.local',
      'a.b.c.web.default.svc.cluster.local',
    ]) {
      const a = ask(name, 'A');
      expect(a?.rcode, name).toBe('NXDOMAIN');
      expect(a?.authorities[0]?.type, name).toBe('SOA');
    }
  });

  it('the search-list expansions of an external name are NXDOMAIN', () => {
    for (const suffix of ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'])
      expect(ask(`api.example.com.${suffix}`, 'A')?.rcode, suffix).toBe('NXDOMAIN');
  });

  it('namespace, svc and the apex exist (NODATA); ns.dns is the kube-dns address', () => {
    for (const name of ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'])
      expect(ask(name, 'A'), name).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(datas(ask('ns.dns.cluster.local', 'A'))).toEqual(['10.96.0.10']);
    expect(ask('cluster.local', 'SOA')?.answers[0]?.type).toBe('SOA');
  });

  it('headless: the ready endpoint addresses; none ready is NXDOMAIN', () => {
    service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] });
    slice(
      'db',
      [{ ip: '127.64.1.2' }, { ip: '127.64.1.3', ready: false }, { ip: '127.64.1.4', hostname: 'db-1' }],
      [{ name: 'pg', port: 5432 }],
    );
    expect(datas(ask('db.default.svc.cluster.local', 'A')).sort()).toEqual(['127.64.1.2', '127.64.1.4']);
    expect(datas(ask('db-1.db.default.svc.cluster.local', 'A'))).toEqual(['127.64.1.4']);
    expect(datas(ask('127-64-1-2.db.default.svc.cluster.local', 'A'))).toEqual(['127.64.1.2']);
    service('empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] });
    expect(ask('empty.default.svc.cluster.local', 'A')?.rcode).toBe('NXDOMAIN');
  });

  it('SRV by port name and protocol: the Service as target, its address as additional', () => {
    const r = zone.answer(
      decodeQuery(
        new Uint8Array(
          dnsPacket.encode({
            type: 'query',
            id: 1,
            questions: [{ type: 'SRV', name: '_http._tcp.web.default.svc.cluster.local' }],
          }),
        ),
      ) as NonNullable<ReturnType<typeof decodeQuery>>,
    );
    expect(r?.answer.answers).toEqual([
      {
        type: 'SRV',
        name: '_http._tcp.web.default.svc.cluster.local',
        ttl: 30,
        class: 'IN',
        data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local.' },
      },
    ]);
    expect(r?.answer.additionals).toEqual([
      { type: 'A', name: 'web.default.svc.cluster.local.', ttl: 30, class: 'IN', data: '10.96.5.5' },
    ]);
    expect(ask('_http._udp.web.default.svc.cluster.local', 'SRV')?.rcode).toBe('NXDOMAIN');
    expect(ask('_nope._tcp.web.default.svc.cluster.local', 'SRV')?.rcode).toBe('NXDOMAIN');
  });

  it('SRV of a headless Service: one record per endpoint, weight shared', () => {
    service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] });
    slice('db', [{ ip: '127.64.1.2' }, { ip: '127.64.1.4', hostname: 'db-1' }], [{ name: 'pg', port: 5432 }]);
    const a = ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(datas(a)).toEqual(
      expect.arrayContaining([
        { priority: 0, weight: 50, port: 5432, target: '127-64-1-2.db.default.svc.cluster.local.' },
        { priority: 0, weight: 50, port: 5432, target: 'db-1.db.default.svc.cluster.local.' },
      ]),
    );
  });

  it('ExternalName is a CNAME, followed through the upstream outside the zone', () => {
    service('ext', { type: 'ExternalName', externalName: 'api.example.com' });
    const r = zone.answer(
      decodeQuery(
        new Uint8Array(
          dnsPacket.encode({
            type: 'query',
            id: 1,
            questions: [{ type: 'A', name: 'ext.default.svc.cluster.local' }],
          }),
        ),
      ) as NonNullable<ReturnType<typeof decodeQuery>>,
    );
    expect(r?.upstreamLookups).toBe(1);
    expect(r?.answer.answers.map((x) => [x.type, (x as { data: unknown }).data])).toEqual([
      ['CNAME', 'api.example.com.'],
      ['A', '127.0.0.9'],
    ]);
    service('inner', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' });
    expect(datas(ask('inner.default.svc.cluster.local', 'A'))).toEqual([
      'web.default.svc.cluster.local.',
      '10.96.5.5',
    ]);
  });
});

describe('pod records (pods insecure)', () => {
  it('any well-formed dashed address in an existing namespace answers itself', () => {
    expect(datas(ask('10-1-2-3.default.pod.cluster.local', 'A'))).toEqual(['10.1.2.3']);
    expect(ask('10-1-2.default.pod.cluster.local', 'A')?.rcode).toBe('NXDOMAIN');
    expect(ask('10-1-2-3.nowhere.pod.cluster.local', 'A')?.rcode).toBe('NXDOMAIN');
    expect(ask('10-1-2-3.default.pod.cluster.local', 'AAAA')).toMatchObject({
      rcode: 'NOERROR',
      answers: [],
    });
  });
});

describe('reverse zones', () => {
  it('PTR for a ClusterIP is the Service name; an unknown address falls through to forward', () => {
    expect(datas(ask('5.5.96.10.in-addr.arpa', 'PTR'))).toEqual(['web.default.svc.cluster.local.']);
    expect(ask('9.9.9.9.in-addr.arpa', 'PTR')).toBeUndefined();
  });

  it('names outside the zones are not answered here (forward)', () => {
    expect(ask('api.example.com', 'A')).toBeUndefined();
  });
});
