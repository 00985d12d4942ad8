import type { V1Node } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../src/errors.ts';
import { readJournal } from '../src/harness/journal.ts';
import { run } from '../src/harness/runner.ts';
import { type RunContext, STEPS } from '../src/harness/scenario.ts';
import { jsonReporter } from '../src/report/json.ts';
import { junitReporter } from '../src/report/junit.ts';
import type { RunReport } from '../src/report/model.ts';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { FIXTURE_NODE, type FixtureOptions, fixtureScenario } from './support/fixture-scenario.ts';
import { runReportSchema } from './support/report-schema.ts';

let tc: TestCluster;
let before: string;

beforeEach(async () => {
  tc = await startTestCluster();
  before = tc.server.snapshot();
});
afterEach(async () => {
  await tc.close();
});

async function runFixture(
  fixture: FixtureOptions,
  extra: { control?: boolean; interrupt?: AbortSignal; out?: string } = {},
): Promise<RunReport> {
  const out = extra.out ?? join(tc.dir, 'out');
  return run({
    scenarios: [{ file: 'test/support/fixture-scenario.ts', scenario: fixtureScenario(fixture) }],
    provider: 'context',
    providerOptions: { allowContexts: [] },
    control: extra.control ?? false,
    reporters: [jsonReporter(out), junitReporter(out)],
    journalDir: join(tc.dir, 'journal'),
    cluster: tc.cluster,
    ...(extra.interrupt ? { interrupt: extra.interrupt } : {}),
  });
}

function stepsInOrder(report: RunReport): string[] {
  return report.scenarios[0]!.timeline.filter((e) => e.event === 'start').map((e) => e.step);
}

describe('runner lifecycle (in-memory test API server)', () => {
  it('takes the steps in the documented order and leaves the cluster as it found it', async () => {
    const report = await runFixture({});
    const s = report.scenarios[0]!;
    expect(s.verdict, s.reason).toBe('passed');
    expect(stepsInOrder(report)).toEqual(STEPS.filter((st) => st !== 'provision'));
    expect(s.faults.map((f) => [f.fault, f.observed])).toEqual([
      ['pod-kill', true],
      ['cordon-node', true],
    ]);
    expect(tc.server.snapshot()).toEqual(before);
    expect(report.exitCode).toBe(0);
  });

  it('a failed preflight ends the arm as error before anything is created', async () => {
    const report = await runFixture({ failPreflight: true });
    const s = s0(report);
    expect(s.verdict).toBe('error');
    expect(s.reason).toBe('preflight pod-kill: the kill switch is not installed');
    expect(stepsInOrder(report)).toEqual(['preflight', 'revert', 'cleanup']);
    expect(readJournal(report.journal!).entries).toEqual([]);
    expect(tc.server.snapshot()).toEqual(before);
    expect(report.exitCode).toBe(3);
  });

  it("a fault's recover() runs after the journal is reverted, and only once inject began", async () => {
    const seen: string[] = [];
    const onRecover = async (ctx: RunContext) => {
      const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: FIXTURE_NODE });
      seen.push(`unschedulable=${String(node?.spec?.unschedulable ?? false)}`);
    };
    const report = await runFixture({ onRecover });
    expect(s0(report).verdict).toBe('passed');
    expect(seen).toEqual(['unschedulable=false']);
    expect(s0(report).timeline.some((e) => e.step === 'revert' && e.event === 'recovered')).toBe(true);

    seen.length = 0;
    await runFixture({ onRecover, throwIn: 'afterDeploy' });
    expect(seen).toEqual([]);
  });

  it('journals every mutation before it is made, and marks each reverted', async () => {
    const report = await runFixture({});
    const journal = readJournal(report.journal!);
    expect(journal.ended).toBe(true);
    const verbs = journal.entries.map(
      (e) => `${e.mutation.verb} ${e.mutation.ref.kind}/${e.mutation.ref.name}`,
    );
    expect(verbs).toEqual([
      `create Namespace/${s0(report).namespace}`,
      'create Pod/web-0',
      'create ConfigMap/settings',
      'create Pod/web-1',
      'delete Pod/web-0',
      // The node is claimed for the run before it is cordoned (two runs must not both cordon it).
      'claim Node/worker-1',
      'patch Node/worker-1',
    ]);
    expect(journal.entries.every((e) => e.state === 'reverted')).toBe(true);
    // The intent line precedes the API call: the server saw the cordon only after it was journalled.
    const lines = readFileSync(report.journal!, 'utf8').trim().split('\n');
    const intentIdx = lines.findIndex(
      (l) => l.includes('"intent"') && l.includes('"verb":"patch"') && l.includes('worker-1'),
    );
    const doneIdx = lines.findIndex((l, i) => i > intentIdx && l.includes('"done"') && l.includes(`"seq":7`));
    expect(intentIdx).toBeGreaterThan(-1);
    expect(doneIdx).toBeGreaterThan(intentIdx);
  });

  it('reverts after an assertion failure (control arm) and reports the control as expected', async () => {
    const report = await runFixture({}, { control: true });
    const s = s0(report);
    expect(s.verdict).toBe('passed');
    expect(s.control?.verdict).toBe('failed');
    expect(s.control?.asExpected).toBe(true);
    expect(s.control?.assertions[0]?.summary).toMatch(/fewer than 1 Ready/);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('reverts when a hook throws, and the verdict is error (exit 3)', async () => {
    const report = await runFixture({ throwIn: 'beforeInject', touchShared: true });
    expect(s0(report).verdict).toBe('error');
    expect(s0(report).error).toMatch(/beforeInject failed on purpose/);
    expect(report.exitCode).toBe(3);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('reverts after a step timeout', async () => {
    const report = await runFixture({ hangInInject: true, timeouts: { inject: '300ms' } });
    const s = s0(report);
    expect(s.verdict).toBe('error');
    expect(s.reason).toMatch(/step "inject" timed out after 300ms/);
    const reverted = s.timeline.filter((e) => e.step === 'revert' && e.event === 'end');
    expect(reverted[0]?.detail).toEqual({ outcome: 'ok' });
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('reverts on interrupt (SIGINT path in-process) and reports it', async () => {
    const interrupt = new AbortController();
    const pending = runFixture({ hold: '10s', touchShared: true }, { interrupt: interrupt.signal });
    await waitFor(
      () => tc.server.get({ apiVersion: 'v1', kind: 'Node', name: 'worker-1' })?.spec,
      (spec) => Boolean((spec as { unschedulable?: boolean } | undefined)?.unschedulable),
    );
    expect(tc.server.snapshot()).not.toEqual(before);
    interrupt.abort(new InterruptedError('SIGINT'));
    const report = await pending;
    expect(report.interrupted).toBe('SIGINT');
    expect(report.exitCode).toBe(130);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('says inconclusive, injects nothing and cleans up when the steady state does not hold', async () => {
    const report = await runFixture({ unsteady: true });
    const s = s0(report);
    expect(s.verdict).toBe('inconclusive');
    expect(s.reason).toBe('steady state "web-healthy" not met: web answers 503');
    expect(s.timeline.some((e) => e.step === 'inject')).toBe(false);
    expect(report.exitCode).toBe(1);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('says inconclusive when the fault was not seen to take effect', async () => {
    const report = await runFixture({ missTheTarget: true });
    expect(s0(report).verdict).toBe('inconclusive');
    expect(s0(report).reason).toMatch(/pod-kill \(no running pod matched app=nothing\)/);
    expect(report.exitCode).toBe(1);
  });

  it('writes report.json matching the documented schema and junit.xml that parses', async () => {
    const out = join(tc.dir, 'reports');
    await runFixture({}, { control: true, out });
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const parsed = runReportSchema.safeParse(json);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
    expect(json).toMatchObject({ tool: 'scars', provider: 'context', simulated: false });

    const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const cases = [doc.testsuites.testsuite.testcase].flat();
    expect(cases.map((c: Record<string, string>) => c['@_name'])).toEqual([
      'fixture-web',
      'fixture-web [control: must fail]',
    ]);
    expect(
      cases.every((c: Record<string, unknown>) => c.failure === undefined && c.error === undefined),
    ).toBe(true);
  });
});

function s0(report: RunReport) {
  const s = report.scenarios[0];
  if (!s) throw new Error(`no scenario in report: ${report.error ?? ''}`);
  return s;
}

async function waitFor<T>(get: () => T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
