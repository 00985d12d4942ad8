/** compareReports: verdict flips, metrics past their margins, and what is not a regression. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/harness/timeline.ts';
import {
  armMetrics,
  compareReports,
  DEFAULT_THRESHOLDS,
  formatComparison,
  judgeMetric,
  readReport,
} from '../../src/report/compare.ts';
import type { ControlReport, RunReport, ScenarioReport, Verdict } from '../../src/report/model.ts';

const at = '2026-01-01T00:00:00.000Z';
const ev = (step: string, event: string, detail: Record<string, unknown>, t = 0): TimelineEvent => ({
  t,
  at,
  step,
  event,
  detail,
});
const ready = (step: string, n: number, restarts: Record<string, number> = {}) =>
  ev(step, 'sample', {
    observer: 'pod-readiness',
    selector: 'app=web',
    ready: n,
    total: 3,
    notReady: [],
    restarts,
  });
const load = (step: string, requests: number, failed: number, p99: number) =>
  ev(step, 'load-sample', {
    observer: 'service-load',
    engine: 'builtin',
    service: 'web',
    url: 'http://127.0.0.1:30000/',
    requests,
    failed,
    p95: p99 / 2,
    p99,
    causes: {},
  });
const dns = (step: string, latencyMs: number) =>
  ev(step, 'agent-line', {
    observer: 'agent-logs',
    selector: 'app=dns-probe',
    pod: 'probe-1',
    line: { mode: 'dnsprobe', event: 'attempt', latencyMs },
  });

function scenario(
  name: string,
  verdict: Verdict,
  timeline: TimelineEvent[],
  control: ControlReport | null = null,
): ScenarioReport {
  return {
    name,
    file: `scenarios/${name}.ts`,
    description: '',
    tags: [],
    mitigation: '',
    mainVerdict: verdict,
    verdict,
    reason: `${verdict} because`,
    namespace: `scars-x-${name}`,
    durationMs: 1,
    wallMs: 1,
    assertions: [],
    faults: [],
    timeline,
    revertFailures: [],
    control,
  };
}

function report(
  runId: string,
  scenarios: ScenarioReport[],
  provider: RunReport['provider'] = 'sim',
): RunReport {
  return {
    tool: 'scars',
    version: '0.1.0',
    runId,
    provider,
    simulated: provider === 'sim',
    cluster: null,
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    interrupted: null,
    error: null,
    exitCode: 0,
    journal: null,
    scenarios,
  };
}

const healthy = () => [
  ready('observe', 3, { a: 0 }),
  ready('hold', 2, { a: 0 }),
  load('hold', 100, 0, 40),
  load('hold', 100, 1, 60),
  dns('hold', 5),
  dns('hold', 8),
];

describe('armMetrics', () => {
  it('reads restarts, fewest Ready, load error rate and p99, DNS p99 from the fault window', () => {
    const m = armMetrics([
      ...healthy(),
      // Outside the fault window: Ready and load figures do not count, restarts do.
      ready('settle', 0, { a: 2, b: 1 }),
      load('settle', 100, 100, 5000),
      dns('settle', 900),
    ]);
    expect(m).toEqual({ restarts: 3, minReady: 2, loadErrorRate: 1 / 200, loadP99Ms: 60, dnsP99Ms: 8 });
  });

  it('leaves out what the timeline has no data for', () => {
    expect(armMetrics([ev('hold', 'fault-observed', {})])).toEqual({});
  });
});

describe('compareReports', () => {
  it('a verdict flip is a regression naming the scenario and the reason', () => {
    const c = compareReports(
      report('a', [scenario('pod-kill', 'passed', healthy())]),
      report('b', [scenario('pod-kill', 'failed', healthy())]),
    );
    expect(c.scenarios[0]?.verdictChange).toBe('worse');
    expect(c.regressions).toEqual([
      { scenario: 'pod-kill', kind: 'verdict', message: 'verdict passed → failed: failed because' },
    ]);
  });

  it('an improvement is not flagged', () => {
    const worse = [ready('hold', 1), load('hold', 100, 30, 900)];
    const c = compareReports(
      report('a', [scenario('drain', 'failed', worse)]),
      report('b', [scenario('drain', 'passed', healthy())]),
    );
    expect(c.scenarios[0]?.verdictChange).toBe('better');
    expect(c.regressions).toEqual([]);
    expect(c.scenarios[0]?.metrics.filter((m) => m.better).map((m) => m.metric)).toEqual([
      'minReady',
      'loadErrorRate',
      'loadP99Ms',
    ]);
  });

  it('metrics: within the margins is noise, past them a regression of the main arm only', () => {
    const base = healthy();
    const noisy = [ready('hold', 2, { a: 1 }), load('hold', 200, 3, 120)];
    expect(
      compareReports(
        report('a', [scenario('s', 'passed', base)]),
        report('b', [scenario('s', 'passed', noisy)]),
      ).regressions,
    ).toEqual([]);
    const bad = [ready('hold', 1, { a: 3 }), load('hold', 200, 20, 900)];
    const c = compareReports(
      report('a', [scenario('s', 'passed', base)]),
      report('b', [scenario('s', 'passed', bad)]),
    );
    expect(c.regressions.map((r) => r.message)).toEqual([
      'restarts 0 → 3',
      'fewest Ready pods 2 → 1',
      'load error rate 0.50% → 10.00%',
      'load p99 60 ms → 900 ms',
    ]);
    // The same degradation in the control arm (meant to suffer) is shown, not flagged.
    const control = (timeline: TimelineEvent[]): ControlReport => ({
      ...scenario('s', 'failed', timeline),
      arm: 'control',
      asExpected: true,
    });
    const c2 = compareReports(
      report('a', [scenario('s', 'passed', base, control(base))]),
      report('b', [scenario('s', 'passed', base, control(bad))]),
    );
    expect(c2.regressions).toEqual([]);
    expect(c2.scenarios[0]?.metrics.some((m) => m.arm === 'control' && m.worse)).toBe(true);
  });

  it('judgeMetric respects both margins and the direction', () => {
    expect(judgeMetric('loadP99Ms', 100, 100 + DEFAULT_THRESHOLDS.loadP99Ms.absolute)).toEqual({
      worse: false,
      better: false,
    });
    expect(judgeMetric('loadP99Ms', 100, 101 + DEFAULT_THRESHOLDS.loadP99Ms.absolute).worse).toBe(true);
    expect(judgeMetric('loadP99Ms', 1000, 1000 + DEFAULT_THRESHOLDS.loadP99Ms.absolute + 1).worse).toBe(
      false,
    );
    expect(judgeMetric('minReady', 3, 2).worse).toBe(true);
    expect(judgeMetric('minReady', 2, 3)).toEqual({ worse: false, better: true });
    const strict = { ...DEFAULT_THRESHOLDS, loadP99Ms: { relative: 0, absolute: 5 } };
    expect(judgeMetric('loadP99Ms', 100, 106, strict).worse).toBe(true);
  });

  it('scenarios in one run only and different providers are notes, not regressions', () => {
    const c = compareReports(
      report('a', [scenario('old', 'passed', [])], 'sim'),
      report('b', [scenario('new', 'failed', [])], 'kind'),
    );
    expect(c.regressions).toEqual([]);
    expect(c.scenarios.map((s) => `${s.name}:${s.verdictChange}`)).toEqual(['old:missing', 'new:added']);
    expect(c.notes[0]).toMatch(/different providers \(sim, kind\)/);
    expect(formatComparison(c)).toContain('no regressions');
  });

  it('formatComparison shows both sides and lists the regressions', () => {
    const text = formatComparison(
      compareReports(
        report('a', [scenario('pod-kill', 'passed', healthy())]),
        report('b', [scenario('pod-kill', 'failed', [ready('hold', 0)])]),
        { labels: { baseline: '1.31', current: '1.32' } },
      ),
    );
    expect(text).toMatch(/^scenario\s+1\.31\s+1\.32\s+change$/m);
    expect(text).toMatch(/^pod-kill\s+passed\s+failed\s+worse$/m);
    expect(text).toMatch(/^ {2}fewest Ready pods\s+2\s+0\s+worse$/m);
    expect(text).toContain('2 regression(s):');
    expect(text).toContain('✘ pod-kill: verdict passed → failed');
  });
});

describe('readReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-compare-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('accepts a report and names file and field of a bad one', () => {
    const good = report('a', [scenario('s', 'passed', healthy())]);
    expect(readReport(file('good.json', JSON.stringify(good))).runId).toBe('a');
    expect(() => readReport(file('x.json', '{'), 'x.json')).toThrow(/^x\.json: not valid JSON/);
    expect(() => readReport(file('y.json', '{"tool":"k6"}'), 'y.json')).toThrow(
      'y.json: tool: expected "scars" (is this a scars report.json?)',
    );
    const badVerdict = { ...good, scenarios: [{ ...good.scenarios[0], verdict: 'great' }] };
    expect(() => readReport(file('z.json', JSON.stringify(badVerdict)), 'z.json')).toThrow(
      'z.json: scenarios[0].verdict: expected one of passed, inconclusive, failed, error',
    );
    expect(() => readReport(join(dir, 'missing.json'), 'missing.json')).toThrow(
      /^missing\.json: cannot read it/,
    );
  });
});
