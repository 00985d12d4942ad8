/**
 * The cluster's zone as CoreDNS 1.11's kubernetes plugin answers it (plugin/kubernetes and
 * plugin/backend_lookup.go), configured as kubeadm does:
 * `kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa; ttl 30 }`.
 *
 * - `<svc>.<ns>.svc.<domain>`: A → the ClusterIP; a headless Service → its ready endpoints'
 *   addresses (from EndpointSlices; none ready → NXDOMAIN); ExternalName → a CNAME (followed
 *   inside the zone, or through the upstream outside it);
 * - `<endpoint>.<svc>.<ns>.svc.<domain>`: one endpoint, by its hostname or dashed address;
 * - `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV (and without the prefix: every port), target
 *   the Service (or each endpoint), weight 100/n, the addresses as additional records;
 * - `<a-b-c-d>.<ns>.pod.<domain>` (`pods insecure`): the address in the name, for any
 *   well-formed name in an existing namespace;
 * - `<ns>.svc.<domain>`, `svc.<domain>`, the apex: NODATA; `ns.dns.<domain>`: the kube-dns address;
 * - a name that exists with no record of the type asked (AAAA in this IPv4-only cluster): NOERROR,
 *   no answers, the SOA in authority; a name that does not exist: NXDOMAIN with the SOA. The SOA is
 *   `<domain> 30 IN SOA ns.dns.<domain>. hostmaster.<domain>. <serial> 7200 1800 86400 30`: TTL
 *   and minimum are the plugin's `ttl`, which is what a cache uses for negative answers;
 * - PTR in in-addr.arpa/ip6.arpa for ClusterIPs and endpoint addresses; anything else there falls
 *   through to `forward` (as every name outside the zones does): the zone returns undefined.
 *
 * Replies are authoritative without recursion available (`flags: qr aa rd`, as dig shows for
 * CoreDNS's own answers). Not modelled: wildcard queries, `endpoint_pod_names`, multicluster,
 * dual-stack Services (only IPv4 ClusterIPs exist in the sim).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ClusterView, ZoneEndpoint, ZoneService } from './cluster-view.ts';
import { type DnsAnswer, type DnsQuery, type DnsRecord, emptyAnswer, normalizeName } from './dns-message.ts';

export interface ZoneOptions {
  /** The cluster domain (kubelet --cluster-domain). */
  domain: string;
  /** The plugin's `ttl` (kubeadm: 30; the plugin's default is 5). */
  ttl: number;
  /** The kube-dns Service's addresses, for `ns.dns.<domain>` and NS answers. */
  nameservers(): string[];
  /** The SOA serial: when the plugin last saw a change (unix seconds). */
  serial(): number;
  /** Resolves a CNAME target outside the zone (the plugin's upstream: the server's own chain). */
  upstream(name: string, type: string): DnsRecord[];
}

/** What the zone answered, and how many upstream lookups that took (ExternalName targets). */
export interface ZoneReply {
  answer: DnsAnswer;
  upstreamLookups: number;
}

/** The DNS schema version the plugin reports at dns-version.<domain> (TXT). */
const DNS_SCHEMA_VERSION = '1.1.0';
const NAME_ERROR = 'nxdomain' as const;

/** One thing a name resolves to (CoreDNS's msg.Service). */
interface Target {
  /** An address, or a name (ExternalName). */
  host: string;
  /** -1: none (a slice without ports). */
  port: number;
  /** The owner name of the record it stands for (SRV target), without the trailing dot. */
  domain: string;
}

interface Request {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: '' | 'svc' | 'pod';
}

const stripUnderscore = (s: string) => (s.startsWith('_') ? s.slice(1) : s);
const matches = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const matchPortAndProtocol = (aPort: string, bPort: string, aProto: string, bProto: string) =>
  (aPort === '' || matches(aPort, bPort)) && (aProto === '' || matches(aProto, bProto));
const fqdn = (name: string) => `${name.replace(/\.$/, '')}.`;

/** parseRequest: `[_port._proto.|endpoint.]service.namespace.(svc|pod)` below the zone. */
function parseRequest(base: string): Request | typeof NAME_ERROR {
  const r: Request = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  const kind = segs.pop() as string;
  if (kind !== 'svc' && kind !== 'pod') return NAME_ERROR;
  r.podOrSvc = kind;
  r.namespace = segs.pop() ?? '';
  r.service = segs.pop() ?? '';
  if (segs.length === 1) r.endpoint = segs[0] as string;
  else if (segs.length === 2) {
    r.port = stripUnderscore(segs[0] as string);
    r.protocol = stripUnderscore(segs[1] as string);
  } else if (segs.length > 2) return NAME_ERROR;
  return r;
}

function endpointHostname(e: ZoneEndpoint): string {
  if (e.hostname) return e.hostname;
  return e.ip.includes('.') ? e.ip.replaceAll('.', '-') : e.ip.replaceAll(':', '-');
}

/** The address a reverse name (`4.3.2.1.in-addr.arpa`, nibbles in ip6.arpa) stands for. */
function addressFromReverse(key: string): string | undefined {
  if (key.endsWith('.in-addr.arpa')) {
    const parts = key.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    const ip = parts.join('.');
    return parts.length === 4 && isIPv4(ip) ? ip : undefined;
  }
  if (key.endsWith('.ip6.arpa')) {
    const nibbles = key.slice(0, -'.ip6.arpa'.length).split('.').reverse();
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return groups.join(':');
  }
  return undefined;
}

export class ClusterZone {
  private readonly zones: string[];

  constructor(
    private readonly view: ClusterView,
    private readonly options: ZoneOptions,
  ) {
    this.zones = [normalizeName(options.domain), 'in-addr.arpa', 'ip6.arpa'];
  }

  get domain(): string {
    return normalizeName(this.options.domain);
  }

  /** The zone of the plugin that `key` falls in (the longest match), or undefined. */
  zoneOf(key: string): string | undefined {
    let best: string | undefined;
    for (const z of this.zones)
      if ((key === z || key.endsWith(`.${z}`)) && (!best || z.length > best.length)) best = z;
    return best;
  }

  /** The plugin's reply, or undefined when the query goes on to `forward` (outside, or fallthrough). */
  answer(query: DnsQuery): ZoneReply | undefined {
    const zoneKey = this.zoneOf(query.key);
    if (!zoneKey) return undefined;
    // The zone as the client spelled it (CoreDNS keeps the case of the question).
    const zone = query.name.slice(query.name.length - zoneKey.length);
    const reverse = zoneKey !== this.domain;
    let upstreamLookups = 0;
    const finish = (
      result: DnsRecord[] | typeof NAME_ERROR,
      extra: DnsRecord[] = [],
    ): ZoneReply | undefined => {
      if (result === NAME_ERROR) {
        // fallthrough in-addr.arpa ip6.arpa: name errors there go on to forward.
        if (reverse) return undefined;
        return { answer: this.withSoa('NXDOMAIN', zone), upstreamLookups };
      }
      if (result.length === 0) return { answer: this.withSoa('NOERROR', zone), upstreamLookups };
      return {
        answer: { ...emptyAnswer('NOERROR', true), answers: result, additionals: extra },
        upstreamLookups,
      };
    };

    switch (query.type) {
      case 'A':
      case 'AAAA': {
        const r = this.addresses(query.name, query.type, zoneKey, []);
        upstreamLookups += r.upstreamLookups;
        return finish(r.records);
      }
      case 'SRV': {
        const found = this.services(query.key, zoneKey);
        if (found === NAME_ERROR) return finish(NAME_ERROR);
        const { records, extra } = this.srv(query.name, found);
        return finish(records, extra);
      }
      case 'PTR':
        return finish(this.ptr(query, zoneKey));
      case 'SOA':
        return finish(query.key === zoneKey ? [this.soa(zone)] : []);
      case 'NS':
        if (query.key === zoneKey) return finish(...this.ns(query.name));
        return finish(this.existence(query.key, zoneKey));
      case 'TXT':
        if (query.key === `dns-version.${zoneKey}`)
          return finish([
            { type: 'TXT', name: query.name, ttl: 28_800, class: 'IN', data: DNS_SCHEMA_VERSION },
          ]);
        return finish(this.existence(query.key, zoneKey));
      case 'CNAME': {
        const found = this.services(query.key, zoneKey);
        if (found === NAME_ERROR) return finish(NAME_ERROR);
        return finish(
          found
            .filter((t) => !isIPv4(t.host) && !isIPv6(t.host))
            .map((t) => this.record('CNAME', query.name, fqdn(t.host))),
        );
      }
      case 'AXFR':
      case 'IXFR':
        return { answer: emptyAnswer('REFUSED', false), upstreamLookups };
      default:
        // A fake A lookup tells NODATA from NXDOMAIN.
        return finish(this.existence(query.key, zoneKey));
    }
  }

  /** NODATA (an empty list) when the name exists, NXDOMAIN otherwise. */
  private existence(key: string, zoneKey: string): DnsRecord[] | typeof NAME_ERROR {
    const found = this.services(key, zoneKey);
    return found === NAME_ERROR ? NAME_ERROR : [];
  }

  private record(type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS', name: string, data: string): DnsRecord {
    return { type, name, ttl: this.options.ttl, class: 'IN', data };
  }

  private soa(zone: string): DnsRecord {
    const ttl = this.options.ttl;
    return {
      type: 'SOA',
      name: fqdn(zone),
      ttl: Math.min(ttl, 300),
      class: 'IN',
      data: {
        mname: `ns.dns.${fqdn(zone)}`,
        rname: `hostmaster.${fqdn(zone)}`,
        serial: this.options.serial(),
        refresh: 7200,
        retry: 1800,
        expire: 86_400,
        minimum: ttl,
      },
    };
  }

  /** BackendError: an empty authoritative reply with the zone's SOA in authority. */
  private withSoa(rcode: 'NOERROR' | 'NXDOMAIN', zone: string): DnsAnswer {
    return { ...emptyAnswer(rcode, true), authorities: [this.soa(zone)] };
  }

  private ns(name: string): [DnsRecord[], DnsRecord[]] {
    const nsName = `ns.dns.${fqdn(name)}`;
    const ips = this.options.nameservers().filter((ip) => isIPv4(ip) || isIPv6(ip));
    if (ips.length === 0) return [[], []];
    return [
      [this.record('NS', name, nsName)],
      ips.map((ip) => this.record(isIPv4(ip) ? 'A' : 'AAAA', nsName, ip)),
    ];
  }

  /** plugin.A / plugin.AAAA, CNAME chains included. */
  private addresses(
    name: string,
    type: 'A' | 'AAAA',
    zoneKey: string,
    previous: DnsRecord[],
  ): { records: DnsRecord[] | typeof NAME_ERROR; upstreamLookups: number } {
    const found = this.services(normalizeName(name), zoneKey);
    if (found === NAME_ERROR) return { records: NAME_ERROR, upstreamLookups: 0 };
    const records: DnsRecord[] = [];
    const seen = new Set<string>();
    let upstreamLookups = 0;
    for (const t of found) {
      if (isIPv4(t.host) || isIPv6(t.host)) {
        const family = isIPv4(t.host) ? 'A' : 'AAAA';
        if (family !== type || seen.has(t.host)) continue;
        seen.add(t.host);
        records.push(this.record(type, name, t.host));
        continue;
      }
      // A CNAME (ExternalName): x CNAME x is a loop; chains stop after 10 links.
      if (normalizeName(t.host) === normalizeName(name) || previous.length > 10) continue;
      const cname = this.record('CNAME', name, fqdn(t.host));
      if (previous.some((p) => p.type === 'CNAME' && p.data === fqdn(t.host))) continue;
      const targetKey = normalizeName(t.host);
      if (targetKey === zoneKey || targetKey.endsWith(`.${zoneKey}`)) {
        const next = this.addresses(t.host, type, zoneKey, [...previous, cname]);
        upstreamLookups += next.upstreamLookups;
        if (next.records !== NAME_ERROR && next.records.length > 0) records.push(cname, ...next.records);
        continue;
      }
      upstreamLookups++;
      records.push(cname, ...this.options.upstream(fqdn(t.host), type));
    }
    return { records, upstreamLookups };
  }

  /** plugin.SRV: weight 100 shared among the records, additional addresses for the targets. */
  private srv(name: string, found: Target[]): { records: DnsRecord[]; extra: DnsRecord[] } {
    const weight = Math.floor(100 / Math.max(1, found.length));
    const records: DnsRecord[] = [];
    const extra: DnsRecord[] = [];
    const seen = new Set<string>();
    for (const t of found) {
      if (t.port === -1) continue;
      const isAddress = isIPv4(t.host) || isIPv6(t.host);
      const target = isAddress ? fqdn(t.domain) : fqdn(t.host);
      const key = `${target.toLowerCase()}:${t.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      records.push({
        type: 'SRV',
        name,
        ttl: this.options.ttl,
        class: 'IN',
        data: { priority: 0, weight, port: t.port, target },
      });
      if (isAddress) extra.push(this.record(isIPv4(t.host) ? 'A' : 'AAAA', target, t.host));
    }
    return { records, extra };
  }

  /** plugin.PTR through the plugin's Reverse: ClusterIPs first, then endpoint addresses. */
  private ptr(query: DnsQuery, zoneKey: string): DnsRecord[] | typeof NAME_ERROR {
    const ip = addressFromReverse(query.key);
    if (!ip) {
      const found = this.services(query.key, zoneKey);
      return found === NAME_ERROR ? NAME_ERROR : [];
    }
    const domain = this.domain;
    const services = this.view.servicesWithClusterIP(ip);
    const first = services[0];
    if (first)
      return [
        this.record('PTR', query.name, `${first.metadata.name}.${first.metadata.namespace}.svc.${domain}.`),
      ];
    const seen = new Set<string>();
    const out: DnsRecord[] = [];
    for (const { service, endpoint } of this.view.endpointsWithIP(ip)) {
      const target = `${endpointHostname(endpoint)}.${service.metadata.name}.${service.metadata.namespace}.svc.${domain}.`;
      if (seen.has(target)) continue;
      seen.add(target);
      out.push(this.record('PTR', query.name, target));
    }
    return out.length > 0 ? out : NAME_ERROR;
  }

  /** Kubernetes.Services + Records: what a name below the zone stands for. */
  private services(key: string, zoneKey: string): Target[] | typeof NAME_ERROR {
    if (zoneKey !== this.domain) {
      // Reverse zones hold only PTR records (answered above).
      return NAME_ERROR;
    }
    if (key === `ns.dns.${zoneKey}`)
      return this.options.nameservers().map((ip) => ({ host: ip, port: -1, domain: key }));
    const base = key === zoneKey ? '' : key.slice(0, -(zoneKey.length + 1));
    const r = parseRequest(base);
    if (r === NAME_ERROR) return NAME_ERROR;
    if (r.podOrSvc === '') return [];
    if (!this.view.namespaceExists(r.namespace)) return NAME_ERROR;
    if (r.podOrSvc === 'pod') return this.pods(r, zoneKey);
    return this.findServices(r, zoneKey);
  }

  /** findPods in `pods insecure` mode: the address in the name, no check against pods. */
  private pods(r: Request, zoneKey: string): Target[] | typeof NAME_ERROR {
    if (r.service === '') return [];
    const name = r.service;
    const ip =
      (name.match(/-/g) ?? []).length === 3 && !name.includes('--')
        ? name.replaceAll('-', '.')
        : name.replaceAll('-', ':');
    if (!isIPv4(ip) && !isIPv6(ip)) return NAME_ERROR;
    return [{ host: ip, port: -1, domain: `${name}.${r.namespace}.pod.${zoneKey}` }];
  }

  private findServices(r: Request, zoneKey: string): Target[] | typeof NAME_ERROR {
    if (r.service === '') return [];
    const svc: ZoneService | undefined = this.view.service(r.namespace, r.service);
    if (!svc) return NAME_ERROR;
    const name = svc.metadata.name ?? r.service;
    const namespace = svc.metadata.namespace ?? r.namespace;
    const spec = svc.spec ?? {};
    const svcDomain = `${name}.${namespace}.svc.${zoneKey}`;
    if (spec.type === 'ExternalName') {
      // No endpoints, and no port or protocol labels, for an ExternalName Service.
      if (r.endpoint !== '' || r.port !== '' || r.protocol !== '' || !spec.externalName) return NAME_ERROR;
      return [{ host: spec.externalName.replace(/\.$/, ''), port: 0, domain: svcDomain }];
    }
    const out: Target[] = [];
    if (spec.clusterIP === 'None' || r.endpoint !== '') {
      for (const e of this.view.endpoints(namespace, name)) {
        const hostname = endpointHostname(e);
        if (r.endpoint !== '' && !matches(r.endpoint, hostname)) continue;
        const ports = e.ports.length > 0 ? e.ports : [{ name: '', port: -1, protocol: '' }];
        for (const p of ports) {
          if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
          out.push({ host: e.ip, port: p.port, domain: `${hostname}.${svcDomain}` });
        }
      }
      return out.length > 0 ? out : NAME_ERROR;
    }
    const clusterIPs = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    let matched = false;
    for (const p of spec.ports ?? []) {
      if (!matchPortAndProtocol(r.port, p.name ?? '', r.protocol, p.protocol ?? 'TCP')) continue;
      matched = true;
      for (const ip of clusterIPs) out.push({ host: ip, port: p.port, domain: svcDomain });
    }
    return matched ? out : NAME_ERROR;
  }
}
