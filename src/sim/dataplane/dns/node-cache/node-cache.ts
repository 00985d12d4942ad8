/**
 * One node's DNS cache (the node-cache process of a node-local-dns pod), following its Corefile:
 * a query goes to the server block of its most specific zone; that block's `cache` answers it if
 * it can, else its `forward` sends it upstream (the kube-dns-upstream Service for the cluster
 * zones, the node's resolvers for the rest), and the reply passes the cache on its way back.
 * A block without `forward` answers SERVFAIL (CoreDNS's NextOrFailure); a name no block serves
 * gets REFUSED.
 *
 * Capacity: at most `capacityQps` queries are taken per second of sim time (a fixed window);
 * the rest are dropped unanswered, as datagrams are when the socket's buffer is full. There is
 * no queue: a cache hit costs microseconds, so below capacity the answer is immediate.
 */
import type { Endpoint } from '../../../../agent/host.ts';
import { type CacheEntries, DnsCache } from '../cache.ts';
import { type DnsAnswer, type DnsQuery, decodeQuery, emptyAnswer, encodeReply } from '../dns-message.ts';
import { blockFor, type ForwardTarget, type NodeCacheConfig, type ServerBlock } from './corefile.ts';
import { type ForwardClock, type ForwardNetwork, forwardQuery, readReply } from './forwarder.ts';

/**
 * Queries a node cache takes per second by default. CoreDNS serves about 33,700 qps of cluster
 * names on two pegged vCPUs (coredns/deployment kubernetes/Scaling_CoreDNS.md), about 17,000 per
 * core; node-local-dns requests 25m and has no CPU limit, so on a busy node it gets roughly a core
 * or a little more of what is idle. 20,000 is that core, rounded: well above any one node's
 * ordinary load, so the cache is never the bottleneck unless a scenario sets out to make it one.
 */
export const DEFAULT_NODE_CACHE_QPS = 20_000;

/** What a node's cache did (cumulative for the node, across cache restarts). */
export interface NodeCacheStats {
  /** Queries the cache received (including dropped ones). */
  queries: number;
  /** Answered from the cache. */
  hits: number;
  /** Not in the cache (or expired): forwarded. */
  misses: number;
  /** Messages sent upstream, retries included. */
  forwarded: number;
  /** Got no answer: over capacity, unreadable, the cache stopped mid-query, or no cache running. */
  dropped: number;
}

export const emptyNodeCacheStats = (): NodeCacheStats => ({
  queries: 0,
  hits: 0,
  misses: 0,
  forwarded: 0,
  dropped: 0,
});

export interface NodeCacheOptions {
  config: NodeCacheConfig;
  clock: ForwardClock;
  /** The node's network: where forwarded queries go (through kube-proxy and the CoreDNS model). */
  network: ForwardNetwork;
  /** The addresses behind a forward target (resolved per query: a Service may come later). */
  upstreams(target: ForwardTarget): Endpoint[];
  capacityQps: number;
  /** Where this cache counts (shared by the node's caches over time). */
  stats: NodeCacheStats;
}

export class NodeCache {
  private readonly caches = new Map<ServerBlock, DnsCache>();
  private readonly stopped = new AbortController();
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowCount = 0;

  constructor(private readonly options: NodeCacheOptions) {}

  /** A query from a client on the node: the reply, or undefined when it gets none. */
  async exchange(bytes: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> {
    const stats = this.options.stats;
    stats.queries++;
    if (!this.admit() || this.stopped.signal.aborted) {
      stats.dropped++;
      return undefined;
    }
    const query = decodeQuery(bytes);
    if (!query) {
      stats.dropped++;
      return undefined;
    }
    const answer = await this.answer(query, bytes, transport);
    if (!answer) {
      stats.dropped++;
      return undefined;
    }
    return encodeReply(query, answer, transport);
  }

  /** Entries held now, over all server blocks. */
  cacheSize(): CacheEntries {
    const size = { success: 0, denial: 0 };
    for (const cache of this.caches.values()) {
      const s = cache.entries();
      size.success += s.success;
      size.denial += s.denial;
    }
    return size;
  }

  /** The process is gone: queries in flight get no answer. */
  stop(): void {
    this.stopped.abort();
  }

  private admit(): boolean {
    const { capacityQps } = this.options;
    if (!Number.isFinite(capacityQps)) return true;
    const now = this.options.clock.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    return ++this.windowCount <= capacityQps;
  }

  private cacheOf(block: ServerBlock): DnsCache | undefined {
    if (!block.cache) return undefined;
    let cache = this.caches.get(block);
    if (!cache) this.caches.set(block, (cache = new DnsCache(block.cache)));
    return cache;
  }

  private async answer(
    query: DnsQuery,
    bytes: Uint8Array,
    transport: 'udp' | 'tcp',
  ): Promise<DnsAnswer | undefined> {
    const stats = this.options.stats;
    const block = blockFor(this.options.config, query.key);
    if (!block) return emptyAnswer('REFUSED', false);
    const cache = this.cacheOf(block);
    const hit = cache?.get(query, this.options.clock.now());
    if (hit) {
      stats.hits++;
      return hit.answer;
    }
    stats.misses++;
    const forward = block.forward;
    if (!forward) return emptyAnswer('SERVFAIL', false);
    const upstreams = forward.to.flatMap((t) => this.options.upstreams(t));
    const result = await forwardQuery(
      {
        // Count each message as it goes out: retries load the upstream too.
        dnsExchange: (server, bytes, opts) => {
          stats.forwarded++;
          return this.options.network.dnsExchange(server, bytes, opts);
        },
      },
      this.options.clock,
      {
        upstreams,
        query: bytes,
        // force_tcp: TCP whatever the client used; otherwise the client's transport.
        transport: forward.forceTcp ? 'tcp' : transport,
        signal: this.stopped.signal,
      },
    );
    if (this.stopped.signal.aborted) return undefined;
    // The forward plugin gave up: the server writes SERVFAIL itself, past the cache.
    if (result.kind === 'failed') return emptyAnswer('SERVFAIL', false);
    const reply = readReply(result.reply);
    if (!reply) return emptyAnswer('SERVFAIL', false);
    // The reply is written now, on its way back to the client.
    return cache ? cache.put(query, reply.answer, this.options.clock.now(), reply.truncated) : reply.answer;
  }
}
