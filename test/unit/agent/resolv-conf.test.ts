import { describe, expect, it } from 'vitest';
import {
  parseNameserver,
  parseResolvConf,
  RESOLV_CONF_DEFAULTS,
  withOverrides,
} from '../../../src/agent/dns/resolv-conf.ts';
import { searchCandidates } from '../../../src/agent/dns/stub-resolver.ts';

const POD_RESOLV_CONF = `search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
`;

describe('parseResolvConf', () => {
  it('reads what the kubelet writes for a ClusterFirst pod', () => {
    const conf = parseResolvConf(POD_RESOLV_CONF);
    expect(conf.nameservers).toEqual([{ address: '10.96.0.10', port: 53 }]);
    expect(conf.search).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    expect(conf.ndots).toBe(5);
    expect(conf.timeoutMs).toBe(5000);
    expect(conf.attempts).toBe(2);
  });

  it('keeps glibc defaults for an empty file: 127.0.0.1, ndots 1, timeout 5s, 2 attempts', () => {
    expect(parseResolvConf('')).toEqual({ ...RESOLV_CONF_DEFAULTS });
  });

  it('takes at most three nameservers, v4 and v6, skipping ones that do not parse', () => {
    const conf = parseResolvConf(
      [
        'nameserver 10.0.0.1',
        'nameserver not-an-ip',
        'nameserver fe80::1%eth0',
        'nameserver ::1',
        'nameserver 10.0.0.4',
      ].join('\n'),
    );
    expect(conf.nameservers.map((n) => n.address)).toEqual(['10.0.0.1', 'fe80::1%eth0', '::1']);
  });

  it('lets the last search or domain line win', () => {
    expect(parseResolvConf('search a b\ndomain c.example\n').search).toEqual(['c.example']);
    expect(parseResolvConf('domain c.example\nsearch a b\n').search).toEqual(['a', 'b']);
    expect(parseResolvConf('search a b\nsearch\n').search).toEqual(['a', 'b']);
  });

  it('parses options and caps the numbers as glibc does', () => {
    const conf = parseResolvConf(
      'options ndots:20 timeout:60 attempts:9 rotate single-request single-request-reopen use-vc edns0 no-tld-query no-aaaa debug\n',
    );
    expect(conf).toMatchObject({
      ndots: 15,
      timeoutMs: 30_000,
      attempts: 5,
      rotate: true,
      singleRequest: true,
      singleRequestReopen: true,
      useVc: true,
      edns0: true,
      noTldQuery: true,
      noAaaa: true,
    });
    expect(parseResolvConf('options timeout:0 attempts:0 ndots:0').timeoutMs).toBe(1000);
    expect(parseResolvConf('options timeout:0 attempts:0 ndots:0').attempts).toBe(1);
    expect(parseResolvConf('options timeout:0 attempts:0 ndots:0').ndots).toBe(0);
  });

  it('treats only line-initial # and ; as comments and needs a blank after the keyword', () => {
    const conf = parseResolvConf(
      [
        '# nameserver 10.0.0.9',
        '; search nope',
        '  nameserver 10.0.0.8',
        'nameserver\t10.0.0.1',
        'searchx a',
        'options\tndots:3',
      ].join('\n'),
    );
    expect(conf.nameservers).toEqual([{ address: '10.0.0.1', port: 53 }]);
    expect(conf.search).toEqual([]);
    expect(conf.ndots).toBe(3);
  });

  it("uses the hostname's domain as the search list when the file has none", () => {
    expect(parseResolvConf('nameserver 10.0.0.1', { hostname: 'node1.corp.example' }).search).toEqual([
      'corp.example',
    ]);
    expect(parseResolvConf('nameserver 10.0.0.1', { hostname: 'web-7f9c' }).search).toEqual([]);
    expect(parseResolvConf('search a', { hostname: 'node1.corp.example' }).search).toEqual(['a']);
  });
});

describe('parseNameserver and overrides', () => {
  it('accepts addresses with optional ports', () => {
    expect(parseNameserver('10.96.0.10')).toEqual({ address: '10.96.0.10', port: 53 });
    expect(parseNameserver('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseNameserver('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseNameserver('[::1]:5353')).toEqual({ address: '::1', port: 5353 });
    expect(parseNameserver('[::1]')).toEqual({ address: '::1', port: 53 });
    expect(parseNameserver('kube-dns')).toBeUndefined();
    expect(parseNameserver('127.0.0.1:99999')).toBeUndefined();
    expect(parseNameserver('[10.0.0.1]:53')).toBeUndefined();
  });

  it('replaces what the flags name and applies extra options', () => {
    const conf = withOverrides(parseResolvConf(POD_RESOLV_CONF), {
      nameservers: [{ address: '127.0.0.1', port: 5353 }],
      ndots: 2,
      timeoutMs: 200,
      options: ['rotate', 'attempts:3'],
    });
    expect(conf).toMatchObject({
      nameservers: [{ address: '127.0.0.1', port: 5353 }],
      search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 2,
      timeoutMs: 200,
      attempts: 3,
      rotate: true,
    });
  });
});

describe('searchCandidates (glibc order when every candidate is NXDOMAIN)', () => {
  const conf = parseResolvConf(POD_RESOLV_CONF);

  it('tries an external name through the cluster suffixes first under ndots:5', () => {
    expect(searchCandidates('api.example.com', conf)).toEqual([
      'api.example.com.shop.svc.cluster.local',
      'api.example.com.svc.cluster.local',
      'api.example.com.cluster.local',
      'api.example.com',
    ]);
  });

  it('tries a trailing-dot name once', () => {
    expect(searchCandidates('api.example.com.', conf)).toEqual(['api.example.com.']);
  });

  it('tries a name with at least ndots dots as is first', () => {
    expect(searchCandidates('api.example.com', { ...conf, ndots: 2 })).toEqual([
      'api.example.com',
      'api.example.com.shop.svc.cluster.local',
      'api.example.com.svc.cluster.local',
      'api.example.com.cluster.local',
    ]);
  });

  it('tries a short service name under each suffix, then as is (unless no-tld-query)', () => {
    expect(searchCandidates('web', conf)).toEqual([
      'web.shop.svc.cluster.local',
      'web.svc.cluster.local',
      'web.cluster.local',
      'web',
    ]);
    expect(searchCandidates('web', { ...conf, noTldQuery: true })).toHaveLength(3);
  });

  it('does not repeat the name as is when the root is on the search list', () => {
    expect(searchCandidates('web', { ...conf, search: ['a.example', '.'] })).toEqual([
      'web.a.example',
      'web.',
    ]);
  });
});
