/**
 * The result of a load run in the shape of k6's end-of-test summary data (what `handleSummary(data)`
 * receives, and what `JSON.stringify(data)` writes): `metrics.<name> = { type, contains, values }`
 * with k6's metric names and value keys — counters `{count, rate}`, rates `{rate, passes, fails}`,
 * trends `{avg, min, med, max, p(90), p(95), p(99)}` in milliseconds, gauges `{value, min, max}` —
 * plus `state.testRunDurationMs`, an empty `root_group` and the `options` k6 summarised with. The
 * k6 integration produces the same document (handleSummary, with summaryTrendStats including
 * p(99)), so checks read either. Our own details go under `scars`.
 *
 * As in k6, `http_req_failed` is a Rate whose `passes` are the failed requests (non-2xx/3xx or no
 * response) and `fails` the successful ones; `http_req_duration` includes failed requests, and
 * `http_req_duration{expected_response:true}` only the successful ones.
 */
import { LatencySamples } from '../../agent/stats.ts';

export interface CounterMetric {
  type: 'counter';
  contains: 'default' | 'data';
  values: { count: number; rate: number };
}

export interface RateMetric {
  type: 'rate';
  contains: 'default';
  values: { rate: number; passes: number; fails: number };
}

export interface TrendValues {
  avg: number;
  min: number;
  med: number;
  max: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
}

export interface TrendMetric {
  type: 'trend';
  contains: 'time';
  values: TrendValues;
}

export interface GaugeMetric {
  type: 'gauge';
  contains: 'default';
  values: { value: number; min: number; max: number };
}

export interface LoadMetrics {
  http_reqs: CounterMetric;
  http_req_failed: RateMetric;
  http_req_duration: TrendMetric;
  'http_req_duration{expected_response:true}': TrendMetric;
  iterations: CounterMetric;
  dropped_iterations: CounterMetric;
  vus: GaugeMetric;
  vus_max: GaugeMetric;
  data_sent: CounterMetric;
  data_received: CounterMetric;
}

export interface BuiltinDetails {
  /** Which engine measured: the built-in generator or the k6 CLI (src/observers/load/k6). */
  source: 'builtin' | 'k6';
  url: string;
  method: string;
  /** Requests started per second, as asked. */
  rate: number;
  durationMs: number;
  maxInFlight: number;
  timeoutMs: number;
  stoppedBy: 'count' | 'duration' | 'signal';
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** Requests without a response, by cause (`timeout`, `ECONNREFUSED`, `CERT_HAS_EXPIRED`, …). */
  errors: Record<string, number>;
  /** Requests cut short by the stop signal: not counted in the metrics, as k6 leaves out interrupted iterations. */
  interrupted: number;
  /** How the k6 process ended (source k6 only). */
  k6?: K6ProcessInfo;
}

export interface K6ProcessInfo {
  /** The command line that ran. */
  command: string;
  exitCode: number;
  /** k6 exit code 99: thresholds failed (not an error: the numbers are still the summary). */
  thresholdsFailed: boolean;
}

export interface LoadResult {
  root_group: { name: ''; path: ''; id: string; groups: []; checks: [] };
  options: { summaryTrendStats: string[]; summaryTimeUnit: ''; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: LoadMetrics;
  scars: BuiltinDetails;
}

export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];
/** k6's id for the root group: md5 of its empty path. */
const ROOT_GROUP_ID = 'd41d8cd98f00b204e9800998ecf8427e';

/** What one run counted, turned into the summary by `summarize`. */
export interface LoadTally {
  durations: LatencySamples;
  okDurations: LatencySamples;
  succeeded: number;
  failed: number;
  dropped: number;
  inFlightMin: number;
  inFlightMax: number;
  bytesSent: number;
  bytesReceived: number;
}

export function newTally(): LoadTally {
  return {
    durations: new LatencySamples(),
    okDurations: new LatencySamples(),
    succeeded: 0,
    failed: 0,
    dropped: 0,
    inFlightMin: 0,
    inFlightMax: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
}

function trend(samples: LatencySamples): TrendMetric {
  const s = samples.summary();
  return {
    type: 'trend',
    contains: 'time',
    values: {
      avg: s?.meanMs ?? 0,
      min: s?.minMs ?? 0,
      med: s?.p50Ms ?? 0,
      max: s?.maxMs ?? 0,
      'p(90)': s?.p90Ms ?? 0,
      'p(95)': s?.p95Ms ?? 0,
      'p(99)': s?.p99Ms ?? 0,
    },
  };
}

export function summarize(
  tally: LoadTally,
  elapsedMs: number,
  details: BuiltinDetails,
  maxInFlight: number,
): LoadResult {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const counter = (count: number, contains: 'default' | 'data' = 'default'): CounterMetric => ({
    type: 'counter',
    contains,
    values: { count, rate: count / seconds },
  });
  const total = tally.succeeded + tally.failed;
  return {
    root_group: { name: '', path: '', id: ROOT_GROUP_ID, groups: [], checks: [] },
    options: { summaryTrendStats: [...SUMMARY_TREND_STATS], summaryTimeUnit: '', noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: elapsedMs },
    metrics: {
      http_reqs: counter(total),
      http_req_failed: {
        type: 'rate',
        contains: 'default',
        values: {
          rate: total === 0 ? 0 : tally.failed / total,
          passes: tally.failed,
          fails: tally.succeeded,
        },
      },
      http_req_duration: trend(tally.durations),
      'http_req_duration{expected_response:true}': trend(tally.okDurations),
      iterations: counter(total),
      dropped_iterations: counter(tally.dropped),
      vus: {
        type: 'gauge',
        contains: 'default',
        values: { value: 0, min: tally.inFlightMin, max: tally.inFlightMax },
      },
      vus_max: {
        type: 'gauge',
        contains: 'default',
        values: { value: maxInFlight, min: maxInFlight, max: maxInFlight },
      },
      data_sent: counter(tally.bytesSent, 'data'),
      data_received: counter(tally.bytesReceived, 'data'),
    },
    scars: details,
  };
}
