/**
 * One CoreDNS replica's Prometheus metrics, under the names and labels CoreDNS 1.11 exports
 * (plugin/metrics/vars, plugin/cache/metrics.go, plugin/forward/metrics.go) for the kubeadm
 * server block `.:53`: server "dns://:53", zone ".", view "". Label pairs are written sorted by
 * name, as client_golang does. Durations are sim-clock seconds, from the query's arrival to its
 * reply (queueing, service and upstream time).
 *
 * The `plugin` label of coredns_dns_responses_total is upstream's guess from the call stack of
 * the write; here it is the plugin that produced the answer: cache, kubernetes or forward ("" for
 * a query refused before any plugin wrote, as forward's max_concurrent does).
 */

const SERVER = 'dns://:53';
const ZONE = '.';
/** plugin.TimeBuckets: 0.25 ms doubling to 8.192 s. */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** vars.monitorType: the types counted by name; the rest are "other". */
const MONITORED_TYPES = new Set([
  'AAAA',
  'A',
  'CNAME',
  'DNSKEY',
  'DS',
  'MX',
  'NSEC3',
  'NSEC',
  'NS',
  'PTR',
  'RRSIG',
  'SOA',
  'SRV',
  'TXT',
  'HTTPS',
  'IXFR',
  'AXFR',
  'ANY',
]);

/** dns-packet names types it does not know `UNKNOWN_<n>`; HTTPS (65) is one of them. */
const BY_NUMBER: Record<string, string> = { UNKNOWN_65: 'HTTPS' };

export const qTypeLabel = (type: string): string => {
  const name = BY_NUMBER[type] ?? type;
  return MONITORED_TYPES.has(name) ? name : 'other';
};

export type ResponsePlugin = 'cache' | 'kubernetes' | 'forward' | '';

/** One reply as the metrics plugin reports it. */
export interface ReportedReply {
  proto: 'udp' | 'tcp';
  type: string;
  rcode: string;
  plugin: ResponsePlugin;
  durationSeconds: number;
  /** Whether the query went through the cache plugin, and what it found. */
  cache: 'success' | 'denial' | 'miss' | undefined;
}

const labels = (pairs: Record<string, string>): string =>
  `{${Object.keys(pairs)
    .sort()
    .map((k) => `${k}="${(pairs[k] as string).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',')}}`;

class Counter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  /** `id` names the label set cheaply (the hot path); the label text is built once per set. */
  add(id: string, pairs: () => Record<string, string>, by = 1): void {
    const entry = this.values.get(id);
    if (entry) entry.value += by;
    else this.values.set(id, { labels: pairs(), value: by });
  }
  lines(name: string): string[] {
    return [...this.values.values()].map((e) => `${name}${labels(e.labels)} ${e.value}`).sort();
  }
}

export class CoreDnsMetrics {
  private readonly requests = new Counter();
  private readonly responses = new Counter();
  private readonly cacheRequests = new Counter();
  private readonly cacheHits = new Counter();
  private readonly cacheMisses = new Counter();
  private readonly buckets = DURATION_BUCKETS.map(() => 0);
  private durationCount = 0;
  private durationSum = 0;
  private maxConcurrentRejects = 0;

  report(reply: ReportedReply): void {
    const base = { server: SERVER, view: '', zone: ZONE };
    const type = qTypeLabel(reply.type);
    this.requests.add(`${reply.proto}|${type}`, () => ({ ...base, proto: reply.proto, family: '1', type }));
    this.responses.add(`${reply.rcode}|${reply.plugin}`, () => ({
      ...base,
      rcode: reply.rcode,
      plugin: reply.plugin,
    }));
    this.durationCount++;
    this.durationSum += reply.durationSeconds;
    for (
      let i = DURATION_BUCKETS.length - 1;
      i >= 0 && reply.durationSeconds <= (DURATION_BUCKETS[i] as number);
      i--
    )
      this.buckets[i] = (this.buckets[i] ?? 0) + 1;
    if (reply.cache) {
      const cacheLabels = () => ({ server: SERVER, view: '', zones: ZONE });
      this.cacheRequests.add('', cacheLabels);
      if (reply.cache === 'miss') this.cacheMisses.add('', cacheLabels);
      else {
        const kind = reply.cache;
        this.cacheHits.add(kind, () => ({ ...cacheLabels(), type: kind }));
      }
    }
  }

  rejectedByMaxConcurrent(): void {
    this.maxConcurrentRejects++;
  }

  /** The exposition text for GET /metrics; `entries` is the cache's current size per type. */
  text(entries: { success: number; denial: number }): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string, lines: string[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    const cacheLabels = { server: SERVER, view: '', zones: ZONE };
    family(
      'coredns_cache_entries',
      'gauge',
      'The number of elements in the cache.',
      (['denial', 'success'] as const).map(
        (t) => `coredns_cache_entries${labels({ ...cacheLabels, type: t })} ${entries[t]}`,
      ),
    );
    family(
      'coredns_cache_hits_total',
      'counter',
      'The count of cache hits.',
      this.cacheHits.lines('coredns_cache_hits_total'),
    );
    family(
      'coredns_cache_misses_total',
      'counter',
      'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
      this.cacheMisses.lines('coredns_cache_misses_total'),
    );
    family(
      'coredns_cache_requests_total',
      'counter',
      'The count of cache requests.',
      this.cacheRequests.lines('coredns_cache_requests_total'),
    );
    const base = { server: SERVER, view: '', zone: ZONE };
    // Buckets are kept cumulative (an observation counts in every bucket at or above it).
    const bucketLines = DURATION_BUCKETS.map(
      (le, i) =>
        `coredns_dns_request_duration_seconds_bucket${labels({ ...base, le: String(le) })} ${this.buckets[i] ?? 0}`,
    );
    family(
      'coredns_dns_request_duration_seconds',
      'histogram',
      'Histogram of the time (in seconds) each request took per zone.',
      [
        ...bucketLines,
        `coredns_dns_request_duration_seconds_bucket${labels({ ...base, le: '+Inf' })} ${this.durationCount}`,
        `coredns_dns_request_duration_seconds_sum${labels(base)} ${this.durationSum}`,
        `coredns_dns_request_duration_seconds_count${labels(base)} ${this.durationCount}`,
      ],
    );
    family(
      'coredns_dns_requests_total',
      'counter',
      'Counter of DNS requests made per zone, protocol and family.',
      this.requests.lines('coredns_dns_requests_total'),
    );
    family(
      'coredns_dns_responses_total',
      'counter',
      'Counter of response status codes.',
      this.responses.lines('coredns_dns_responses_total'),
    );
    family(
      'coredns_forward_max_concurrent_rejects_total',
      'counter',
      'Counter of the number of queries rejected because the concurrent queries were at maximum.',
      [`coredns_forward_max_concurrent_rejects_total ${this.maxConcurrentRejects}`],
    );
    return `${out.join('\n')}\n`;
  }
}
