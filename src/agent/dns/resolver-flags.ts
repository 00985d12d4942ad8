/**
 * The resolver flags dnsflood and dnsprobe share: where the configuration comes from (the pod's
 * /etc/resolv.conf by default) and what the command line changes on top of it. Tests and the sim
 * point `--nameserver` at a server on a chosen port, which resolv.conf itself cannot express.
 */
import type { Argv } from 'yargs';
import { durationFlag, FlagError } from '../args.ts';
import type { Host } from '../host.ts';
import {
  MAX_NAMESERVERS,
  parseNameserver,
  parseResolvConf,
  type ResolvConf,
  type ResolvConfOverrides,
  RESOLV_CONF_DEFAULTS,
  withOverrides,
} from './resolv-conf.ts';
import type { AgentOutput } from '../output.ts';
import { type AddressFamily, StubResolver } from './stub-resolver.ts';

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

export interface ResolverFlagOptions {
  /** The file to read; undefined with `--resolv-conf none` (glibc's built-in defaults). */
  resolvConfPath: string | undefined;
  overrides: ResolvConfOverrides;
  family: AddressFamily;
}

/** The line both modes write before their first lookup: what the resolver will actually do. */
export interface ResolverEvent {
  event: 'resolver';
  /** The file read, or null for `--resolv-conf none`. */
  resolvConf: string | null;
  /** address:port ([v6]:port). */
  nameservers: string[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
  /** The boolean options in force, as resolv.conf spells them (rotate, single-request, use-vc, …). */
  options: string[];
  family: AddressFamily;
}

/** Declares the resolver flags on a mode's parser. */
export function resolverFlags(y: Argv): Argv {
  return y.options({
    'resolv-conf': {
      type: 'string',
      default: DEFAULT_RESOLV_CONF,
      describe:
        'resolv.conf to read (nameserver, search, domain, options); "none" starts from glibc defaults',
    },
    nameserver: {
      type: 'string',
      array: true,
      describe: `Nameservers to use instead of the file's (IP[:port], [v6]:port; repeat or comma-separate, at most ${MAX_NAMESERVERS})`,
    },
    search: {
      type: 'string',
      array: true,
      describe: 'Search domains instead of the file\'s (repeat or comma-separate; --search "" for none)',
    },
    ndots: {
      type: 'number',
      describe: "ndots instead of the file's: names with at least this many dots are tried as is first",
    },
    timeout: {
      type: 'string',
      describe: "How long to wait for each reply instead of the file's timeout (e.g. 200ms, 2s)",
    },
    attempts: {
      type: 'number',
      describe: "Rounds over the nameservers per query instead of the file's attempts (max 5)",
    },
    'resolv-options': {
      type: 'string',
      describe:
        'Extra resolv.conf options, as on its options line: "rotate single-request use-vc edns0 ndots:2"',
    },
    family: {
      type: 'string',
      choices: ['any', '4', '6'],
      default: 'any',
      describe: 'any: A and AAAA per name (getaddrinfo AF_UNSPEC); 4: A only; 6: AAAA only',
    },
  });
}

/** Strings from a repeatable, comma-separable flag; undefined when the flag was not given. */
function listOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function nonNegativeInt(flag: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new FlagError(flag, value, 'a whole number');
  return n;
}

/** Turns the parsed resolver flags into options; throws FlagError on a bad value. */
export function resolverOptions(argv: Record<string, unknown>): ResolverFlagOptions {
  const overrides: ResolvConfOverrides = {};
  const nameservers = listOf(argv.nameserver);
  if (nameservers !== undefined) {
    if (nameservers.length === 0 || nameservers.length > MAX_NAMESERVERS)
      throw new FlagError('nameserver', argv.nameserver, `1 to ${MAX_NAMESERVERS} nameservers`);
    overrides.nameservers = nameservers.map((text) => {
      const endpoint = parseNameserver(text);
      if (!endpoint)
        throw new FlagError(
          'nameserver',
          text,
          'an IP address with an optional port, e.g. 10.96.0.10 or 127.0.0.1:5353',
        );
      return endpoint;
    });
  }
  const search = listOf(argv.search);
  if (search !== undefined) overrides.search = search;
  if (argv.ndots !== undefined) {
    const ndots = nonNegativeInt('ndots', argv.ndots);
    if (ndots > 15) throw new FlagError('ndots', argv.ndots, 'a whole number from 0 to 15');
    overrides.ndots = ndots;
  }
  if (argv.timeout !== undefined) {
    const timeoutMs = durationFlag('timeout', argv.timeout);
    if (!(timeoutMs > 0)) throw new FlagError('timeout', argv.timeout, 'a duration above zero such as 2s');
    overrides.timeoutMs = timeoutMs;
  }
  if (argv.attempts !== undefined) {
    const attempts = nonNegativeInt('attempts', argv.attempts);
    if (attempts < 1 || attempts > 5)
      throw new FlagError('attempts', argv.attempts, 'a whole number from 1 to 5');
    overrides.attempts = attempts;
  }
  if (argv['resolv-options'] !== undefined)
    overrides.options = String(argv['resolv-options'])
      .split(/[\s,]+/)
      .filter((w) => w !== '');
  const path = String(argv['resolv-conf'] ?? DEFAULT_RESOLV_CONF);
  const family = String(argv.family ?? 'any');
  if (family !== 'any' && family !== '4' && family !== '6')
    throw new FlagError('family', argv.family, 'any, 4 or 6');
  return { resolvConfPath: path === 'none' ? undefined : path, overrides, family };
}

/** Reads the file through the host and applies the flags; rejects with the host's message naming the path. */
export async function loadResolvConf(host: Host, o: ResolverFlagOptions): Promise<ResolvConf> {
  const base =
    o.resolvConfPath === undefined
      ? { ...RESOLV_CONF_DEFAULTS }
      : parseResolvConf(await host.files.readText(o.resolvConfPath), { hostname: host.hostname });
  return withOverrides(base, o.overrides);
}

const hostPort = (e: { address: string; port: number }) =>
  e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

export function resolverEvent(conf: ResolvConf, o: ResolverFlagOptions): ResolverEvent {
  const flags: [keyof ResolvConf, string][] = [
    ['rotate', 'rotate'],
    ['singleRequest', 'single-request'],
    ['singleRequestReopen', 'single-request-reopen'],
    ['useVc', 'use-vc'],
    ['edns0', 'edns0'],
    ['noTldQuery', 'no-tld-query'],
    ['noAaaa', 'no-aaaa'],
  ];
  return {
    event: 'resolver',
    resolvConf: o.resolvConfPath ?? null,
    nameservers: conf.nameservers.map(hostPort),
    search: conf.search,
    ndots: conf.ndots,
    timeoutMs: conf.timeoutMs,
    attempts: conf.attempts,
    options: flags.filter(([key]) => conf[key] === true).map(([, word]) => word),
    family: o.family,
  };
}

/**
 * The resolver a mode runs with: reads resolv.conf, applies the flags, writes the `resolver` line.
 * Undefined after an `error` line when the configuration cannot be read (the mode exits 3).
 */
export async function openResolver(
  host: Host,
  o: ResolverFlagOptions,
  out: AgentOutput<ResolverEvent>,
): Promise<StubResolver | undefined> {
  try {
    const conf = await loadResolvConf(host, o);
    out.emit(resolverEvent(conf, o));
    return new StubResolver(host.net, host.clock, conf);
  } catch (err) {
    out.emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
