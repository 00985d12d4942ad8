/**
 * CoreDNS's cache plugin (plugin/cache: cache.go, handler.go, item.go; plugin/pkg/response
 * typify.go; plugin/pkg/dnsutil ttl.go) for one server block:
 * - replies are classified as CoreDNS's `response.Typify` does; NOERROR with records and
 *   delegations go to the success cache, NXDOMAIN and NODATA (with an SOA) to the denial cache,
 *   SERVFAIL/NOTIMP to the denial cache for 5 s; anything else (REFUSED, FORMERR, NXDOMAIN without
 *   an SOA) and truncated replies are not cached;
 * - an entry lives for the reply's smallest TTL clamped to the tier's [MINTTL, TTL] (min first,
 *   then max: `computeTTL`), and the reply the client gets carries that capped TTL on every record;
 * - a hit is an entry whose remaining TTL, in whole seconds, is above 0; its records carry the
 *   remaining TTL; the key is the lowercased name, the type and the DO and CD bits; the denial
 *   cache is looked in first (getIgnoreTTL);
 * - each tier holds at most its capacity; a full tier evicts its oldest entry (CoreDNS evicts a
 *   random entry of the full shard: docs/sim-fidelity.md).
 */
import { type DnsAnswer, type DnsQuery, minimalTtl, withTtl } from '../dns-message.ts';
import type { CacheSettings, CacheTier } from './corefile.ts';

/** response.Type, for the classes the cache distinguishes. */
export type ReplyType = 'NoError' | 'Delegation' | 'NameError' | 'NoData' | 'ServerError' | 'OtherError';

/** dnsutil.MinimalDefaultTTL / MaximumDefaulTTL. */
const MINIMAL_DEFAULT_TTL = 5;
const MAXIMUM_DEFAULT_TTL = 3600;

/** response.Typify (no DNSSEC expiry check, no Update/Meta: the sim's clients send neither). */
export function typify(answer: DnsAnswer): ReplyType {
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

/** dnsutil.MinimalTTL: the smallest record TTL, or 5 s for other types and empty replies. */
function messageTtl(answer: DnsAnswer, type: ReplyType): number {
  if (type !== 'NoError' && type !== 'NameError' && type !== 'NoData') return MINIMAL_DEFAULT_TTL;
  const min = minimalTtl(answer);
  return min === undefined ? MINIMAL_DEFAULT_TTL : Math.min(min, MAXIMUM_DEFAULT_TTL);
}

const computeTtl = (msgTtl: number, tier: CacheTier): number =>
  Math.min(Math.max(msgTtl, tier.minTtl), tier.maxTtl);

/** How long the cache keeps `answer` (seconds), as the cache's ResponseWriter works it out. */
export function cacheDuration(answer: DnsAnswer, type: ReplyType, settings: CacheSettings): number {
  if (type === 'NameError' || type === 'NoData') return computeTtl(messageTtl(answer, type), settings.denial);
  if (type === 'ServerError') return settings.servfailTtl;
  return computeTtl(messageTtl(answer, type), settings.success);
}

interface Item {
  answer: DnsAnswer;
  storedAt: number;
  /** Seconds, as stored (item.origTTL). */
  ttl: number;
}

export interface ResponseCacheSize {
  success: number;
  denial: number;
}

const setTtl = (answer: DnsAnswer, ttl: number): DnsAnswer => ({
  ...answer,
  answers: withTtl(answer.answers, ttl),
  authorities: withTtl(answer.authorities, ttl),
  additionals: withTtl(answer.additionals, ttl),
});

/** One server block's cache (both tiers). */
export class ResponseCache {
  private readonly success = new Map<string, Item>();
  private readonly denial = new Map<string, Item>();

  constructor(
    readonly settings: CacheSettings,
    private readonly clock: { now(): number },
  ) {}

  private static key(query: DnsQuery): string {
    return `${query.edns?.do ? 1 : 0}${query.checkingDisabled ? 1 : 0}/${query.type}/${query.key}`;
  }

  /** item.ttl: whole seconds left (negative once expired). */
  private remaining(item: Item): number {
    return item.ttl - Math.floor((this.clock.now() - item.storedAt) / 1000);
  }

  /** The cached answer with its records' TTLs at what is left, or undefined (a miss). */
  lookup(query: DnsQuery): DnsAnswer | undefined {
    const key = ResponseCache.key(query);
    for (const tier of [this.denial, this.success]) {
      const item = tier.get(key);
      if (!item) continue;
      const ttl = this.remaining(item);
      if (ttl <= 0) continue; // no serve_stale: an expired entry is a miss
      // Cached replies are marked authoritative (item.toMsg: some clients drop non-authoritative
      // ones); records keep no OPT (the reply gets the client's own, withTtl drops it).
      return { ...setTtl(item.answer, ttl), authoritative: true };
    }
    return undefined;
  }

  /**
   * Stores the upstream's answer when the plugin would, and returns what the client gets: the
   * answer with every TTL at the cache duration (the plugin caps the TTLs of the reply it writes).
   */
  store(query: DnsQuery, answer: DnsAnswer, truncated: boolean): DnsAnswer {
    const type = typify(answer);
    const duration = cacheDuration(answer, type, this.settings);
    const cacheable = !truncated && type !== 'OtherError' && duration > 0;
    if (cacheable) {
      const tier = type === 'NoError' || type === 'Delegation' ? this.success : this.denial;
      const capacity = (tier === this.success ? this.settings.success : this.settings.denial).capacity;
      const key = ResponseCache.key(query);
      tier.delete(key);
      if (capacity > 0) {
        if (tier.size >= capacity) {
          const oldest = tier.keys().next();
          if (!oldest.done) tier.delete(oldest.value);
        }
        tier.set(key, { answer, storedAt: this.clock.now(), ttl: duration });
      }
    }
    return setTtl(answer, duration);
  }

  size(): ResponseCacheSize {
    return { success: this.success.size, denial: this.denial.size };
  }
}
