/**
 * dnsflood: looks names up at a target rate the way a busy glibc client does (A + AAAA per name,
 * the search list expanded by ndots), to load the cluster DNS the way real workloads do. Each
 * lookup costs what the pod's resolv.conf makes it cost, and the lines say so: `queries` next to
 * `lookups`, so `ndots:5` shows up as 8 queries per external name.
 *
 * Pacing is open-loop (src/agent/pacer.ts): lookup i starts at i / qps whatever earlier ones are
 * doing, up to `--concurrency` in flight; a start that finds every slot busy is skipped and
 * counted, so a resolver that cannot keep up shows as `skipped`, not as a quietly lower rate.
 */
import type { Argv } from 'yargs';
import { durationFlag, FlagError, listFlag, positiveIntFlag, rateFlag } from '../args.ts';
import {
  openResolver,
  type ResolverEvent,
  resolverFlags,
  type ResolverFlagOptions,
  resolverOptions,
} from '../dns/resolver-flags.ts';
import type { LookupOutcome, LookupResult } from '../dns/stub-resolver.ts';
import { AgentExit } from '../exit-codes.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { AgentLine, CommonEvent, SummaryFields } from '../output.ts';
import { every, pace } from '../pacer.ts';
import { type LatencySummary, LatencySamples, OutcomeCounts } from '../stats.ts';

const DEFAULT_DURATION_MS = 10_000;

export interface DnsfloodOptions {
  names: string[];
  qps: number;
  /** Stop starting lookups after this long; undefined with only `--count`. */
  durationMs: number | undefined;
  count: number | undefined;
  concurrency: number;
  reportIntervalMs: number;
  /** Exit 1 when failures / lookups is above this; undefined never exits 1. */
  maxFailureRatio: number | undefined;
  resolver: ResolverFlagOptions;
}

/** Lookup figures over a window (a tick) or the whole run (the summary). */
export interface DnsfloodFigures {
  /** Lookups that finished (each one getaddrinfo call). */
  lookups: number;
  /** DNS messages those lookups sent, retries and TCP re-sends included. */
  queries: number;
  /** Lookups finished per second. */
  achievedQps: number;
  /** Finished lookups by outcome (ok, nxdomain, nodata, servfail, timeout, refused, error). */
  outcomes: Partial<Record<LookupOutcome, number>>;
  /** Replies by rcode. */
  rcodes: Record<string, number>;
  /** Messages that got no reply in time. */
  timeouts: number;
  latency: LatencySummary | null;
}

export interface DnsfloodSummary extends SummaryFields, DnsfloodFigures {
  names: string[];
  targetQps: number;
  /** Lookups started (finished ones are `lookups`; the difference was cut short by SIGTERM). */
  started: number;
  /** Starts skipped because `--concurrency` lookups were already in flight. */
  skipped: number;
  /** queries / lookups: 2 for an absolute name, 8 for `api.example.com` under ndots:5 and 3 suffixes. */
  queriesPerLookup: number;
  /** Lookups whose outcome was not ok. */
  failures: number;
  failureRatio: number;
  maxFailureRatio: number | null;
  elapsedMs: number;
}

/** The lines dnsflood writes besides the common `start` and `error`. */
export type DnsfloodEvent =
  | ResolverEvent
  | {
      event: 'start-flood';
      names: string[];
      qps: number;
      durationMs: number | null;
      count: number | null;
      concurrency: number;
      reportIntervalMs: number;
    }
  | (DnsfloodFigures & {
      event: 'tick';
      elapsedMs: number;
      /** Lookups started in this window. */
      started: number;
      inFlight: number;
      windowMs: number;
    })
  | DnsfloodSummary;

/** A dnsflood log line as observers parse it. */
export type DnsfloodLine = AgentLine<DnsfloodEvent | CommonEvent>;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Counts for a tick window or the whole run. */
class Tally {
  lookups = 0;
  queries = 0;
  timeouts = 0;
  readonly outcomes = new OutcomeCounts<LookupOutcome>();
  readonly rcodes = new OutcomeCounts();
  readonly latency = new LatencySamples();

  add(r: LookupResult): void {
    this.lookups++;
    this.queries += r.queries;
    this.timeouts += r.timeouts;
    this.outcomes.add(r.outcome);
    for (const [rcode, n] of Object.entries(r.rcodes)) this.rcodes.add(rcode, n);
    this.latency.add(r.latencyMs);
  }

  figures(seconds: number): DnsfloodFigures {
    return {
      lookups: this.lookups,
      queries: this.queries,
      achievedQps: seconds > 0 ? round2(this.lookups / seconds) : 0,
      outcomes: this.outcomes.toJSON(),
      rcodes: this.rcodes.toJSON(),
      timeouts: this.timeouts,
      latency: this.latency.summary() ?? null,
    };
  }
}

function options(argv: Record<string, unknown>): DnsfloodOptions {
  const count = argv.count === undefined ? undefined : positiveIntFlag('count', argv.count);
  const durationMs =
    argv.duration !== undefined
      ? durationFlag('duration', argv.duration)
      : count === undefined
        ? DEFAULT_DURATION_MS
        : undefined;
  if (durationMs !== undefined && !(durationMs > 0))
    throw new FlagError('duration', argv.duration, 'a duration above zero such as 30s');
  const reportIntervalMs = durationFlag('report-interval', argv['report-interval']);
  if (!(reportIntervalMs > 0))
    throw new FlagError('report-interval', argv['report-interval'], 'a duration above zero such as 1s');
  let maxFailureRatio: number | undefined;
  if (argv['max-failure-ratio'] !== undefined) {
    maxFailureRatio = Number(argv['max-failure-ratio']);
    if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1))
      throw new FlagError('max-failure-ratio', argv['max-failure-ratio'], 'a number from 0 to 1');
  }
  return {
    names: listFlag('name', argv.name),
    qps: rateFlag('qps', argv.qps),
    durationMs,
    count,
    concurrency: positiveIntFlag('concurrency', argv.concurrency),
    reportIntervalMs,
    maxFailureRatio,
    resolver: resolverOptions(argv),
  };
}

async function run(o: DnsfloodOptions, { host, out }: ModeContext<DnsfloodEvent>): Promise<number> {
  const { clock, terminated } = host;
  const total = new Tally();
  let started = 0;
  let skipped = 0;
  let elapsedMs = 0;
  const summary = (exitCode: number, stoppedBy: SummaryFields['stoppedBy']): number => {
    const failures = total.lookups - total.outcomes.get('ok');
    const failureRatio = total.lookups > 0 ? failures / total.lookups : 0;
    const code =
      exitCode === AgentExit.ok && o.maxFailureRatio !== undefined && failureRatio > o.maxFailureRatio
        ? AgentExit.observedFailure
        : exitCode;
    out.emit({
      event: 'summary',
      exitCode: code,
      stoppedBy,
      names: o.names,
      targetQps: o.qps,
      started,
      skipped,
      ...total.figures(elapsedMs / 1000),
      queriesPerLookup: total.lookups > 0 ? round2(total.queries / total.lookups) : 0,
      failures,
      failureRatio: Math.round(failureRatio * 10_000) / 10_000,
      maxFailureRatio: o.maxFailureRatio ?? null,
      elapsedMs: Math.round(elapsedMs),
    });
    return code;
  };

  const resolver = await openResolver(host, o.resolver, out);
  if (!resolver) return summary(AgentExit.environment, 'error');
  out.emit({
    event: 'start-flood',
    names: o.names,
    qps: o.qps,
    durationMs: o.durationMs ?? null,
    count: o.count ?? null,
    concurrency: o.concurrency,
    reportIntervalMs: o.reportIntervalMs,
  });

  const runStart = clock.now();
  let window = new Tally();
  let windowStart = runStart;
  let windowStarted = 0;
  let inFlight = 0;
  const tick = () => {
    const now = clock.now();
    const windowMs = now - windowStart;
    out.emit({
      event: 'tick',
      elapsedMs: Math.round(now - runStart),
      windowMs: Math.round(windowMs),
      started: windowStarted,
      inFlight,
      ...window.figures(windowMs / 1000),
    });
    window = new Tally();
    windowStart = now;
    windowStarted = 0;
  };
  const stopTicks = every(clock, o.reportIntervalMs, tick, terminated);
  try {
    const result = await pace(
      {
        clock,
        rate: o.qps,
        ...(o.count !== undefined ? { count: o.count } : {}),
        ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
        concurrency: o.concurrency,
        whenBusy: 'skip',
        signal: terminated,
      },
      async (index) => {
        windowStarted++;
        inFlight++;
        try {
          const r = await resolver.lookup(o.names[index % o.names.length] as string, {
            family: o.resolver.family,
            signal: terminated,
          });
          total.add(r);
          window.add(r);
        } finally {
          inFlight--;
        }
      },
    );
    started = result.started;
    skipped = result.skipped;
    elapsedMs = result.elapsedMs;
    return summary(AgentExit.ok, result.stoppedBy);
  } finally {
    stopTicks();
  }
}

export const dnsfloodMode = defineMode<DnsfloodOptions, DnsfloodEvent>({
  name: 'dnsflood',
  describe: 'Look names up at a target rate like a glibc client (A+AAAA, search list by ndots)',
  flags: (y: Argv) =>
    resolverFlags(
      y.options({
        name: {
          type: 'string',
          array: true,
          demandOption: true,
          describe:
            'Names to look up, round-robin (repeat or comma-separate); a trailing dot makes a name absolute',
        },
        qps: {
          type: 'string',
          demandOption: true,
          describe:
            'Lookups started per second, e.g. 200 or 200/s (each sends A and AAAA per candidate name tried)',
        },
        duration: {
          type: 'string',
          describe: `How long to keep starting lookups (default ${DEFAULT_DURATION_MS / 1000}s unless --count is given)`,
        },
        count: {
          type: 'number',
          describe: 'Stop after this many lookups (with --duration too: whichever comes first)',
        },
        concurrency: {
          type: 'number',
          default: 256,
          describe: 'Most lookups in flight; a start that finds them all busy is skipped and counted',
        },
        'report-interval': {
          type: 'string',
          default: '1s',
          describe: "How often to write a tick line with the window's lookups, queries, outcomes and latency",
        },
        'max-failure-ratio': {
          type: 'number',
          describe: 'Exit 1 if the share of lookups not ok is above this (0-1); default: never exit 1',
        },
      }),
    )
      .example(
        '$0 dnsflood --name api.example.com --qps 200 --duration 1m',
        "Resolve one external name 200 times a second for a minute with the pod's resolv.conf",
      )
      .example(
        '$0 dnsflood --name web,api.example.com. --qps 500 --count 5000 --max-failure-ratio 0.01',
        '5000 lookups of two names at 500/s; exit 1 if more than 1% fail',
      )
      .example(
        '$0 dnsflood --name api.example.com --qps 50 --nameserver 127.0.0.1:5353 --resolv-conf none --search a.svc.cluster.local --ndots 5',
        'Against a local server, with the search list and ndots given as flags',
      ),
  options,
  run,
});
