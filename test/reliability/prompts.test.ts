/**
 * What a run asks before it changes anything, through the real CLI: `--provider context` needs a
 * yes (asked on a terminal, `--yes` without one) and nothing is contacted until it has one; a run
 * after a killed run warns about its journal and, on a terminal, offers to replay it first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, cliOnTty, startCli } from '../support/cli.ts';
import {
  contextProject,
  startTestCluster,
  type TestCluster,
  untouchableCluster,
} from '../support/cluster.ts';

let tc: TestCluster;
let project: string;
let before: string;

beforeEach(async () => {
  tc = await startTestCluster();
  before = tc.server.snapshot();
  project = contextProject(tc, ['defaultSuite: fixtures', 'reporters: [console]']);
});
afterEach(async () => {
  await tc.close();
});

describe('--provider context asks first', () => {
  it('without a terminal and without --yes: exit 2, one line, nothing contacted', async () => {
    const target = await untouchableCluster(project);
    const { kubeconfig, port } = target;
    try {
      const r = await cli(['run', 'fixture-web', '--kubeconfig', kubeconfig], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `scars: --provider context: faults would go into the existing cluster of context "local" (http://127.0.0.1:${port}); pass --yes to confirm (there is no terminal to ask on)`,
      ]);
      expect(target.connections()).toBe(0);
    } finally {
      target.close();
    }
  });

  it('on a terminal, "n" changes nothing (exit 2) and "y" runs', async () => {
    const no = await cliOnTty(['run', 'fixture-web'], { cwd: project, answers: ['n'] });
    if (!no) return void console.warn('skipped: util-linux `script` is not installed (no pseudo-terminal)');
    expect(no.output).toContain('scars will inject faults into context "memory"');
    expect(no.output).toContain('not confirmed; nothing was changed in "memory"');
    expect(no.code).toBe(2);
    expect(tc.server.snapshot()).toEqual(before);

    const yes = await cliOnTty(['run', 'fixture-web'], { cwd: project, answers: ['y'] });
    expect(yes?.code, yes?.output).toBe(0);
    expect(tc.server.snapshot()).toEqual(before);
  });
});

describe('a run after a killed run', () => {
  it('warns about the stale journal and, on a terminal, replays it first when asked', async () => {
    const killed = startCli(['run', 'fixture-web', '--yes'], {
      cwd: project,
      env: { SCARS_FIXTURE_HOLD: '60s', SCARS_FIXTURE_SHARED: '1' },
    });
    await killed.waitForOutput(/✔ inject/);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(tc.server.snapshot()).not.toEqual(before);

    const next = await cliOnTty(['run', 'fixture-web', '--yes'], {
      cwd: project,
      env: { SCARS_FIXTURE_HOLD: '100ms' },
      answers: ['y'],
    });
    if (!next) return void console.warn('skipped: util-linux `script` is not installed (no pseudo-terminal)');
    expect(next.output).toMatch(/1 journal\(s\) from runs that died before reverting/);
    expect(next.output).toContain('Replay them now, before this run? [y/N]');
    expect(next.output).toMatch(/clean\s+\S+: \d+ reverted/);
    expect(next.code, next.output).toBe(0);
    expect(tc.server.snapshot()).toEqual(before);
    // Nothing is left to replay.
    const listed = await cli(['cleanup'], { cwd: project });
    expect(listed.stdout).toContain('nothing to clean up');
  });
});
