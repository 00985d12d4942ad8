/**
 * CoreDNS's `cache` plugin (CoreDNS 1.11 plugin/cache: cache.go, handler.go, item.go, setup.go;
 * plugin/pkg/response typify.go; plugin/pkg/dnsutil ttl.go) for one server block: a success and a
 * denial cache of whole replies, keyed by the lowercased name, the type and the query's DO and CD
 * bits. Both of the sim's CoreDNS run it: each cluster DNS replica (replica-model.ts, `cache 30`
 * as kubeadm writes it) and each server block of a NodeLocal DNSCache (node-cache/node-cache.ts,
 * settings from its Corefile).
 *
 * - Classification (response.Typify): records with NOERROR and delegations → success; NXDOMAIN
 *   and NODATA with an SOA in authority → denial; SERVFAIL/NOTIMP → denial for `servfailTtl`;
 *   anything else (REFUSED, FORMERR, an NXDOMAIN without SOA) and truncated replies are not cached.
 * - TTL (dnsutil.MinimalTTL, computeTTL): the smallest TTL of the reply's records — for a negative
 *   answer that is the SOA record's TTL — clamped to the tier's [minTtl, maxTtl] (min first, then
 *   max). The reply that fills the cache goes out with every TTL set to that value; a hit goes out
 *   with every TTL set to what remains (whole seconds, above 0: no serve_stale), aa set. The denial
 *   cache is looked in first (getIgnoreTTL).
 * - `disable success|denial <zones>`: a tier does not store replies for names in its disabled
 *   zones (kubeadm ≥ 1.32 disables both for the cluster domain, kubernetes/kubernetes#128359), but
 *   the reply still gets the capped TTL.
 * - Capacity: each tier holds at most its capacity; a full tier evicts its oldest entry (CoreDNS
 *   evicts a random entry of the full shard: docs/sim-fidelity.md).
 *
 * Time is the caller's sim clock in milliseconds, passed in. An entry carries the time its reply
 * was written: a replica's model decides a query's whole timeline when it arrives, so a reply
 * still on its way back from the upstream is stored with the time it will land and is not visible
 * before. For the same reason a stored entry still valid when a later reply lands is kept (two
 * misses in flight must not hide the first entry until the second lands); CoreDNS overwrites it,
 * which differs only by the second reply's time in flight.
 */
import { type DnsAnswer, type DnsQuery, inZone, minimalTtl, normalizeName, withTtl } from './dns-message.ts';

/** The plugin's settings for one kind of reply (`success` or `denial`). */
export interface CacheTier {
  /** Entries the tier holds at most. */
  capacity: number;
  /** Upper bound on an entry's TTL, seconds. */
  maxTtl: number;
  /** Lower bound, seconds. */
  minTtl: number;
  /** Zones whose replies the tier never stores (`disable success|denial ZONES…`); `` is the root. */
  disabledZones: readonly string[];
}

export interface CacheSettings {
  success: CacheTier;
  denial: CacheTier;
  /** How long a SERVFAIL is kept (the plugin's `servfail`, default 5 s); 0 never. */
  servfailTtl: number;
}

// The plugin's defaults (plugin/cache/setup.go, cache.go). The capacity is the 10,000 CoreDNS is
// configured with as it ends up: split over 256 shards of 39 entries.
const DEFAULT_CAPACITY = 9984;
const DEFAULT_SUCCESS_MAX_TTL = 3600;
const DEFAULT_DENIAL_MAX_TTL = 1800;
const DEFAULT_MIN_TTL = 5;
const DEFAULT_SERVFAIL_TTL = 5;

/**
 * `cache [TTL]` (no options block): one TTL caps both tiers, and a cap under the default minimum
 * lowers the minimum with it. `disabledZones` are disabled for both tiers, as kubeadm's Corefile
 * does for the cluster domain.
 */
export function cacheSettings(ttl?: number, disabledZones: readonly string[] = []): CacheSettings {
  const tier = (maxTtl: number): CacheTier => ({
    capacity: DEFAULT_CAPACITY,
    maxTtl,
    minTtl: Math.min(DEFAULT_MIN_TTL, maxTtl),
    disabledZones,
  });
  return {
    success: tier(ttl ?? DEFAULT_SUCCESS_MAX_TTL),
    denial: tier(ttl ?? DEFAULT_DENIAL_MAX_TTL),
    servfailTtl: DEFAULT_SERVFAIL_TTL,
  };
}

/** response.Type, for the classes the cache distinguishes. */
type ReplyType = 'NoError' | 'Delegation' | 'NameError' | 'NoData' | 'ServerError' | 'OtherError';

/** response.Typify (no DNSSEC expiry check, no Update/Meta: the sim's clients send neither). */
function typify(answer: DnsAnswer): ReplyType {
  if (answer.answers.length > 0 && answer.rcode === 'NOERROR') return 'NoError';
  const soa = answer.authorities.some((r) => r.type === 'SOA');
  const ns = answer.authorities.some((r) => r.type === 'NS');
  if (soa && answer.rcode === 'NOERROR') return 'NoData';
  if (soa && answer.rcode === 'NXDOMAIN') return 'NameError';
  if (answer.rcode === 'SERVFAIL' || answer.rcode === 'NOTIMP') return 'ServerError';
  if (ns && answer.rcode === 'NOERROR') return 'Delegation';
  if (answer.rcode === 'NOERROR') return 'NoError';
  return 'OtherError';
}

export type CacheKind = 'success' | 'denial';

/** The tier a reply type goes to (ResponseWriter.set), or undefined when it is never stored. */
function kindOf(type: ReplyType): CacheKind | undefined {
  if (type === 'NoError' || type === 'Delegation') return 'success';
  if (type === 'OtherError') return undefined;
  return 'denial';
}

/** dnsutil.MinimalDefaultTTL / MaximumDefaulTTL. */
const MINIMAL_DEFAULT_TTL = 5;
const MAXIMUM_DEFAULT_TTL = 3600;

/** dnsutil.MinimalTTL: the smallest record TTL, or 5 s for other types and empty replies. */
function messageTtl(answer: DnsAnswer, type: ReplyType): number {
  if (type !== 'NoError' && type !== 'NameError' && type !== 'NoData') return MINIMAL_DEFAULT_TTL;
  const min = minimalTtl(answer);
  return min === undefined ? MINIMAL_DEFAULT_TTL : Math.min(min, MAXIMUM_DEFAULT_TTL);
}

/** How long the cache keeps `answer` (seconds), as the cache's ResponseWriter works it out. */
function cacheDuration(answer: DnsAnswer, type: ReplyType, settings: CacheSettings): number {
  if (type === 'ServerError') return settings.servfailTtl;
  const tier = type === 'NameError' || type === 'NoData' ? settings.denial : settings.success;
  return Math.min(Math.max(messageTtl(answer, type), tier.minTtl), tier.maxTtl);
}

const setTtl = (answer: DnsAnswer, ttl: number): DnsAnswer => ({
  ...answer,
  answers: withTtl(answer.answers, ttl),
  authorities: withTtl(answer.authorities, ttl),
  additionals: withTtl(answer.additionals, ttl),
});

const cacheKey = (q: DnsQuery): string =>
  `${q.edns?.do ? 1 : 0}${q.checkingDisabled ? 1 : 0}:${q.type}:${q.key}`;

interface Entry {
  answer: DnsAnswer;
  /** Sim ms when the reply was written. */
  stored: number;
  /** Whole seconds it is kept (item.origTTL). */
  ttl: number;
}

export interface CacheHit {
  /** The stored reply with its records' TTLs at what is left. */
  answer: DnsAnswer;
  kind: CacheKind;
}

export type CacheEntries = Record<CacheKind, number>;

export class DnsCache {
  private readonly tiers: Record<CacheKind, Map<string, Entry>> = { success: new Map(), denial: new Map() };
  private readonly disabled: Record<CacheKind, string[]>;

  constructor(private readonly settings: CacheSettings) {
    this.disabled = {
      success: settings.success.disabledZones.map(normalizeName),
      denial: settings.denial.disabledZones.map(normalizeName),
    };
  }

  /** A hit at `now`, or undefined (a miss). */
  get(query: DnsQuery, now: number): CacheHit | undefined {
    const key = cacheKey(query);
    for (const kind of ['denial', 'success'] as const) {
      const entry = this.tiers[kind].get(key);
      if (!entry || entry.stored > now) continue;
      const remaining = entry.ttl - Math.floor((now - entry.stored) / 1000);
      if (remaining <= 0) continue;
      // Cached replies are marked authoritative (item.toMsg: some clients drop non-authoritative
      // ones); records keep no OPT (the reply gets the client's own, withTtl drops it).
      return { kind, answer: { ...setTtl(entry.answer, remaining), authoritative: true } };
    }
    return undefined;
  }

  /**
   * The reply written at `now` passes the cache: stored if the plugin would, and returned as the
   * client gets it, every TTL at the cache duration (the plugin caps the TTLs of the reply it
   * writes). A truncated reply is never stored.
   */
  put(query: DnsQuery, answer: DnsAnswer, now: number, truncated = false): DnsAnswer {
    const type = typify(answer);
    const ttl = cacheDuration(answer, type, this.settings);
    const kind = kindOf(type);
    if (!truncated && kind && ttl > 0 && !this.disabled[kind].some((zone) => inZone(query.key, zone)))
      this.store(kind, cacheKey(query), { answer, stored: now, ttl });
    return setTtl(answer, ttl);
  }

  entries(): CacheEntries {
    return { success: this.tiers.success.size, denial: this.tiers.denial.size };
  }

  private store(kind: CacheKind, key: string, entry: Entry): void {
    const map = this.tiers[kind];
    const existing = map.get(key);
    // A reply already stored that is still valid when this one lands stays (see the header).
    if (existing && existing.stored <= entry.stored && existing.stored + existing.ttl * 1000 > entry.stored)
      return;
    map.delete(key);
    const capacity = this.settings[kind].capacity;
    if (capacity <= 0) return;
    if (map.size >= capacity) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, entry);
  }
}
