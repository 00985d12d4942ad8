/**
 * report.html: one self-contained page per run. Markup is built here with every report string
 * escaped; the charts are drawn in the page by client.js from a JSON block (with `<` escaped so no
 * report text can close it). A Content-Security-Policy allows no network at all and only the two
 * inline scripts by hash, so even text that slipped past escaping could not run or load anything.
 */
import { createHash } from 'node:crypto';
import { formatMs } from '../../errors.ts';
import type { Evidence } from '../../harness/scenario.ts';
import { escapeHtml as e } from '../../runbook/html.ts';
import type {
  ArmReport,
  AssertionReport,
  FaultReport,
  RunReport,
  ScenarioReport,
  Verdict,
} from '../model.ts';
import { reportAssets } from './assets.ts';
import { type ArmChart, armChart, type Marker, type MarkerKind } from './chart-data.ts';

const EXIT_MEANING: Record<number, string> = {
  0: 'all passed',
  1: 'an assertion failed or a verdict is inconclusive',
  2: 'bad input or usage',
  3: 'cluster or tool failure',
  130: 'interrupted (after revert)',
};

const MARKER_NAMES: Record<MarkerKind, string> = {
  fault: 'fault observed',
  evicted: 'evicted',
  'eviction-refused': 'eviction refused (PDB)',
  oom: 'OOM kill',
  restart: 'restart',
  'pod-deleted': 'pod deleted',
  'node-pressure': 'node pressure',
  credentials: 'IMDS credentials',
};

/** Events listed under an arm's chart; the chart shows them all, the list stays short enough to print. */
const MAX_EVENT_ROWS = 40;

/** JSON inside a <script> element: `<` escaped so `</script>` or `<!--` in report text cannot end it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** A script's text as inlined; `</script` cannot occur in JS except in strings/regexps, where `<\/` means the same. */
const inlineScript = (js: string) => js.replaceAll('</script', '<\\/script');

const pill = (verdict: Verdict | string) => `<span class="pill v-${e(verdict)}">${e(verdict)}</span>`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;

export function renderHtmlReport(report: RunReport): string {
  const assets = reportAssets();
  const charts: Record<string, ArmChart> = {};
  const sections = report.scenarios.map((s, i) => scenarioSection(s, i, charts));
  const uplotJs = inlineScript(assets.uplotJs);
  const clientJs = inlineScript(assets.clientJs);
  // Our own constant (single quotes and base64 only), so it goes into the attribute as is.
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(uplotJs)} ${sha256(clientJs)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `scars ${report.runId}${report.simulated ? ' (simulated)' : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="scars ${e(report.version)}">
<title>${e(title)}</title>
<style>${assets.uplotCss}</style>
<style>${assets.css}</style>
</head>
<body>
<main>
${runHeader(report)}
${verdictTable(report)}
${sections.join('\n')}
<footer>scars ${e(report.version)} · report.json is the source of truth; this page is drawn from it${
    report.simulated ? ' · simulated cluster: see docs/sim-fidelity.md for what the simulator models' : ''
  }</footer>
</main>
<script type="application/json" id="scars-chart-data">${jsonForScript({ arms: charts })}</script>
<script>${uplotJs}</script>
<script>${clientJs}</script>
</body>
</html>
`;
}

function runHeader(r: RunReport): string {
  const counts = new Map<Verdict, number>();
  for (const s of r.scenarios) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  const fact = (label: string, value: string) => `<div><dt>${e(label)}</dt><dd>${value}</dd></div>`;
  const meaning = EXIT_MEANING[r.exitCode] ?? '';
  return `<header class="run">
<div class="title-row">
<h1>scars run <span class="mono">${e(r.runId)}</span></h1>
${r.simulated ? '<span class="pill sim" title="verdicts come from the built-in simulated cluster">simulated</span>' : ''}
<span class="pill ${r.exitCode === 0 ? 'exit-0' : 'exit-bad'}">exit ${e(String(r.exitCode))}${meaning ? ` · ${e(meaning)}` : ''}</span>
</div>
<dl class="facts">
${fact('provider', `${e(r.provider)}${r.simulated ? ' <span class="muted">(simulated cluster)</span>' : ''}`)}
${fact('cluster', r.cluster ? `${e(r.cluster.name)}${r.cluster.version ? ` · ${e(r.cluster.version)}` : ''}<br><span class="mono muted">${e(r.cluster.server)}</span>` : '<span class="muted">—</span>')}
${fact('started', `<span class="mono">${e(r.startedAt)}</span>`)}
${fact('finished', `<span class="mono">${e(r.finishedAt)}</span>`)}
${fact('wall time', e(formatMs(r.durationMs)))}
${fact('scars', e(r.version))}
</dl>
<div class="counts">${(['passed', 'failed', 'inconclusive', 'error'] as const)
    .filter((v) => counts.get(v))
    .map((v) => `<span class="pill v-${v}">${counts.get(v) ?? 0} ${v}</span>`)
    .join(' ')}<span class="muted">${r.scenarios.length} scenario(s)</span></div>
${r.error ? `<div class="banner">run error: ${e(r.error)}</div>` : ''}
${r.interrupted ? `<div class="banner">interrupted by ${e(r.interrupted)}; changes were reverted</div>` : ''}
</header>`;
}

function verdictTable(r: RunReport): string {
  const rows = r.scenarios.map((s, i) => {
    const control = s.control
      ? `${pill(s.control.verdict)} <span class="${s.control.asExpected ? 'expected' : 'unexpected'}">${
          s.control.asExpected ? 'as expected' : 'NOT as expected'
        }</span><span class="time">${e(formatMs(s.control.wallMs))}</span>`
      : '<span class="muted">—</span>';
    return `<tr>
<td class="name"><a href="#${anchor(s, i)}">${e(s.name)}</a></td>
<td>${pill(s.verdict)}</td>
<td>${pill(s.mainVerdict)}<span class="time">${e(formatMs(s.wallMs))}</span></td>
<td>${control}</td>
<td class="reason">${e(s.reason)}</td>
</tr>`;
  });
  return `<section class="card">
<h2>Verdicts</h2>
<table class="verdicts">
<thead><tr><th>scenario</th><th>verdict</th><th>main arm</th><th>control arm</th><th>why</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function anchor(s: ScenarioReport, i: number): string {
  return `s${i}-${s.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
}

function scenarioSection(s: ScenarioReport, i: number, charts: Record<string, ArmChart>): string {
  const arms: string[] = [armBlock({ ...s, arm: 'main' }, `a${i}-main`, charts, s.mainVerdict)];
  if (s.control)
    arms.push(armBlock(s.control, `a${i}-control`, charts, s.control.verdict, s.control.asExpected));
  return `<section class="card scenario" id="${anchor(s, i)}">
<div class="scenario-head"><h2>${e(s.name)}</h2>${pill(s.verdict)}</div>
<p class="scenario-meta">${e(s.description)}</p>
<p class="scenario-meta"><strong>Mitigation:</strong> ${e(s.mitigation)}</p>
<p class="scenario-meta muted"><span class="mono">${e(s.file)}</span>${
    s.tags.length ? ` · <span class="tags">${s.tags.map((t) => `<span>${e(t)}</span>`).join('')}</span>` : ''
  }</p>
<div class="arms${s.control ? ' two' : ''}">
${arms.join('\n')}
</div>
</section>`;
}

function armBlock(
  a: ArmReport,
  id: string,
  charts: Record<string, ArmChart>,
  verdict: Verdict,
  asExpected?: boolean,
): string {
  const chart = armChart(a);
  charts[id] = chart;
  const label =
    a.arm === 'control'
      ? `control arm <span class="muted">(without the mitigation: must fail)</span>`
      : 'main arm <span class="muted">(with the mitigation)</span>';
  const expectation =
    asExpected === undefined
      ? ''
      : `<span class="${asExpected ? 'expected' : 'unexpected'}">${asExpected ? 'failed as expected' : 'did NOT fail as expected'}</span>`;
  return `<div class="arm arm-${e(a.arm)}">
<div class="arm-head"><span class="arm-name">${label}</span>${pill(verdict)}${expectation}</div>
<div class="arm-reason">${e(a.reason)}</div>
<div class="muted">cluster time ${e(formatMs(a.durationMs))} · wall ${e(formatMs(a.wallMs))} · namespace <span class="mono">${e(a.namespace)}</span></div>
<div class="chart" data-arm-chart="${e(id)}" role="img" aria-label="${e(`timeline of the ${a.arm} arm`)}"></div>
${chartKey(chart)}
${a.error ? `<div class="error-box">${e(a.error)}</div>` : ''}
${a.revertFailures.length ? `<div class="error-box">not reverted (run <code>scars cleanup</code>): ${a.revertFailures.map(e).join('; ')}</div>` : ''}
<h4>Faults</h4>
${a.faults.length ? `<ul class="checks">${a.faults.map(faultItem).join('')}</ul>` : '<p class="muted">none injected</p>'}
<h4>Assertions</h4>
${a.assertions.length ? `<ul class="checks">${a.assertions.map(assertionItem).join('')}</ul>` : '<p class="muted">none evaluated</p>'}
${eventsTable(chart.markers)}
</div>`;
}

/** What the shading and glyphs mean, for the kinds this arm has (colours in report.css). */
function chartKey(chart: ArmChart): string {
  const kinds = [...new Set(chart.markers.map((m) => m.kind))];
  const items = [
    ...(chart.faultWindow ? ['<span class="k-window"><i></i>fault window (inject → revert)</span>'] : []),
    ...kinds.map((k) => `<span class="k-${k}"><i></i>${e(MARKER_NAMES[k])}</span>`),
  ];
  return items.length ? `<div class="key">${items.join('')}</div>` : '';
}

function faultItem(f: FaultReport): string {
  return `<li><span class="mark ${f.observed ? 'pass' : 'unseen'}">${f.observed ? 'BIT' : 'UNSEEN'}</span><span class="check-name">${e(f.fault)}</span>
<div class="summary">${e(f.summary)}</div>
<div class="muted">${e(f.description)}</div>
${evidenceList(f.evidence)}</li>`;
}

function assertionItem(a: AssertionReport): string {
  return `<li><span class="mark ${a.pass ? 'pass' : 'fail'}">${a.pass ? 'PASS' : 'FAIL'}</span><span class="check-name">${e(a.name)}</span>
<div class="summary">${e(a.summary)}</div>
${evidenceList(a.evidence)}</li>`;
}

function evidenceList(evidence: readonly Evidence[]): string {
  if (!evidence.length) return '';
  const items = evidence.map((x) => {
    const t = typeof x.t === 'number' ? `<span class="t">${e(seconds(x.t))}</span>` : '';
    const ref = x.ref ? ` <span class="ref mono">${e(x.ref)}</span>` : '';
    const data =
      x.data === undefined
        ? ''
        : `<details><summary>data</summary><pre>${e(JSON.stringify(x.data, null, 2) ?? '')}</pre></details>`;
    return `<li>${t}${e(x.what)}${ref}${data}</li>`;
  });
  return `<ul class="evidence">${items.join('')}</ul>`;
}

function eventsTable(markers: readonly Marker[]): string {
  if (!markers.length) return '';
  const rows = markers
    .slice(0, MAX_EVENT_ROWS)
    .map(
      (m) =>
        `<tr><td class="t">${e(seconds(m.t))}</td><td class="k-${m.kind}"><i></i></td><td>${e(m.label)}</td></tr>`,
    );
  const more = markers.length - MAX_EVENT_ROWS;
  return `<h4>Events on the time axis</h4>
<table class="events"><tbody>${rows.join('')}</tbody></table>${
    more > 0 ? `<p class="muted">… and ${more} more (all in report.json)</p>` : ''
  }`;
}
