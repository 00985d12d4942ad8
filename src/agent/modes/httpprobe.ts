/**
 * `httpprobe`: HTTP(S) requests against one URL, either periodically (an availability probe during
 * a drain or a rollout: one `attempt` line per request, like the kubelet's prober, the next request
 * starting when the previous one ends) or as load (`--rate`: open-loop requests at a target rate
 * with bounded concurrency, one `tick` line per report interval). Every request is a fresh
 * connection, so connect and TLS handshake time count, and a handshake failure shows up as
 * `tls-error` with the verification code (CERT_HAS_EXPIRED, …).
 */
import { AgentExit } from '../exit-codes.ts';
import { durationFlag, FlagError, positiveIntFlag, rateFlag, statusRangeFlag } from '../args.ts';
import type { HttpRequest, TlsClientOptions } from '../host.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { SummaryFields } from '../output.ts';
import { every, pace } from '../pacer.ts';
import { LatencySamples, type LatencySummary, OutcomeCounts } from '../stats.ts';
import { type NetFailureOutcome, netFailure, roundMs } from './net-outcome.ts';

export type HttpOutcome = 'ok' | 'bad-status' | NetFailureOutcome;

interface LoadOptions {
  /** Requests started per second. */
  rate: number;
  concurrency: number;
  reportIntervalMs: number;
}

export interface HttpprobeOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  expectStatus: (status: number) => boolean;
  caPath?: string;
  insecure: boolean;
  servername?: string;
  /** Periodic mode: time from one start to the next. */
  intervalMs: number;
  count?: number;
  durationMs?: number;
  /** Set: load mode. */
  load?: LoadOptions;
  maxFailureRatio: number;
}

export interface HttpAttempt {
  url: string;
  outcome: HttpOutcome;
  status?: number;
  latencyMs: number;
  error?: string;
  tlsError?: string;
}

export type HttpprobeSummary = SummaryFields & {
  url: string;
  attempts: number;
  outcomes: Partial<Record<HttpOutcome, number>>;
  failures: number;
  failureRatio: number;
  maxFailureRatio: number;
  latency?: LatencySummary;
  elapsedMs: number;
  /** Load mode: slots skipped because `--concurrency` requests were already in flight. */
  skipped?: number;
  /** Load mode: requests started per second over the run. */
  achievedRate?: number;
};

export type HttpprobeEvent =
  | ({ event: 'attempt' } & HttpAttempt)
  | {
      event: 'tick';
      /** Requests started in this interval. */
      started: number;
      /** Requests that finished in this interval; `outcomes` splits them. */
      completed: number;
      outcomes: Partial<Record<HttpOutcome, number>>;
      inFlight: number;
      targetRate: number;
      /** Started per second in this interval. */
      achievedRate: number;
      latency?: LatencySummary;
    }
  | HttpprobeSummary;

/** Response bodies are read and dropped; the cap keeps load runs from holding big bodies. */
const MAX_BODY_BYTES = 64 * 1024;

function headersFlag(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const headers: Record<string, string> = {};
  for (const item of Array.isArray(value) ? value : [value]) {
    const text = String(item);
    const eq = text.indexOf('=');
    const name = eq > 0 ? text.slice(0, eq).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new FlagError('header', item, 'name=value, e.g. --header Host=example.com');
    headers[name] = text.slice(eq + 1).trim();
  }
  return headers;
}

function urlFlag(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new FlagError('url', value, 'an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FlagError('url', value, 'an http:// or https:// URL');
  return url.toString();
}

function ratioFlag(flag: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!(n >= 0 && n <= 1)) throw new FlagError(flag, value, 'a ratio between 0 and 1');
  return n;
}

export const httpprobeMode = defineMode<HttpprobeOptions, HttpprobeEvent>({
  name: 'httpprobe',
  describe: 'Periodic or load-style HTTP(S) requests: status, latency and errors per attempt or per tick',
  flags: (y) =>
    y
      .options({
        url: { type: 'string', demandOption: true, describe: 'http:// or https:// URL to request' },
        interval: {
          type: 'string',
          describe:
            'Periodic mode: time between request starts, the next waiting for the previous (default 1s)',
        },
        count: { type: 'number', describe: 'Stop after this many requests' },
        duration: {
          type: 'string',
          describe: 'Stop starting requests after this long (neither --count nor --duration: until SIGTERM)',
        },
        rate: {
          type: 'string',
          describe:
            'Load mode: requests per second (e.g. 50/s), with --concurrency; tick lines instead of attempts',
        },
        concurrency: { type: 'number', default: 10, describe: 'Load mode: most requests in flight at once' },
        'report-interval': { type: 'string', default: '1s', describe: 'Load mode: time between tick lines' },
        timeout: {
          type: 'string',
          default: '1s',
          describe: 'Whole-request timeout (connect, TLS, response)',
        },
        method: { type: 'string', default: 'GET', describe: 'HTTP method' },
        header: { type: 'string', array: true, describe: 'Request header name=value (repeatable)' },
        'expect-status': {
          type: 'string',
          default: '200-399',
          describe: 'Statuses that count as ok (e.g. 200, 200-299, 200,204)',
        },
        ca: { type: 'string', describe: 'PEM file of CAs to trust for https:// instead of the system roots' },
        insecure: { type: 'boolean', default: false, describe: 'Do not verify the server certificate' },
        servername: {
          type: 'string',
          describe: 'TLS server name (SNI and verification) instead of the URL host',
        },
        'max-failure-ratio': {
          type: 'number',
          describe: 'Exit 1 when failed/attempts exceeds this (default 0 periodic, 0.01 load)',
        },
      })
      .example(
        '$0 httpprobe --url http://web.default.svc/healthz --interval 500ms --duration 5m',
        'Availability probe',
      )
      .example(
        '$0 httpprobe --url http://web/ --rate 200/s --concurrency 50 --duration 2m',
        'Load: 200 requests per second for two minutes, a tick line per second',
      )
      .example(
        '$0 httpprobe --url https://web:8443/ --ca /etc/tls/ca.crt --count 1',
        'One HTTPS request; an expired certificate gives outcome tls-error, tlsError CERT_HAS_EXPIRED',
      ),

  options(argv) {
    const loadMode = argv['rate'] !== undefined;
    if (loadMode && argv['interval'] !== undefined)
      throw new FlagError(
        'interval',
        argv['interval'],
        'either --interval (periodic) or --rate (load), not both',
      );
    return {
      url: urlFlag(argv['url']),
      method: String(argv['method']).toUpperCase(),
      headers: headersFlag(argv['header']),
      timeoutMs: durationFlag('timeout', argv['timeout']),
      expectStatus: statusRangeFlag('expect-status', argv['expect-status']),
      caPath: argv['ca'] as string | undefined,
      insecure: argv['insecure'] === true,
      servername: argv['servername'] as string | undefined,
      intervalMs: durationFlag('interval', argv['interval'] ?? '1s'),
      count: argv['count'] === undefined ? undefined : positiveIntFlag('count', argv['count']),
      durationMs: argv['duration'] === undefined ? undefined : durationFlag('duration', argv['duration']),
      load: loadMode
        ? {
            rate: rateFlag('rate', argv['rate']),
            concurrency: positiveIntFlag('concurrency', argv['concurrency']),
            reportIntervalMs: durationFlag('report-interval', argv['report-interval']),
          }
        : undefined,
      maxFailureRatio:
        argv['max-failure-ratio'] === undefined
          ? loadMode
            ? 0.01
            : 0
          : ratioFlag('max-failure-ratio', argv['max-failure-ratio']),
    };
  },

  run: (options, ctx) => probe(options, ctx),
});

async function probe(options: HttpprobeOptions, ctx: ModeContext<HttpprobeEvent>): Promise<number> {
  const { host, out } = ctx;
  const { clock } = host;

  let tls: TlsClientOptions | undefined;
  if (options.url.startsWith('https:')) {
    let ca: string | undefined;
    try {
      if (options.caPath !== undefined) ca = await host.files.readText(options.caPath);
    } catch (err) {
      out.emit({ event: 'error', message: `--ca: ${err instanceof Error ? err.message : String(err)}` });
      out.emit({
        event: 'summary',
        exitCode: AgentExit.environment,
        stoppedBy: 'error',
        ...emptySummary(options),
      });
      return AgentExit.environment;
    }
    tls = { ca, servername: options.servername, rejectUnauthorized: !options.insecure };
  }
  const request: HttpRequest = {
    url: options.url,
    method: options.method,
    headers: options.headers,
    timeoutMs: options.timeoutMs,
    tls,
    maxBodyBytes: MAX_BODY_BYTES,
  };

  const attempt = async (): Promise<HttpAttempt> => {
    const started = clock.now();
    try {
      const response = await host.net.http(request);
      return {
        url: options.url,
        outcome: options.expectStatus(response.status) ? 'ok' : 'bad-status',
        status: response.status,
        latencyMs: roundMs(clock.now() - started),
      };
    } catch (err) {
      const { outcome, error, tlsError } = netFailure(err);
      return { url: options.url, outcome, latencyMs: roundMs(clock.now() - started), error, tlsError };
    }
  };

  const outcomes = new OutcomeCounts<HttpOutcome>();
  const latency = new LatencySamples();
  const record = (result: HttpAttempt) => {
    outcomes.add(result.outcome);
    latency.add(result.latencyMs);
  };

  const load = options.load;
  let paced: Awaited<ReturnType<typeof pace>>;
  if (!load) {
    paced = await pace(
      {
        clock,
        rate: 1000 / Math.max(options.intervalMs, 1),
        count: options.count,
        // Neither count nor duration: probe until SIGTERM.
        durationMs:
          options.durationMs ?? (options.count === undefined ? Number.POSITIVE_INFINITY : undefined),
        concurrency: 1,
        whenBusy: 'wait',
        signal: host.terminated,
      },
      async () => {
        const result = await attempt();
        record(result);
        out.emit({ event: 'attempt', ...result });
      },
    );
  } else {
    let windowStarted = 0;
    let windowFrom = clock.now();
    let inFlight = 0;
    let windowOutcomes = new OutcomeCounts<HttpOutcome>();
    const windowLatency = new LatencySamples();
    const tick = () => {
      const now = clock.now();
      const seconds = Math.max(now - windowFrom, 1) / 1000;
      out.emit({
        event: 'tick',
        started: windowStarted,
        completed: windowOutcomes.total(),
        outcomes: windowOutcomes.toJSON(),
        inFlight,
        targetRate: load.rate,
        achievedRate: Math.round((windowStarted / seconds) * 100) / 100,
        latency: windowLatency.summary(),
      });
      windowStarted = 0;
      windowFrom = now;
      windowOutcomes = new OutcomeCounts<HttpOutcome>();
      windowLatency.reset();
    };
    const stopTicks = every(clock, load.reportIntervalMs, tick, host.terminated);
    paced = await pace(
      {
        clock,
        rate: load.rate,
        count: options.count,
        durationMs:
          options.durationMs ?? (options.count === undefined ? Number.POSITIVE_INFINITY : undefined),
        concurrency: load.concurrency,
        whenBusy: 'skip',
        signal: host.terminated,
      },
      async () => {
        windowStarted++;
        inFlight++;
        const result = await attempt();
        inFlight--;
        record(result);
        windowOutcomes.add(result.outcome);
        windowLatency.add(result.latencyMs);
      },
    );
    stopTicks();
    // The last, partial interval, so the ticks add up to the summary.
    if (windowStarted > 0 || windowOutcomes.total() > 0) tick();
  }

  const attempts = outcomes.total();
  const failures = attempts - outcomes.get('ok');
  const failureRatio = attempts === 0 ? 0 : failures / attempts;
  const exitCode = failureRatio > options.maxFailureRatio ? AgentExit.observedFailure : AgentExit.ok;
  out.emit({
    event: 'summary',
    exitCode,
    stoppedBy: paced.stoppedBy,
    url: options.url,
    attempts,
    outcomes: outcomes.toJSON(),
    failures,
    failureRatio: Math.round(failureRatio * 10_000) / 10_000,
    maxFailureRatio: options.maxFailureRatio,
    latency: latency.summary(),
    elapsedMs: roundMs(paced.elapsedMs),
    ...(load
      ? {
          skipped: paced.skipped,
          achievedRate: Math.round((paced.started / Math.max(paced.elapsedMs / 1000, 0.001)) * 100) / 100,
        }
      : {}),
  });
  return exitCode;
}

function emptySummary(options: HttpprobeOptions): Omit<HttpprobeSummary, 'event' | 'exitCode' | 'stoppedBy'> {
  return {
    url: options.url,
    attempts: 0,
    outcomes: {},
    failures: 0,
    failureRatio: 0,
    maxFailureRatio: options.maxFailureRatio,
    elapsedMs: 0,
  };
}
