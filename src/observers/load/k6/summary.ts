/**
 * k6's end-of-test summary → LoadResult (src/observers/load/summary.ts), the shape the built-in
 * generator returns, so observers and assertions read either engine alike. Reads the object
 * `handleSummary(data)` receives (`metrics.<name>.values`), and also a `--summary-export` file
 * (the same metrics flattened, rates' `rate` renamed `value`) should a user hand one over.
 * Per-status and per-error counts come from the script's `scars_status_*` / `scars_error_*`
 * counters (script.ts); transport errors are named like the built-in generator names them.
 */
import type {
  BuiltinDetails,
  CounterMetric,
  GaugeMetric,
  LoadMetrics,
  LoadResult,
  RateMetric,
  TrendMetric,
  TrendValues,
} from '../summary.ts';
import { SUMMARY_TREND_STATS } from '../summary.ts';

export class K6SummaryError extends Error {
  override name = 'K6SummaryError';
}

/** k6 error codes (lib/netext/httpext/error_codes.go) → the cause names the built-in generator uses. */
const ERROR_CAUSES: Record<number, string> = {
  1050: 'timeout',
  1101: 'ENOTFOUND',
  1201: 'EPIPE',
  1211: 'ETIMEDOUT',
  1212: 'ECONNREFUSED',
  1220: 'ECONNRESET',
  1310: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  1311: 'ERR_TLS_CERT_ALTNAME_INVALID',
};

/** A failure without a response, by k6 error code: a Node-style name where one fits, else `k6:<code>`. */
export function k6ErrorCause(code: number | string): string {
  const n = Number(code);
  return ERROR_CAUSES[n] ?? `k6:${String(code)}`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A metric's values, whether handleSummary's `{values}` or --summary-export's flattened form. */
function valuesOf(metric: unknown): Json | undefined {
  if (!isObject(metric)) return undefined;
  if (isObject(metric.values)) return metric.values;
  const flat = { ...metric };
  delete flat.thresholds;
  // --summary-export renames a rate's `rate` to `value`; a rate is the one with passes and fails.
  if ('passes' in flat && 'fails' in flat && 'value' in flat && !('rate' in flat)) {
    flat.rate = flat.value;
    delete flat.value;
  }
  return flat;
}

function num(values: Json | undefined, key: string, where: string): number {
  const v = values?.[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new K6SummaryError(`${where}.${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function counter(metrics: Json, name: string, contains: 'default' | 'data' = 'default'): CounterMetric {
  const v = valuesOf(metrics[name]);
  const where = `metrics.${name}`;
  return {
    type: 'counter',
    contains,
    values: { count: num(v, 'count', where), rate: num(v, 'rate', where) },
  };
}

function rate(metrics: Json, name: string): RateMetric {
  const v = valuesOf(metrics[name]);
  const where = `metrics.${name}`;
  return {
    type: 'rate',
    contains: 'default',
    values: { rate: num(v, 'rate', where), passes: num(v, 'passes', where), fails: num(v, 'fails', where) },
  };
}

function trend(metrics: Json, name: string): TrendMetric {
  const v = valuesOf(metrics[name]);
  const where = `metrics.${name}`;
  const values = Object.fromEntries(
    SUMMARY_TREND_STATS.map((s) => [s, num(v, s, where)]),
  ) as unknown as TrendValues;
  return { type: 'trend', contains: 'time', values };
}

function gauge(metrics: Json, name: string): GaugeMetric {
  const v = valuesOf(metrics[name]);
  const where = `metrics.${name}`;
  return {
    type: 'gauge',
    contains: 'default',
    values: { value: num(v, 'value', where), min: num(v, 'min', where), max: num(v, 'max', where) },
  };
}

/** `scars_<prefix>_<key>` counters → { key: count } (keys mapped by `name`), zero counts left out. */
function countsOf(metrics: Json, prefix: string, name: (key: string) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const metric of Object.keys(metrics)) {
    if (!metric.startsWith(prefix)) continue;
    const count = num(valuesOf(metrics[metric]), 'count', `metrics.${metric}`);
    if (count > 0) {
      const key = name(metric.slice(prefix.length));
      out[key] = (out[key] ?? 0) + count;
    }
  }
  return out;
}

/** What the caller knows about the run; statuses and errors come from the summary. */
export type K6RunDetails = Omit<BuiltinDetails, 'source' | 'statuses' | 'errors' | 'interrupted'>;

/**
 * Parses k6's summary JSON. `where` names the source (a file, a pod) in errors. Throws
 * K6SummaryError when it is not a k6 summary or a value is not a number.
 */
export function parseK6Summary(text: string, details: K6RunDetails, where: string): LoadResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new K6SummaryError(`${where}: not JSON: ${(err as Error).message}`);
  }
  if (!isObject(data) || !isObject(data.metrics))
    throw new K6SummaryError(`${where}: expected a k6 summary with a "metrics" object`);
  const m = data.metrics;
  if (!('iterations' in m) && !('http_reqs' in m) && !('vus_max' in m))
    throw new K6SummaryError(`${where}: metrics has none of k6's (http_reqs, iterations, vus_max)`);
  try {
    const metrics: LoadMetrics = {
      http_reqs: counter(m, 'http_reqs'),
      http_req_failed: rate(m, 'http_req_failed'),
      http_req_duration: trend(m, 'http_req_duration'),
      'http_req_duration{expected_response:true}': trend(m, 'http_req_duration{expected_response:true}'),
      iterations: counter(m, 'iterations'),
      dropped_iterations: counter(m, 'dropped_iterations'),
      vus: gauge(m, 'vus'),
      vus_max: gauge(m, 'vus_max'),
      data_sent: counter(m, 'data_sent', 'data'),
      data_received: counter(m, 'data_received', 'data'),
    };
    const state = isObject(data.state) ? data.state : {};
    const options = isObject(data.options) ? data.options : {};
    const trendStats = Array.isArray(options.summaryTrendStats)
      ? options.summaryTrendStats.filter((s): s is string => typeof s === 'string')
      : [...SUMMARY_TREND_STATS];
    const rootId =
      isObject(data.root_group) && typeof data.root_group.id === 'string' ? data.root_group.id : '';
    return {
      root_group: { name: '', path: '', id: rootId, groups: [], checks: [] },
      options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: options.noColor === true },
      state: {
        isStdOutTTY: state.isStdOutTTY === true,
        isStdErrTTY: state.isStdErrTTY === true,
        testRunDurationMs: num(state, 'testRunDurationMs', 'state'),
      },
      metrics,
      scars: {
        source: 'k6',
        ...details,
        statuses: countsOf(m, 'scars_status_', (k) => k),
        errors: countsOf(m, 'scars_error_', (k) => (k === 'other' ? 'k6:other' : k6ErrorCause(k))),
        interrupted: 0,
      },
    };
  } catch (err) {
    if (err instanceof K6SummaryError) throw new K6SummaryError(`${where}: ${err.message}`);
    throw err;
  }
}
