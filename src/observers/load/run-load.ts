/**
 * The built-in load generator, used when k6 is not installed: k6's constant-arrival-rate
 * executor in-process. Request i starts at `i / rate` whatever earlier requests are doing (open
 * loop, src/agent/pacer.ts on the wall clock), with at most `maxInFlight` in flight (k6's
 * preAllocatedVUs = maxVUs); a start that finds them all busy is dropped and counted as
 * `dropped_iterations`, as k6 counts it. Requests go over an undici keep-alive pool, one
 * connection per in-flight request at most, reusing connections as k6 does by default.
 *
 * Every request has a timeout (k6's default is 60 s); the run is bounded by its duration (and
 * an optional count) and ends early on the signal, interrupting what is in flight. Latencies are
 * kept and ranked exactly (nearest rank). Bytes sent and received are counted on the TCP
 * connections, TLS records included, like k6's data_sent/data_received.
 *
 * Targets must be loopback unless `allowNonLoopback` (target.ts).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { type buildConnector, Pool } from 'undici';
import { realClock } from '../../agent/host/real.ts';
import { pace } from '../../agent/pacer.ts';
import { type LoadResult, type LoadTally, newTally, summarize } from './summary.ts';
import { checkTarget } from './target.ts';

export interface LoadTls {
  /** CA certificates (PEM) to trust instead of the system roots. */
  ca?: string | string[];
  /** Skip certificate verification (k6's insecureSkipTLSVerify). */
  insecure?: boolean;
  /** SNI and the name verified (default: the Host header, else the URL's host when it is a name). */
  servername?: string;
}

export interface LoadOptions {
  url: string;
  /** Requests started per second. */
  rate: number;
  /** How long to keep starting requests (those in flight are awaited, up to their timeout). */
  durationMs: number;
  /** Stop after this many requests (default: as many as the duration holds). */
  count?: number;
  /** Requests in flight at most (k6's preAllocatedVUs/maxVUs); default: the rate, at least 1, at most 1000. */
  maxInFlight?: number;
  /** Per-request timeout (default 60 s, k6's). */
  timeoutMs?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  tls?: LoadTls;
  signal?: AbortSignal;
  /** Allow targets outside loopback (default: refused). */
  allowNonLoopback?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

class LoadOptionError extends RangeError {
  override name = 'LoadOptionError';
}

function positive(name: string, value: number | undefined, integer = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new LoadOptionError(
      `load: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
}

/** Checks what every load engine needs (the target, positive numbers); the target's URL. */
export function checkLoadOptions(options: LoadOptions): URL {
  const target = checkTarget(options.url, options.allowNonLoopback ?? false);
  positive('rate', options.rate);
  positive('durationMs', options.durationMs);
  positive('count', options.count, true);
  positive('maxInFlight', options.maxInFlight, true);
  positive('timeoutMs', options.timeoutMs);
  return target;
}

/** Opens TCP (then TLS) connections for the pool, counting the bytes on the TCP sockets. */
function countingConnector(
  tls: LoadTls,
  timeoutMs: number,
  tally: LoadTally,
): { connect: buildConnector.connector; flush(): void } {
  const open = new Set<Socket>();
  const settle = (raw: Socket) => {
    if (!open.delete(raw)) return;
    tally.bytesSent += raw.bytesWritten;
    tally.bytesReceived += raw.bytesRead;
  };
  const connect: buildConnector.connector = (opts, callback) => {
    const https = opts.protocol === 'https:';
    const port = Number(opts.port) || (https ? 443 : 80);
    const raw = netConnect({ host: opts.hostname, port });
    raw.setNoDelay(true);
    open.add(raw);
    raw.once('close', () => settle(raw));
    let socket: Socket | TLSSocket = raw;
    if (https) {
      const servername = tls.servername ?? opts.servername;
      socket = tlsConnect({
        socket: raw,
        ...(servername ? { servername } : {}),
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        rejectUnauthorized: !tls.insecure,
        ALPNProtocols: ['http/1.1'],
      });
    }
    let done = false;
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        callback(err, null);
      } else callback(null, socket);
    };
    socket.once(https ? 'secureConnect' : 'connect', () => finish(null));
    socket.once('error', (err) => finish(err));
    if (https) raw.once('error', (err) => finish(err));
  };
  // Sockets still open when the run ends: count what they carried.
  const flush = () => {
    for (const raw of [...open]) settle(raw);
  };
  return { connect, flush };
}

/** Why a request got no response: our timeout, a socket or TLS error code, or the error's name. */
function failureCause(err: unknown, timedOut: boolean): string {
  if (timedOut) return 'timeout';
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  return e.cause?.code ?? e.code ?? e.name ?? 'error';
}

/** Runs the load and returns k6's end-of-test summary for it (summary.ts). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = checkLoadOptions(options);
  const rate = options.rate;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxInFlight = options.maxInFlight ?? Math.min(1000, Math.max(1, Math.ceil(rate)));
  const method = (options.method ?? 'GET').toUpperCase();
  const path = `${target.pathname}${target.search}`;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const tally = newTally();
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  let interrupted = 0;
  let inFlight = 0;
  const connector = countingConnector(options.tls ?? {}, timeoutMs, tally);
  const pool = new Pool(target.origin, {
    connections: maxInFlight,
    pipelining: 1,
    connect: connector.connect,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const one = async (): Promise<void> => {
    inFlight++;
    tally.inFlightMax = Math.max(tally.inFlightMax, inFlight);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('request timed out')), timeoutMs);
    const started = performance.now();
    let status: number | undefined;
    let cause: string | undefined;
    try {
      const res = await pool.request({
        path,
        method,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        signal: AbortSignal.any([timeout.signal, signal]),
      });
      // k6 reads the whole body (http_req_duration includes receiving it).
      for await (const chunk of res.body) void chunk;
      status = res.statusCode;
    } catch (err) {
      cause = failureCause(err, timeout.signal.aborted);
    } finally {
      clearTimeout(timer);
      inFlight--;
      tally.inFlightMin = Math.min(tally.inFlightMin, inFlight);
    }
    if (status === undefined && signal.aborted && !timeout.signal.aborted) {
      interrupted++;
      return;
    }
    const ms = performance.now() - started;
    tally.durations.add(ms);
    if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (cause !== undefined) errors.set(cause, (errors.get(cause) ?? 0) + 1);
    // k6's default expected statuses: 200–399.
    if (status !== undefined && status >= 200 && status < 400) {
      tally.succeeded++;
      tally.okDurations.add(ms);
    } else tally.failed++;
  };

  const started = performance.now();
  let result: Awaited<ReturnType<typeof pace>>;
  try {
    result = await pace(
      {
        clock: realClock,
        rate,
        durationMs: options.durationMs,
        ...(options.count !== undefined ? { count: options.count } : {}),
        concurrency: maxInFlight,
        whenBusy: 'skip',
        signal,
      },
      one,
    );
  } finally {
    stop.abort(new Error('load run finished'));
    await pool.destroy().catch(() => undefined);
    connector.flush();
  }
  const elapsedMs = performance.now() - started;
  tally.dropped = result.skipped;
  return summarize(
    tally,
    elapsedMs,
    {
      source: 'builtin',
      url: options.url,
      method,
      rate,
      durationMs: options.durationMs,
      maxInFlight,
      timeoutMs,
      stoppedBy: result.stoppedBy,
      statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
      errors: Object.fromEntries(errors),
      interrupted,
    },
    maxInFlight,
  );
}
