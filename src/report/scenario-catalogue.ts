/**
 * The built-in scenarios as a Markdown catalogue (docs/scenarios.md): each read as a runbook —
 * hypothesis, blast radius, what is deployed, the fault, the mitigation and what its absence
 * shows, what to watch. Built from the scenario files themselves, so the docs cannot drift.
 */
import { newRunId, runNamespace } from '../harness/run-id.ts';
import { type BuildContext, faultsOf, hasControl } from '../harness/scenario.ts';
import type { LoadedScenario } from '../harness/scenario-loader.ts';

export function scenarioCatalogue(scenarios: readonly LoadedScenario[], agentImage: string): string {
  const out: string[] = [
    '# Built-in scenarios',
    '',
    '<!-- Generated from scenarios/*.ts by `npm run docs:scenarios`; a test checks it is current. -->',
    '',
    'Each scenario runs twice with `--control`: the main arm with the mitigation must pass, the control arm',
    'without it must fail. A fault that is not seen to bite makes the verdict `inconclusive`.',
    '',
    '| scenario | suites | what it proves |',
    '|---|---|---|',
    ...scenarios.map(
      ({ scenario: s }) => `| [${s.name}](#${s.name}) | ${(s.suites ?? []).join(', ')} | ${s.description} |`,
    ),
    '',
  ];
  for (const { file, scenario: s } of scenarios) {
    const runId = newRunId();
    const ctx: BuildContext = {
      runId,
      namespace: runNamespace(runId, s.name, 'main'),
      arm: 'main',
      agentImage,
    };
    out.push(
      `## ${s.name}`,
      '',
      s.description,
      '',
      `File: \`${file}\` · tags: ${(s.tags ?? []).join(', ')}`,
      '',
    );
    if (s.runbook) {
      out.push(
        `**Hypothesis.** ${s.runbook.hypothesis}`,
        '',
        `**Blast radius.** ${s.runbook.blastRadius}`,
        '',
      );
    }
    out.push(
      '**Fault.**',
      '',
      ...faultsOf(s).map((f) => `- ${f.name}: ${f.describe(ctx).replace(ctx.namespace, '<run namespace>')}`),
      '',
    );
    out.push(`**Mitigation (main arm only).** ${s.mitigation.description}`, '');
    if (s.runbook) out.push(`**Expected.** ${s.runbook.expected}`, '');
    if (!hasControl(s)) out.push('This scenario has no control arm.', '');
    out.push(
      '**Assertions.**',
      '',
      ...s.expect.map((a) => `- ${a.name}${a.description ? `: ${a.description}` : ''}`),
      '',
    );
    if (s.runbook?.watch?.length) out.push('**Watch.**', '', ...s.runbook.watch.map((w) => `- ${w}`), '');
    if (s.runbook?.abort?.length)
      out.push('**Abort when.**', '', ...s.runbook.abort.map((w) => `- ${w}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
