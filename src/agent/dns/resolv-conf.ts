/**
 * resolv.conf as glibc reads it (resolv/res_init.c), so the agent's stub resolver sends what a
 * glibc program in the same pod would send: the kubelet writes `nameserver`, `search` and
 * `options ndots:5` into every ClusterFirst pod, and those three lines decide how many queries
 * one lookup costs.
 *
 * glibc's rules kept here: a keyword counts only at the very start of a line followed by a space
 * or tab (indented lines and inline comments are not special, lines starting with `#` or `;` are
 * comments); at most 3 nameservers, later ones ignored, unparsable ones skipped; `search` and
 * `domain` replace each other, the last one wins; numeric options are capped (ndots 15, timeout
 * 30, attempts 5); with no nameserver line the resolver asks 127.0.0.1; with no search or domain
 * line the search list is the domain part of the hostname. Not modelled: the RES_OPTIONS and
 * LOCALDOMAIN environment overrides, `sortlist`, and options that do not change what is sent
 * (debug, inet6, trust-ad, no-reload).
 */
import { isIP } from 'node:net'; // a pure address parser: nothing here touches the network
import type { Endpoint } from '../host.ts';

export const DNS_PORT = 53;
/** glibc's MAXNS. */
export const MAX_NAMESERVERS = 3;
/** glibc's RES_MAXNDOTS, RES_MAXRETRANS (seconds) and RES_MAXRETRY. */
const MAX_NDOTS = 15;
const MAX_TIMEOUT_SECONDS = 30;
const MAX_ATTEMPTS = 5;

export interface ResolvConf {
  nameservers: Endpoint[];
  /** Suffixes tried in order, without trailing dots unless the file had them. */
  search: string[];
  /** A name with at least this many dots is tried as is before the search list. */
  ndots: number;
  /** How long to wait for each reply (the file says seconds; flags may say less). */
  timeoutMs: number;
  /** Rounds over all nameservers per query. */
  attempts: number;
  /** Start each query at the next nameserver instead of always the first. */
  rotate: boolean;
  /** Send A, wait for its reply, then send AAAA (instead of both at once). */
  singleRequest: boolean;
  /** As single-request, on a new socket for the second query (the conntrack race workaround). */
  singleRequestReopen: boolean;
  /** TCP for every query. */
  useVc: boolean;
  /** Add an EDNS0 OPT record (1200-byte UDP payload, as glibc). */
  edns0: boolean;
  /** Never query a dotless name as is after the search list. */
  noTldQuery: boolean;
  /** Send no AAAA queries (glibc 2.36+). */
  noAaaa: boolean;
}

export const RESOLV_CONF_DEFAULTS: Readonly<ResolvConf> = Object.freeze({
  nameservers: [{ address: '127.0.0.1', port: DNS_PORT }],
  search: [],
  ndots: 1,
  timeoutMs: 5000,
  attempts: 2,
  rotate: false,
  singleRequest: false,
  singleRequestReopen: false,
  useVc: false,
  edns0: false,
  noTldQuery: false,
  noAaaa: false,
});

export interface ParseResolvConfOptions {
  /** The host's name: its domain part is the search list when the file has none (glibc). */
  hostname?: string;
}

const WORD_SEPARATOR = /[ \t]+/;

/** `keyword` at the start of the line followed by a space or tab, as glibc's MATCH macro. */
function valueAfter(line: string, keyword: string): string[] | undefined {
  if (!line.startsWith(keyword)) return undefined;
  const next = line[keyword.length];
  if (next !== ' ' && next !== '\t') return undefined;
  return line
    .slice(keyword.length)
    .split(WORD_SEPARATOR)
    .filter((w) => w !== '');
}

/** An IP literal as resolv.conf allows it: v4, or v6 with an optional `%zone`. */
function nameserverAddress(word: string): string | undefined {
  if (isIP(word) === 4) return word;
  const [address] = word.split('%');
  return address !== undefined && isIP(address) === 6 ? word : undefined;
}

/** glibc's atoi: leading digits, 0 when there are none. */
function leadingInt(text: string): number {
  const m = /^\d+/.exec(text);
  return m ? Number(m[0]) : 0;
}

/**
 * Applies `options` words to a configuration; unknown words are ignored, as glibc does. The
 * `--resolv-options` flag goes through here too, so it accepts exactly what the file does.
 */
export function applyResolvOptions(conf: ResolvConf, words: readonly string[]): void {
  for (const word of words) {
    if (word.startsWith('ndots:')) conf.ndots = Math.min(leadingInt(word.slice(6)), MAX_NDOTS);
    else if (word.startsWith('timeout:'))
      // glibc waits at least a second (send_dg: `if (seconds <= 0) seconds = 1`).
      conf.timeoutMs = Math.max(1, Math.min(leadingInt(word.slice(8)), MAX_TIMEOUT_SECONDS)) * 1000;
    else if (word.startsWith('attempts:'))
      // attempts:0 would make glibc send nothing at all; one round is the useful reading.
      conf.attempts = Math.max(1, Math.min(leadingInt(word.slice(9)), MAX_ATTEMPTS));
    else if (word === 'rotate') conf.rotate = true;
    else if (word === 'single-request') conf.singleRequest = true;
    else if (word === 'single-request-reopen') conf.singleRequestReopen = true;
    else if (word === 'use-vc') conf.useVc = true;
    else if (word === 'edns0') conf.edns0 = true;
    else if (word === 'no-tld-query') conf.noTldQuery = true;
    else if (word === 'no-aaaa') conf.noAaaa = true;
  }
}

/** Parses resolv.conf text into the configuration glibc would run with. */
export function parseResolvConf(text: string, options: ParseResolvConfOptions = {}): ResolvConf {
  const conf: ResolvConf = { ...RESOLV_CONF_DEFAULTS, nameservers: [], search: [] };
  let searchSet = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const domain = valueAfter(line, 'domain');
    if (domain !== undefined) {
      if (domain[0] === undefined) continue;
      conf.search = [domain[0]];
      searchSet = true;
      continue;
    }
    const search = valueAfter(line, 'search');
    if (search !== undefined) {
      if (search.length === 0) continue;
      conf.search = search;
      searchSet = true;
      continue;
    }
    const nameserver = valueAfter(line, 'nameserver');
    if (nameserver !== undefined) {
      const address = nameserver[0] === undefined ? undefined : nameserverAddress(nameserver[0]);
      if (address !== undefined && conf.nameservers.length < MAX_NAMESERVERS)
        conf.nameservers.push({ address, port: DNS_PORT });
      continue;
    }
    const words = valueAfter(line, 'options');
    if (words !== undefined) applyResolvOptions(conf, words);
  }
  if (conf.nameservers.length === 0) conf.nameservers = [...RESOLV_CONF_DEFAULTS.nameservers];
  if (!searchSet && options.hostname !== undefined) {
    const dot = options.hostname.indexOf('.');
    const domain = dot >= 0 ? options.hostname.slice(dot + 1) : '';
    if (domain !== '') conf.search = [domain];
  }
  return conf;
}

/**
 * A nameserver as the `--nameserver` flag takes it: an IP literal with an optional port, which
 * resolv.conf itself cannot say (tests point the resolver at a server on 127.0.0.1:<port>):
 * `10.96.0.10`, `127.0.0.1:5353`, `::1`, `[::1]:5353`.
 */
export function parseNameserver(text: string): Endpoint | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const address = nameserverAddress(bracketed[1] as string);
    return address !== undefined && isIP(address.split('%')[0] as string) === 6
      ? endpoint(address, bracketed[2])
      : undefined;
  }
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(text);
  if (v4) return isIP(v4[1] as string) === 4 ? endpoint(v4[1] as string, v4[2]) : undefined;
  const address = nameserverAddress(text);
  return address === undefined ? undefined : { address, port: DNS_PORT };
}

function endpoint(address: string, port: string | undefined): Endpoint | undefined {
  const n = port === undefined ? DNS_PORT : Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? { address, port: n } : undefined;
}

/** What the flags change on top of the file; each field replaces the file's value. */
export interface ResolvConfOverrides {
  nameservers?: Endpoint[];
  search?: string[];
  ndots?: number;
  timeoutMs?: number;
  attempts?: number;
  /** Extra `options` words, applied after the file's. */
  options?: string[];
}

export function withOverrides(conf: ResolvConf, overrides: ResolvConfOverrides): ResolvConf {
  const result: ResolvConf = { ...conf, nameservers: [...conf.nameservers], search: [...conf.search] };
  if (overrides.options) applyResolvOptions(result, overrides.options);
  if (overrides.nameservers) result.nameservers = overrides.nameservers.slice(0, MAX_NAMESERVERS);
  if (overrides.search) result.search = [...overrides.search];
  if (overrides.ndots !== undefined) result.ndots = Math.min(overrides.ndots, MAX_NDOTS);
  if (overrides.timeoutMs !== undefined) result.timeoutMs = overrides.timeoutMs;
  if (overrides.attempts !== undefined) result.attempts = Math.min(overrides.attempts, MAX_ATTEMPTS);
  return result;
}
