import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

/** Built-in scenario runs: real sockets in wall time against a sim at time scale 20. */
const SCENARIOS = [
  'test/scenarios/**/*.test.ts',
  // Every built-in scenario under the API audit, and the soak's smoke run (verdicts compared).
  'test/reliability/blast-radius.test.ts',
  'test/reliability/soak.test.ts',
];

export default defineConfig({
  resolve: {
    // Scenario files import the package by name, as users' scenarios do.
    alias: [
      { find: /^scars$/, replacement: src('index.ts') },
      { find: /^scars\/(faults|observers|assertions|workloads)$/, replacement: `${src('')}$1/index.ts` },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process tests spawn the real CLI; keep parallelism modest on 2-core CI machines.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-and-sim',
          include: ['test/**/*.test.ts'],
          exclude: SCENARIOS,
          // One module graph per worker instead of one per file: re-importing the sim, client-node
          // and yargs for each of ~130 files cost about two minutes of a CI run. No test mocks
          // modules or stubs globals, and each one starts its own sim or CLI child.
          isolate: false,
        },
      },
      {
        // After everything else, one file at a time: a scenario's verdict rests on probe and
        // DNS timeouts that are tens of wall milliseconds at time scale 20, and a machine busy
        // with other test files stalls the event loop for longer than that.
        extends: true,
        test: {
          name: 'scenarios',
          include: SCENARIOS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
