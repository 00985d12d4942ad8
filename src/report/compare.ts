/**
 * Compares two run reports: verdicts that got worse, and metrics the timelines carry that got
 * worse beyond a threshold. `scars run --baseline` compares a run with an earlier one (last
 * night's), `scars upgrade-check` the same suite on two Kubernetes versions.
 *
 * Metrics come from what the reports really hold, per arm: restarts (pod-readiness samples and
 * pod-status snapshots), fewest Ready pods, load error rate and worst p99 (`load-sample` events),
 * DNS lookup p99 (dnsprobe `attempt` lines) — the load and DNS figures and fewest Ready pods over
 * the fault window only, where the mitigation is tested. A metric counts as worse only when it
 * moved past both a relative and an absolute margin, so noise between two runs is not a regression.
 */
import { readFileSync } from 'node:fs';
import { FAULT_WINDOW } from '../assertions/window.ts';
import { errorMessage, InputError } from '../errors.ts';
import type { Arm } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';
import type { ArmReport, RunReport, ScenarioReport, Verdict } from './model.ts';

export const METRICS = ['restarts', 'minReady', 'loadErrorRate', 'loadP99Ms', 'dnsP99Ms'] as const;
export type MetricName = (typeof METRICS)[number];

interface MetricSpec {
  label: string;
  /** Which direction is worse. */
  worse: 'higher' | 'lower';
  format: (v: number) => string;
}

export const METRIC_SPECS: Record<MetricName, MetricSpec> = {
  restarts: { label: 'restarts', worse: 'higher', format: (v) => String(v) },
  minReady: { label: 'fewest Ready pods', worse: 'lower', format: (v) => String(v) },
  loadErrorRate: { label: 'load error rate', worse: 'higher', format: (v) => `${(v * 100).toFixed(2)}%` },
  loadP99Ms: { label: 'load p99', worse: 'higher', format: (v) => `${v.toFixed(0)} ms` },
  dnsP99Ms: { label: 'DNS lookup p99', worse: 'higher', format: (v) => `${v.toFixed(0)} ms` },
};

/** A metric is worse when it moved the wrong way by more than both margins. */
export interface Threshold {
  /** Share of the baseline value (0.5 = 50%). */
  relative: number;
  /** In the metric's unit. */
  absolute: number;
}
export type Thresholds = Record<MetricName, Threshold>;

/**
 * Two runs of the same build on a busy CI machine differ by this much in latency and error rate
 * (measured: worst-slice load p99 15–148 ms and error rate 0–2.3% for the same scenario across
 * runs of the upgrade suite on the sim, on a 2-CPU machine with other tests running), so those
 * margins sit above that. Ready counts and restarts are counts the fault decides, not the
 * machine: one fewer Ready pod is a regression, one more restart is tolerated.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  restarts: { relative: 0.5, absolute: 1 },
  minReady: { relative: 0, absolute: 0 },
  loadErrorRate: { relative: 1, absolute: 0.03 },
  loadP99Ms: { relative: 1, absolute: 250 },
  dnsP99Ms: { relative: 0.5, absolute: 50 },
};

export type ArmMetrics = Partial<Record<MetricName, number>>;

export interface MetricDelta {
  metric: MetricName;
  arm: Arm;
  baseline: number;
  current: number;
  worse: boolean;
  better: boolean;
}

export type VerdictChange = 'same' | 'worse' | 'better' | 'changed' | 'added' | 'missing';

export interface VerdictSide {
  verdict: Verdict;
  main: Verdict;
  control: Verdict | null;
}

export interface ScenarioComparison {
  name: string;
  baseline: VerdictSide | null;
  current: VerdictSide | null;
  verdictChange: VerdictChange;
  metrics: MetricDelta[];
}

export interface Regression {
  scenario: string;
  kind: 'verdict' | 'metric';
  message: string;
}

export interface RunSide {
  label: string;
  runId: string;
  provider: string;
  startedAt: string;
}

export interface Comparison {
  baseline: RunSide;
  current: RunSide;
  thresholds: Thresholds;
  scenarios: ScenarioComparison[];
  regressions: Regression[];
  /** Caveats: different providers, scenarios not in both runs. */
  notes: string[];
}

/** Worse is higher. An inconclusive verdict is worse than a pass (nothing was shown), better than a failure. */
const VERDICT_RANK: Record<Verdict, number> = { passed: 0, inconclusive: 1, failed: 2, error: 3 };

/** Nearest-rank percentile. */
function p99(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(0.99 * sorted.length) - 1))];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The metrics an arm's timeline carries; a metric the arm has no data for is absent. */
export function armMetrics(timeline: readonly TimelineEvent[]): ArmMetrics {
  const restarts = new Map<string, number>();
  const noteRestarts = (pod: string, n: number) => restarts.set(pod, Math.max(restarts.get(pod) ?? 0, n));
  let minReady: number | undefined;
  let requests = 0;
  let failed = 0;
  let loadP99: number | undefined;
  const dnsLatencies: number[] = [];
  for (const e of timeline) {
    const d = e.detail;
    if (!isRecord(d)) continue;
    const inWindow = FAULT_WINDOW.has(e.step);
    if (e.event === 'sample' && d.observer === 'pod-readiness') {
      if (isRecord(d.restarts)) {
        for (const [pod, n] of Object.entries(d.restarts)) if (typeof n === 'number') noteRestarts(pod, n);
      }
      if (inWindow && typeof d.ready === 'number') minReady = Math.min(minReady ?? Infinity, d.ready);
    } else if (e.event === 'pod-status' && isRecord(d.pod)) {
      const pod = d.pod as { metadata?: { name?: string }; status?: { containerStatuses?: unknown } };
      const statuses = Array.isArray(pod.status?.containerStatuses) ? pod.status.containerStatuses : [];
      const n = statuses.reduce(
        (sum: number, c: unknown) =>
          sum + (isRecord(c) && typeof c.restartCount === 'number' ? c.restartCount : 0),
        0,
      );
      noteRestarts(pod.metadata?.name ?? '', n);
    } else if (e.event === 'load-sample' && inWindow && d.observer === 'service-load') {
      if (typeof d.requests === 'number' && typeof d.failed === 'number') {
        requests += d.requests;
        failed += d.failed;
      }
      if (typeof d.p99 === 'number' && typeof d.requests === 'number' && d.requests > 0) {
        loadP99 = Math.max(loadP99 ?? 0, d.p99);
      }
    } else if (e.event === 'agent-line' && inWindow && d.observer === 'agent-logs' && isRecord(d.line)) {
      const line = d.line;
      if (line.mode === 'dnsprobe' && line.event === 'attempt' && typeof line.latencyMs === 'number') {
        dnsLatencies.push(line.latencyMs);
      }
    }
  }
  const out: ArmMetrics = {};
  if (restarts.size) out.restarts = [...restarts.values()].reduce((a, b) => a + b, 0);
  if (minReady !== undefined) out.minReady = minReady;
  if (requests > 0) out.loadErrorRate = failed / requests;
  if (loadP99 !== undefined) out.loadP99Ms = loadP99;
  const dns = p99(dnsLatencies);
  if (dns !== undefined) out.dnsP99Ms = dns;
  return out;
}

/** Whether `current` is worse (or better) than `baseline` past both margins. */
export function judgeMetric(
  metric: MetricName,
  baseline: number,
  current: number,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): { worse: boolean; better: boolean } {
  const sign = METRIC_SPECS[metric].worse === 'higher' ? 1 : -1;
  const change = sign * (current - baseline);
  const t = thresholds[metric];
  // Relative to the smaller value, so "better" is judged the way "worse" is, from the good side.
  const margin = Math.max(t.absolute, t.relative * Math.min(Math.abs(baseline), Math.abs(current)));
  return { worse: change > margin, better: -change > margin };
}

function side(s: ScenarioReport): VerdictSide {
  return { verdict: s.verdict, main: s.mainVerdict, control: s.control?.verdict ?? null };
}

function verdictChange(a: Verdict, b: Verdict): VerdictChange {
  if (a === b) return 'same';
  const d = VERDICT_RANK[b] - VERDICT_RANK[a];
  return d > 0 ? 'worse' : d < 0 ? 'better' : 'changed';
}

/** The main arm's fields sit on the scenario itself; the control arm's under `control`. */
function arms(s: ScenarioReport): [Arm, Pick<ArmReport, 'timeline'> | null][] {
  return [
    ['main', s],
    ['control', s.control],
  ];
}

export interface CompareLabels {
  baseline?: string;
  current?: string;
}

export function compareReports(
  baseline: RunReport,
  current: RunReport,
  options: { thresholds?: Thresholds; labels?: CompareLabels } = {},
): Comparison {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const runSide = (r: RunReport, label: string): RunSide => ({
    label,
    runId: r.runId,
    provider: r.provider,
    startedAt: r.startedAt,
  });
  const notes: string[] = [];
  if (baseline.provider !== current.provider) {
    notes.push(
      `the runs used different providers (${baseline.provider}, ${current.provider}); metrics compare different clusters`,
    );
  }
  const [was, now] = [baseline.cluster?.version, current.cluster?.version];
  // Reports written before the version was recorded have none: nothing to say then.
  if (was && now && was !== now) notes.push(`the Kubernetes version changed: ${was} → ${now}`);
  const before = new Map(baseline.scenarios.map((s) => [s.name, s]));
  const after = new Map(current.scenarios.map((s) => [s.name, s]));
  const names = [...new Set([...before.keys(), ...after.keys()])];
  const scenarios: ScenarioComparison[] = [];
  const regressions: Regression[] = [];
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (!a || !b) {
      scenarios.push({
        name,
        baseline: a ? side(a) : null,
        current: b ? side(b) : null,
        verdictChange: a ? 'missing' : 'added',
        metrics: [],
      });
      notes.push(`${name}: only in the ${a ? 'baseline' : 'current'} run; not compared`);
      continue;
    }
    const change = verdictChange(a.verdict, b.verdict);
    if (change === 'worse') {
      regressions.push({
        scenario: name,
        kind: 'verdict',
        message: `verdict ${a.verdict} → ${b.verdict}: ${b.reason}`,
      });
    }
    const metrics: MetricDelta[] = [];
    const armsA = new Map(arms(a));
    for (const [arm, rb] of arms(b)) {
      const ra = armsA.get(arm);
      if (!ra || !rb) continue;
      const ma = armMetrics(ra.timeline);
      const mb = armMetrics(rb.timeline);
      for (const metric of METRICS) {
        const va = ma[metric];
        const vb = mb[metric];
        if (va === undefined || vb === undefined) continue;
        const judged = judgeMetric(metric, va, vb, thresholds);
        metrics.push({ metric, arm, baseline: va, current: vb, ...judged });
        // A control arm is meant to suffer: its metrics getting worse is not a regression.
        if (judged.worse && arm === 'main') {
          const spec = METRIC_SPECS[metric];
          regressions.push({
            scenario: name,
            kind: 'metric',
            message: `${spec.label} ${spec.format(va)} → ${spec.format(vb)}`,
          });
        }
      }
    }
    scenarios.push({ name, baseline: side(a), current: side(b), verdictChange: change, metrics });
  }
  return {
    baseline: runSide(baseline, options.labels?.baseline ?? 'baseline'),
    current: runSide(current, options.labels?.current ?? 'current'),
    thresholds,
    scenarios,
    regressions,
    notes,
  };
}

/** The comparison as text: one row per scenario (verdicts side by side, then main-arm metrics), then regressions. */
export function formatComparison(c: Comparison): string {
  const head = ['scenario', c.baseline.label, c.current.label, 'change'];
  const rows: string[][] = [];
  for (const s of c.scenarios) {
    const show = (v: VerdictSide | null) =>
      v ? `${v.verdict}${v.control ? ` (control ${v.control})` : ''}` : '—';
    rows.push([s.name, show(s.baseline), show(s.current), s.verdictChange === 'same' ? '' : s.verdictChange]);
    for (const m of s.metrics) {
      if (m.arm !== 'main') continue;
      const spec = METRIC_SPECS[m.metric];
      rows.push([
        `  ${spec.label}`,
        spec.format(m.baseline),
        spec.format(m.current),
        m.worse ? 'worse' : m.better ? 'better' : '',
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  for (const n of c.notes) out.push(`note: ${n}`);
  if (c.regressions.length === 0) out.push('no regressions');
  else {
    out.push(`${c.regressions.length} regression(s):`);
    for (const r of c.regressions) out.push(`  ✘ ${r.scenario}: ${r.message}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Reads a `report.json` to compare against, checking the fields the comparison uses: a bad file is
 * one line naming it and the field (exit 2), before any cluster is touched.
 */
export function readReport(file: string, display: string = file): RunReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError({ file: display, expected: `cannot read it: ${errorMessage(err)}` });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError({ file: display, expected: `not valid JSON: ${errorMessage(err)}` });
  }
  const fail = (field: string, expected: string): never => {
    throw new InputError({ file: display, field, expected });
  };
  if (!isRecord(doc)) return fail('(root)', 'expected a scars report.json object');
  if (doc.tool !== 'scars') fail('tool', 'expected "scars" (is this a scars report.json?)');
  if (!Array.isArray(doc.scenarios)) fail('scenarios', 'expected a list');
  for (const [key, type] of [
    ['runId', 'string'],
    ['provider', 'string'],
    ['startedAt', 'string'],
  ] as const) {
    if (typeof doc[key] !== type) fail(key, `expected a ${type}`);
  }
  (doc.scenarios as unknown[]).forEach((s, i) => {
    const at = `scenarios[${i}]`;
    if (!isRecord(s)) return fail(at, 'expected an object');
    if (typeof s.name !== 'string') fail(`${at}.name`, 'expected a string');
    for (const key of ['verdict', 'mainVerdict'] as const) {
      if (typeof s[key] !== 'string' || !(s[key] in VERDICT_RANK)) {
        fail(`${at}.${key}`, `expected one of ${Object.keys(VERDICT_RANK).join(', ')}`);
      }
    }
    if (!Array.isArray(s.timeline)) fail(`${at}.timeline`, 'expected a list');
    if (s.control !== null && s.control !== undefined) {
      if (!isRecord(s.control) || !Array.isArray(s.control.timeline)) {
        fail(`${at}.control.timeline`, 'expected a list');
      }
      if (isRecord(s.control) && !(String(s.control.verdict) in VERDICT_RANK)) {
        fail(`${at}.control.verdict`, `expected one of ${Object.keys(VERDICT_RANK).join(', ')}`);
      }
    }
    return undefined;
  });
  return doc as unknown as RunReport;
}
