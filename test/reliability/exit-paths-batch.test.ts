/**
 * Every exit path reverts, part 1: a step timeout, a hook that throws, and a failed assertion, for
 * every built-in fault. One real `scars run --suite exit-paths` child process per path runs the
 * ten fault fixtures in turn against a simulated cluster that outlives it; afterwards the cluster
 * equals its pre-run canonical snapshot (objects, node flags and taints, Secret data) and the
 * exit code is the documented one. Signals are in exit-paths-signals-*.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.ts';
import { type ExitPathCluster, FAULT_FIXTURES, startExitPathCluster } from '../support/exit-path-cluster.ts';
import { FAILING_ASSERTION, HOOK_FAILURE } from '../support/exit-path-scenario.ts';

let c: ExitPathCluster;
beforeAll(async () => {
  c = await startExitPathCluster();
});
afterAll(async () => {
  await c?.close();
});

const FIXTURES = Object.values(FAULT_FIXTURES);

describe('every built-in fault reverts on a step timeout, a hook throw and an assertion failure (real CLI)', () => {
  it.each([
    ['timeout', 3, /step "hold" timed out after/],
    ['hook', 3, new RegExp(HOOK_FAILURE)],
    ['assertion', 1, new RegExp(FAILING_ASSERTION)],
  ] as const)(
    '%s: all 10 faults revert, exit %d',
    async (path, code, reason) => {
      const p = startCli(['run', '--suite', 'exit-paths', '--yes'], {
        cwd: c.project,
        env: { SCARS_EXIT_PATH: path },
      });
      const r = await p.done;
      expect(r.code, r.stdout + r.stderr).toBe(code);
      const report = c.report();
      expect(report.provider).toBe('context');
      expect(report.simulated).toBe(true);
      expect(report.scenarios.map((s) => s.name).sort()).toEqual([...FIXTURES].sort());
      for (const s of report.scenarios) {
        expect(s.verdict, `${s.name}: ${s.reason}`).toBe(path === 'assertion' ? 'failed' : 'error');
        expect(`${s.reason} ${s.error ?? ''}`, s.name).toMatch(reason);
        expect(s.revertFailures, s.name).toEqual([]);
        // The fault was in place when the path was taken: its inject step ended.
        expect(
          s.timeline.some((e) => e.step === 'inject' && e.event === 'end' && e.detail?.outcome === 'ok') ||
            path === 'hook',
          s.name,
        ).toBe(true);
      }
      expect(await c.settledDiff()).toEqual([]);
      expect(c.journals().filter((j) => !j.ended || j.pending)).toEqual([]);
    },
    180_000,
  );
});
