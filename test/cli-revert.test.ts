/**
 * Every exit path of a real `scars run` child process leaves the cluster as it found it:
 * SIGINT and SIGTERM during the hold window (exit 130 after revert), and SIGKILL followed by
 * `scars cleanup`. The cluster is the in-memory test API server; the snapshot covers every
 * object's spec/data/labels (a cordoned node, a patched ConfigMap, the run namespace).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, startCli } from './support/cli.ts';
import { contextProject, startTestCluster, type TestCluster } from './support/cluster.ts';

let tc: TestCluster;
let project: string;
let before: string;

beforeEach(async () => {
  tc = await startTestCluster();
  before = tc.server.snapshot();
  project = contextProject(tc, ['defaultSuite: fixtures', 'reporters: [console, json]']);
});
afterEach(async () => {
  await tc.close();
});

const env = { SCARS_FIXTURE_HOLD: '60s', SCARS_FIXTURE_SHARED: '1' };

async function startAndWaitForFault() {
  const p = startCli(['run', 'fixture-web', '--yes'], { cwd: project, env });
  await p.waitForOutput(/✔ inject/);
  // The fault is in place: node cordoned, shared ConfigMap patched, run namespace present.
  expect(tc.server.snapshot()).not.toEqual(before);
  expect(tc.server.get({ apiVersion: 'v1', kind: 'Node', name: 'worker-1' })?.spec).toEqual({
    unschedulable: true,
  });
  return p;
}

describe('revert on every exit path (real CLI, child process)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s during hold: reverts, exit 130', async (signal) => {
    const p = await startAndWaitForFault();
    p.child.kill(signal);
    const r = await p.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`${signal}: stopping and reverting`);
    expect(r.stdout).toContain(`interrupted by ${signal}; changes were reverted`);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('SIGKILL during hold: `scars cleanup --all` replays the journal', async () => {
    const p = await startAndWaitForFault();
    p.child.kill('SIGKILL');
    await p.done;
    expect(tc.server.snapshot()).not.toEqual(before);

    const listed = await cli(['cleanup'], { cwd: project });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/change\(s\) to revert/);

    const cleaned = await cli(['cleanup', '--all'], { cwd: project });
    expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(/clean\s+\S+: \d+ reverted/);
    expect(tc.server.snapshot()).toEqual(before);

    // Idempotent: nothing left to do the second time.
    const again = await cli(['cleanup', '--all'], { cwd: project });
    expect(again.stdout).toContain('nothing to clean up');
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('a run after a SIGKILL warns about the stale journal', async () => {
    const p = await startAndWaitForFault();
    p.child.kill('SIGKILL');
    await p.done;
    const next = await cli(['run', 'fixture-web', '--yes'], {
      cwd: project,
      env: { SCARS_FIXTURE_HOLD: '100ms' },
    });
    expect(next.stderr).toMatch(/1 journal\(s\) from runs that died before reverting .*scars cleanup --all/);
    // The dead run still holds the node it cordoned: cordoning it again would make this run's
    // revert re-cordon it after that run's cleanup, so it is refused until the journal is replayed.
    expect(next.code, next.stdout).toBe(3);
    expect(next.stdout).toMatch(
      /node worker-1 is claimed by scars run \S+ .*that process is gone: run `scars cleanup --run/,
    );
    expect((await cli(['cleanup', '--all'], { cwd: project })).code).toBe(0);
    const after = await cli(['run', 'fixture-web', '--yes'], {
      cwd: project,
      env: { SCARS_FIXTURE_HOLD: '100ms' },
    });
    expect(after.code, after.stdout).toBe(0);
    expect(tc.server.snapshot()).toEqual(before);
  });
});
