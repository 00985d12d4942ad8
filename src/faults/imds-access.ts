/**
 * IMDS access attempt: agent `imdsprobe` pods in the run namespace try the cloud metadata
 * service's credential paths (AWS IMDSv2 and v1, GCP, Azure), as a compromised or careless
 * workload would. Each probe set carries the labels a NetworkPolicy selects on (allowed vs not).
 *
 * Per set, two pods: one that keeps probing through the hold, and a newborn created a few seconds
 * later that probes from its first milliseconds — the window right after start, when a pod is
 * sometimes reachable before its policy is programmed. Both are created through the API (undone by
 * deletion at revert).
 *
 * Evidence: the probes' own lines, read from their logs: every pod attempted IMDS paths, each
 * newborn within its first seconds, and the metadata service answered at least one probe of any
 * set (where nothing answers, as on kind, there is nothing to block). Who got through is for the
 * assertions.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { AgentLine } from '../agent/output.ts';
import { parseAgentLog } from '../agent/output.ts';
import type { ImdsAttemptEvent } from '../agent/modes/imdsprobe.ts';
import { parseDuration, type Duration } from '../harness/duration.ts';
import type { BuildContext, Evidence, Fault, RunContext } from '../harness/scenario.ts';
import { agentContainer } from '../workloads/agent.ts';
import { agentImagePreflight } from './preflight.ts';
import { kubectlDelete, kubectlRunAgent } from './kubectl.ts';

/** On every probe pod: the probe set's name. Select on it to follow one set's lines. */
export const IMDS_PROBE_LABEL = 'scars.dev/imds-probe';
/** On the newborn pods only. */
export const IMDS_NEWBORN_LABEL = 'scars.dev/imds-newborn';

export interface ImdsProbeSet {
  /** Names the pods (`imds-<name>`, `imds-<name>-newborn`) and is their `scars.dev/imds-probe` label. */
  name: string;
  /** Labels that decide what policy applies, e.g. `{ 'imds-access': 'allowed' }`. */
  labels?: Record<string, string>;
  /** Per-request timeout for this set's probes (default the fault's `timeout`). */
  timeout?: Duration;
}

export interface ImdsAccessOptions {
  probes: ImdsProbeSet[];
  /** Whose paths to try (default all three). */
  provider?: 'aws' | 'gcp' | 'azure' | 'all';
  /** Metadata base URL (default the agent's: http://169.254.169.254). */
  endpoint?: string;
  /** Per request (default 1s, what SDKs give IMDS). */
  timeout?: Duration;
  /** Time between the steady pods' rounds (default 2s). */
  interval?: Duration;
  /** How long the steady pods keep probing (default 10m: until revert removes them). */
  duration?: Duration;
  /** When the newborn pods are created, after the steady ones (default 3s). */
  newbornAfter?: Duration;
  /** A newborn's first attempt must come this soon after it starts (default 2s). */
  newbornWithin?: Duration;
  /** At observe, how long to wait for each probe to finish its first round (default 30s). */
  roundWithin?: Duration;
}

type Line = AgentLine<ImdsAttemptEvent | { event: string }>;

interface ProbePod {
  name: string;
  set: string;
  newborn: boolean;
}

function probePod(ctx: BuildContext, options: ImdsAccessOptions, set: ImdsProbeSet, newborn: boolean): V1Pod {
  const args = [
    'imdsprobe',
    '--provider',
    options.provider ?? 'all',
    '--timeout',
    String(set.timeout ?? options.timeout ?? '1s'),
    ...(options.endpoint ? ['--endpoint', options.endpoint] : []),
    // A newborn probes at once, twice back to back; a steady pod keeps going until removed.
    ...(newborn
      ? ['--count', '2', '--interval', '100ms']
      : ['--interval', String(options.interval ?? '2s'), '--duration', String(options.duration ?? '10m')]),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `imds-${set.name}${newborn ? '-newborn' : ''}`,
      namespace: ctx.namespace,
      labels: {
        ...set.labels,
        [IMDS_PROBE_LABEL]: set.name,
        ...(newborn ? { [IMDS_NEWBORN_LABEL]: 'true' } : {}),
      },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        agentContainer(ctx, {
          name: 'imdsprobe',
          args,
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
        }),
      ],
    },
  };
}

const ms = (ts: string) => Date.parse(ts);

interface ProbeView {
  pod: ProbePod;
  attempts: AgentLine<ImdsAttemptEvent>[];
  /** When the first request went out, since the agent started. */
  firstAfterMs: number | undefined;
  /** A `result` line: the first round tried every path. */
  roundDone: boolean;
}

async function probeView(ctx: RunContext, pod: ProbePod): Promise<ProbeView> {
  let lines: Line[] = [];
  try {
    lines = parseAgentLog(await ctx.kube.logs(ctx.namespace, pod.name)).filter((l) => l.mode === 'imdsprobe');
  } catch {
    // Not started yet (no log): no attempt so far.
  }
  const attempts = lines.filter((l): l is AgentLine<ImdsAttemptEvent> => l.event === 'attempt');
  const start = lines.find((l) => l.event === 'start');
  const first = attempts[0];
  return {
    pod,
    attempts,
    // A line is written when its answer (or timeout) came: the request went out latencyMs before.
    firstAfterMs: start && first ? Math.max(0, ms(first.ts) - first.latencyMs - ms(start.ts)) : undefined,
    roundDone: lines.some((l) => l.event === 'result'),
  };
}

export function imdsAccess(options: ImdsAccessOptions): Fault {
  if (options.probes.length === 0) throw new Error('imdsAccess: give at least one probe set');
  const names = new Set(options.probes.map((p) => p.name));
  if (names.size !== options.probes.length) throw new Error('imdsAccess: probe set names must differ');
  const newbornAfterMs = parseDuration(options.newbornAfter ?? '3s');
  const newbornWithinMs = parseDuration(options.newbornWithin ?? '2s');
  const roundWithinMs = parseDuration(options.roundWithin ?? '30s');
  const created: ProbePod[] = [];
  return {
    name: 'imds-access',
    kubectl: (ctx) => {
      const run = (newborn: boolean) =>
        options.probes.map((set) => {
          const pod = probePod(ctx, options, set, newborn);
          return kubectlRunAgent(ctx, pod.metadata!.name!, pod.spec!.containers[0]!.args ?? [], {
            container: 'imdsprobe',
            labels: { ...pod.metadata!.labels },
          });
        });
      return {
        inject: [
          ...run(false),
          `# ${options.newbornAfter ?? '3s'} later, newborn pods that probe in their first seconds:`,
          ...run(true),
        ],
        revert: [kubectlDelete(ctx, 'pods', IMDS_PROBE_LABEL)],
      };
    },
    describe: () =>
      `imdsprobe pods try ${options.endpoint ?? 'http://169.254.169.254'} (${options.provider ?? 'all'} paths) from ${options.probes
        .map(
          (p) =>
            `${p.name} (${
              Object.entries(p.labels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(',') || 'no labels'
            })`,
        )
        .join(', ')}, plus a newborn pod per set probing from its first second`,
    preflight: (ctx) => agentImagePreflight(ctx),
    async inject(ctx) {
      created.length = 0;
      const start = (newborn: boolean) =>
        Promise.all(
          options.probes.map(async (set) => {
            const pod = probePod(ctx, options, set, newborn);
            await ctx.kube.create(pod);
            created.push({ name: pod.metadata?.name ?? '', set: set.name, newborn });
            ctx.record('imds-probe-started', { pod: pod.metadata?.name, set: set.name, newborn });
          }),
        );
      await start(false);
      await ctx.clock.sleep(newbornAfterMs, ctx.signal);
      await start(true);
    },
    async observe(ctx) {
      if (created.length === 0) return { observed: false, summary: 'no probe pod was created', evidence: [] };
      // Every probe gets to finish its first round (all paths tried) before the evidence is taken,
      // however slowly the answers come; a probe that never gets there is reported as such.
      const deadline = ctx.clock.now() + roundWithinMs;
      let views = await Promise.all(created.map((p) => probeView(ctx, p)));
      while (views.some((v) => !v.roundDone) && ctx.clock.now() < deadline) {
        await ctx.clock.sleep(500, ctx.signal);
        views = await Promise.all(created.map((p) => probeView(ctx, p)));
      }
      const missing: string[] = [];
      const evidence: Evidence[] = views.map((v) => {
        const p = v.pod;
        const early = !p.newborn || (v.firstAfterMs !== undefined && v.firstAfterMs <= newbornWithinMs);
        if (v.attempts.length === 0 || !early) missing.push(p.name);
        const outcomes: Record<string, number> = {};
        for (const a of v.attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
        const paths = [...new Set(v.attempts.map((a) => `${a.method} ${a.path}`))];
        const counts = Object.entries(outcomes)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        return {
          what:
            v.attempts.length === 0
              ? `${p.name}: no IMDS attempt in its log`
              : `${p.name}: ${v.attempts.length} attempt(s) on ${paths.length} path(s) (${counts})` +
                (v.firstAfterMs !== undefined
                  ? `, first sent ${Math.round(v.firstAfterMs)}ms after start`
                  : '') +
                (v.roundDone ? '' : ', first round unfinished'),
          ref: `Pod/${p.name}`,
          data: {
            set: p.set,
            newborn: p.newborn,
            attempts: v.attempts.length,
            outcomes,
            paths,
            firstAfterMs: v.firstAfterMs,
            roundDone: v.roundDone,
          },
        };
      });
      // Without a metadata service that answers someone (kind has none), blocked proves nothing.
      const answered = views.some((v) => v.attempts.some((a) => a.outcome === 'reachable'));
      return {
        observed: missing.length === 0 && answered,
        summary:
          missing.length > 0
            ? `no (timely) IMDS attempt from ${missing.join(', ')}`
            : !answered
              ? `${created.length} probe pod(s) attempted IMDS but no metadata service answered any of them: nothing there to block`
              : `${created.length} probe pod(s) attempted IMDS (the newborns within ${newbornWithinMs}ms of starting); the metadata service answered some`,
        evidence,
      };
    },
  };
}
