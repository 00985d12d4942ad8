/** Console output: findings grouped by file, one line each, then how to fix each rule seen, then a summary. */
import type { FailOn } from '../audit.ts';
import { RULES } from '../registry.ts';
import type { AuditResult, Finding, Severity } from '../types.ts';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export function formatConsole(result: AuditResult, options: { failOn: FailOn; failed: boolean }): string {
  const lines: string[] = [];
  const { findings } = result;
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byFile.get(f.file) ?? [];
    list.push(f);
    byFile.set(f.file, list);
  }
  const place = (f: Finding) => `${f.line}:${f.column}`;
  const placeWidth = Math.max(0, ...findings.map((f) => place(f).length));
  const ruleWidth = Math.max(0, ...findings.map((f) => f.ruleId.length));
  for (const [file, list] of byFile) {
    lines.push(file);
    for (const f of list) {
      const object = `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`;
      lines.push(
        `  ${place(f).padEnd(placeWidth)}  ${f.severity.padEnd(7)}  ${f.ruleId.padEnd(ruleWidth)}  ${object}: ${stripObject(f.message, object)}`,
      );
    }
    lines.push('');
  }
  const seen = RULES.filter((r) => findings.some((f) => f.ruleId === r.id));
  if (seen.length) {
    lines.push('How to fix:');
    const width = Math.max(...seen.map((r) => r.id.length));
    for (const r of seen) lines.push(`  ${r.id.padEnd(width)}  ${r.fix}`);
    lines.push('');
  }
  const by = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const scope = `${count(result.objects, 'object')} in ${count(result.files, 'file')}`;
  if (!findings.length) lines.push(`No pitfalls found in ${scope}.`);
  else {
    lines.push(
      `${count(findings.length, 'finding')} in ${scope}: ${count(by('error'), 'error')}, ${count(by('warning'), 'warning')}, ${by('info')} info` +
        (options.failOn === 'none'
          ? ''
          : ` (--fail-on ${options.failOn}: ${options.failed ? 'failing' : 'passing'})`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Messages start with the object's name; the column before already shows it. */
function stripObject(message: string, object: string): string {
  return message.startsWith(`${object}: `) ? message.slice(object.length + 2) : message;
}
