/**
 * `scars run --step` (real CLI, child process, answers on stdin): it stops before inject and
 * before revert with the fault in place, goes on at Enter, and `a` or the end of input aborts
 * with everything reverted (exit 130). The cluster is the in-memory test API server, compared
 * by its full snapshot.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.ts';
import { contextProject, startTestCluster, type TestCluster } from '../support/cluster.ts';

let tc: TestCluster;
let project: string;
let before: string;

beforeEach(async () => {
  tc = await startTestCluster();
  before = tc.server.snapshot();
  project = contextProject(tc, ['reporters: [console]']);
});
afterEach(async () => {
  await tc.close();
});

const env = { SCARS_FIXTURE_HOLD: '200ms', SCARS_FIXTURE_SHARED: '1' };
const cordoned = () =>
  (
    tc.server.get({ apiVersion: 'v1', kind: 'Node', name: 'worker-1' })?.spec as
      { unschedulable?: boolean } | undefined
  )?.unschedulable === true;

describe('scars run --step (real CLI, answers on stdin)', () => {
  it('pauses before inject and before revert; Enter goes on each time', async () => {
    const p = startCli(['run', 'fixture-web', '--step', '--yes'], { cwd: project, env, stdin: 'pipe' });
    await p.waitForOutput(/about to inject:[\s\S]*Enter to inject, a to abort/);
    expect(cordoned(), 'nothing is injected while paused').toBe(false);
    p.child.stdin!.write('\n');
    await p.waitForOutput(/about to revert:[\s\S]*Enter to revert/);
    // Paused with the fault in place: the team looks at the cluster now.
    expect(cordoned()).toBe(true);
    p.child.stdin!.write('\n');
    const r = await p.done;
    expect(r.stderr).toMatch(/export NS=scars-\w{6}-fixture-web/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('"a" at the revert prompt aborts: the fault is reverted, exit 130', async () => {
    const p = startCli(['run', 'fixture-web', '--step', '--yes'], { cwd: project, env, stdin: 'pipe' });
    await p.waitForOutput(/Enter to inject/);
    p.child.stdin!.write('\n');
    await p.waitForOutput(/Enter to revert/);
    expect(cordoned()).toBe(true);
    p.child.stdin!.write('what?\n');
    await p.waitForOutput(/"what\?"\? Enter to revert, a to abort/);
    p.child.stdin!.write('a\n');
    const r = await p.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toContain('interrupted by abort at the step prompt; changes were reverted');
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('the end of input at the first prompt aborts before anything is injected', async () => {
    const p = startCli(['run', 'fixture-web', '--step', '--yes'], { cwd: project, env, stdin: 'pipe' });
    await p.waitForOutput(/Enter to inject/);
    p.child.stdin!.end();
    const r = await p.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toContain('aborting (stdin closed at the step prompt): reverting');
    expect(r.stdout).not.toMatch(/✔ inject/);
    expect(tc.server.snapshot()).toEqual(before);
  });
});
