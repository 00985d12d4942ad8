/**
 * Runs a k6 script through the k6 CLI (execa, argument array, never a shell):
 *
 *   k6 run --quiet --no-color --no-usage-report --env SCARS_K6_SUMMARY=<file> [--out json=<file>] <script>
 *
 * The summary comes from the script's handleSummary (script.ts says why not --summary-export);
 * `--out json` streams per-request points for observers that sample while k6 runs (points.ts).
 * `--no-usage-report` keeps k6 from reporting usage to Grafana (no traffic but the load).
 *
 * Exit codes: 0 done; 99 thresholds failed (not an error: the summary stands, `thresholdsFailed`);
 * 105 after our stop signal (k6 stops gracefully on SIGTERM and still writes its summary). Any
 * other exit, a missing summary, or running past duration + request timeout + grace is an error
 * naming what ran, k6's meaning of the exit code, and the end of its stderr. The run is killed on
 * the caller's signal (SIGTERM, SIGKILL 5 s later).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExitCode, ScarsError } from '../../../errors.ts';
import { shellWord } from '../../../harness/shell-words.ts';
import { checkLoadOptions, type LoadOptions } from '../run-load.ts';
import type { LoadResult } from '../summary.ts';
import { findK6, k6MissingMessage } from './engine.ts';
import { k6Script } from './script.ts';
import { parseK6Summary } from './summary.ts';

/** k6's exit codes (errext/exitcodes/codes.go). */
export const K6_EXIT_CODES: Readonly<Record<number, string>> = {
  97: 'cloud test run failed',
  98: 'cloud: failed to get progress',
  99: 'thresholds failed',
  100: 'setup() timed out',
  101: 'teardown() timed out',
  102: 'timed out',
  103: 'stopped from the REST API',
  104: 'invalid config',
  105: 'aborted by a signal',
  106: 'cannot start the REST API',
  107: 'script exception',
  108: 'script aborted (test.abort())',
  109: 'Go panic',
  110: 'marked as failed',
};

export const K6_THRESHOLDS_FAILED = 99;
export const K6_EXTERNAL_ABORT = 105;

/** k6 could not run or ended badly: a tool failure (exit 3). */
export class K6RunError extends ScarsError {
  constructor(message: string) {
    super(message, ExitCode.clusterFailure);
  }
}

export interface K6Options extends LoadOptions {
  /** The k6 executable (default: the first `k6` on PATH). */
  k6Path?: string;
  /** Stream per-request points to this file (`--out json=`), for K6PointReader. */
  pointsFile?: string;
  /** Folder for the script and summary (default: a temp folder, removed afterwards). */
  workDir?: string;
  /** Time for k6 to start and write its summary, beyond duration + request timeout. Default 30 s. */
  graceMs?: number;
  /** A line for the script's header. */
  comment?: string;
}

export interface K6Run {
  /** The command line, for messages and reports. */
  command: string;
  scriptFile: string;
  /** The summary when k6 has ended: after its duration, or after the signal. */
  result: Promise<LoadResult>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_GRACE_MS = 30_000;

/** Starts k6; `result` settles when it ends. Throws at once on bad options or a missing k6. */
export function startK6(options: K6Options): K6Run {
  const target = checkLoadOptions(options);
  if (options.body !== undefined && typeof options.body !== 'string')
    throw new RangeError('k6 load: body must be a string (the script embeds it as text)');
  const k6Path = options.k6Path ?? findK6();
  if (!k6Path) throw new K6RunError(k6MissingMessage());

  const rate = options.rate;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxInFlight = options.maxInFlight ?? Math.min(1000, Math.max(1, Math.ceil(rate)));
  // k6's arrival-rate executors have no iteration cap: a count becomes the time it takes at the rate.
  const durationMs =
    options.count !== undefined
      ? Math.min(options.durationMs, (options.count / rate) * 1000)
      : options.durationMs;
  const method = (options.method ?? 'GET').toUpperCase();

  const owned = options.workDir === undefined;
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), 'scars-k6-'));
  mkdirSync(dir, { recursive: true });
  const scriptFile = join(dir, 'load.js');
  const summaryFile = join(dir, 'summary.json');
  rmSync(summaryFile, { force: true });

  // SNI on a name: k6 takes it from the URL, so the URL names it and `hosts` maps it to the address.
  let url = options.url;
  const hosts: Record<string, string> = {};
  const servername = options.tls?.servername;
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (target.protocol === 'https:' && servername && servername !== host) {
    const u = new URL(options.url);
    u.hostname = servername;
    url = u.toString();
    hosts[servername] = host;
  }
  const env: Record<string, string> = { K6_NO_USAGE_REPORT: 'true' };
  if (options.tls?.ca !== undefined) {
    // Go (k6) trusts SSL_CERT_FILE instead of the system roots on Linux and the BSDs.
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, [options.tls.ca].flat().join('\n'));
    env.SSL_CERT_FILE = caFile;
  }
  writeFileSync(
    scriptFile,
    k6Script({
      url,
      rate,
      durationMs,
      timeoutMs,
      maxInFlight,
      method,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(typeof options.body === 'string' ? { body: options.body } : {}),
      ...(options.tls?.insecure ? { insecureSkipTLSVerify: true } : {}),
      hosts,
      comment: options.comment ?? `${method} ${options.url} at ${rate}/s for ${durationMs} ms`,
    }),
  );

  const args = [
    'run',
    '--quiet',
    '--no-color',
    '--no-usage-report',
    '--env',
    `SCARS_K6_SUMMARY=${summaryFile}`,
    ...(options.pointsFile ? ['--out', `json=${options.pointsFile}`] : []),
    scriptFile,
  ];
  const command = [k6Path, ...args].map(shellWord).join(' ');
  const started = performance.now();
  const child = execa(k6Path, args, {
    cwd: dir,
    env,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: durationMs + timeoutMs + (options.graceMs ?? DEFAULT_GRACE_MS),
    forceKillAfterDelay: 5000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });

  const result = (async (): Promise<LoadResult> => {
    try {
      const r = await child;
      const tail = (r.all ?? '').trim().split('\n').slice(-3).join(' | ');
      const detail = tail ? `: ${tail}` : '';
      if (r.timedOut) throw new K6RunError(`k6 ran past its time limit and was killed (${command})${detail}`);
      if (r.exitCode === undefined) {
        const why =
          r.isCanceled && r.signal ? `stopped by ${r.signal} before writing a summary` : r.shortMessage;
        throw new K6RunError(`k6 ${why} (${command})${detail}`);
      }
      const code = r.exitCode;
      const stoppedBySignal = code === K6_EXTERNAL_ABORT && r.isCanceled;
      if (code !== 0 && code !== K6_THRESHOLDS_FAILED && !stoppedBySignal) {
        const meaning = K6_EXIT_CODES[code] ? ` (${K6_EXIT_CODES[code]})` : '';
        throw new K6RunError(`k6 exited with code ${code}${meaning}: ${command}${detail}`);
      }
      let text: string;
      try {
        text = readFileSync(summaryFile, 'utf8');
      } catch {
        throw new K6RunError(
          `k6 exited with code ${code} but wrote no summary to ${summaryFile} (is handleSummary intact?): ${command}${detail}`,
        );
      }
      return parseK6Summary(
        text,
        {
          url: options.url,
          method,
          rate,
          durationMs,
          maxInFlight,
          timeoutMs,
          stoppedBy: stoppedBySignal ? 'signal' : options.count !== undefined ? 'count' : 'duration',
          k6: { command, exitCode: code, thresholdsFailed: code === K6_THRESHOLDS_FAILED },
        },
        summaryFile,
      );
    } catch (err) {
      if (err instanceof ScarsError || err instanceof RangeError) throw err;
      throw new K6RunError(
        `k6 failed after ${Math.round(performance.now() - started)} ms: ${(err as Error).message}`,
      );
    } finally {
      if (owned) rmSync(dir, { recursive: true, force: true });
    }
  })();
  return { command, scriptFile, result };
}

/** Runs k6 to the end and returns its summary as a LoadResult (what `runLoad` returns). */
export function runK6(options: K6Options): Promise<LoadResult> {
  try {
    return startK6(options).result;
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
