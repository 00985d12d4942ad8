/**
 * One CoreDNS replica: its plugin chain (cache → kubernetes → forward) behind a capacity model.
 *
 * The model is deliberately simple (docs/sim-fidelity.md, "Cluster DNS"):
 * - the replica is one deterministic server on the sim clock. A query that misses the cache costs
 *   1/qpsPerReplica seconds of it, a cache hit `hitCost` of that; queries are served in arrival
 *   order, so each waits until the replica is next free;
 * - a query that would wait longer than `maxQueueDelayMs` is dropped unanswered (the socket
 *   buffer overflowing in front of an overloaded CoreDNS): the client's resolver times out and
 *   retries;
 * - a forwarded query then spends `upstreamLatencyMs` at the upstream (not the replica's time);
 *   `forward`'s max_concurrent (1000) bounds the queries waiting there: one more is answered
 *   REFUSED at once, as CoreDNS does;
 * - the reply is sent when all of that is over, on the sim clock.
 *
 * Everything about a query is decided when it arrives (the server is deterministic), so the
 * model needs no event loop of its own: one timer per reply.
 */
import { type CacheKind, type CacheSettings, DnsCache } from './cache.ts';
import { type DnsAnswer, decodeQuery, type DnsQuery, emptyAnswer, encodeReply } from './dns-message.ts';
import { CoreDnsMetrics, type ResponsePlugin } from './metrics.ts';
import type { StubUpstream } from './upstream.ts';
import type { ClusterZone } from './zone.ts';

export interface ReplicaOptions {
  /** Cache misses one replica serves per second at most. */
  qpsPerReplica: number;
  /** A cache hit's cost as a share of a miss's. */
  hitCost: number;
  /** The longest a query waits for the replica; beyond it the query is dropped. */
  maxQueueDelayMs: number;
  /** Time a forwarded query spends at the upstream. */
  upstreamLatencyMs: number;
  /** forward's max_concurrent. */
  maxConcurrentForwards: number;
  cache: CacheSettings;
}

/** What the model needs of the sim clock (a manual clock in unit tests). */
export interface ModelClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
}

export interface ReplicaStats {
  /** Queries answered (a reply was sent). */
  queries: number;
  hits: number;
  misses: number;
  /** Misses sent to the upstream. */
  forwarded: number;
  /** Queries dropped unanswered because the replica was too far behind. */
  dropped: number;
  /** Forwarded queries refused because max_concurrent were already at the upstream. */
  refused: number;
  /** SERVFAIL replies sent. */
  servfail: number;
  /** The longest wait of an answered query for the replica. */
  maxQueueDelayMs: number;
  /** 99th percentile of arrival-to-reply time over the last 10,000 answered queries. */
  p99Ms: number | undefined;
  /** How far behind the replica is now (the wait a query arriving now would have). */
  backlogMs: number;
}

const LATENCY_SAMPLES = 10_000;

type Resolve = (reply: Uint8Array | undefined) => void;

export class ReplicaModel {
  private readonly cache: DnsCache;
  private readonly metrics = new CoreDnsMetrics();
  private nextFree = 0;
  /** When each query now at the upstream comes back: ascending, as they leave in order with one latency. */
  private readonly atUpstream: number[] = [];
  private atUpstreamHead = 0;
  private readonly pending = new Set<Resolve>();
  private readonly latencies: number[] = [];
  private latencyNext = 0;
  private dead = false;
  private readonly counts = {
    queries: 0,
    hits: 0,
    misses: 0,
    forwarded: 0,
    dropped: 0,
    refused: 0,
    servfail: 0,
  };
  private maxWaitMs = 0;

  constructor(
    readonly name: string,
    private readonly clock: ModelClock,
    private readonly zone: ClusterZone,
    private readonly upstream: StubUpstream,
    private options: ReplicaOptions,
  ) {
    this.cache = new DnsCache(options.cache);
  }

  /** New capacity settings for the queries to come (the cache keeps its entries and its settings). */
  configure(options: ReplicaOptions): void {
    this.options = options;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** The reply to `bytes`, after the modelled delay; undefined when the query is dropped. */
  exchange(bytes: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> {
    if (this.dead) return Promise.resolve(undefined);
    const query = decodeQuery(bytes);
    if (!query) return Promise.resolve(undefined);
    const o = this.options;
    const arrival = this.clock.now();
    const start = Math.max(arrival, this.nextFree);
    const wait = start - arrival;
    if (wait > o.maxQueueDelayMs) {
      this.counts.dropped++;
      return Promise.resolve(undefined);
    }
    this.maxWaitMs = Math.max(this.maxWaitMs, wait);
    const missCost = 1000 / o.qpsPerReplica;
    const outcome = this.serve(query, start, missCost);
    this.nextFree = start + outcome.cost;
    return new Promise<Uint8Array | undefined>((resolve) => {
      this.pending.add(resolve);
      this.clock.setTimeout(
        () => {
          if (!this.pending.delete(resolve)) return;
          this.replied(query, transport, outcome, outcome.done - arrival);
          resolve(encodeReply(query, outcome.answer, transport));
        },
        Math.max(0, outcome.done - arrival),
      );
    });
  }

  /** The process is gone: queries it holds are never answered, later ones find nobody. */
  kill(): void {
    this.dead = true;
    for (const resolve of this.pending) resolve(undefined);
    this.pending.clear();
  }

  stats(): ReplicaStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const p99 =
      sorted.length > 0
        ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]
        : undefined;
    return {
      ...this.counts,
      maxQueueDelayMs: this.maxWaitMs,
      p99Ms: p99,
      backlogMs: Math.max(0, this.nextFree - this.clock.now()),
    };
  }

  /** GET /metrics on :9153. */
  metricsText(): string {
    return this.metrics.text(this.cache.entries());
  }

  /** The chain for one query, decided at `start` (when the replica takes it). */
  private serve(query: DnsQuery, start: number, missCost: number): Outcome {
    const o = this.options;
    // The server refuses classes other than IN before any plugin runs.
    if (query.class !== 'IN')
      return {
        answer: emptyAnswer('REFUSED', false),
        cost: missCost,
        done: start + missCost,
        plugin: '',
        cache: undefined,
      };
    const hit = this.cache.get(query, start);
    if (hit) {
      const cost = missCost * o.hitCost;
      return { answer: hit.answer, cost, done: start + cost, plugin: 'cache', cache: hit.kind };
    }
    const served = start + missCost;
    const zone = this.zone.answer(query);
    if (zone) {
      const done = served + zone.upstreamLookups * o.upstreamLatencyMs;
      const answer = zone.answer.rcode === 'REFUSED' ? zone.answer : this.cache.put(query, zone.answer, done);
      return { answer, cost: missCost, done, plugin: 'kubernetes', cache: 'miss' };
    }
    // forward . /etc/resolv.conf { max_concurrent 1000 }
    while (
      this.atUpstreamHead < this.atUpstream.length &&
      (this.atUpstream[this.atUpstreamHead] as number) <= served
    )
      this.atUpstreamHead++;
    if (this.atUpstreamHead > 1024) {
      this.atUpstream.splice(0, this.atUpstreamHead);
      this.atUpstreamHead = 0;
    }
    if (this.atUpstream.length - this.atUpstreamHead >= o.maxConcurrentForwards)
      return {
        answer: emptyAnswer('REFUSED', false),
        cost: missCost,
        done: served,
        plugin: '',
        cache: 'miss',
        rejected: true,
      };
    const done = served + o.upstreamLatencyMs;
    this.atUpstream.push(done);
    const answer = this.cache.put(query, this.upstream.resolve(query.name, query.type), done);
    return { answer, cost: missCost, done, plugin: 'forward', cache: 'miss', forwarded: true };
  }

  private replied(query: DnsQuery, transport: 'udp' | 'tcp', outcome: Outcome, durationMs: number): void {
    this.counts.queries++;
    if (outcome.cache === 'miss') this.counts.misses++;
    else if (outcome.cache) this.counts.hits++;
    if (outcome.forwarded) this.counts.forwarded++;
    if (outcome.rejected) {
      this.counts.refused++;
      this.metrics.rejectedByMaxConcurrent();
    }
    if (outcome.answer.rcode === 'SERVFAIL') this.counts.servfail++;
    this.latencies[this.latencyNext] = durationMs;
    this.latencyNext = (this.latencyNext + 1) % LATENCY_SAMPLES;
    this.metrics.report({
      proto: transport,
      type: query.type,
      rcode: outcome.answer.rcode,
      plugin: outcome.plugin,
      durationSeconds: durationMs / 1000,
      cache: outcome.cache,
    });
  }
}

interface Outcome {
  answer: DnsAnswer;
  /** Replica time the query took. */
  cost: number;
  /** Sim time the reply goes out. */
  done: number;
  plugin: ResponsePlugin;
  cache: CacheKind | 'miss' | undefined;
  forwarded?: boolean;
  rejected?: boolean;
}
