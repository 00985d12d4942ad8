/**
 * One CoreDNS replica's `cache` plugin (plugin/cache, CoreDNS 1.11): a positive (success) and a
 * negative (denial) cache of whole replies, keyed by the lowercased name, the type and the
 * query's DO and CD bits.
 *
 * - Classification (response.Typify): records with NOERROR → success, as is a delegation or an
 *   empty NOERROR without SOA; NXDOMAIN or NODATA with an SOA in authority → denial; SERVFAIL →
 *   denial for 5 s; anything else (REFUSED, an NXDOMAIN without SOA) is not cached.
 * - TTL (dnsutil.MinimalTTL, computeTTL): the smallest TTL of the reply's records — for a negative
 *   answer that is the SOA record's TTL — clamped to [5 s, cap]; `cache 30` makes the cap 30 s for
 *   both caches. The reply that fills the cache goes out with every TTL set to that value; a hit
 *   goes out with every TTL set to what remains (whole seconds), aa set.
 * - `disable success|denial <zones>`: replies for names in those zones are not stored (kubeadm ≥
 *   1.32 disables both for the cluster domain, kubernetes/kubernetes#128359), but still get the
 *   capped TTL.
 * - Capacity: 10,000 entries per cache; a full cache evicts its oldest entry (CoreDNS evicts a
 *   random one from the full shard).
 *
 * Time is the sim clock in milliseconds. An entry carries the time its reply was written: a
 * replica's model decides a query's whole timeline when it arrives, so a reply still on its way
 * back from the upstream is stored with the time it will land and is not visible before.
 */
import { type DnsAnswer, type DnsQuery, minimalTtl, normalizeName, withTtl } from './dns-message.ts';

export interface CacheOptions {
  /** The cap on positive and negative TTLs (`cache 30`). */
  maxTtlSeconds: number;
  /** The floor (the plugin's MINTTL, 5 s for both caches). */
  minTtlSeconds: number;
  /** Entries per cache (success and denial each). */
  capacity: number;
  /** Zones whose replies are never stored (both caches). */
  disabledZones: readonly string[];
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = {
  maxTtlSeconds: 30,
  minTtlSeconds: 5,
  capacity: 10_000,
  disabledZones: [],
};

/** How long a SERVFAIL is kept (the plugin's failttl: its minimal negative TTL). */
const SERVFAIL_TTL_SECONDS = 5;

export type CacheKind = 'success' | 'denial';

interface Entry {
  answer: DnsAnswer;
  /** Sim ms when the reply was written. */
  stored: number;
  /** Whole seconds it is kept. */
  ttl: number;
}

type Classification = CacheKind | 'servfail' | undefined;

/** response.Typify, reduced to what the cache does with each type. */
function classify(answer: DnsAnswer): Classification {
  if (answer.answers.length > 0 && answer.rcode === 'NOERROR') return 'success';
  const soa = answer.authorities.some((r) => r.type === 'SOA');
  if (soa && (answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN')) return 'denial';
  if (answer.rcode === 'SERVFAIL' || answer.rcode === 'NOTIMP') return 'servfail';
  if (answer.rcode === 'NOERROR') return 'success';
  return undefined;
}

/** MinimalTTL: 5 s for an empty reply, else the smallest TTL (at most an hour). */
function messageTtl(answer: DnsAnswer): number {
  const min = minimalTtl(answer);
  return min === undefined ? 5 : Math.min(min, 3600);
}

export const cacheKey = (q: Pick<DnsQuery, 'key' | 'type' | 'edns' | 'checkingDisabled'>): string =>
  `${q.edns?.do ? 1 : 0}${q.checkingDisabled ? 1 : 0}:${q.type}:${q.key}`;

export class DnsCache {
  private readonly success = new Map<string, Entry>();
  private readonly denial = new Map<string, Entry>();
  private readonly disabled: string[];

  constructor(private readonly options: CacheOptions = DEFAULT_CACHE_OPTIONS) {
    this.disabled = options.disabledZones.map(normalizeName);
  }

  /** A hit: the stored reply with its remaining TTL, or undefined (a miss). */
  get(query: DnsQuery, now: number): { answer: DnsAnswer; kind: CacheKind } | undefined {
    const key = cacheKey(query);
    // getIgnoreTTL looks in the denial cache first.
    for (const [kind, map] of [
      ['denial', this.denial],
      ['success', this.success],
    ] as const) {
      const entry = map.get(key);
      if (!entry || entry.stored > now) continue;
      const remaining = entry.ttl - Math.floor((now - entry.stored) / 1000);
      if (remaining <= 0) continue;
      const a = entry.answer;
      return {
        kind,
        answer: {
          ...a,
          authoritative: true,
          answers: withTtl(a.answers, remaining),
          authorities: withTtl(a.authorities, remaining),
          additionals: withTtl(a.additionals, remaining),
        },
      };
    }
    return undefined;
  }

  /**
   * The reply written at `now` passes the cache: stored if cacheable, and returned with its TTLs
   * set to the cached duration (the reply the client gets).
   */
  put(query: DnsQuery, answer: DnsAnswer, now: number): DnsAnswer {
    const type = classify(answer);
    const ttl = this.durationOf(type, answer);
    if (type !== undefined && ttl > 0 && !this.isDisabled(query.key)) {
      const map = type === 'success' ? this.success : this.denial;
      this.store(map, cacheKey(query), { answer, stored: now, ttl });
    }
    return {
      ...answer,
      answers: withTtl(answer.answers, ttl),
      authorities: withTtl(answer.authorities, ttl),
      additionals: withTtl(answer.additionals, ttl),
    };
  }

  entries(): Record<CacheKind, number> {
    return { success: this.success.size, denial: this.denial.size };
  }

  private durationOf(type: Classification, answer: DnsAnswer): number {
    const { minTtlSeconds: min, maxTtlSeconds: max } = this.options;
    if (type === 'servfail') return SERVFAIL_TTL_SECONDS;
    if (type === undefined) return min;
    return Math.min(max, Math.max(min, messageTtl(answer)));
  }

  private isDisabled(key: string): boolean {
    return this.disabled.some((z) => key === z || key.endsWith(`.${z}`));
  }

  private store(map: Map<string, Entry>, key: string, entry: Entry): void {
    const existing = map.get(key);
    // A reply already stored that is still valid when this one lands stays (see the header).
    if (existing && existing.stored <= entry.stored && existing.stored + existing.ttl * 1000 > entry.stored)
      return;
    map.delete(key);
    if (map.size >= this.options.capacity) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, entry);
  }
}
