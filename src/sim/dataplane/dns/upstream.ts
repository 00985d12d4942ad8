/**
 * The resolver behind `forward . /etc/resolv.conf`. A CoreDNS pod has dnsPolicy Default, so it
 * forwards to the node's resolver — on kind the docker network's gateway, in the sim 127.18.0.1,
 * where nothing may ever be sent. So the upstream is a stub inside the sim: it knows the names
 * it is given (`records`: name → addresses; IPv4 answer A, IPv6 answer AAAA) and answers
 * NXDOMAIN for everything else, with the root zone's SOA as a recursive resolver passes it on
 * (so negative answers are cacheable, as real ones are). Nothing leaves the machine.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type DnsAnswer, type DnsRecord, emptyAnswer, normalizeName } from './dns-message.ts';

/** TTL of the stub's positive answers (a typical authoritative TTL; `cache 30` caps it). */
export const UPSTREAM_TTL = 300;

/** The root zone's SOA, as it comes back with an NXDOMAIN from the internet. */
function rootSoa(): DnsRecord {
  return {
    type: 'SOA',
    name: '.',
    ttl: 86_400,
    class: 'IN',
    data: {
      mname: 'a.root-servers.net.',
      rname: 'nstld.verisign-grs.com.',
      serial: 2024_01_01_00,
      refresh: 1800,
      retry: 900,
      expire: 604_800,
      minimum: 86_400,
    },
  };
}

export class StubUpstream {
  private records = new Map<string, string[]>();

  constructor(records: Record<string, string[]> = {}) {
    this.set(records);
  }

  set(records: Record<string, string[]>): void {
    this.records = new Map(Object.entries(records).map(([name, ips]) => [normalizeName(name), [...ips]]));
  }

  /** What a recursive resolver answers for `name`/`type` (name as asked, with or without its dot). */
  resolve(name: string, type: string): DnsAnswer {
    const owner = `${name.replace(/\.$/, '')}.`;
    const ips = this.records.get(normalizeName(name));
    if (!ips)
      return { ...emptyAnswer('NXDOMAIN', false), recursionAvailable: true, authorities: [rootSoa()] };
    const family = type === 'A' ? isIPv4 : type === 'AAAA' ? isIPv6 : undefined;
    const answers: DnsRecord[] = family
      ? ips
          .filter((ip) => family(ip))
          .map((ip) => ({
            type: type as 'A' | 'AAAA',
            name: owner,
            ttl: UPSTREAM_TTL,
            class: 'IN',
            data: ip,
          }))
      : [];
    if (answers.length === 0)
      return { ...emptyAnswer('NOERROR', false), recursionAvailable: true, authorities: [rootSoa()] };
    return { ...emptyAnswer('NOERROR', false), recursionAvailable: true, answers };
  }
}
