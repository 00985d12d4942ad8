/**
 * Every rule against its fixtures (test/fixtures/audit/rules/<rule>/): bad.yaml must trigger it exactly
 * on the lines marked `# expect: <rule>`; good.yaml must trigger nothing at all, from any rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditPaths, RULES } from '../../src/audit/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/audit/rules/', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The fixtures' certificates are fixed: one expired in 2020, one expiring on 2026-06-15, one valid to 2125. */
const NOW = new Date('2026-06-01T00:00:00Z');

const audit = (path: string) => auditPaths([path], { cwd: REPO, now: NOW });

function markedLines(file: string, ruleId: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => (line.includes(`# expect: ${ruleId}`) ? [i + 1] : []));
}

describe('audit rules against their fixtures', () => {
  it('has a fixture folder for every rule, and no folder without a rule', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES) {
    describe(rule.id, () => {
      it('triggers on bad.yaml, exactly at the marked lines', async () => {
        const file = `${FIXTURES}${rule.id}/bad.yaml`;
        const expected = markedLines(file, rule.id);
        expect(expected.length, 'bad.yaml marks where findings must point').toBeGreaterThan(0);
        const { findings } = await audit(file);
        const hits = findings.filter((f) => f.ruleId === rule.id);
        expect(
          hits.map((f) => f.line).sort((a, b) => a - b),
          hits.map((f) => `${f.line}: ${f.message}`).join('\n'),
        ).toEqual(expected);
        for (const f of hits) {
          expect(f.severity).toBe(rule.severity);
          expect(f.message).toContain(f.object.name === '(unnamed)' ? f.object.kind : f.object.name);
          expect(f.fix).toBe(rule.fix);
          expect(f.file).toBe(`test/fixtures/audit/rules/${rule.id}/bad.yaml`);
        }
      });

      it('finds nothing at all in good.yaml', async () => {
        const { findings, objects } = await audit(`${FIXTURES}${rule.id}/good.yaml`);
        expect(objects).toBeGreaterThan(0);
        expect(findings.map((f) => `${f.ruleId} ${f.line}: ${f.message}`)).toEqual([]);
      });
    });
  }

  it('finds nothing in all good fixtures audited together', async () => {
    const files = RULES.map((r) => `test/fixtures/audit/rules/${r.id}/good.yaml`);
    const result = await auditPaths(files, { cwd: REPO, now: NOW });
    expect(result.files).toBe(RULES.length);
    expect(result.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}: ${f.message}`)).toEqual([]);
  });
});
