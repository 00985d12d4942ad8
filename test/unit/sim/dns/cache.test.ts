/**
 * One replica's cache plugin (`cache 30`): what is stored for how long, positive and negative,
 * and what the client sees of the TTLs.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { type CacheSettings, cacheSettings, DnsCache } from '../../../../src/sim/dataplane/dns/cache.ts';
import {
  decodeQuery,
  type DnsAnswer,
  type DnsQuery,
  emptyAnswer,
} from '../../../../src/sim/dataplane/dns/dns-message.ts';
import { StubUpstream } from '../../../../src/sim/dataplane/dns/upstream.ts';

const T0 = 1_700_000_000_000;
/** A replica's `cache 30`. */
const CACHE_30 = cacheSettings(30);
const upstream = new StubUpstream({ 'api.example.com': ['127.0.0.9'] });

function query(name: string, type = 'A'): DnsQuery {
  const q = decodeQuery(
    new Uint8Array(dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: type as 'A', name }] })),
  );
  if (!q) throw new Error('bad query');
  return q;
}

const ttls = (a: DnsAnswer) => [...a.answers, ...a.authorities].map((r) => (r as { ttl?: number }).ttl);
const soa = (ttl: number, minimum: number) => ({
  type: 'SOA' as const,
  name: 'example.com.',
  ttl,
  class: 'IN' as const,
  data: { mname: 'ns.example.com.', rname: 'hostmaster.example.com.', minimum },
});

describe('cache 30', () => {
  it('caps a positive answer at 30 s: the filling reply and the hits carry what is left', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('api.example.com');
    const reply = cache.put(q, upstream.resolve(q.name, 'A'), T0);
    expect(ttls(reply)).toEqual([30]);
    const hit = cache.get(q, T0 + 10_400);
    expect(hit?.kind).toBe('success');
    expect(hit?.answer.authoritative).toBe(true);
    expect(ttls(hit?.answer as DnsAnswer)).toEqual([20]);
    expect(cache.get(q, T0 + 29_999)).toBeDefined();
    expect(cache.get(q, T0 + 30_000)).toBeUndefined();
  });

  it('keeps a shorter TTL, and lifts one below 5 s to 5 s', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('short.example.com');
    const answer: DnsAnswer = {
      ...emptyAnswer('NOERROR', false),
      answers: [{ type: 'A', name: 'short.example.com.', ttl: 12, class: 'IN', data: '127.0.0.1' }],
    };
    expect(ttls(cache.put(q, answer, T0))).toEqual([12]);
    expect(cache.get(q, T0 + 11_999)).toBeDefined();
    expect(cache.get(q, T0 + 12_000)).toBeUndefined();
    const tiny = query('tiny.example.com');
    cache.put(
      tiny,
      { ...answer, answers: [{ ...answer.answers[0], ttl: 1 } as (typeof answer.answers)[0]] },
      T0,
    );
    expect(cache.get(tiny, T0 + 4_999)).toBeDefined();
  });

  it('caches NXDOMAIN by its SOA record TTL, capped at 30 s (the root SOA says 86400)', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('gone.example.com');
    const reply = cache.put(q, upstream.resolve(q.name, 'A'), T0);
    expect(reply.rcode).toBe('NXDOMAIN');
    expect(ttls(reply)).toEqual([30]);
    const hit = cache.get(q, T0 + 1_000);
    expect(hit).toMatchObject({ kind: 'denial', answer: { rcode: 'NXDOMAIN' } });
    expect(cache.get(q, T0 + 30_000)).toBeUndefined();
    // The SOA record's TTL decides, not its MINIMUM field (dnsutil.MinimalTTL).
    const short = query('short-neg.example.com');
    cache.put(short, { ...emptyAnswer('NXDOMAIN', false), authorities: [soa(10, 3600)] }, T0);
    expect(cache.get(short, T0 + 9_999)).toBeDefined();
    expect(cache.get(short, T0 + 10_000)).toBeUndefined();
  });

  it('caches NODATA as denial; does not cache NXDOMAIN without SOA, nor REFUSED', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('api.example.com', 'AAAA');
    cache.put(q, upstream.resolve(q.name, 'AAAA'), T0);
    expect(cache.get(q, T0 + 1)).toMatchObject({ kind: 'denial', answer: { rcode: 'NOERROR', answers: [] } });
    const bare = query('bare.example.com');
    cache.put(bare, emptyAnswer('NXDOMAIN', false), T0);
    expect(cache.get(bare, T0 + 1)).toBeUndefined();
    const refused = query('refused.example.com');
    cache.put(refused, emptyAnswer('REFUSED', false), T0);
    expect(cache.get(refused, T0 + 1)).toBeUndefined();
    const failed = query('failed.example.com');
    cache.put(failed, emptyAnswer('SERVFAIL', false), T0);
    expect(cache.get(failed, T0 + 4_999)).toBeDefined();
    expect(cache.get(failed, T0 + 5_000)).toBeUndefined();
    expect(cache.entries()).toEqual({ success: 0, denial: 2 });
  });

  it('keys by name (any case) and type', () => {
    const cache = new DnsCache(CACHE_30);
    cache.put(query('api.example.com'), upstream.resolve('api.example.com', 'A'), T0);
    expect(cache.get(query('API.Example.COM'), T0 + 1)).toBeDefined();
    expect(cache.get(query('api.example.com', 'AAAA'), T0 + 1)).toBeUndefined();
  });

  it('disable success|denial cluster.local: not stored, but the reply still gets the capped TTL', () => {
    const cache = new DnsCache(cacheSettings(30, ['cluster.local']));
    const q = query('web.default.svc.cluster.local');
    const answer: DnsAnswer = {
      ...emptyAnswer('NOERROR', true),
      answers: [{ type: 'A', name: q.name, ttl: 300, class: 'IN', data: '10.96.5.5' }],
    };
    expect(ttls(cache.put(q, answer, T0))).toEqual([30]);
    expect(cache.get(q, T0 + 1)).toBeUndefined();
    expect(cache.entries()).toEqual({ success: 0, denial: 0 });
  });

  it('disable is per tier: `disable denial` keeps NXDOMAINs out but still stores answers', () => {
    const cache = new DnsCache({
      ...CACHE_30,
      denial: { ...CACHE_30.denial, disabledZones: ['example.com'] },
    });
    cache.put(query('api.example.com'), upstream.resolve('api.example.com', 'A'), T0);
    cache.put(query('gone.example.com'), upstream.resolve('gone.example.com', 'A'), T0);
    expect(cache.entries()).toEqual({ success: 1, denial: 0 });
  });

  it('a truncated reply is not stored, but still gets the capped TTL', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('api.example.com');
    expect(ttls(cache.put(q, upstream.resolve(q.name, 'A'), T0, true))).toEqual([30]);
    expect(cache.get(q, T0 + 1)).toBeUndefined();
  });

  it('a reply still on its way is not visible before it lands', () => {
    const cache = new DnsCache(CACHE_30);
    const q = query('api.example.com');
    cache.put(q, upstream.resolve(q.name, 'A'), T0 + 5);
    expect(cache.get(q, T0 + 4)).toBeUndefined();
    expect(cache.get(q, T0 + 5)).toBeDefined();
    // A second miss's reply landing while the first entry is valid leaves that entry in place.
    cache.put(q, upstream.resolve(q.name, 'A'), T0 + 10_005);
    expect(ttls(cache.get(q, T0 + 10_005)?.answer as DnsAnswer)).toEqual([20]);
  });

  it('a full cache evicts its oldest entry', () => {
    const small = (tier: CacheSettings['success']) => ({ ...tier, capacity: 2 });
    const cache = new DnsCache({
      ...CACHE_30,
      success: small(CACHE_30.success),
      denial: small(CACHE_30.denial),
    });
    for (const n of ['a', 'b', 'c'])
      cache.put(query(`${n}.example.com`), upstream.resolve(`${n}.example.com`, 'A'), T0);
    expect(cache.entries().denial).toBe(2);
    expect(cache.get(query('a.example.com'), T0 + 1)).toBeUndefined();
    expect(cache.get(query('c.example.com'), T0 + 1)).toBeDefined();
  });
});
