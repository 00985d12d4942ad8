/** The runbook as Markdown: readable as plain text, printable from any Markdown viewer. */
import type { Runbook } from './model.ts';

const fence = (lines: readonly string[]) => ['```sh', ...lines, '```'];
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function runbookMarkdown(rb: Runbook): string {
  const out: string[] = [
    `# Game day: ${rb.name}`,
    '',
    `> ${rb.description}`,
    '',
    `Scenario file: \`${rb.file}\`${rb.tags.length ? ` · tags: ${rb.tags.join(', ')}` : ''} · agent image: \`${rb.agentImage}\``,
    '',
    '| Date | Cluster | Facilitator | Start | End |',
    '|---|---|---|---|---|',
    '| | | | | |',
    '',
    '## Hypothesis',
    '',
    rb.hypothesis,
    '',
    '## Blast radius',
    '',
    rb.blastRadius,
    '',
    '## Mitigation under test',
    '',
    rb.mitigation,
    ...(rb.control ? ['', `**Negative control:** ${rb.control}`] : []),
    '',
    '## Expected result',
    '',
    rb.expected,
    '',
    '## Prerequisites',
    '',
    ...rb.prerequisites.map((p) => `- [ ] ${p}`),
    '',
    '## Steps',
    '',
    'Run it with scars, pausing before the fault and before the revert:',
    '',
    ...fence([`scars run ${rb.name} --step --provider context --context <your context>`]),
    '',
    'or by hand with the kubectl under each step (`$NS` is the run namespace).',
    '',
  ];
  rb.steps.forEach((step, i) => {
    out.push(`### ${i + 1}. ${step.title}${step.pause ? ' ⏸' : ''}`, '');
    if (step.pause) out.push('_`scars run --step` pauses here: Enter to go on, `a` to abort (reverts)._', '');
    if (step.scars.length) out.push(...step.scars.map((s) => `- ${s}`), '');
    if (step.kubectl.length) out.push(...fence(step.kubectl), '');
    out.push('- [ ] done · time: ______ · notes:', '');
  });
  out.push(
    '## What to watch',
    '',
    ...(rb.watch.length ? fence(rb.watch) : ['- the service dashboards and alerts']),
    '',
    '## Abort criteria',
    '',
    ...rb.abort.map((a) => `- ${a}`),
    '',
    '## Rollback',
    '',
    ...fence(rb.rollback),
    '',
    '## Sign-off',
    '',
    '| Role | Name | Outcome (held / broke / aborted) | Signature | Date |',
    '|---|---|---|---|---|',
    ...rb.signOff.map((role) => `| ${cell(role)} | | | | |`),
    '',
    '## Appendix: manifests.yaml',
    '',
    '```yaml',
    rb.manifests.trimEnd(),
    '```',
    '',
  );
  return out.join('\n');
}
