/**
 * dnsprobe: resolves one name at a steady interval and reports each attempt (outcome, latency,
 * queries sent, addresses), the way an application in the pod would see DNS during a fault:
 * CoreDNS scaled to zero shows as timeouts, a NetworkPolicy that blocks port 53 likewise, a
 * missing Service as NXDOMAIN after the whole search list.
 *
 * Attempts do not overlap: the next one starts on the interval grid, or as soon as a slow one
 * ends (like the kubelet's prober), so a run of N attempts is N lookups whatever the latency.
 */
import type { Argv } from 'yargs';
import { durationFlag, FlagError, positiveIntFlag } from '../args.ts';
import {
  openResolver,
  type ResolverEvent,
  resolverFlags,
  type ResolverFlagOptions,
  resolverOptions,
} from '../dns/resolver-flags.ts';
import type { LookupOutcome } from '../dns/stub-resolver.ts';
import { AgentExit } from '../exit-codes.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { AgentLine, CommonEvent, SummaryFields } from '../output.ts';
import { pace } from '../pacer.ts';
import { type LatencySummary, LatencySamples, OutcomeCounts } from '../stats.ts';

/** With neither --count nor --duration a probe makes this many attempts (a forgotten flag still ends). */
const DEFAULT_COUNT = 10;

/** What every attempt must come back as for exit 0: `fail` is anything but ok, `any` never fails the run. */
export type DnsprobeExpectation = 'ok' | 'nxdomain' | 'fail' | 'any';
const EXPECTATIONS: readonly DnsprobeExpectation[] = ['ok', 'nxdomain', 'fail', 'any'];

export interface DnsprobeOptions {
  name: string;
  intervalMs: number;
  count: number | undefined;
  durationMs: number | undefined;
  expect: DnsprobeExpectation;
  resolver: ResolverFlagOptions;
}

export interface DnsprobeAttempt {
  event: 'attempt';
  /** 1, 2, 3, … */
  seq: number;
  name: string;
  outcome: LookupOutcome;
  /** Whether the outcome met `--expect`. */
  asExpected: boolean;
  latencyMs: number;
  /** DNS messages this attempt sent, retries and TCP re-sends included. */
  queries: number;
  addresses: string[];
  /** The candidate that answered, search suffix included (absent when none did). */
  answeredName?: string;
  /** Candidate names tried, in order. */
  candidates: string[];
  /** Replies by rcode. */
  rcodes: Record<string, number>;
  /** Messages that got no reply in time. */
  timeouts: number;
  /** The transport error or bad name behind `refused` and `error`. */
  error?: string;
}

export interface DnsprobeSummary extends SummaryFields {
  name: string;
  expect: DnsprobeExpectation;
  attempts: number;
  /** Attempts whose outcome did not meet `--expect`; above zero means exit 1. */
  unexpected: number;
  outcomes: Partial<Record<LookupOutcome, number>>;
  queries: number;
  latency: LatencySummary | null;
}

/** The lines dnsprobe writes besides the common `start` and `error`. */
export type DnsprobeEvent = ResolverEvent | DnsprobeAttempt | DnsprobeSummary;

/** A dnsprobe log line as observers parse it. */
export type DnsprobeLine = AgentLine<DnsprobeEvent | CommonEvent>;

function meets(expect: DnsprobeExpectation, outcome: LookupOutcome): boolean {
  switch (expect) {
    case 'ok':
      return outcome === 'ok';
    case 'nxdomain':
      return outcome === 'nxdomain';
    case 'fail':
      return outcome !== 'ok';
    case 'any':
      return true;
  }
}

function options(argv: Record<string, unknown>): DnsprobeOptions {
  if (Array.isArray(argv.name)) throw new FlagError('name', argv.name, 'one name (dnsflood takes several)');
  const name = String(argv.name ?? '').trim();
  if (name === '') throw new FlagError('name', argv.name, 'a name to resolve');
  const intervalMs = durationFlag('interval', argv.interval);
  if (!(intervalMs > 0)) throw new FlagError('interval', argv.interval, 'a duration above zero such as 1s');
  const durationMs = argv.duration === undefined ? undefined : durationFlag('duration', argv.duration);
  if (durationMs !== undefined && !(durationMs > 0))
    throw new FlagError('duration', argv.duration, 'a duration above zero such as 30s');
  const count =
    argv.count !== undefined
      ? positiveIntFlag('count', argv.count)
      : durationMs === undefined
        ? DEFAULT_COUNT
        : undefined;
  const expect = String(argv.expect) as DnsprobeExpectation;
  if (!EXPECTATIONS.includes(expect)) throw new FlagError('expect', argv.expect, EXPECTATIONS.join(', '));
  return { name, intervalMs, count, durationMs, expect, resolver: resolverOptions(argv) };
}

async function run(o: DnsprobeOptions, { host, out }: ModeContext<DnsprobeEvent>): Promise<number> {
  const { clock, terminated } = host;
  const outcomes = new OutcomeCounts<LookupOutcome>();
  const latency = new LatencySamples();
  let attempts = 0;
  let unexpected = 0;
  let queries = 0;
  const summary = (exitCode: number, stoppedBy: SummaryFields['stoppedBy']): number => {
    const code = exitCode === AgentExit.ok && unexpected > 0 ? AgentExit.observedFailure : exitCode;
    out.emit({
      event: 'summary',
      exitCode: code,
      stoppedBy,
      name: o.name,
      expect: o.expect,
      attempts,
      unexpected,
      outcomes: outcomes.toJSON(),
      queries,
      latency: latency.summary() ?? null,
    });
    return code;
  };

  const resolver = await openResolver(host, o.resolver, out);
  if (!resolver) return summary(AgentExit.environment, 'error');

  const result = await pace(
    {
      clock,
      rate: 1000 / o.intervalMs,
      ...(o.count !== undefined ? { count: o.count } : {}),
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
      concurrency: 1,
      whenBusy: 'wait',
      signal: terminated,
    },
    async () => {
      const r = await resolver.lookup(o.name, { family: o.resolver.family, signal: terminated });
      const asExpected = meets(o.expect, r.outcome);
      attempts++;
      if (!asExpected) unexpected++;
      queries += r.queries;
      outcomes.add(r.outcome);
      latency.add(r.latencyMs);
      out.emit({
        event: 'attempt',
        seq: attempts,
        name: r.name,
        outcome: r.outcome,
        asExpected,
        latencyMs: r.latencyMs,
        queries: r.queries,
        addresses: r.addresses,
        ...(r.answeredName !== undefined ? { answeredName: r.answeredName } : {}),
        candidates: r.candidates,
        rcodes: r.rcodes,
        timeouts: r.timeouts,
        ...(r.error !== undefined ? { error: r.error } : {}),
      });
    },
  );
  return summary(AgentExit.ok, result.stoppedBy);
}

export const dnsprobeMode = defineMode<DnsprobeOptions, DnsprobeEvent>({
  name: 'dnsprobe',
  describe: 'Resolve one name at an interval like a glibc client and report every attempt',
  flags: (y: Argv) =>
    resolverFlags(
      y.options({
        name: {
          type: 'string',
          demandOption: true,
          describe: 'The name to resolve; a trailing dot makes it absolute (no search list)',
        },
        interval: {
          type: 'string',
          default: '1s',
          describe: 'Time between attempt starts; a slower attempt delays the next one, they never overlap',
        },
        count: {
          type: 'number',
          describe: `Number of attempts (default ${DEFAULT_COUNT} when --duration is not given either)`,
        },
        duration: {
          type: 'string',
          describe: 'Keep probing this long (with --count too: whichever comes first)',
        },
        expect: {
          type: 'string',
          choices: EXPECTATIONS,
          default: 'ok',
          describe:
            'Exit 1 unless every attempt comes back as this: ok (addresses), nxdomain, fail (anything but ok), any (never exit 1)',
        },
      }),
    )
      .example(
        '$0 dnsprobe --name kubernetes.default',
        "10 attempts a second apart with the pod's resolv.conf; exit 1 if any fails",
      )
      .example(
        '$0 dnsprobe --name web.shop.svc.cluster.local. --interval 500ms --duration 5m --expect any',
        'Watch an absolute name for five minutes and only report',
      )
      .example(
        '$0 dnsprobe --name gone.example.com --expect nxdomain --count 3 --timeout 1s',
        'Exit 0 only if the name does not exist (and DNS answered within 1s per reply)',
      ),
  options,
  run,
});
