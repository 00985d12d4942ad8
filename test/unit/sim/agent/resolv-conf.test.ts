/**
 * The pod's resolv.conf and hosts files as the kubelet forms them; cases from upstream's
 * pkg/kubelet/network/dns/dns_test.go where they apply.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { SimPod } from '../../../../src/sim/kinds/pod.ts';
import { containerHostname, podHostname, podHostsFile } from '../../../../src/sim/kubelet/etc-hosts.ts';
import {
  formatResolvConf,
  type KubeletDnsConfig,
  mergeDnsOptions,
  parseResolvConf,
  podDns,
  podResolvConf,
} from '../../../../src/sim/kubelet/resolv-conf.ts';

const pod = (spec: Partial<PodSpec> = {}, name = 'web-0', namespace = 'shop'): SimPod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app' }], ...spec },
  }) as SimPod;

describe('parseResolvConf (TestParseResolvConf)', () => {
  it.each([
    ['', [], [], []],
    ['#comment\n', [], [], []],
    ['nameserver 1.2.3.4', ['1.2.3.4'], [], []],
    [' nameserver 1.2.3.4', ['1.2.3.4'], [], []],
    ['nameserver \t 1.2.3.4', ['1.2.3.4'], [], []],
    ['nameserver 1.2.3.4\nnameserver 5.6.7.8', ['1.2.3.4', '5.6.7.8'], [], []],
    ['nameserver 1.2.3.4 #comment', ['1.2.3.4'], [], []],
    ['search ', [], [], []],
    ['search foo. bar', [], ['foo', 'bar'], []],
    ['search foo\nsearch bar', [], ['bar'], []],
    ['nameserver 1.2.3.4\nsearch foo\nnameserver 5.6.7.8\nsearch bar', ['1.2.3.4', '5.6.7.8'], ['bar'], []],
    ['options ndots:1\noptions ndots:5 attempts:3', [], [], ['ndots:5', 'attempts:3']],
  ])('%j', (text, servers, searches, options) => {
    expect(parseResolvConf(text)).toEqual({ servers, searches, options });
  });
});

describe('mergeDnsOptions (TestMergeDNSOptions)', () => {
  it('keeps existing options and appends new ones', () => {
    expect(mergeDnsOptions(['ndots:5', 'debug'], [])).toEqual(['ndots:5', 'debug']);
    expect(
      mergeDnsOptions(['ndots:5', 'debug'], [{ name: 'single-request' }, { name: 'attempts', value: '3' }]),
    ).toEqual(['ndots:5', 'debug', 'single-request', 'attempts:3']);
  });
  it('the pod wins by name', () => {
    expect(
      mergeDnsOptions(
        ['ndots:5', 'debug'],
        [
          { name: 'ndots', value: '3' },
          { name: 'debug' },
          { name: 'single-request' },
          { name: 'attempts', value: '3' },
        ],
      ),
    ).toEqual(['ndots:3', 'debug', 'single-request', 'attempts:3']);
  });
});

describe('podDns', () => {
  const config: KubeletDnsConfig = {
    clusterDNS: ['10.0.0.10'],
    clusterDomain: 'kubernetes.io',
    hostResolvConf: 'nameserver 8.8.8.8\nsearch host.domain\n',
  };
  const dnsConfig = {
    nameservers: ['10.0.0.11'],
    searches: ['my.domain'],
    options: [{ name: 'ndots', value: '3' }, { name: 'debug' }],
  };

  it('the sim default: cluster DNS, the namespace search path, ndots:5', () => {
    expect(podResolvConf(pod())).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('Default uses the node resolver', () => {
    expect(podResolvConf(pod({ dnsPolicy: 'Default' }))).toBe('nameserver 127.18.0.1\n');
  });

  it('ClusterFirst on the host network falls back to Default; ClusterFirstWithHostNet does not', () => {
    expect(podDns(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirst' }), config).dns).toEqual({
      servers: ['8.8.8.8'],
      searches: ['host.domain'],
      options: [],
    });
    expect(
      podDns(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), config).dns.servers,
    ).toEqual(['10.0.0.10']);
  });

  // TestGetPodDNSCustom
  it('None without dnsConfig is empty', () => {
    const { dns } = podDns(pod({ dnsPolicy: 'None' }), config);
    expect(dns).toEqual({ servers: [], searches: [], options: [] });
    expect(formatResolvConf(dns)).toBe('');
  });
  it('None with dnsConfig is the dnsConfig', () => {
    expect(
      podDns(
        pod({
          dnsPolicy: 'None',
          dnsConfig: { ...dnsConfig, nameservers: ['203.0.113.1'], searches: ['my.domain', 'second.domain'] },
        }),
        config,
      ).dns,
    ).toEqual({
      servers: ['203.0.113.1'],
      searches: ['my.domain', 'second.domain'],
      options: ['ndots:3', 'debug'],
    });
  });
  it('ClusterFirst merges dnsConfig after the cluster settings', () => {
    expect(podDns(pod({ dnsPolicy: 'ClusterFirst', dnsConfig }, 'p', 'testNS'), config).dns).toEqual({
      servers: ['10.0.0.10', '10.0.0.11'],
      searches: [
        'testNS.svc.kubernetes.io',
        'svc.kubernetes.io',
        'kubernetes.io',
        'host.domain',
        'my.domain',
      ],
      options: ['ndots:3', 'debug'],
    });
  });
  it('ClusterFirstWithHostNet on the host network merges the same way', () => {
    expect(
      podDns(
        pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', dnsConfig }, 'p', 'testNS'),
        config,
      ).dns.searches,
    ).toEqual(['testNS.svc.kubernetes.io', 'svc.kubernetes.io', 'kubernetes.io', 'host.domain', 'my.domain']);
  });
  it('Default merges dnsConfig after the node settings', () => {
    expect(podDns(pod({ dnsPolicy: 'Default', dnsConfig }), config).dns).toEqual({
      servers: ['8.8.8.8', '10.0.0.11'],
      searches: ['host.domain', 'my.domain'],
      options: ['ndots:3', 'debug'],
    });
  });
  it('duplicates are dropped', () => {
    const { dns } = podDns(
      pod({ dnsConfig: { nameservers: ['10.96.0.10'], searches: ['svc.cluster.local'] } }),
    );
    expect(dns.servers).toEqual(['10.96.0.10']);
    expect(dns.searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });
  it('with --resolv-conf="" Default pods get 127.0.0.1 and search "."', () => {
    const noResolv = { ...config, hostResolvConf: undefined };
    expect(podDns(pod({ dnsPolicy: 'Default' }), noResolv, ['127.18.0.2']).dns).toEqual({
      servers: ['127.0.0.1'],
      searches: ['.'],
      options: [],
    });
  });

  // TestFormDNSNameserversFitsLimits
  it('keeps 3 nameservers and reports the cut', () => {
    const three = podDns(
      pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['127.0.0.1', '10.0.0.10', '8.8.8.8'] } }),
    );
    expect(three.warnings).toEqual([]);
    const four = podDns(
      pod({
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['127.0.0.1', '10.0.0.10', '8.8.8.8', '1.2.3.4'] },
      }),
    );
    expect(four.dns.servers).toEqual(['127.0.0.1', '10.0.0.10', '8.8.8.8']);
    expect(four.warnings).toEqual([
      'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 127.0.0.1 10.0.0.10 8.8.8.8',
    ]);
  });

  // TestFormDNSSearchFitsLimits (ExpandedDNSConfig, GA since 1.28)
  const searchesOf = (searches: string[]) => podDns(pod({ dnsPolicy: 'None', dnsConfig: { searches } }));
  it('drops search paths over 253 characters', () => {
    const r = searchesOf(['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'B'.repeat(256), 'BBB']);
    expect(r.dns.searches).toEqual(['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'BBB']);
    expect(r.warnings).toEqual([
      'Search Line limits were exceeded, some search paths have been omitted, the applied search line is: testNS.svc.TEST svc.TEST TEST AAA BBB',
    ]);
  });
  // Upstream's list repeats one string; distinct ones here, since dnsConfig searches are de-duplicated first.
  const list2048 = [
    'A'.repeat(128),
    ...Array.from({ length: 15 }, (_, i) => String.fromCharCode(66 + i).repeat(127)),
  ];
  it('a search line of 2048 characters is kept; one more domain is cut', () => {
    expect(list2048.join(' ').length).toBe(2048);
    expect(searchesOf(list2048)).toEqual({
      dns: expect.objectContaining({ searches: list2048 }),
      warnings: [],
    });
    const over = searchesOf([...list2048, 'B']);
    expect(over.dns.searches).toEqual(list2048);
    expect(over.warnings).toHaveLength(1);
  });
  it('keeps 32 search paths', () => {
    const names = Array.from({ length: 33 }, (_, i) => `d${i + 1}`);
    expect(searchesOf(names.slice(0, 32)).warnings).toEqual([]);
    const over = searchesOf(names);
    expect(over.dns.searches).toEqual(names.slice(0, 32));
    expect(over.warnings[0]).toMatch(/applied search line is: d1 d2 .* d32$/);
  });
});

describe('hostname and /etc/hosts', () => {
  const identity = { podIP: '127.64.1.7', nodeName: 'scars-worker', nodeIP: '127.18.0.3' };
  it('a plain pod', () => {
    expect(podHostsFile(pod(), identity)).toBe(
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n127.64.1.7\tweb-0\n',
    );
    expect(containerHostname(pod(), identity)).toBe('web-0');
  });
  it('hostname, subdomain and host aliases', () => {
    const p = pod({
      hostname: 'db',
      subdomain: 'backend',
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }],
    });
    expect(podHostsFile(p, identity)).toMatch(
      /\n127\.64\.1\.7\tdb\.backend\.shop\.svc\.cluster\.local\tdb\n\n# Entries added by HostAliases\.\n10\.1\.2\.3\tfoo\.remote\tbar\.remote\n$/,
    );
    expect(containerHostname(p, identity)).toBe('db');
    expect(
      containerHostname({ ...p, spec: { ...p.spec!, setHostnameAsFQDN: true } } as SimPod, identity),
    ).toBe('db.backend.shop.svc.cluster.local');
  });
  it('hostNetwork pods see the node', () => {
    const p = pod({ hostNetwork: true });
    expect(containerHostname(p, identity)).toBe('scars-worker');
    expect(podHostsFile(p, identity)).toMatch(
      /^127\.0\.0\.1\tlocalhost\n[\s\S]*\n127\.18\.0\.3\tscars-worker\n$/,
    );
  });
  it('long names are cut to 63 characters without a trailing dash', () => {
    expect(podHostname(pod({}, `${'a'.repeat(62)}-bcd`))).toBe('a'.repeat(62));
  });
});
