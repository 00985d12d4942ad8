/**
 * The built-in suites through the real CLI in a child process, as CI runs them: with `--control`
 * every scenario passes and its control arm fails, asserted on report.json (the smoke suite: the
 * blast-radius test runs every built-in scenario with its control in-process and asserts the same
 * verdicts); `npm start` runs the default suite (all nine) and prints the verdict table.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/model.ts';
import { startCli, REPO } from '../support/cli.ts';

/** A scratch folder whose config points at the repository's scenarios, so journals stay out of the repo. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scars-suite-'));
  writeFileSync(join(dir, 'scars.config.yaml'), `scenarioDirs: [${join(REPO, 'scenarios')}]\n`);
  return dir;
}

describe('built-in suites through the CLI (sim)', () => {
  it('run --suite smoke --control: every scenario passed, every control arm failed as expected', async () => {
    const dir = scratch();
    const out = join(dir, 'out');
    const r = await startCli(
      ['run', '--suite', 'smoke', '--control', '--reporter', 'console,json', '--out', out],
      {
        cwd: dir,
      },
    ).done;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const table = report.scenarios.map(
      (s) => `${s.name}: ${s.verdict} (control ${s.control?.verdict}) — ${s.reason}`,
    );
    expect(r.code, `${table.join('\n')}\n${r.stderr}`).toBe(0);
    expect(report).toMatchObject({ provider: 'sim', simulated: true, error: null });
    expect(report.scenarios.map((s) => s.name).sort()).toEqual(['cert-expiry', 'imds-block', 'oom-limits']);
    for (const s of report.scenarios) {
      expect(s.verdict, table.join('\n')).toBe('passed');
      expect(s.control, s.name).toMatchObject({ verdict: 'failed', asExpected: true });
      expect(s.revertFailures, s.name).toEqual([]);
    }
    expect(r.stdout).toContain('Verdicts (sim, simulated):');
  }, 300_000);

  it('npm start runs the default suite and prints the verdict table', async () => {
    const dir = scratch();
    const r = await startCli(['run', '--reporter', 'console', '--out', join(dir, 'out')], { cwd: dir }).done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('Verdicts (sim, simulated):'));
    expect(table).toMatch(/scenario\s+verdict\s+main\s+control\s+why/);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe('node bin/scars.js run');
  }, 300_000);
});
