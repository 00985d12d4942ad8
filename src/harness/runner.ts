/**
 * The runner: provision → namespace → deploy → wait-ready → steady-state → observe → inject →
 * hold → revert → settle → assertions → collect → cleanup, for each scenario and (with --control)
 * its negative arm. Revert and cleanup run on every exit path: success, assertion failure,
 * exception, step timeout, SIGINT and SIGTERM.
 */
import { performance } from 'node:perf_hooks';
import type { CoreV1Event, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { providerFor } from '../cluster/index.ts';
import type { ProvisionedCluster, ProvisionOptions } from '../cluster/provider.ts';
import { ExitCode, errorMessage, InterruptedError, ScarsError, StepTimeoutError } from '../errors.ts';
import { apiRetryRecord, type EvidenceGap, evidenceGap, retriesBySite } from './evidence.ts';
import type {
  ArmReport,
  AssertionReport,
  ControlReport,
  FaultReport,
  RunReport,
  ScenarioInfo,
  ScenarioReport,
  Verdict,
} from '../report/model.ts';
import { type Reporter, ReporterMultiplexer } from '../report/reporter.ts';
import { AGENT_IMAGE_NAME } from '../agent/image.ts';
import { VERSION } from '../version.ts';
import { DEFAULT_HOLD, DEFAULT_SETTLE, DEFAULT_STEP_TIMEOUTS, READY_POLL_MS } from './defaults.ts';
import { type Duration, parseDuration } from './duration.ts';
import { Journal, type JournalEntry, type JournalScope } from './journal.ts';
import { JournalledKube } from './journalled-kube.ts';
import { KubeApi } from './kube-api.ts';
import { formatRef, type KubeRef, refOf } from './kube-ref.ts';
import { readinessOf } from './readiness.ts';
import { revertEntries } from './revert.ts';
import { newRunId, runNamespace } from './run-id.ts';
import {
  type Arm,
  type AssertionInput,
  type LoadEngineChoice,
  type ClusterState,
  faultsOf,
  hasControl,
  type ObserverHandle,
  type ProviderName,
  type RunContext,
  type Scenario,
  type StepName,
  type StepTimeouts,
} from './scenario.ts';
import type { LoadedScenario } from './scenario-loader.ts';
import { withTimeout } from './step.ts';
import { type Clock, Timeline, wallClock } from './timeline.ts';
import { buildArmObjects } from './workloads.ts';

export interface RunOptions {
  scenarios: readonly LoadedScenario[];
  provider: ProviderName;
  providerOptions: ProvisionOptions;
  /** Also run each scenario's negative arm (without the mitigation); it must fail. */
  control: boolean;
  reporters: Reporter[];
  journalDir: string;
  /** Step timeouts from the config; a scenario's own timeouts win. */
  timeouts?: StepTimeouts;
  runId?: string;
  /** Aborted (with an InterruptedError) on SIGINT/SIGTERM: the current step stops, revert and cleanup run. */
  interrupt?: AbortSignal;
  /** Aborted on a second signal: stop everything now and leave the journal for `scars cleanup`. */
  forceStop?: AbortSignal;
  /** Lets a test or an embedding program pass a ready cluster instead of provisioning one. */
  cluster?: ProvisionedCluster;
  /** The agent image scenarios deploy (config `agent.image`); default `scars-agent:<version>`. */
  agentImage?: string;
  /** The load engine for load observers (`--load`, config `load:`); default auto. */
  load?: LoadEngineChoice;
  /**
   * Game days (`scars run --step`): awaited before inject and before revert. Throwing (or aborting
   * `interrupt`) ends the arm there; revert runs either way.
   */
  pause?: (at: StepPause) => Promise<void>;
}

/** Where `RunOptions.pause` stops the run. */
export interface StepPause {
  scenario: string;
  arm: Arm;
  namespace: string;
  before: 'inject' | 'revert';
  /** The faults about to be injected or reverted, as the plan describes them. */
  faults: string[];
}

/**
 * The system was not healthy before the fault: nothing can be concluded about the mitigation,
 * so the arm ends inconclusive (not error: scars itself did not fail).
 */
class SteadyStateFailed extends Error {}

/** What a fault or observer needs is missing: nothing was changed, and scars could not test. */
class PreflightFailed extends Error {}

export async function run(options: RunOptions): Promise<RunReport> {
  const runId = options.runId ?? newRunId();
  const startedAt = new Date();
  const reporter = new ReporterMultiplexer(options.reporters);
  const report: RunReport = {
    tool: 'scars',
    version: VERSION,
    runId,
    provider: options.provider,
    simulated: options.provider === 'sim',
    cluster: null,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationMs: 0,
    interrupted: null,
    error: null,
    exitCode: ExitCode.passed,
    journal: null,
    scenarios: [],
  };
  reporter.onRunBegin({
    runId,
    provider: options.provider,
    simulated: report.simulated,
    control: options.control,
    scenarios: options.scenarios.map(infoOf),
  });

  const journal = Journal.open(options.journalDir, runId, VERSION);
  report.journal = journal.file;
  let cluster: ProvisionedCluster | undefined;
  let api: KubeApi | undefined;
  let clean = true;
  try {
    cluster = await provision(options, runId);
    journal.recordCluster(cluster.locator);
    report.simulated = cluster.simulated;
    // Retries wait in cluster time: on a sim, its outages and Retry-After are simulated seconds too.
    api = new KubeApi(cluster.kubeConfig, { clock: cluster.clock ?? wallClock });
    // Which Kubernetes the verdicts are about (upgrade checks compare two); the run does not
    // depend on it, so a server that does not say within 10 s is recorded as unknown.
    const version = await Promise.race([
      api.serverVersion().catch(() => null),
      new Promise<null>((resolve) => setTimeout(resolve, 10_000, null).unref()),
    ]);
    report.cluster = { name: cluster.name, server: cluster.server, version };
    const clock = cluster.clock ?? wallClock;

    for (const loaded of options.scenarios) {
      if (options.interrupt?.aborted) break;
      const arms: Arm[] = options.control && hasControl(loaded.scenario) ? ['main', 'control'] : ['main'];
      const results: Partial<Record<Arm, ArmReport>> = {};
      for (const arm of arms) {
        if (options.interrupt?.aborted) break;
        const info = infoOf(loaded);
        reporter.onScenarioBegin(info, arm);
        const result = await runArm({ loaded, arm, runId, api, journal, clock, cluster, options, reporter });
        if (result.revertFailures.length) clean = false;
        results[arm] = result;
        reporter.onScenarioEnd(info, arm, result);
      }
      if (results.main) report.scenarios.push(scenarioReport(loaded, results.main, results.control));
    }
  } catch (err) {
    report.error = errorMessage(err);
    report.exitCode = err instanceof ScarsError ? err.exitCode : ExitCode.clusterFailure;
    reporter.onLog(`error: ${report.error}`);
  } finally {
    // Its keep-alive connections would outlive the run (a process running many runs, or a
    // cluster the caller keeps, would collect them until the server times them out).
    api?.close();
    if (cluster) {
      try {
        await cluster.dispose();
      } catch (err) {
        reporter.onLog(`warning: could not tear down cluster ${cluster.name}: ${errorMessage(err)}`);
      }
    }
    if (options.forceStop?.aborted) {
      journal.abandon();
      reporter.onLog(
        `stopped before cleanup finished: run \`scars cleanup --run ${runId}\` to finish reverting`,
      );
    } else {
      journal.close(clean);
    }
  }

  if (options.interrupt?.aborted) {
    const reason: unknown = options.interrupt.reason;
    report.interrupted = reason instanceof InterruptedError ? reason.signal : 'interrupt';
  }
  const finishedAt = new Date();
  report.finishedAt = finishedAt.toISOString();
  report.durationMs = finishedAt.getTime() - startedAt.getTime();
  report.exitCode = exitCodeOf(report);
  await reporter.onRunEnd(report);
  return report;
}

async function provision(options: RunOptions, runId: string): Promise<ProvisionedCluster> {
  if (options.cluster) return options.cluster;
  const timeoutMs = stepTimeoutMs('provision', undefined, options.timeouts);
  return withTimeout(`provision (${options.provider})`, timeoutMs, options.interrupt, (signal) =>
    providerFor(options.provider).provision({
      ...options.providerOptions,
      signal,
      runId,
      ...(options.agentImage ? { agentImage: options.agentImage } : {}),
    }),
  );
}

interface ArmInput {
  loaded: LoadedScenario;
  arm: Arm;
  runId: string;
  api: KubeApi;
  journal: Journal;
  clock: Clock;
  cluster: ProvisionedCluster;
  options: RunOptions;
  reporter: ReporterMultiplexer;
}

async function runArm(input: ArmInput): Promise<ArmReport> {
  const { loaded, arm, runId, api, journal, clock, cluster, options, reporter } = input;
  const s = loaded.scenario;
  const info = infoOf(loaded);
  const namespace = runNamespace(runId, s.name, arm);
  const timeline = new Timeline(clock);
  const started = clock.now();
  const wallStarted = performance.now();
  const scope: JournalScope = { scenario: s.name, arm, step: 'namespace' };
  const kube = new JournalledKube(api, journal, runId, radiusOf(s, namespace), () => ({ ...scope }));
  // Every call that had to be retried goes into the timeline: the report shows them, and the
  // verdict checks from them that the evidence has no holes (evidence.ts).
  const stopRecordingRetries = api.onRetry((r) =>
    timeline.record(scope.step, 'api-retry', { ...apiRetryRecord(r) }),
  );
  const ofThisArm = (e: JournalEntry) => e.scope.scenario === s.name && e.scope.arm === arm;

  const faultReports: FaultReport[] = [];
  const assertions: AssertionReport[] = [];
  const revertFailures: string[] = [];
  const observers: ObserverHandle[] = [];
  let deployed: KubernetesObject[] = [];
  let failure: unknown;
  /** The inject step began: faults may have left effects to recover from. */
  let injected = false;
  let currentSignal: AbortSignal = new AbortController().signal;

  const ctx: RunContext = {
    runId,
    namespace,
    arm,
    agentImage: options.agentImage ?? defaultAgentImage(),
    load: options.load ?? 'auto',
    provider: cluster.provider,
    simulated: cluster.simulated,
    kube,
    clock,
    get signal() {
      return currentSignal;
    },
    record: (event, detail) => timeline.record(scope.step, event, detail),
  };

  /** One lifecycle step: timeline start/end, reporter progress, its timeout, and the parent signal. */
  const step = async <T>(
    name: StepName,
    work: (signal: AbortSignal) => Promise<T>,
    opts: { extraMs?: number; parent?: AbortSignal | undefined } = {},
  ): Promise<T> => {
    scope.step = name;
    const timeoutMs = stepTimeoutMs(name, s.timeouts, options.timeouts) + (opts.extraMs ?? 0);
    const t0 = clock.now();
    timeline.record(name, 'start');
    reporter.onStepBegin(info, arm, name);
    try {
      const out = await withTimeout(name, timeoutMs, opts.parent, (signal) => {
        currentSignal = signal;
        return work(signal);
      });
      timeline.record(name, 'end', { outcome: 'ok' });
      reporter.onStepEnd(info, arm, name, { ok: true, durationMs: clock.now() - t0 });
      return out;
    } catch (err) {
      timeline.record(name, 'end', { outcome: 'error', error: errorMessage(err) });
      reporter.onStepEnd(info, arm, name, {
        ok: false,
        durationMs: clock.now() - t0,
        error: errorMessage(err),
      });
      throw err;
    }
  };
  const interrupt = options.interrupt;
  const faultLines = () => faultsOf(s).map((f) => `${f.name}: ${f.describe(ctx)}`);

  // --- the fault window: everything up to the end of hold can be cut short by an interrupt.
  try {
    await step(
      'preflight',
      async () => {
        const checks = [...faultsOf(s), ...(s.observers ?? [])].filter((x) => x.preflight);
        for (const x of checks) {
          const result = await x.preflight!(ctx);
          timeline.record('preflight', result.ok ? 'ok' : 'not-ok', {
            check: x.name,
            summary: result.summary,
          });
          if (!result.ok) throw new PreflightFailed(`preflight ${x.name}: ${result.summary}`);
        }
      },
      { parent: interrupt },
    );
    await step(
      'namespace',
      async () => {
        await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      },
      { parent: interrupt },
    );
    await step(
      'deploy',
      async () => {
        const objects = buildArmObjects(s, ctx);
        for (const obj of objects) {
          await kube.create(obj);
          deployed.push(obj);
          timeline.record('deploy', 'created', { object: formatRef(refOf(obj)) });
        }
        await s.hooks?.afterDeploy?.(ctx);
      },
      { parent: interrupt },
    );
    await step('wait-ready', (signal) => waitReady(api, deployed, clock, signal, timeline), {
      parent: interrupt,
    });
    await step(
      'steady-state',
      async () => {
        for (const check of s.steadyState ?? []) {
          const result = await check.check(ctx);
          timeline.record('steady-state', result.ok ? 'ok' : 'not-ok', {
            check: check.name,
            summary: result.summary,
          });
          if (!result.ok)
            throw new SteadyStateFailed(`steady state "${check.name}" not met: ${result.summary}`);
        }
      },
      { parent: interrupt },
    );
    await step(
      'observe',
      async () => {
        for (const o of s.observers ?? []) observers.push(await o.start(ctx));
      },
      { parent: interrupt },
    );
    if (options.pause) {
      await options.pause({ scenario: s.name, arm, namespace, before: 'inject', faults: faultLines() });
      timeline.record('observe', 'resumed', { before: 'inject' });
    }
    await step(
      'inject',
      async () => {
        await s.hooks?.beforeInject?.(ctx);
        injected = true;
        for (const f of faultsOf(s)) {
          timeline.record('inject', 'fault', { fault: f.name, description: f.describe(ctx) });
          await f.inject(ctx);
        }
        await s.hooks?.afterInject?.(ctx);
      },
      { parent: interrupt },
    );
    const holdMs = parseDuration(s.hold ?? DEFAULT_HOLD);
    await step(
      'hold',
      async (signal) => {
        await clock.sleep(holdMs, signal);
        // Evidence that each fault bit, taken while it is still in place.
        for (const f of faultsOf(s)) {
          const effect = await f.observe(ctx);
          faultReports.push({ fault: f.name, description: f.describe(ctx), ...effect });
          timeline.record('hold', effect.observed ? 'fault-observed' : 'fault-not-observed', {
            fault: f.name,
            summary: effect.summary,
          });
        }
      },
      { extraMs: holdMs, parent: interrupt },
    );
  } catch (err) {
    failure = err;
  }

  // --- revert: on every path. It gets its own signal: an interrupt must not cut it short,
  // only a second signal (forceStop) does.
  const force = options.forceStop;
  if (options.pause && injected && !failure && !interrupt?.aborted) {
    try {
      await options.pause({
        scenario: s.name,
        arm,
        namespace,
        before: 'revert',
        faults: faultLines(),
      });
      timeline.record('hold', 'resumed', { before: 'revert' });
    } catch (err) {
      failure = err;
    }
  }
  try {
    await step(
      'revert',
      async () => {
        // A write still being retried for an abandoned step must not land after its undo.
        api.fence();
        const faultSteps = new Set(['inject', 'hold']);
        const pending = journal.pending((e) => ofThisArm(e) && faultSteps.has(e.scope.step));
        const r = await revertEntries(api, journal, pending, (line) => reporter.onLog(line));
        for (const f of r.failed) revertFailures.push(`${formatRef(f.entry.mutation.ref)}: ${f.error}`);
        if (injected) {
          for (const f of faultsOf(s)) {
            if (!f.recover) continue;
            await f.recover(ctx);
            timeline.record('revert', 'recovered', { fault: f.name });
          }
        }
        if (!failure) await s.hooks?.afterRevert?.(ctx);
      },
      { parent: force },
    );
  } catch (err) {
    failure ??= err;
  } finally {
    for (const o of observers.splice(0)) await o.stop().catch(() => {});
  }

  let state: ClusterState | undefined;
  if (!failure && !interrupt?.aborted) {
    try {
      const settleMs = parseDuration(s.settle ?? DEFAULT_SETTLE);
      await step('settle', (signal) => clock.sleep(settleMs, signal), {
        extraMs: settleMs,
        parent: interrupt,
      });
      await step(
        'assertions',
        async () => {
          state = await collectState(api, namespace, deployed);
          const input: AssertionInput = {
            timeline: timeline.events,
            state,
            faults: faultReports.map((f) => ({ ...f })),
          };
          for (const a of s.expect) assertions.push(evaluate(a, input));
        },
        { parent: interrupt },
      );
      await step(
        'collect',
        async () => {
          const warnings = (state?.events ?? []).filter((e) => e.type === 'Warning');
          timeline.record('collect', 'summary', {
            pods: state?.pods.length ?? 0,
            events: state?.events.length ?? 0,
            warnings: warnings.length,
          });
        },
        { parent: interrupt },
      );
    } catch (err) {
      failure = err;
    }
  }

  try {
    await step(
      'cleanup',
      async (signal) => {
        const r = await revertEntries(api, journal, journal.pending(ofThisArm), (line) =>
          reporter.onLog(line),
        );
        for (const f of r.failed) revertFailures.push(`${formatRef(f.entry.mutation.ref)}: ${f.error}`);
        // Deleting a namespace only starts its termination; the arm is clean (and the next arm
        // gets the nodes' memory back) once it is gone, as `kubectl delete namespace` waits.
        await waitGone(api, { apiVersion: 'v1', kind: 'Namespace', name: namespace }, clock, signal);
      },
      { parent: force },
    );
  } catch (err) {
    failure ??= err;
    revertFailures.push(`cleanup: ${errorMessage(err)}`);
  }
  deployed = [];

  stopRecordingRetries();
  const sites = retriesBySite(timeline.events);
  if (Object.keys(sites).length) {
    timeline.record('cleanup', 'api-retries', { sites });
    const counts = Object.entries(sites).map(
      ([site, c]) => `${site} ${c.calls}×${c.gaveUp ? ` (${c.gaveUp} gave up)` : ''}`,
    );
    reporter.onLog(`${s.name} (${arm}): API calls retried: ${counts.join(', ')}`);
  }
  const gap = evidenceGap(timeline.events);
  if (gap) {
    timeline.record('cleanup', 'evidence-gap', {
      windowMs: gap.windowMs,
      blindMs: gap.blindMs,
      abandoned: gap.abandoned,
      reason: gap.reason,
    });
  }
  const { verdict, reason } = verdictOf(failure, faultReports, assertions, gap);
  const result: ArmReport = {
    arm,
    verdict,
    reason,
    namespace,
    durationMs: clock.now() - started,
    wallMs: Math.round(performance.now() - wallStarted),
    assertions,
    faults: faultReports,
    timeline: timeline.events,
    revertFailures,
  };
  if (failure) result.error = errorMessage(failure);
  return result;
}

function verdictOf(
  failure: unknown,
  faults: FaultReport[],
  assertions: AssertionReport[],
  gap?: EvidenceGap,
): { verdict: Verdict; reason: string } {
  if (failure instanceof InterruptedError) return { verdict: 'error', reason: failure.message };
  if (failure instanceof StepTimeoutError) return { verdict: 'error', reason: failure.message };
  if (failure instanceof SteadyStateFailed) return { verdict: 'inconclusive', reason: failure.message };
  if (failure) return { verdict: 'error', reason: errorMessage(failure) };
  // Holes in what the observers and fault observations saw: no verdict can rest on them.
  if (gap) return { verdict: 'error', reason: gap.reason };
  const notSeen = faults.filter((f) => !f.observed);
  if (notSeen.length) {
    return {
      verdict: 'inconclusive',
      reason: `fault not seen to take effect: ${notSeen.map((f) => `${f.fault} (${f.summary})`).join('; ')}`,
    };
  }
  const failed = assertions.filter((a) => !a.pass);
  if (failed.length)
    return { verdict: 'failed', reason: failed.map((a) => `${a.name}: ${a.summary}`).join('; ') };
  return { verdict: 'passed', reason: `${assertions.length} assertion(s) held` };
}

function evaluate(a: Scenario['expect'][number], input: AssertionInput): AssertionReport {
  try {
    const r = a.evaluate(input);
    return { name: a.name, pass: r.pass === true, summary: r.summary, evidence: r.evidence ?? [] };
  } catch (err) {
    return { name: a.name, pass: false, summary: `assertion threw: ${errorMessage(err)}`, evidence: [] };
  }
}

async function waitReady(
  api: KubeApi,
  objects: readonly KubernetesObject[],
  clock: Clock,
  signal: AbortSignal,
  timeline: Timeline,
): Promise<void> {
  const waiting = new Map(objects.map((o) => [formatRef(refOf(o)), refOf(o)]));
  let last = new Map<string, string>();
  while (waiting.size) {
    const reasons = new Map<string, string>();
    for (const [key, ref] of waiting) {
      const live = await api.read(ref);
      const r = live ? readinessOf(live) : { ready: false, reason: 'not found' };
      if (r.ready) {
        waiting.delete(key);
        timeline.record('wait-ready', 'ready', { object: key });
      } else reasons.set(key, r.reason);
    }
    last = reasons;
    if (!waiting.size) break;
    if (signal.aborted) break;
    await clock.sleep(READY_POLL_MS, signal).catch((err: unknown) => {
      // Name what was still not ready when the step ran out of time.
      if (err instanceof StepTimeoutError) {
        const pending = [...last].map(([k, why]) => `${k} (${why})`).join(', ');
        throw new StepTimeoutError(`wait-ready: still waiting for ${pending}`, err.timeoutMs);
      }
      throw err;
    });
  }
}

async function waitGone(api: KubeApi, ref: KubeRef, clock: Clock, signal: AbortSignal): Promise<void> {
  while (await api.read(ref)) {
    await clock.sleep(READY_POLL_MS, signal).catch((err: unknown) => {
      if (err instanceof StepTimeoutError) {
        throw new StepTimeoutError(`cleanup: ${formatRef(ref)} is still terminating`, err.timeoutMs);
      }
      throw err;
    });
  }
}

async function collectState(
  api: KubeApi,
  namespace: string,
  deployed: readonly KubernetesObject[],
): Promise<ClusterState> {
  const [pods, events] = await Promise.all([
    api.list<V1Pod>('v1', 'Pod', { namespace }),
    api.list<CoreV1Event>('v1', 'Event', { namespace }),
  ]);
  const objects: KubernetesObject[] = [];
  for (const o of deployed) {
    const live = await api.read(refOf(o));
    if (live) objects.push(live);
  }
  return { namespace, pods, events, objects };
}

function defaultAgentImage(): string {
  return `${AGENT_IMAGE_NAME}:${VERSION}`;
}

function radiusOf(s: Scenario, namespace: string) {
  return { runNamespace: namespace, namespaces: s.namespaces ?? [], nodes: s.nodes ?? [] };
}

export function stepTimeoutMs(
  step: StepName,
  own: StepTimeouts | undefined,
  config: StepTimeouts | undefined,
): number {
  const d: Duration | undefined = own?.[step] ?? config?.[step];
  return d === undefined ? DEFAULT_STEP_TIMEOUTS[step] : parseDuration(d);
}

function infoOf(l: LoadedScenario): ScenarioInfo {
  return { name: l.scenario.name, file: l.file, description: l.scenario.description };
}

function scenarioReport(l: LoadedScenario, main: ArmReport, control: ArmReport | undefined): ScenarioReport {
  const { arm: _arm, ...rest } = main;
  const out: ScenarioReport = {
    name: l.scenario.name,
    file: l.file,
    description: l.scenario.description,
    tags: l.scenario.tags ?? [],
    mitigation: l.scenario.mitigation.description,
    mainVerdict: main.verdict,
    ...rest,
    control: null,
  };
  if (!control) return out;
  // The control arm must fail its assertions; if it passes, the fault does not bite and the
  // main arm's pass proves nothing about the mitigation.
  const asExpected = control.verdict === 'failed';
  const c: ControlReport = { ...control, asExpected };
  out.control = c;
  if (main.verdict === 'passed' || main.verdict === 'failed') {
    if (control.verdict === 'error') {
      out.verdict = 'error';
      out.reason = `control arm errored: ${control.reason}`;
    } else if (!asExpected) {
      out.verdict = 'inconclusive';
      out.reason = `control arm ${control.verdict} without the mitigation (expected it to fail): ${control.reason}`;
    }
  }
  return out;
}

export function exitCodeOf(report: RunReport): number {
  if (report.interrupted) return ExitCode.interrupted;
  if (report.error) return report.exitCode || ExitCode.clusterFailure;
  const verdicts = report.scenarios.map((s) => s.verdict);
  if (verdicts.includes('error')) return ExitCode.clusterFailure;
  if (verdicts.some((v) => v === 'failed' || v === 'inconclusive')) return ExitCode.failed;
  if (report.scenarios.some((s) => s.revertFailures.length || s.control?.revertFailures.length)) {
    return ExitCode.clusterFailure;
  }
  return ExitCode.passed;
}
