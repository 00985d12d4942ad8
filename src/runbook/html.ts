/**
 * The runbook as one printable HTML page: no scripts, no network, page breaks kept out of steps,
 * checkboxes and sign-off lines to fill in by pen. Every text from the scenario is escaped.
 */
import type { Runbook, RunbookStep } from './model.ts';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const e = escapeHtml;
const list = (items: readonly string[], cls = '') =>
  items.length
    ? `<ul${cls ? ` class="${cls}"` : ''}>${items.map((i) => `<li>${e(i)}</li>`).join('')}</ul>`
    : '';
const code = (lines: readonly string[]) =>
  lines.length ? `<pre><code>${e(lines.join('\n'))}</code></pre>` : '';

const STYLE = `
  :root { --ink: #1d232b; --muted: #5b6570; --line: #d7dce1; --accent: #8a3b12; --pause: #fff4e0; }
  * { box-sizing: border-box; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
  h1 { font-size: 1.7rem; margin: 0 0 .25rem; } h1 small { color: var(--accent); font-weight: 600; letter-spacing: .04em; text-transform: uppercase; font-size: .8rem; display: block; }
  h2 { font-size: 1.15rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; margin-top: 2rem; }
  h3 { font-size: 1rem; margin: 0 0 .4rem; }
  .lead { color: var(--muted); margin-top: 0; }
  .meta { color: var(--muted); font-size: .85rem; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
  th, td { border: 1px solid var(--line); padding: .45rem .6rem; text-align: left; vertical-align: top; }
  td.blank { height: 2.2rem; }
  pre { background: #f4f6f8; border: 1px solid var(--line); border-radius: 4px; padding: .6rem .8rem; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; word-break: break-word; }
  .step { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; break-inside: avoid; }
  .step.pause { background: var(--pause); border-color: #e0b062; }
  .step .badge { font-size: .75rem; font-weight: 600; color: #8a5a00; margin-left: .4rem; }
  .done { color: var(--muted); font-size: .85rem; border-top: 1px dashed var(--line); padding-top: .4rem; }
  ul.check { list-style: none; padding-left: 0; } ul.check li::before { content: "☐ "; }
  .callout { border-left: 4px solid var(--accent); padding: .3rem .9rem; background: #fbf7f4; }
  @media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; } pre { white-space: pre-wrap; } .appendix { break-before: page; } }
`;

function stepHtml(step: RunbookStep, n: number): string {
  return `<section class="step${step.pause ? ' pause' : ''}">
<h3>${n}. ${e(step.title)}${step.pause ? '<span class="badge">⏸ scars run --step pauses here: Enter to go on, a to abort</span>' : ''}</h3>
${list(step.scars)}
${code(step.kubectl)}
<div class="done">☐ done &nbsp;·&nbsp; time: ________ &nbsp;·&nbsp; notes: ____________________________________________</div>
</section>`;
}

export function runbookHtml(rb: Runbook): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day: ${e(rb.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1><small>Game-day runbook</small>${e(rb.name)}</h1>
<p class="lead">${e(rb.description)}</p>
<p class="meta">Scenario file <code>${e(rb.file)}</code>${rb.tags.length ? ` · tags: ${e(rb.tags.join(', '))}` : ''} · agent image <code>${e(rb.agentImage)}</code></p>
<table><tr><th>Date</th><th>Cluster</th><th>Facilitator</th><th>Start</th><th>End</th></tr><tr><td class="blank"></td><td></td><td></td><td></td><td></td></tr></table>
</header>
<h2>Hypothesis</h2>
<p class="callout">${e(rb.hypothesis)}</p>
<h2>Blast radius</h2>
<p>${e(rb.blastRadius)}</p>
<h2>Mitigation under test</h2>
<p>${e(rb.mitigation)}</p>
${rb.control ? `<p><strong>Negative control:</strong> ${e(rb.control)}</p>` : ''}
<h2>Expected result</h2>
<p>${e(rb.expected)}</p>
<h2>Prerequisites</h2>
${list(rb.prerequisites, 'check')}
<h2>Steps</h2>
<p>Run it with scars, pausing before the fault and before the revert, or by hand with the kubectl under each step (<code>$NS</code> is the run namespace).</p>
${code([`scars run ${rb.name} --step --provider context --context <your context>`])}
${rb.steps.map((s, i) => stepHtml(s, i + 1)).join('\n')}
<h2>What to watch</h2>
${rb.watch.length ? code(rb.watch) : '<p>The service dashboards and alerts.</p>'}
<h2>Abort criteria</h2>
${list(rb.abort)}
<h2>Rollback</h2>
${code(rb.rollback)}
<h2>Sign-off</h2>
<table>
<tr><th>Role</th><th>Name</th><th>Outcome (held / broke / aborted)</th><th>Signature</th><th>Date</th></tr>
${rb.signOff.map((role) => `<tr><td>${e(role)}</td><td class="blank"></td><td></td><td></td><td></td></tr>`).join('\n')}
</table>
<section class="appendix">
<h2>Appendix: manifests.yaml</h2>
<pre><code>${e(rb.manifests)}</code></pre>
</section>
</body>
</html>
`;
}
