/**
 * Exit-path variants of a scenario, for the "every exit path reverts" tests. The child process
 * picks the path through SCARS_EXIT_PATH:
 * - `signal`: the fault is held for ten minutes; the test sends SIGINT, SIGTERM or SIGKILL.
 * - `timeout`: the fault's evidence never comes, so the hold step runs out of time.
 * - `hook`: the scenario's afterInject hook throws while every fault is in place.
 * - `assertion`: the run goes through and an extra assertion fails.
 */
import { defineScenario, faultsOf, type Fault, type Scenario } from '../../src/harness/scenario.ts';

export const EXIT_PATHS = ['signal', 'timeout', 'hook', 'assertion'] as const;
export type ExitPath = (typeof EXIT_PATHS)[number];

export const HOOK_FAILURE = 'exit-path fixture: afterInject hook failed on purpose';
export const FAILING_ASSERTION = 'exit-path-fixture-always-fails';

function exitPathFromEnv(): ExitPath {
  const p = process.env.SCARS_EXIT_PATH ?? 'signal';
  if (!(EXIT_PATHS as readonly string[]).includes(p)) throw new Error(`SCARS_EXIT_PATH: unknown path ${p}`);
  return p as ExitPath;
}

/** The fault, except that its evidence is awaited until the step is aborted. */
function neverObserved(f: Fault): Fault {
  return {
    ...f,
    observe: (ctx) =>
      new Promise((_resolve, reject) => {
        const signal = ctx.signal;
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

export function exitPathVariant(s: Scenario, path: ExitPath = exitPathFromEnv()): Scenario {
  const { hooks, timeouts, ...rest } = s;
  const base = { ...rest, name: `exit-${s.name}`, suites: ['exit-paths'] };
  switch (path) {
    case 'signal':
      return defineScenario({
        ...base,
        ...(hooks ? { hooks } : {}),
        ...(timeouts ? { timeouts } : {}),
        hold: '10m',
      });
    case 'timeout':
      return defineScenario({
        ...base,
        ...(hooks ? { hooks } : {}),
        fault: faultsOf(s).map(neverObserved),
        hold: '100ms',
        // The hold step's limit is the hold plus this (wall time): the evidence wait runs past it.
        timeouts: { ...timeouts, hold: '1s' },
      });
    case 'hook':
      return defineScenario({
        ...base,
        ...(timeouts ? { timeouts } : {}),
        hooks: {
          ...hooks,
          afterInject: async () => {
            throw new Error(HOOK_FAILURE);
          },
        },
      });
    case 'assertion':
      return defineScenario({
        ...base,
        ...(hooks ? { hooks } : {}),
        ...(timeouts ? { timeouts } : {}),
        expect: [
          ...s.expect,
          {
            name: FAILING_ASSERTION,
            evaluate: () => ({ pass: false, summary: 'fails on purpose', evidence: [] }),
          },
        ],
      });
  }
}
