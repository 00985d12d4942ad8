/**
 * getaddrinfo for a sim container: what a Node client's `dns.lookup` (libuv → libc getaddrinfo,
 * `hosts: files dns`) does with a host name before it connects, so a SimHost can take names in
 * `http` and `tlsConnect` as a RealHost does.
 *
 * - files: /etc/hosts as the kubelet wrote it for the pod (nss_files: `#` starts a comment, the
 *   first field is the address, the others are the canonical name and aliases, compared without
 *   case, every matching line counts). A match ends the lookup without any DNS query.
 * - dns: the agent's own stub resolver (src/agent/dns, glibc's search list, ndots, A+AAAA and
 *   retries) with the pod's /etc/resolv.conf, over the container's `dnsExchange`: each query goes
 *   through the sim data plane as one from this pod (kube-proxy, NetworkPolicy, NodeLocal, the
 *   CoreDNS replicas' queues and caches), exactly like dnsprobe's.
 * - the address used: the first IPv4 one, else the first IPv6 one. A Node 20 client connects to
 *   the first address getaddrinfo returns (dns.lookup `verbatim`); glibc sorts them by RFC 6724,
 *   which in an IPv4-only cluster puts A records first for every Service and pod name — the only
 *   names with both families are /etc/hosts' `localhost` lines, where glibc would put ::1 first.
 * - failures, as libuv and Node name them (lib/internal/errors.js `dnsException`): no such name
 *   (NXDOMAIN) or no address for it (NODATA) → `getaddrinfo ENOTFOUND <name>`; a timeout,
 *   SERVFAIL, REFUSED or a refused connection (glibc's TRY_AGAIN) → `getaddrinfo EAI_AGAIN <name>`.
 *
 * Node has no DNS cache: every request looks its name up again, and so does this (the parsed
 * resolv.conf is kept, as glibc keeps `_res` while the file does not change; a pod's never does).
 */
import { isIP } from 'node:net'; // a pure address parser: the network is the Host port's
import type { HostClock, HostNetwork } from '../../agent/host.ts';
import { parseResolvConf } from '../../agent/dns/resolv-conf.ts';
import { type LookupResult, StubResolver } from '../../agent/dns/stub-resolver.ts';

/** The getaddrinfo error codes libuv reports and Node passes on as `err.code`. */
export type GetaddrinfoCode = 'ENOTFOUND' | 'EAI_AGAIN';

export type NameLookup =
  | {
      ok: true;
      address: string;
      addresses: string[];
      source: 'literal' | 'files' | 'dns';
      dns?: LookupResult;
    }
  | { ok: false; code: GetaddrinfoCode; dns?: LookupResult };

export interface NameLookupDeps {
  /** The container's network: only `dnsExchange` is used. */
  net: HostNetwork;
  clock: HostClock;
  /** The container's files (/etc/hosts, /etc/resolv.conf). */
  readText(path: string): Promise<string>;
  /** The kernel hostname: its domain is the search list when resolv.conf has none (glibc). */
  hostname: string;
}

/** Addresses /etc/hosts gives `name`, in file order (nss_files `gethostbyname4_r`). */
export function hostsFileAddresses(text: string, name: string): string[] {
  const wanted = name.toLowerCase();
  const found: string[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    const [address, ...names] = line.split(/[ \t\r]+/).filter((f) => f !== '');
    if (address === undefined || isIP(address) === 0) continue;
    if (names.some((n) => n.toLowerCase() === wanted) && !found.includes(address)) found.push(address);
  }
  return found;
}

/** IPv4 first, then IPv6, each in the order given. */
const preferV4 = (addresses: readonly string[]): string[] => [
  ...addresses.filter((a) => isIP(a) === 4),
  ...addresses.filter((a) => isIP(a) !== 4),
];

/** What glibc's getaddrinfo returns for a failed DNS lookup, as Node reports it. */
function failureCode(result: LookupResult): GetaddrinfoCode {
  switch (result.outcome) {
    case 'timeout':
    case 'servfail':
    case 'refused':
      return 'EAI_AGAIN';
    default:
      // nxdomain, nodata (Node folds EAI_NODATA into ENOTFOUND), and a name no query can carry.
      return 'ENOTFOUND';
  }
}

/** The error object Node's `net`/`tls` emit for a failed lookup (what a RealHost's code maps). */
export function getaddrinfoError(code: GetaddrinfoCode, hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
    code,
    errno: code === 'ENOTFOUND' ? -3008 : -3001,
    syscall: 'getaddrinfo',
    hostname,
  });
}

export class ContainerNameLookup {
  private resolver: Promise<StubResolver> | undefined;

  constructor(private readonly deps: NameLookupDeps) {}

  /** getaddrinfo(name, AF_UNSPEC): the address to connect to, or why there is none. */
  async lookup(name: string): Promise<NameLookup> {
    if (isIP(name) !== 0) return { ok: true, address: name, addresses: [name], source: 'literal' };
    const hosts = await this.deps.readText('/etc/hosts').catch(() => '');
    const fromFile = preferV4(hostsFileAddresses(hosts, name));
    if (fromFile[0] !== undefined)
      return { ok: true, address: fromFile[0], addresses: fromFile, source: 'files' };
    const resolver = await this.stubResolver();
    const result = await resolver.lookup(name, { family: 'any' });
    const addresses = preferV4(result.addresses);
    if (result.outcome === 'ok' && addresses[0] !== undefined)
      return { ok: true, address: addresses[0], addresses, source: 'dns', dns: result };
    return { ok: false, code: failureCode(result), dns: result };
  }

  private stubResolver(): Promise<StubResolver> {
    this.resolver ??= this.deps
      .readText('/etc/resolv.conf')
      // No file: glibc's defaults (nameserver 127.0.0.1, ndots:1).
      .catch(() => '')
      .then(
        (text) =>
          new StubResolver(
            this.deps.net,
            this.deps.clock,
            parseResolvConf(text, { hostname: this.deps.hostname }),
          ),
      );
    return this.resolver;
  }
}
