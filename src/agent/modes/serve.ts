/**
 * `serve`: the workload side of the probe and availability scenarios. An HTTP (and optionally
 * HTTPS) server with a liveness endpoint (`/healthz`), a readiness endpoint (`/readyz`) that fails
 * during a warm-up and again once the pod is terminating, and a catch-all that answers with a small
 * JSON document. Knobs model the apps that get burned: added latency, a worker pool that makes
 * health checks queue behind real work under load, and a shutdown delay that keeps serving after
 * SIGTERM while readiness reports 503 (so endpoints drop the pod before it stops accepting).
 *
 * With `--imds` it also answers the fake cloud metadata paths (src/agent/imds/fake-imds.ts), so a
 * pod in kind or the sim can stand in for 169.254.169.254.
 */
import { AgentExit } from '../exit-codes.ts';
import { durationFlag, FlagError, positiveIntFlag, portFlag } from '../args.ts';
import type { Host, IncomingRequest, Listener, OutgoingResponse } from '../host.ts';
import { createFakeImds, type FakeImdsHandler } from '../imds/fake-imds.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { SummaryFields } from '../output.ts';
import { every } from '../pacer.ts';
import { LatencySamples, type LatencySummary, OutcomeCounts } from '../stats.ts';
import { roundMs } from './net-outcome.ts';
import { WorkerPool } from './worker-pool.ts';

export interface ServeOptions {
  port: number;
  /** Bind address; the host's default (all interfaces) when absent. */
  address?: string;
  tls?: { port: number; certPath: string; keyPath: string };
  warmupMs: number;
  latencyMs: number;
  /** Latency for /healthz and /readyz instead of `latencyMs`. */
  probeLatencyMs?: number;
  /** Worker pool size; unbounded when absent (every request works in parallel). */
  workers?: number;
  workMs: number;
  probesBypassWorkers: boolean;
  failLiveness: boolean;
  failReadiness: boolean;
  shutdownDelayMs: number;
  /** A request to this path makes the process exit (a poison request); unset: no such path. */
  crashPath?: string;
  /** 0: no stats lines. */
  statsIntervalMs: number;
  logRequests: boolean;
  imds?: { role?: string; requireToken: boolean };
}

/** Per-interval traffic (stats lines) and the run's totals (summary) have the same shape. */
interface TrafficFields {
  requests: number;
  /** Requests by path (query dropped); paths past the first 100 distinct ones count as `(other)`. */
  byPath: Record<string, number>;
  byStatus: Record<string, number>;
  latency?: LatencySummary;
}

export type ServeSummary = SummaryFields &
  TrafficFields & {
    uptimeMs: number;
  };

export type ServeEvent =
  | { event: 'listening'; port: number; tls: boolean; address: string }
  | {
      event: 'request';
      method: string;
      path: string;
      status: number;
      /** Arrival to response, server side: added latency, queueing for a worker and the work itself. */
      latencyMs: number;
      /** Time spent waiting for a free worker. */
      queuedMs: number;
      /**
       * What /readyz answered when the request arrived: false during warm-up, with
       * --fail-readiness, or once terminating. Traffic that reaches an unready app is what
       * readiness gating is meant to prevent.
       */
      ready: boolean;
      /** The request arrived after SIGTERM (during --shutdown-delay). */
      terminating: boolean;
      tls: boolean;
      remoteAddress: string;
    }
  | ({
      event: 'stats';
      /** This interval's traffic; `totalRequests` counts the whole run. */
      totalRequests: number;
      inFlight: number;
      /** Requests waiting for a worker right now (0 without `--workers`). */
      queueDepth: number;
      busyWorkers?: number;
      ready: boolean;
    } & TrafficFields)
  | { event: 'terminating'; shutdownDelayMs: number; inFlight: number; queueDepth: number }
  | { event: 'crash'; path: string; exitCode: number; inFlight: number; queueDepth: number }
  | ServeSummary;

const MAX_DISTINCT_PATHS = 100;
/** What Node exits with on an uncaught exception, the usual way a web app crashes. */
const CRASH_EXIT_CODE = 1;
const OTHER_PATHS = '(other)';

/** Request counts for one window (stats) or the whole run (summary). */
class Traffic {
  requests = 0;
  readonly byPath = new OutcomeCounts();
  readonly byStatus = new OutcomeCounts();
  readonly latency = new LatencySamples();
  private readonly paths = new Set<string>();

  add(path: string, status: number, latencyMs: number): void {
    this.requests++;
    if (!this.paths.has(path) && this.paths.size >= MAX_DISTINCT_PATHS) path = OTHER_PATHS;
    this.paths.add(path);
    this.byPath.add(path);
    this.byStatus.add(String(status));
    this.latency.add(latencyMs);
  }

  fields(): TrafficFields {
    return {
      requests: this.requests,
      byPath: this.byPath.toJSON(),
      byStatus: this.byStatus.toJSON(),
      latency: this.latency.summary(),
    };
  }
}

const text = (status: number, body: string): OutgoingResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: `${body}\n`,
});

const pathOnly = (raw: string) => {
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
};

const isProbePath = (path: string) => path === '/healthz' || path === '/readyz';

function crashPathFlag(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const path = String(value);
  if (!path.startsWith('/') || isProbePath(path))
    throw new FlagError('crash-path', value, 'a path starting with /, other than /healthz and /readyz');
  return path;
}

function optionalDuration(argv: Record<string, unknown>, flag: string): number | undefined {
  return argv[flag] === undefined ? undefined : durationFlag(flag, argv[flag]);
}

function tlsOptions(argv: Record<string, unknown>): ServeOptions['tls'] {
  const dir = argv['tls-dir'] as string | undefined;
  const cert = argv['cert'] as string | undefined;
  const key = argv['key'] as string | undefined;
  if (dir !== undefined && (cert !== undefined || key !== undefined))
    throw new FlagError('tls-dir', dir, 'either --tls-dir or --cert and --key, not both');
  const certPath = dir !== undefined ? `${dir.replace(/\/+$/, '')}/tls.crt` : cert;
  const keyPath = dir !== undefined ? `${dir.replace(/\/+$/, '')}/tls.key` : key;
  if (argv['tls-port'] === undefined) {
    if (certPath !== undefined || keyPath !== undefined)
      throw new FlagError('tls-port', undefined, 'a port for HTTPS when --cert/--key or --tls-dir is given');
    return undefined;
  }
  const port = portFlag('tls-port', argv['tls-port']);
  if (certPath === undefined || keyPath === undefined)
    throw new FlagError(
      certPath === undefined ? 'cert' : 'key',
      undefined,
      'the PEM certificate and key files for --tls-port (--cert and --key, or --tls-dir)',
    );
  return { port, certPath, keyPath };
}

export const serveMode = defineMode<ServeOptions, ServeEvent>({
  name: 'serve',
  describe: 'HTTP(S) server with /healthz and /readyz, warm-up, latency, a worker pool and graceful shutdown',
  flags: (y) =>
    y
      .options({
        port: { type: 'number', default: 8080, describe: 'HTTP port (0: any free port)' },
        address: { type: 'string', describe: 'Bind address (default: all interfaces)' },
        'tls-port': { type: 'number', describe: 'Also serve HTTPS on this port (off unless set)' },
        cert: { type: 'string', describe: 'PEM certificate chain file for --tls-port' },
        key: { type: 'string', describe: 'PEM private key file for --tls-port' },
        'tls-dir': {
          type: 'string',
          describe: 'Directory holding tls.crt and tls.key (a mounted kubernetes.io/tls Secret)',
        },
        warmup: {
          type: 'string',
          default: '0s',
          describe: '/readyz answers 503 until this long after start',
        },
        latency: { type: 'string', default: '0s', describe: 'Added to every request, probes included' },
        'probe-latency': {
          type: 'string',
          describe: 'Added to /healthz and /readyz instead of --latency',
        },
        workers: {
          type: 'number',
          describe:
            'Worker pool size: requests queue for a free worker, then take --work (default: no limit)',
        },
        work: { type: 'string', default: '0s', describe: 'Time each request holds a worker' },
        'probes-bypass-workers': {
          type: 'boolean',
          default: false,
          describe: '/healthz and /readyz skip the worker pool and --work',
        },
        'fail-liveness': { type: 'boolean', default: false, describe: '/healthz always answers 500' },
        'fail-readiness': { type: 'boolean', default: false, describe: '/readyz always answers 503' },
        'shutdown-delay': {
          type: 'string',
          default: '0s',
          describe: 'On SIGTERM: /readyz answers 503 and serving goes on this long before listeners close',
        },
        'stats-interval': {
          type: 'string',
          default: '10s',
          describe: 'How often to write a stats line (0: never)',
        },
        'log-requests': { type: 'boolean', default: false, describe: 'Write a request line per request' },
        'crash-path': {
          type: 'string',
          describe: `A request to this path makes the server exit with code ${CRASH_EXIT_CODE} at once, like an uncaught exception (off unless set)`,
        },
        imds: {
          type: 'boolean',
          default: false,
          describe: 'Also answer as a fake cloud metadata service (AWS, GCP, Azure paths; fake credentials)',
        },
        'imds-role': {
          type: 'string',
          describe: 'Role name the fake metadata service reports (with --imds)',
        },
        'imds-require-token': {
          type: 'boolean',
          default: false,
          describe: 'Fake metadata service requires an IMDSv2 token (with --imds)',
        },
      })
      .example('$0 serve', 'HTTP on :8080 with /healthz, /readyz and /')
      .example(
        '$0 serve --warmup 20s --shutdown-delay 10s --tls-port 8443 --tls-dir /etc/tls',
        'Unready for 20s, HTTPS from a mounted TLS Secret, graceful shutdown',
      )
      .example(
        '$0 serve --workers 2 --work 200ms',
        'A busy app: under load /healthz queues behind requests and misses probe timeouts',
      )
      .example('$0 serve --port 8080 --imds', 'A fake instance-metadata endpoint')
      .example('$0 serve --crash-path /crash', 'A request to /crash makes the container exit with code 1'),

  options(argv) {
    const workers = argv['workers'] === undefined ? undefined : positiveIntFlag('workers', argv['workers']);
    const imds = argv['imds'] === true;
    if (!imds && argv['imds-role'] !== undefined)
      throw new FlagError('imds-role', argv['imds-role'], '--imds as well');
    return {
      port: portFlag('port', argv['port']),
      address: argv['address'] as string | undefined,
      tls: tlsOptions(argv),
      warmupMs: durationFlag('warmup', argv['warmup']),
      latencyMs: durationFlag('latency', argv['latency']),
      probeLatencyMs: optionalDuration(argv, 'probe-latency'),
      workers,
      workMs: durationFlag('work', argv['work']),
      probesBypassWorkers: argv['probes-bypass-workers'] === true,
      failLiveness: argv['fail-liveness'] === true,
      failReadiness: argv['fail-readiness'] === true,
      shutdownDelayMs: durationFlag('shutdown-delay', argv['shutdown-delay']),
      statsIntervalMs: durationFlag('stats-interval', argv['stats-interval']),
      logRequests: argv['log-requests'] === true,
      crashPath: crashPathFlag(argv['crash-path']),
      imds: imds
        ? {
            role: argv['imds-role'] as string | undefined,
            requireToken: argv['imds-require-token'] === true,
          }
        : undefined,
    };
  },

  run: (options, ctx) => new Server(options, ctx).run(),
});

/** One run of the server: its state is the mode's state (ready, terminating, counters). */
class Server {
  private readonly host: Host;
  private readonly startedAt: number;
  private readonly pool: WorkerPool | undefined;
  private readonly imds: FakeImdsHandler | undefined;
  private readonly total = new Traffic();
  private window = new Traffic();
  private inFlight = 0;
  /** Responses from the catch-all so far (the JSON's `served`). */
  private served = 0;
  private terminating = false;
  /** Set once a request hits --crash-path: the run ends at once with CRASH_EXIT_CODE. */
  private readonly crashed: Promise<string>;
  private crash: (path: string) => void = () => {};

  constructor(
    private readonly options: ServeOptions,
    private readonly ctx: ModeContext<ServeEvent>,
  ) {
    this.host = ctx.host;
    this.startedAt = this.host.clock.now();
    this.pool = options.workers === undefined ? undefined : new WorkerPool(options.workers);
    this.crashed = new Promise<string>((resolve) => {
      this.crash = resolve;
    });
    this.imds = options.imds
      ? createFakeImds({
          clock: this.host.clock,
          role: options.imds.role,
          requireToken: options.imds.requireToken,
        })
      : undefined;
  }

  async run(): Promise<number> {
    const { host, options } = this;
    const listeners: Listener[] = [];
    try {
      let tls: { cert: string; key: string } | undefined;
      if (options.tls)
        tls = {
          cert: await host.files.readText(options.tls.certPath),
          key: await host.files.readText(options.tls.keyPath),
        };
      listeners.push(await this.listen(options.port, undefined));
      if (options.tls && tls) listeners.push(await this.listen(options.tls.port, tls));
    } catch (err) {
      // Cannot bind or cannot read the certificate: the host is the problem, not the traffic.
      await Promise.all(listeners.map((l) => l.close()));
      this.ctx.out.emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
      this.emitSummary(AgentExit.environment, 'error');
      return AgentExit.environment;
    }

    // Stats go on through the shutdown delay: the drain window is when they matter most.
    const stopStats =
      options.statsIntervalMs > 0
        ? every(host.clock, options.statsIntervalMs, () => this.emitStats(), new AbortController().signal)
        : () => undefined;

    const crashedOn = await Promise.race([
      this.crashed,
      new Promise<undefined>((resolve) => {
        if (host.terminated.aborted) resolve(undefined);
        else host.terminated.addEventListener('abort', () => resolve(undefined), { once: true });
      }),
    ]);
    if (crashedOn !== undefined) {
      // No drain, no shutdown delay: the process is gone, and so are its connections (the sim cuts
      // them; on a real host the listener stops accepting and the process ends with its event loop).
      this.ctx.out.emit({
        event: 'crash',
        path: crashedOn,
        exitCode: CRASH_EXIT_CODE,
        inFlight: this.inFlight,
        queueDepth: this.pool?.queueDepth ?? 0,
      });
      stopStats();
      this.emitSummary(CRASH_EXIT_CODE, 'error');
      void Promise.all(listeners.map((l) => l.close()));
      return CRASH_EXIT_CODE;
    }
    // Kubernetes removes a terminating pod from endpoints asynchronously; failing readiness and
    // serving on for a while lets in-flight and late-routed requests finish instead of failing.
    this.terminating = true;
    this.ctx.out.emit({
      event: 'terminating',
      shutdownDelayMs: options.shutdownDelayMs,
      inFlight: this.inFlight,
      queueDepth: this.pool?.queueDepth ?? 0,
    });
    if (options.shutdownDelayMs > 0) await host.clock.sleep(options.shutdownDelayMs);
    stopStats();
    await Promise.all(listeners.map((l) => l.close()));
    this.emitSummary(AgentExit.ok, 'signal');
    return AgentExit.ok;
  }

  private async listen(port: number, tls: { cert: string; key: string } | undefined): Promise<Listener> {
    const secure = tls !== undefined;
    let listener: Listener;
    try {
      listener = await this.host.net.listen({ port, address: this.options.address, tls }, (request) =>
        this.handle(request, secure),
      );
    } catch (err) {
      // Node's messages for a bad PEM ("PEM routines::no start line") do not say which listener.
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(secure && !/listen on/.test(message) ? `HTTPS listener: ${message}` : message, {
        cause: err,
      });
    }
    this.ctx.out.emit({
      event: 'listening',
      port: listener.port,
      tls: listener.tls,
      address: listener.address ?? this.options.address ?? '*',
    });
    return listener;
  }

  private async handle(request: IncomingRequest, tls: boolean): Promise<OutgoingResponse> {
    const { clock } = this.host;
    const { options } = this;
    const arrived = clock.now();
    const readyOnArrival = this.ready();
    const terminatingOnArrival = this.terminating;
    const path = pathOnly(request.path);
    const probe = isProbePath(path);
    let queuedMs = 0;
    let response: OutgoingResponse;
    this.inFlight++;
    try {
      const latency =
        probe && options.probeLatencyMs !== undefined ? options.probeLatencyMs : options.latencyMs;
      if (latency > 0) await clock.sleep(latency);
      if (!(probe && options.probesBypassWorkers)) {
        if (this.pool) {
          const waitFrom = clock.now();
          await this.pool.acquire();
          queuedMs = clock.now() - waitFrom;
        }
        try {
          if (options.workMs > 0) await clock.sleep(options.workMs);
        } finally {
          this.pool?.release();
        }
      }
      response = await this.respond(request, path);
    } catch (err) {
      response = text(500, err instanceof Error ? err.message : String(err));
    } finally {
      this.inFlight--;
    }
    const latencyMs = roundMs(clock.now() - arrived);
    this.total.add(path, response.status, latencyMs);
    this.window.add(path, response.status, latencyMs);
    if (options.logRequests)
      this.ctx.out.emit({
        event: 'request',
        method: request.method,
        path: request.path,
        status: response.status,
        latencyMs,
        queuedMs: roundMs(Math.max(0, queuedMs)),
        ready: readyOnArrival,
        terminating: terminatingOnArrival,
        tls,
        remoteAddress: request.remoteAddress,
      });
    return response;
  }

  private ready(): boolean {
    return this.readiness().status === 200;
  }

  private readiness(): OutgoingResponse {
    if (this.options.failReadiness) return text(503, 'not ready (--fail-readiness)');
    if (this.terminating) return text(503, 'not ready: shutting down');
    const left = this.options.warmupMs - (this.host.clock.now() - this.startedAt);
    if (left > 0) return text(503, `not ready: warming up, ${Math.ceil(left / 1000)}s left`);
    return text(200, 'ok');
  }

  private async respond(request: IncomingRequest, path: string): Promise<OutgoingResponse> {
    if (path === '/healthz')
      return this.options.failLiveness ? text(500, 'unhealthy (--fail-liveness)') : text(200, 'ok');
    if (path === '/readyz') return this.readiness();
    if (this.options.crashPath !== undefined && path === this.options.crashPath) {
      this.crash(path);
      return text(500, `crashing: exit ${CRASH_EXIT_CODE}`);
    }
    if (this.imds) {
      const answer = await this.imds(request);
      if (answer) return answer;
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: `${JSON.stringify({ hostname: this.host.hostname, path: request.path, served: ++this.served })}\n`,
    };
  }

  private emitStats(): void {
    const window = this.window;
    this.window = new Traffic();
    this.ctx.out.emit({
      event: 'stats',
      ...window.fields(),
      totalRequests: this.total.requests,
      inFlight: this.inFlight,
      queueDepth: this.pool?.queueDepth ?? 0,
      busyWorkers: this.pool?.busyWorkers,
      ready: this.ready(),
    });
  }

  private emitSummary(exitCode: number, stoppedBy: SummaryFields['stoppedBy']): void {
    this.ctx.out.emit({
      event: 'summary',
      exitCode,
      stoppedBy,
      ...this.total.fields(),
      uptimeMs: roundMs(this.host.clock.now() - this.startedAt),
    });
  }
}
