/**
 * The parts of a node-local-dns Corefile the sim's node cache follows: its server blocks (zones),
 * and in each the `cache` and `forward` plugins. Everything else in a block (errors, reload, loop,
 * bind, prometheus, health, …) is accepted and ignored: it changes nothing a client can see in the
 * sim. Caddyfile syntax as CoreDNS reads it: a block's keys (`zone[:port]`, space or comma
 * separated) then `{ … }`, one directive per line, a directive's own `{ … }` block for its options,
 * `#` comments.
 *
 * The node-cache binary substitutes two placeholders before CoreDNS reads the file
 * (cmd/node-cache/app/configmap.go): `__PILLAR__CLUSTER__DNS__`, the ClusterIP of the
 * `-upstreamsvc` Service (kube-dns-upstream), and `__PILLAR__UPSTREAM__SERVERS__`, the
 * nameservers of the node's /etc/resolv.conf. They stay symbolic here and are resolved per query
 * (`ForwardTarget`), so a Service that appears later is picked up.
 */
import { type CacheSettings, cacheSettings } from '../cache.ts';
import { inZone, normalizeName } from '../dns-message.ts';

/** Where `forward` sends a query. */
export type ForwardTarget =
  | { kind: 'cluster-dns' } // __PILLAR__CLUSTER__DNS__
  | { kind: 'node-resolvers' } // __PILLAR__UPSTREAM__SERVERS__
  | { kind: 'address'; ip: string; port: number };

export interface ForwardSettings {
  /** The `from` zone (`.` for everything the block serves). */
  from: string;
  to: ForwardTarget[];
  forceTcp: boolean;
  preferUdp: boolean;
}

export interface ServerBlock {
  /** Zones, lowercased with no trailing dot; `` is the root. */
  zones: string[];
  port: number;
  cache: CacheSettings | undefined;
  forward: ForwardSettings | undefined;
}

export interface NodeCacheConfig {
  blocks: ServerBlock[];
}

// The cache plugin's cap on `servfail` (plugin/cache/setup.go).
const MAX_SERVFAIL_TTL = 300;

const CLUSTER_DNS_PILLAR = '__PILLAR__CLUSTER__DNS__';
const UPSTREAM_SERVERS_PILLAR = '__PILLAR__UPSTREAM__SERVERS__';

export class CorefileError extends Error {
  constructor(message: string, line: number) {
    super(`Corefile line ${line}: ${message}`);
  }
}

interface Token {
  text: string;
  line: number;
}

/** Words, braces and newlines (as `\n` tokens: a directive ends at the end of its line). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/#.*$/, '');
    for (const match of content.matchAll(/"([^"]*)"|[{}]|[^\s{}]+/g))
      tokens.push({ text: match[1] ?? match[0], line });
    tokens.push({ text: '\n', line });
  });
  return tokens;
}

interface Directive {
  name: string;
  args: string[];
  /** The directive's own block: one entry per line. */
  body: string[][];
  line: number;
}

/** Splits the token stream into server blocks of directives. */
function blocksOf(tokens: Token[]): { keys: string[]; directives: Directive[]; line: number }[] {
  const out: { keys: string[]; directives: Directive[]; line: number }[] = [];
  let i = 0;
  const skipNewlines = () => {
    while (tokens[i]?.text === '\n') i++;
  };
  for (;;) {
    skipNewlines();
    const start = tokens[i];
    if (!start) return out;
    const keys: string[] = [];
    while (tokens[i] && tokens[i]?.text !== '{' && tokens[i]?.text !== '\n') {
      keys.push(...(tokens[i]?.text ?? '').split(',').filter((k) => k !== ''));
      i++;
    }
    if (tokens[i]?.text !== '{')
      throw new CorefileError('expected "{" after the server block keys', start.line);
    i++;
    const directives: Directive[] = [];
    for (;;) {
      skipNewlines();
      const head = tokens[i];
      if (!head) throw new CorefileError('unclosed server block', start.line);
      if (head.text === '}') {
        i++;
        break;
      }
      const words: string[] = [];
      while (tokens[i] && !['\n', '{', '}'].includes(tokens[i]?.text ?? ''))
        words.push(tokens[i++]?.text ?? '');
      const body: string[][] = [];
      if (tokens[i]?.text === '{') {
        i++;
        let lineWords: string[] = [];
        for (;;) {
          const t = tokens[i++];
          if (!t) throw new CorefileError(`unclosed block of ${words[0] ?? 'a directive'}`, head.line);
          if (t.text === '}') break;
          if (t.text === '{') throw new CorefileError('nested blocks are not supported here', t.line);
          if (t.text === '\n') {
            if (lineWords.length > 0) body.push(lineWords);
            lineWords = [];
          } else lineWords.push(t.text);
        }
        if (lineWords.length > 0) body.push(lineWords);
      }
      const [name = '', ...args] = words;
      directives.push({ name, args, body, line: head.line });
    }
    out.push({ keys, directives, line: start.line });
  }
}

/** `zone[:port]` (or `dns://zone:port`) as CoreDNS normalizes it. */
function parseKey(key: string, line: number): { zone: string; port: number } {
  const bare = key.replace(/^dns:\/\//, '');
  const colon = bare.lastIndexOf(':');
  const zonePart = colon >= 0 ? bare.slice(0, colon) : bare;
  const port = colon >= 0 ? Number(bare.slice(colon + 1)) : 53;
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new CorefileError(`bad port in server block key ${key}`, line);
  return { zone: zonePart.replace(/\.$/, '').toLowerCase(), port };
}

const count = (word: string | undefined, what: string, line: number): number => {
  const n = Number(word);
  if (word === undefined || !Number.isInteger(n) || n < 0)
    throw new CorefileError(`${what}: not a non-negative integer: ${String(word)}`, line);
  return n;
};

/**
 * `cache [TTL] [ZONES…] { success CAP [TTL [MINTTL]]; denial …; servfail DURATION;
 * disable success|denial [ZONES…]; … }`.
 */
function parseCache(d: Directive): CacheSettings {
  const [first] = d.args;
  const settings = cacheSettings(
    first !== undefined && /^\d+$/.test(first) ? count(first, 'cache TTL', d.line) : undefined,
  );
  for (const [option, ...args] of d.body) {
    if (option === 'success' || option === 'denial') {
      const tier = settings[option];
      tier.capacity = count(args[0], `cache ${option} capacity`, d.line);
      if (args[1] !== undefined) {
        tier.maxTtl = count(args[1], `cache ${option} TTL`, d.line);
        if (tier.maxTtl < tier.minTtl) tier.minTtl = tier.maxTtl;
      }
      if (args[2] !== undefined) tier.minTtl = count(args[2], `cache ${option} MINTTL`, d.line);
    } else if (option === 'servfail') {
      settings.servfailTtl = Math.min(MAX_SERVFAIL_TTL, goSeconds(args[0], d.line));
    } else if (option === 'disable') {
      const [kind, ...zones] = args;
      if (kind !== 'success' && kind !== 'denial')
        throw new CorefileError(`cache disable: not success or denial: ${String(kind)}`, d.line);
      // No zones: the root, every name.
      settings[kind].disabledZones = zones.length > 0 ? zones.map(normalizeName) : [''];
    }
    // prefetch, serve_stale, keepttl: not modelled (docs/sim-fidelity.md).
  }
  return settings;
}

/** A Go duration as CoreDNS's cache takes it (`5s`, `1m`, `0`), in seconds. */
function goSeconds(word: string | undefined, line: number): number {
  const m = /^(\d+)(s|m|h)?$/.exec(word ?? '');
  if (!m) throw new CorefileError(`cache servfail: not a duration: ${String(word)}`, line);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] ?? 's'] ?? 1);
}

function parseTarget(word: string, line: number): ForwardTarget[] {
  if (word === CLUSTER_DNS_PILLAR) return [{ kind: 'cluster-dns' }];
  if (word === UPSTREAM_SERVERS_PILLAR || word === '/etc/resolv.conf') return [{ kind: 'node-resolvers' }];
  const bare = word.replace(/^dns:\/\//, '');
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(bare);
  if (!m)
    throw new CorefileError(`forward: unsupported destination ${word} (the sim takes IPv4 addresses)`, line);
  return [{ kind: 'address', ip: m[1] ?? '', port: m[2] ? Number(m[2]) : 53 }];
}

/** `forward FROM TO… { force_tcp; prefer_udp; … }`. */
function parseForward(d: Directive): ForwardSettings {
  const [from, ...to] = d.args;
  if (from === undefined || to.length === 0) throw new CorefileError('forward needs FROM and TO', d.line);
  const options = new Set(d.body.map((words) => words[0]));
  return {
    from: from.replace(/\.$/, '').toLowerCase(),
    to: to.flatMap((word) => parseTarget(word, d.line)),
    forceTcp: options.has('force_tcp'),
    preferUdp: options.has('prefer_udp'),
  };
}

export function parseCorefile(text: string): NodeCacheConfig {
  return {
    blocks: blocksOf(tokenize(text)).map(({ keys, directives, line }) => {
      const parsed = keys.map((k) => parseKey(k, line));
      const cache = directives.find((d) => d.name === 'cache');
      const forward = directives.find((d) => d.name === 'forward');
      return {
        zones: parsed.map((p) => p.zone),
        port: parsed[0]?.port ?? 53,
        cache: cache ? parseCache(cache) : undefined,
        forward: forward ? parseForward(forward) : undefined,
      };
    }),
  };
}

/** The server block that serves `name` on `port`: the most specific zone, as CoreDNS picks it. */
export function blockFor(config: NodeCacheConfig, name: string, port = 53): ServerBlock | undefined {
  let best: { block: ServerBlock; length: number } | undefined;
  for (const block of config.blocks) {
    if (block.port !== port) continue;
    for (const zone of block.zones)
      if (inZone(name, zone) && (!best || zone.length > best.length)) best = { block, length: zone.length };
  }
  return best?.block;
}

/** Misses to CoreDNS (the kube-dns-upstream Service), over TCP. */
const FORWARD_TO_CLUSTER_DNS = `forward . __PILLAR__CLUSTER__DNS__ {
            force_tcp
    }`;

/** The addon's `cache 30` blocks: only the zone and where misses go differ. */
const cache30Block = (zone: string, forward: string) => `${zone}:53 {
    errors
    cache 30
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    ${forward}
    prometheus :9253
    }`;

/**
 * The Corefile of clusters/addons/nodelocaldns.yaml with the sim's defaults substituted: what a
 * node cache runs when the node-local-dns ConfigMap is missing or cannot be read.
 */
export const DEFAULT_NODE_CACHE_COREFILE = `cluster.local:53 {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    ${FORWARD_TO_CLUSTER_DNS}
    prometheus :9253
    health 169.254.20.10:8080
    }
${cache30Block('in-addr.arpa', FORWARD_TO_CLUSTER_DNS)}
${cache30Block('ip6.arpa', FORWARD_TO_CLUSTER_DNS)}
${cache30Block('.', 'forward . __PILLAR__UPSTREAM__SERVERS__')}
`;

export const DEFAULT_NODE_CACHE_CONFIG: NodeCacheConfig = parseCorefile(DEFAULT_NODE_CACHE_COREFILE);
