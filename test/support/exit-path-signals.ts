/**
 * Every exit path reverts, the signal part: for each fault, a real `scars run` child is stopped
 * in its hold window by SIGINT, SIGTERM (revert, exit 130) and SIGKILL (nothing runs; `scars
 * cleanup --all` in another child replays the journal). Each time the cluster must come back to
 * its pre-run canonical snapshot. Split over two files so both test workers share the work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startCli } from './cli.ts';
import { type ExitPathCluster, FAULT_FIXTURES, startExitPathCluster } from './exit-path-cluster.ts';

export function signalExitPathTests(faults: readonly string[]): void {
  let c: ExitPathCluster;
  beforeAll(async () => {
    c = await startExitPathCluster();
  });
  afterAll(async () => {
    await c?.close();
  });

  async function startAndHold(fault: string) {
    const fixture = FAULT_FIXTURES[fault];
    if (!fixture) throw new Error(`no exit-path fixture for fault ${fault}`);
    const p = startCli(['run', fixture, '--yes'], { cwd: c.project, env: { SCARS_EXIT_PATH: 'signal' } });
    await p.waitForOutput(/✔ inject/, 90_000);
    // The fault is in place (at least the run namespace exists; cordons, patches and swaps show too).
    expect((await c.diffNow()).length).toBeGreaterThan(0);
    return p;
  }

  describe.each(faults)('%s', (fault) => {
    it.each(['SIGINT', 'SIGTERM'] as const)(
      '%s in the hold window: reverted, exit 130, cluster as before',
      async (signal) => {
        const p = await startAndHold(fault);
        p.child.kill(signal);
        const r = await p.done;
        expect(r.code, r.stdout + r.stderr).toBe(130);
        expect(r.stdout).toContain(`interrupted by ${signal}; changes were reverted`);
        expect(await c.settledDiff()).toEqual([]);
        expect(c.journals().filter((j) => !j.ended || j.pending)).toEqual([]);
      },
      120_000,
    );

    it('SIGKILL in the hold window: `scars cleanup --all` restores the cluster', async () => {
      const p = await startAndHold(fault);
      p.child.kill('SIGKILL');
      await p.done;
      expect(c.journals().filter((j) => !j.ended).length).toBe(1);
      const cleaned = await cli(['cleanup', '--all'], { cwd: c.project });
      expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
      expect(cleaned.stdout).toMatch(/clean\s+\S+: \d+ reverted/);
      expect(await c.settledDiff()).toEqual([]);
      expect(c.journals().filter((j) => !j.ended || j.pending)).toEqual([]);
    }, 120_000);
  });
}
