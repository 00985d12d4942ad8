/**
 * examples/ci/nightly.yml is a real workflow for the real CLI: every `npx scars` command in it
 * names a command, flags and values that `scars` accepts (checked against the parser itself with
 * --help and --dry-run), and the files it points at exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cli, cliInProcess, REPO } from '../support/cli.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
const workflow = parse(readFileSync(join(REPO, 'examples/ci/nightly.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; 'timeout-minutes'?: number }>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

/** `npx scars …` invocations, with shell line continuations joined and `"${array[@]}"` dropped. */
function scarsCommands(): string[][] {
  return steps
    .flatMap((s) => (s.run ?? '').replaceAll('\\\n', ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx scars '))
    .map((line) =>
      line
        .replace(/\|\|.*$/, '')
        .split(/\s+/)
        .slice(2)
        .filter((w) => w !== '' && !w.startsWith('"$')),
    );
}

describe('examples/ci/nightly.yml', () => {
  it('is scheduled, bounded in time, and always uploads the reports and deletes the cluster', () => {
    expect(workflow.on).toHaveProperty('schedule');
    expect(workflow.jobs.nightly?.['timeout-minutes']).toBeLessThanOrEqual(90);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toBe('reports/nightly/');
    const down = steps.find((s) => s.run?.includes('scars cluster down'));
    expect(down?.if).toBe('always()');
    expect(steps.some((s) => s.uses?.startsWith('grafana/setup-k6-action@'))).toBe(true);
    expect(steps.some((s) => s.uses?.startsWith('helm/kind-action@'))).toBe(true);
  });

  it('runs scars commands with flags the CLI knows and files that exist', async () => {
    const commands = scarsCommands();
    expect(commands.map((c) => c.slice(0, c[0] === 'cluster' ? 2 : 1).join(' '))).toEqual([
      'cluster up',
      'run',
      'cluster status',
      'cluster down',
    ]);
    // yargs prints --help to the process's own stdout: these need the binary (in parallel).
    const helps = await Promise.all(
      commands.map((args) =>
        cli([...(args[0] === 'cluster' ? args.slice(0, 2) : args.slice(0, 1)), '--help']),
      ),
    );
    commands.forEach((args, i) => {
      const help = helps[i]!;
      expect(help.code, help.stderr).toBe(0);
      // `--baseline` is passed through a shell array when last night's report exists.
      const flags = args.filter((a) => a.startsWith('--')).concat(args[0] === 'run' ? ['--baseline'] : []);
      for (const flag of flags) {
        expect(help.stdout, `scars ${args.slice(0, 2).join(' ')} ${flag}`).toContain(`${flag} `);
      }
      const config = args[args.indexOf('--config') + 1];
      if (args.includes('--config')) expect(existsSync(join(REPO, config!)), config).toBe(true);
    });
    // The run line itself parses and plans (nothing contacted), baseline left out: it is last night's file.
    const runArgs = commands.find((c) => c[0] === 'run')!.filter((a) => a !== '--load' && a !== 'k6');
    const plan = await cliInProcess([...runArgs, '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('provider: kind (not contacted)');
    expect(plan.stdout).toMatch(/control arm \(no mitigation; assertions must FAIL\)/);
  });

  it('compares with last night only when that report was found', () => {
    const run = steps.find((s) => s.run?.includes('scars run'))!.run!;
    expect(run).toContain(
      'if [ -f baseline/report.json ]; then baseline=(--baseline baseline/report.json); fi',
    );
    const download = steps.find((s) => s.uses?.startsWith('dawidd6/action-download-artifact@'));
    expect(download?.with?.name).toBe('scars-nightly-report');
    expect(download?.with?.path).toBe('baseline');
  });
});
