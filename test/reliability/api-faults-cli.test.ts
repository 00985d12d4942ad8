/**
 * Cluster faults during a run: the sim's API server answers 500/429/503, or restarts, in the middle
 * of a scenario's hold. A short outage is bridged by the harness's retries and the verdict is what
 * it is without faults; an outage over most of the hold leaves holes in the evidence and the
 * verdict is `error`, never `passed`. Either way revert completes and the cluster ends as it began.
 * The in-process runner (`cluster` option) does the bulk; a real `scars run --provider context`
 * child against a test sim does each headline case once.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionedCluster } from '../../src/cluster/provider.ts';
import type { ApiRetryRecord } from '../../src/harness/evidence.ts';
import { readJournal } from '../../src/harness/journal.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { run } from '../../src/harness/runner.ts';
import { loadScenarioFile } from '../../src/harness/scenario-loader.ts';
import type { TimelineEvent } from '../../src/harness/timeline.ts';
import type { RunReport, ScenarioReport } from '../../src/report/model.ts';
import type { ApiFaultHandle, ApiFaultSpec } from '../../src/sim/api/faults.ts';
import type { SimCluster } from '../../src/sim/cluster.ts';
import { REPO, startCli } from '../support/cli.ts';
import { type ClusterSnapshot, explain, snapshotCluster, snapshotDiff } from '../support/scenario-run.ts';
import { served, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { type ServedSim, startServedSim } from '../support/served-sim.ts';

const FIXTURES = join(REPO, 'test/fixtures/api-faults');
const SCENARIO = 'api-faults-web';

/** An API fault to inject `atMs` of cluster time after the fault (the cordon) is in place. */
interface Planned {
  atMs: number;
  spec: ApiFaultSpec;
}

/** A few seconds of 500s, then of 429s, in an 80 s hold: retries bridge them. */
const SHORT_OUTAGES: Planned[] = [
  { atMs: 10_000, spec: { kind: 'status', status: 500, forMs: 3_000 } },
  { atMs: 25_000, spec: { kind: 'status', status: 429, retryAfterSeconds: 1, forMs: 3_000 } },
];

/** Down for 60 s of the 80 s hold. */
const LONG_RESTART: Planned[] = [{ atMs: 5_000, spec: { kind: 'restart', forMs: 60_000 } }];

/**
 * Node writes answered 503 from 5 s into the hold until 15 s into revert: reads (the evidence) are
 * untouched, and revert's uncordon has to retry until it lands.
 */
const WRITES_DOWN_INTO_REVERT: Planned[] = [
  {
    atMs: 5_000,
    spec: { kind: 'status', status: 503, forMs: 90_000, match: { verbs: ['patch'], resources: ['nodes'] } },
  },
];

const nodesCordoned = (sim: SimCluster) =>
  sim.registry
    .list(served('v1', 'nodes'), {})
    .items.filter((n) => (n as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === true).length;

/**
 * Injects the plan once a node is cordoned (the run's inject step), timed on the sim clock.
 * Resolves with the handles once every fault has been injected; stops waiting when `done` settles.
 */
async function duringHold(
  sim: SimCluster,
  plan: Planned[],
  done: Promise<unknown>,
): Promise<ApiFaultHandle[]> {
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished && nodesCordoned(sim) === 0) await new Promise((r) => setTimeout(r, 5));
  if (finished) return [];
  const t0 = sim.clock.now();
  const handles: ApiFaultHandle[] = [];
  for (const p of [...plan].sort((a, b) => a.atMs - b.atMs)) {
    await sim.clock.sleep(Math.max(0, t0 + p.atMs - sim.clock.now()));
    handles.push(sim.apiFaults.inject(p.spec));
  }
  return handles;
}

const retriesIn = (timeline: readonly TimelineEvent[]) =>
  timeline.filter((e) => e.event === 'api-retry').map((e) => e.detail as unknown as ApiRetryRecord);

const causesIn = (timeline: readonly TimelineEvent[]) =>
  [...new Set(retriesIn(timeline).flatMap((r) => Object.keys(r.causes)))].sort();

async function settledDiff(api: KubeApi, before: ClusterSnapshot, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let diff = snapshotDiff(before, await snapshotCluster(api));
  while (diff.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    diff = snapshotDiff(before, await snapshotCluster(api));
  }
  return diff;
}

function pendingJournalEntries(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => readJournal(join(dir, f)))
    .reduce(
      (n, j) =>
        n +
        (j.ended ? 0 : 1) +
        j.entries.filter((e) => e.state !== 'reverted' && e.state !== 'failed').length,
      0,
    );
}

describe('API server faults mid-hold (in-process runner on a sim)', () => {
  let t: TestSim;
  let api: KubeApi;
  let before: ClusterSnapshot;
  let journalDir: string;

  beforeAll(async () => {
    t = await startTestSim({ nodes: 4, timeScale: 20 });
    api = simClients(t).kube;
    before = await snapshotCluster(api);
    journalDir = mkdtempSync(join(tmpdir(), 'scars-api-faults-'));
  });
  afterAll(async () => {
    await t?.sim.stop();
    rmSync(journalDir, { recursive: true, force: true });
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  async function runWith(
    plan: Planned[],
  ): Promise<{ report: RunReport; scenario: ScenarioReport; injected: ApiFaultHandle[] }> {
    const loaded = await loadScenarioFile(join(FIXTURES, `${SCENARIO}.ts`), REPO);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(t.kubeconfigPath);
    const cluster: ProvisionedCluster = {
      name: 'api-faults',
      provider: 'sim',
      simulated: true,
      kubeConfig,
      context: kubeConfig.getCurrentContext(),
      server: t.sim.url,
      locator: { provider: 'sim', name: 'api-faults', inProcess: true, server: t.sim.url },
      clock: t.sim.clock,
      dispose: async () => {},
    };
    const running = run({
      scenarios: [loaded],
      provider: 'sim',
      providerOptions: { allowContexts: [] },
      control: false,
      reporters: [],
      journalDir,
      cluster,
    });
    const injecting = duringHold(t.sim, plan, running);
    const report = await running;
    const injected = await injecting;
    await t.sim.apiFaults.clearAll();
    const scenario = report.scenarios[0];
    if (!scenario) throw new Error(`no scenario report: ${report.error ?? 'unknown'}`);
    return { report, scenario, injected };
  }

  let baseline: ScenarioReport;
  it('without API faults: passed, no call retried (the baseline)', async () => {
    const { scenario } = await runWith([]);
    baseline = scenario;
    expect(scenario.verdict, explain(scenario)).toBe('passed');
    expect(retriesIn(scenario.timeline)).toEqual([]);
    expect(await settledDiff(api, before)).toEqual([]);
  }, 120_000);

  it('500s then 429s for a few seconds mid-hold: retries bridge them, same verdict, retries in the timeline', async () => {
    const { scenario, injected } = await runWith(SHORT_OUTAGES);
    expect(
      injected.map((h) => h.hits).every((n) => n > 0),
      'every fault was hit',
    ).toBe(true);
    expect(scenario.verdict, explain(scenario)).toBe(baseline.verdict);
    expect(causesIn(scenario.timeline)).toEqual(expect.arrayContaining(['429', '500']));
    expect(retriesIn(scenario.timeline).every((r) => r.outcome === 'recovered')).toBe(true);
    expect(scenario.timeline.find((e) => e.event === 'api-retries')?.detail).toMatchObject({
      sites: expect.objectContaining({ 'LIST Pod': expect.objectContaining({ gaveUp: 0 }) }),
    });
    expect(scenario.timeline.some((e) => e.event === 'evidence-gap')).toBe(false);
    expect(await settledDiff(api, before)).toEqual([]);
    expect(pendingJournalEntries(journalDir)).toBe(0);
  }, 120_000);

  it('API server down (restart) for most of the hold: error naming the gap, not passed; revert completes', async () => {
    const { scenario } = await runWith(LONG_RESTART);
    expect(scenario.verdict, explain(scenario)).toBe('error');
    expect(scenario.reason).toMatch(
      /^evidence incomplete: the API server could not be read for \d+\.\d s of the \d+\.\d s fault window/,
    );
    expect(scenario.timeline.find((e) => e.event === 'evidence-gap')?.detail).toMatchObject({
      reason: scenario.reason,
    });
    expect(causesIn(scenario.timeline)).toContain('ECONNREFUSED');
    expect(scenario.revertFailures).toEqual([]);
    expect(await settledDiff(api, before)).toEqual([]);
    expect(pendingJournalEntries(journalDir)).toBe(0);
  }, 120_000);

  it('node writes failing from mid-hold into revert: revert retries until the uncordon lands; evidence intact, same verdict', async () => {
    const { scenario, injected } = await runWith(WRITES_DOWN_INTO_REVERT);
    expect(scenario.verdict, explain(scenario)).toBe(baseline.verdict);
    const revertRetries = retriesIn(scenario.timeline.filter((e) => e.step === 'revert'));
    expect(revertRetries.length).toBeGreaterThan(0);
    expect(revertRetries.every((r) => r.outcome === 'recovered' && (r.causes['503'] ?? 0) > 0)).toBe(true);
    expect(injected[0]?.hits).toBeGreaterThan(0);
    expect(scenario.revertFailures).toEqual([]);
    expect(await settledDiff(api, before)).toEqual([]);
    expect(pendingJournalEntries(journalDir)).toBe(0);
  }, 120_000);
});

describe('API server faults mid-hold (real CLI child, --provider context against a test sim)', () => {
  let cluster: ServedSim;
  let t: TestSim;
  let api: KubeApi;
  let before: ClusterSnapshot;
  let project: string;

  beforeAll(async () => {
    cluster = await startServedSim(FIXTURES, 'scars-api-faults-cli-');
    ({ sim: t, api, before, project } = cluster);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const lastReport = () => cluster.report();

  async function cliRun(plan: Planned[]) {
    const p = startCli(['run', SCENARIO, '--yes'], { cwd: project });
    const injecting = duringHold(t.sim, plan, p.done);
    const result = await p.done;
    await injecting;
    await t.sim.apiFaults.clearAll();
    return { result, scenario: lastReport().scenarios[0] as ScenarioReport };
  }

  it('short 500/429 outages: exit 0, passed, retries recorded in report.json', async () => {
    const { result, scenario } = await cliRun(SHORT_OUTAGES);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(scenario.verdict).toBe('passed');
    expect(causesIn(scenario.timeline)).toEqual(expect.arrayContaining(['429', '500']));
    expect(await settledDiff(api, before)).toEqual([]);
    expect(pendingJournalEntries(join(project, '.scars', 'journal'))).toBe(0);
  }, 120_000);

  it('API server restarting for most of the hold: exit 3, error with the gap named, cluster as before', async () => {
    const { result, scenario } = await cliRun(LONG_RESTART);
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(scenario.verdict).toBe('error');
    expect(scenario.reason).toMatch(/^evidence incomplete: the API server could not be read/);
    expect(result.stdout + result.stderr).toContain('evidence incomplete');
    expect(await settledDiff(api, before)).toEqual([]);
    expect(pendingJournalEntries(join(project, '.scars', 'journal'))).toBe(0);
  }, 120_000);
});
