/**
 * The HTML report without a browser: what is charted from a timeline, escaping of report text,
 * the no-network policy in the page, and `scars report` on good and bad files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/harness/timeline.ts';
import { armChart, markers, stepSpans } from '../../src/report/html/chart-data.ts';
import { jsonForScript, renderHtmlReport } from '../../src/report/html/render.ts';
import { cliInProcess } from '../support/cli.ts';
import { HOSTILE, sampleReport } from './sample-report.ts';

const ev = (t: number, step: string, event: string, detail?: Record<string, unknown>): TimelineEvent => ({
  t,
  at: new Date(1_700_000_000_000 + t).toISOString(),
  step,
  event,
  ...(detail ? { detail } : {}),
});

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'scars-html-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('chart data from a timeline', () => {
  const timeline: TimelineEvent[] = [
    ev(0, 'deploy', 'start'),
    ev(1000, 'deploy', 'end', { outcome: 'ok' }),
    ev(1000, 'inject', 'start'),
    ev(1200, 'inject', 'eviction', { namespace: 'ns', pod: 'web-1', outcome: 'evicted', code: 201 }),
    ev(1300, 'inject', 'eviction', { namespace: 'ns', pod: 'web-2', outcome: 'refused', code: 429 }),
    ev(1500, 'inject', 'load-sample', { requests: 20, failed: 5, p95: 40, p99: 90 }),
    ev(1500, 'inject', 'sample', {
      observer: 'pod-readiness',
      selector: 'app=web',
      ready: 3,
      total: 3,
      restarts: { 'web-1': 0, 'web-2': 0 },
    }),
    ev(2000, 'inject', 'end', { outcome: 'ok' }),
    ev(2000, 'hold', 'start'),
    ev(2500, 'hold', 'sample', {
      observer: 'pod-readiness',
      selector: 'app=web',
      ready: 2,
      total: 3,
      restarts: { 'web-1': 0, 'web-2': 2 },
    }),
    ev(2600, 'hold', 'agent-line', { pod: 'p', line: { mode: 'dnsprobe', event: 'attempt', latencyMs: 10 } }),
    ev(2600, 'hold', 'agent-line', { pod: 'q', line: { mode: 'dnsprobe', event: 'attempt', latencyMs: 30 } }),
    ...[2700, 2800].map((t) =>
      // The same OOM kill seen in two snapshots is one marker.
      ev(t, 'hold', 'pod-status', {
        pod: {
          metadata: { name: 'leak', uid: 'u1' },
          status: {
            containerStatuses: [
              {
                name: 'm',
                lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, containerID: 'c1' } },
              },
            ],
          },
        },
      }),
    ),
    ev(3000, 'hold', 'end', { outcome: 'ok' }),
    ev(3000, 'revert', 'start'),
    ev(3500, 'revert', 'end', { outcome: 'error' }),
    ev(3500, 'settle', 'start'),
    ev(4000, 'settle', 'end', { outcome: 'ok' }),
  ];

  it('spans steps, marks the fault window from inject start to revert end, flags a failed step', () => {
    const spans = stepSpans(timeline);
    expect(spans.map((s) => [s.step, s.start, s.end, s.fault])).toEqual([
      ['deploy', 0, 1000, false],
      ['inject', 1000, 2000, true],
      ['hold', 2000, 3000, true],
      ['revert', 3000, 3500, true],
      ['settle', 3500, 4000, false],
    ]);
    expect(spans.find((s) => s.step === 'revert')?.ok).toBe(false);
    const chart = armChart({ timeline });
    expect(chart.faultWindow).toEqual({ start: 1000, end: 3500 });
    expect(chart.end).toBe(4000);
  });

  it('a step that never ended (interrupted) runs to the last event', () => {
    const spans = stepSpans([ev(0, 'hold', 'start'), ev(700, 'hold', 'sample')]);
    expect(spans).toEqual([{ step: 'hold', start: 0, end: 700, ok: true, fault: true }]);
  });

  it('aligns load percentiles, error rate and probe latency on one x axis (seconds)', () => {
    const latency = armChart({ timeline }).panels.find((p) => p.id === 'latency');
    expect(latency?.x).toEqual([1.5, 2.6]);
    const byLabel = Object.fromEntries((latency?.series ?? []).map((s) => [s.label, s]));
    expect(byLabel['load p95']?.values).toEqual([40, null]);
    expect(byLabel['load p99']?.values).toEqual([90, null]);
    expect(byLabel['load errors']).toMatchObject({ scale: '%', values: [25, null] });
    // Two probe pods at one instant: their mean.
    expect(byLabel['dnsprobe latency']?.values).toEqual([null, 20]);
  });

  it('charts ready pods per selector, and restarts only when there were any', () => {
    const pods = armChart({ timeline }).panels.find((p) => p.id === 'pods');
    expect(pods?.series.map((s) => [s.label, s.values])).toEqual([
      ['ready app=web', [3, 2]],
      ['restarts app=web', [0, 2]],
    ]);
    const quiet = armChart({ timeline: timeline.slice(0, 7) }).panels.find((p) => p.id === 'pods');
    expect(quiet?.series.map((s) => s.label)).toEqual(['ready app=web']);
  });

  it('turns evictions, refusals, restarts and OOM kills into markers, each once', () => {
    expect(markers(timeline).map((m) => [m.t, m.kind])).toEqual([
      [1200, 'evicted'],
      [1300, 'eviction-refused'],
      [2500, 'restart'],
      [2700, 'oom'],
    ]);
    expect(markers(timeline).find((m) => m.kind === 'eviction-refused')?.label).toBe(
      'eviction of ns/web-2 refused (429)',
    );
  });

  it('an arm without samples has no panels, and malformed details add nothing', () => {
    const chart = armChart({
      timeline: [
        ev(0, 'hold', 'start'),
        ev(10, 'hold', 'load-sample', { p95: 'fast' }),
        ev(20, 'hold', 'sample', { observer: 'pod-readiness', ready: null }),
        ev(30, 'hold', 'pod-status', { pod: 'not an object' }),
        ev(40, 'hold', 'end'),
      ],
    });
    expect(chart.panels).toEqual([]);
    expect(chart.markers).toEqual([]);
  });
});

describe('renderHtmlReport', () => {
  it('escapes report text: a <script> in a description, name, evidence or detail stays text', () => {
    const html = renderHtmlReport(sampleReport({ hostile: true }));
    // The only script elements are the JSON block and the two inlined scripts.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).not.toMatch(/<img\b/);
    // In the chart JSON '<' is \u003c, so the hostile '</script>' in a marker label cannot end the
    // block early: the block up to the first '</script>' is the whole data, hostile text intact.
    const open = '<script type="application/json" id="scars-chart-data">';
    const start = html.indexOf(open) + open.length;
    const block = html.slice(start, html.indexOf('</script>', start));
    expect(block).toContain('\\u003c/script>');
    expect(JSON.stringify(JSON.parse(block))).toContain(HOSTILE.replaceAll('"', '\\"'));
  });

  it('jsonForScript keeps the value and leaves no "<" or line separators', () => {
    const value = { a: '</script><!--', b: 'x\u2028y\u2029z' };
    const out = jsonForScript(value);
    expect(out).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual(value);
  });

  it('says simulated for sim runs, and has a CSP that forbids any network access', () => {
    const html = renderHtmlReport(sampleReport());
    expect(html).toMatch(/<span class="pill sim"[^>]*>simulated<\/span>/);
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[^']+' 'sha256-[^']+'(;|$)/);
    expect(csp).not.toContain('unsafe-eval');
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    const kind = renderHtmlReport({ ...sampleReport(), provider: 'kind', simulated: false });
    expect(kind).not.toContain('class="pill sim"');
  });

  it('has one verdict row per scenario with the control arm and whether it failed as expected', () => {
    const report = sampleReport();
    const html = renderHtmlReport(report);
    const body = html.slice(html.indexOf('<table class="verdicts">'), html.indexOf('</table>'));
    expect(body.match(/<tr>/g)).toHaveLength(report.scenarios.length + 1);
    expect(body).toContain('as expected');
    expect(body).toContain('NOT as expected');
  });
});

describe('scars report (CLI)', () => {
  it('renders an existing report.json to report.html beside it', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'report.json'), JSON.stringify(sampleReport()));
    const r = await cliInProcess(['report', join(dir, 'report.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`report: ${join(dir, 'report.html')}`);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<!doctype html>');
  });

  it.each([
    ['not JSON', '{"tool": "scars",', /^bad\.json: expected report\.json \(JSON\): /],
    ['not a scars report', '{"hello": 1}', /^bad\.json: tool: expected "scars"/],
    [
      'a wrong field',
      JSON.stringify({
        ...sampleReport(),
        scenarios: [{ ...sampleReport().scenarios[0], verdict: 'great' }],
      }),
      /^bad\.json: scenarios\[0\]\.verdict: expected passed, failed, inconclusive or error/,
    ],
  ])('%s: exit 2 and one line naming the file and field', async (_what, text, re) => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), text);
    const r = await cliInProcess(['report', 'bad.json'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^scars: ${re.source.slice(1)}`));
    expect(lines.slice(1).join('\n')).not.toMatch(/\n\s+at /);
  });

  it('a missing file and an unknown --format are exit 2', async () => {
    const dir = tmp();
    const missing = await cliInProcess(['report', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^scars: nope\.json: no such file$/m);
    writeFileSync(join(dir, 'report.json'), JSON.stringify(sampleReport()));
    const format = await cliInProcess(['report', 'report.json', '--format', 'pdf'], { cwd: dir });
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format: expected one of html, got "pdf"/);
  });
});
