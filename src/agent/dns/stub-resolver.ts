/**
 * A stub resolver that sends what glibc's getaddrinfo sends (resolv/res_query.c and res_send.c),
 * over the Host port's datagram exchange. The point is the query count and its shape: a pod with
 * `ndots:5` and three cluster search domains turns one lookup of `api.example.com` into four
 * candidate names × (A + AAAA) = 8 queries, 6 of them NXDOMAIN, and that multiplication is what
 * melts CoreDNS under a flood. The same code runs on a real host and in the sim.
 *
 * Candidates (`__res_context_search`):
 * - a trailing dot: the name as is, once, whatever the answer;
 * - at least `ndots` dots: the name as is first; any failure (even a timeout) goes on to the
 *   search list;
 * - then each search suffix in order: NXDOMAIN, NODATA and SERVFAIL go on to the next suffix;
 *   connection refused everywhere ends the lookup at once; anything else (timeout, REFUSED) stops
 *   the search list;
 * - then the name as is, if it was not tried yet (and no `.` suffix already tried it; with
 *   `no-tld-query` a dotless name is never tried as is);
 * - the lookup's failure is the first as-is try's if there was one, else NODATA if any suffix
 *   said so, else SERVFAIL if any did, else the last try's.
 *
 * Per candidate, A and AAAA go out together (family any) or one after the other
 * (`single-request`, `single-request-reopen`); the candidate answers if either has records, and
 * otherwise its rcode is A's unless A said NOERROR (then AAAA's), as `__res_context_query`.
 *
 * Per query (`__res_context_send`): `attempts` rounds, each over the nameservers in order
 * (`rotate`: each candidate starts one server further); a timeout, an unreachable server or a
 * SERVFAIL/NOTIMP/REFUSED reply moves on to the next server; a truncated (TC) UDP reply is asked
 * again over TCP at the same server, and from then on the query stays on TCP with no further
 * rounds (a virtual circuit gets one try per server); `use-vc` means TCP from the start.
 *
 * Simplified on purpose: each query is retried on its own, where glibc retries the A+AAAA pair
 * on one socket (and, after a lost second reply, falls back to single-request mode by itself);
 * every timeout is `timeout` (glibc scales it per server index); /etc/hosts is not consulted.
 */
import dnsPacket from 'dns-packet';
import { isIP } from 'node:net'; // a pure address parser: the network is the Host port's
import { type Endpoint, type HostClock, type HostNetwork, HostNetworkError } from '../host.ts';
import type { ResolvConf } from './resolv-conf.ts';

export type LookupOutcome = 'ok' | 'nxdomain' | 'nodata' | 'servfail' | 'timeout' | 'refused' | 'error';
export const LOOKUP_OUTCOMES: readonly LookupOutcome[] = [
  'ok',
  'nxdomain',
  'nodata',
  'servfail',
  'timeout',
  'refused',
  'error',
];

/** `any` asks A and AAAA (AF_UNSPEC); 4 and 6 ask one of them (AF_INET, AF_INET6). */
export type AddressFamily = 'any' | '4' | '6';

export interface LookupResult {
  /** The name as asked. */
  name: string;
  outcome: LookupOutcome;
  /** A records first, then AAAA, as they came. */
  addresses: string[];
  /** The candidate that answered (with search suffix, as sent); absent unless the outcome is ok or nodata from an answer. */
  answeredName?: string;
  /** Candidate names tried, in order. */
  candidates: string[];
  /** Messages sent, retries and TCP re-sends included. */
  queries: number;
  /** Replies received by rcode (NOERROR, NXDOMAIN, SERVFAIL, …). */
  rcodes: Record<string, number>;
  /** Messages that got no reply in time. */
  timeouts: number;
  /** Messages sent over TCP (use-vc, or the retry of a truncated reply). */
  tcpQueries: number;
  latencyMs: number;
  /** What went wrong, for outcomes `refused` and `error` (a transport error or a bad name). */
  error?: string;
}

export interface LookupOptions {
  family?: AddressFamily;
  /** Aborting it makes `lookup` reject with the signal's reason at once (the lookup is not counted). */
  signal?: AbortSignal;
}

type QueryType = 'A' | 'AAAA';

/** What one query ended with after its retries. */
type QueryResult =
  | { kind: 'reply'; rcode: string; addresses: string[]; answerCount: number }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'error'; message: string };

/** One message's fate: a reply (perhaps truncated) or why there was none. */
type ExchangeResult =
  | Exclude<QueryResult, { kind: 'reply' }>
  | (Extract<QueryResult, { kind: 'reply' }> & { truncated: boolean });

/** One candidate name, both queries combined. */
interface CandidateResult {
  outcome: LookupOutcome;
  addresses: string[];
  /** The search stops here: a reply had records (addresses or not, e.g. a CNAME alone). */
  answered: boolean;
  /** Every server refused the connection: glibc gives up the whole lookup (ECONNREFUSED). */
  connectionRefused: boolean;
  error?: string;
}

/** Counters of one lookup, shared by its queries. */
interface LookupTally {
  queries: number;
  timeouts: number;
  tcpQueries: number;
  rcodes: Record<string, number>;
}

/** Replies that send the query on to the next server (res_send.c `next_ns`). */
const NEXT_SERVER_RCODES: ReadonlySet<string> = new Set(['SERVFAIL', 'NOTIMP', 'REFUSED']);
/** glibc's RESOLV_EDNS_BUFFER_SIZE. */
const EDNS_UDP_PAYLOAD = 1200;
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** The rcode dns-packet decodes but its types leave out. */
type DecodedReply = ReturnType<typeof dnsPacket.decode> & { rcode?: string };

function rcodeOutcome(rcode: string): LookupOutcome {
  switch (rcode) {
    case 'NXDOMAIN':
      return 'nxdomain';
    case 'SERVFAIL':
      return 'servfail';
    case 'NOERROR':
      return 'nodata';
    case 'REFUSED':
      return 'refused';
    default:
      return 'error';
  }
}

/** Why a name cannot be sent at all (glibc: NO_RECOVERY before any query), or undefined. */
function invalidName(name: string): string | undefined {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare === '') return 'empty name';
  if (Buffer.byteLength(bare) > MAX_NAME_LENGTH) return `name longer than ${MAX_NAME_LENGTH} bytes`;
  for (const label of bare.split('.')) {
    if (label === '') return 'empty label';
    if (Buffer.byteLength(label) > MAX_LABEL_LENGTH) return `label longer than ${MAX_LABEL_LENGTH} bytes`;
  }
  return undefined;
}

const countDots = (name: string) => name.split('.').length - 1;

/** `name` under `suffix`, as `__res_context_querydomain` joins them (a root suffix gives `name.`). */
function joinSuffix(name: string, suffix: string): string {
  const domain = suffix.startsWith('.') ? suffix.slice(1) : suffix;
  return domain === '' ? `${name}.` : `${name}.${domain}`;
}

/**
 * Every candidate glibc would try for `name` if each one failed with NXDOMAIN, in order: the
 * worst case, and the count that makes `ndots:5` expensive.
 */
export function searchCandidates(
  name: string,
  conf: Pick<ResolvConf, 'ndots' | 'search' | 'noTldQuery'>,
): string[] {
  const dots = countDots(name);
  const trailingDot = name.endsWith('.');
  if (trailingDot) return [name];
  const candidates: string[] = [];
  const asIsFirst = dots >= conf.ndots;
  if (asIsFirst) candidates.push(name);
  let rootOnList = false;
  for (const suffix of conf.search) {
    if (suffix === '.' || suffix === '') rootOnList = true;
    candidates.push(joinSuffix(name, suffix));
  }
  const searched = conf.search.length > 0;
  if ((dots > 0 || !searched || !conf.noTldQuery) && !(asIsFirst || rootOnList)) candidates.push(name);
  return candidates;
}

/**
 * The pending queries' rejections per stop signal, behind ONE abort listener per signal: a flood
 * keeps thousands of queries in flight, and adding and removing an EventTarget listener per query
 * costs time linear in the listeners already there (a third of a flood's CPU in a profile).
 */
const pendingBySignal = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

function pendingFor(signal: AbortSignal): Set<(reason: unknown) => void> {
  let pending = pendingBySignal.get(signal);
  if (!pending) {
    const set = new Set<(reason: unknown) => void>();
    pendingBySignal.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const reject of set) reject(signal.reason);
        set.clear();
      },
      { once: true },
    );
    pending = set;
  }
  return pending;
}

/** Rejects with the signal's reason as soon as it aborts; otherwise settles as `promise` does. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  const pending = pendingFor(signal);
  return new Promise<T>((resolve, reject) => {
    pending.add(reject);
    promise.then(
      (value) => {
        pending.delete(reject);
        resolve(value);
      },
      (err: unknown) => {
        pending.delete(reject);
        reject(err);
      },
    );
  });
}

export class StubResolver {
  /** The next starting nameserver under `rotate` (glibc rotates its list at every send). */
  private rotation = 0;

  constructor(
    private readonly net: HostNetwork,
    private readonly clock: HostClock,
    readonly conf: ResolvConf,
  ) {}

  /** Resolves `name` to addresses the way getaddrinfo would, counting every message sent. */
  async lookup(name: string, options: LookupOptions = {}): Promise<LookupResult> {
    const family = options.family ?? 'any';
    const started = this.clock.now();
    const tally: LookupTally = { queries: 0, timeouts: 0, tcpQueries: 0, rcodes: {} };
    const candidates: string[] = [];
    const finish = (
      outcome: LookupOutcome,
      extra: { addresses?: string[]; answeredName?: string; error?: string } = {},
    ): LookupResult => ({
      name,
      outcome,
      addresses: extra.addresses ?? [],
      ...(extra.answeredName !== undefined ? { answeredName: extra.answeredName } : {}),
      candidates,
      queries: tally.queries,
      rcodes: tally.rcodes,
      timeouts: tally.timeouts,
      tcpQueries: tally.tcpQueries,
      latencyMs: Math.round((this.clock.now() - started) * 100) / 100,
      ...(extra.error !== undefined ? { error: extra.error } : {}),
    });

    // An address literal needs no DNS (getaddrinfo answers it itself).
    const literal = isIP(name);
    if (literal !== 0) {
      if (family !== 'any' && String(literal) !== family)
        return finish('error', { error: `${name} is not an IPv${family} address` });
      return finish('ok', { addresses: [name] });
    }
    const bad = invalidName(name);
    if (bad !== undefined)
      return finish('error', { error: `cannot look up ${JSON.stringify(name)}: ${bad}` });

    const tryName = async (fqdn: string): Promise<CandidateResult> => {
      candidates.push(fqdn);
      const tooLong = invalidName(fqdn);
      if (tooLong !== undefined)
        return {
          outcome: 'error',
          addresses: [],
          answered: false,
          connectionRefused: false,
          error: `${fqdn}: ${tooLong}`,
        };
      return this.queryCandidate(fqdn, family, tally, options.signal);
    };
    const answer = (fqdn: string, r: CandidateResult) =>
      finish(r.outcome, {
        addresses: r.addresses,
        answeredName: fqdn,
        ...(r.error ? { error: r.error } : {}),
      });
    const fail = (r: CandidateResult) => finish(r.outcome, r.error ? { error: r.error } : {});

    const dots = countDots(name);
    const trailingDot = name.endsWith('.');
    let saved: CandidateResult | undefined;
    let last: CandidateResult | undefined;
    if (dots >= this.conf.ndots || trailingDot) {
      const r = await tryName(name);
      if (r.answered) return answer(name, r);
      if (trailingDot) return fail(r);
      saved = r;
    }

    let searched = false;
    let rootOnList = false;
    let gotNodata = false;
    let gotServfail = false;
    for (const suffix of this.conf.search) {
      searched = true;
      if (suffix === '.' || suffix === '') rootOnList = true;
      const fqdn = joinSuffix(name, suffix);
      const r = await tryName(fqdn);
      last = r;
      if (r.answered) return answer(fqdn, r);
      if (r.connectionRefused) return fail(r);
      if (r.outcome === 'nodata') gotNodata = true;
      else if (r.outcome === 'servfail') gotServfail = true;
      else if (r.outcome !== 'nxdomain') break; // a timeout or a refusal: stop searching up
    }

    if ((dots > 0 || !searched || !this.conf.noTldQuery) && !(saved || rootOnList)) {
      const r = await tryName(name);
      last = r;
      if (r.answered) return answer(name, r);
    }

    if (saved) return fail(saved);
    if (gotNodata) return finish('nodata');
    if (gotServfail) return finish('servfail');
    return last ? fail(last) : finish('nxdomain');
  }

  /** Both queries for one candidate name, combined as `__res_context_query` does. */
  private async queryCandidate(
    fqdn: string,
    family: AddressFamily,
    tally: LookupTally,
    signal: AbortSignal | undefined,
  ): Promise<CandidateResult> {
    const types: QueryType[] =
      family === '4' ? ['A'] : family === '6' ? ['AAAA'] : this.conf.noAaaa ? ['A'] : ['A', 'AAAA'];
    const start = this.conf.rotate ? this.rotation++ % this.conf.nameservers.length : 0;
    const sequential = this.conf.singleRequest || this.conf.singleRequestReopen;
    const results: QueryResult[] = [];
    if (sequential) {
      for (const type of types) results.push(await this.query(fqdn, type, start, tally, signal));
    } else {
      results.push(...(await Promise.all(types.map((t) => this.query(fqdn, t, start, tally, signal)))));
    }

    const replies = results.filter((r) => r.kind === 'reply');
    const addresses = replies.flatMap((r) => (r.rcode === 'NOERROR' ? r.addresses : []));
    const answered = replies.some((r) => r.rcode === 'NOERROR' && r.answerCount > 0);
    if (answered) {
      return {
        outcome: addresses.length > 0 ? 'ok' : 'nodata',
        addresses,
        answered,
        connectionRefused: false,
      };
    }
    const [first, second] = replies;
    if (first) {
      const rcode = first.rcode === 'NOERROR' && second ? second.rcode : first.rcode;
      return { outcome: rcodeOutcome(rcode), addresses: [], answered: false, connectionRefused: false };
    }
    // No reply at all: a timeout anywhere means "no answer obtained" (ETIMEDOUT); only when every
    // server refused the connection is it ECONNREFUSED.
    if (results.some((r) => r.kind === 'timeout'))
      return { outcome: 'timeout', addresses: [], answered: false, connectionRefused: false };
    const refused = results.find((r) => r.kind === 'unreachable');
    if (refused && results.every((r) => r.kind === 'unreachable'))
      return {
        outcome: 'refused',
        addresses: [],
        answered: false,
        connectionRefused: true,
        error: refused.message,
      };
    const error = results.find((r) => r.kind === 'error' || r.kind === 'unreachable');
    return {
      outcome: 'error',
      addresses: [],
      answered: false,
      connectionRefused: false,
      ...(error && 'message' in error ? { error: error.message } : {}),
    };
  }

  /** One query with glibc's retries: `attempts` rounds over the nameservers, TCP after a truncation. */
  private async query(
    fqdn: string,
    type: QueryType,
    start: number,
    tally: LookupTally,
    signal: AbortSignal | undefined,
  ): Promise<QueryResult> {
    const servers = this.conf.nameservers;
    let tcp = this.conf.useVc;
    let rejected: QueryResult | undefined;
    let timedOut = false;
    let lastProblem: QueryResult | undefined;
    for (let attempt = 0; attempt < this.conf.attempts; attempt++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(start + i) % servers.length] as Endpoint;
        let result = await this.exchange(server, fqdn, type, tcp ? 'tcp' : 'udp', tally, signal);
        if (result.kind === 'reply' && result.truncated && !tcp) {
          tcp = true;
          result = await this.exchange(server, fqdn, type, 'tcp', tally, signal);
        }
        if (result.kind === 'reply') {
          const { truncated: _truncated, ...reply } = result;
          if (!NEXT_SERVER_RCODES.has(reply.rcode)) return reply;
          rejected = reply;
        } else if (result.kind === 'timeout') {
          timedOut = true;
        } else {
          lastProblem = result;
        }
      }
      if (tcp) break; // a virtual circuit gets one try per server, no further rounds
    }
    if (rejected) return rejected;
    if (timedOut) return { kind: 'timeout' };
    return lastProblem ?? { kind: 'error', message: 'no nameserver to ask' };
  }

  /** Sends one message and reads the reply; never throws but for an abort. */
  private async exchange(
    server: Endpoint,
    fqdn: string,
    type: QueryType,
    transport: 'udp' | 'tcp',
    tally: LookupTally,
    signal: AbortSignal | undefined,
  ): Promise<ExchangeResult> {
    signal?.throwIfAborted();
    const id = Math.floor(Math.random() * 0x10000);
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type, name: fqdn, class: 'IN' }],
      additionals: this.conf.edns0
        ? [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: EDNS_UDP_PAYLOAD,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
    });
    tally.queries++;
    if (transport === 'tcp') tally.tcpQueries++;
    let bytes: Uint8Array;
    try {
      bytes = await unlessAborted(
        this.net.dnsExchange(server, query, { transport, timeoutMs: this.conf.timeoutMs }),
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof HostNetworkError && err.code === 'ETIMEDOUT') {
        tally.timeouts++;
        return { kind: 'timeout' };
      }
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof HostNetworkError && err.code === 'ECONNREFUSED')
        return { kind: 'unreachable', message };
      return { kind: 'error', message };
    }
    let reply: DecodedReply;
    try {
      reply = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      return {
        kind: 'error',
        message: `undecodable reply from ${server.address}:${server.port}: ${(err as Error).message}`,
      };
    }
    const rcode = reply.rcode ?? 'NOERROR';
    tally.rcodes[rcode] = (tally.rcodes[rcode] ?? 0) + 1;
    const answers = reply.answers ?? [];
    const addresses = answers.flatMap((a) => (a.type === type && typeof a.data === 'string' ? [a.data] : []));
    return { kind: 'reply', rcode, addresses, answerCount: answers.length, truncated: reply.flag_tc };
  }
}
