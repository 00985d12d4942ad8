import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Scenario files import the package by name, as users' scenarios do.
    alias: [
      { find: /^scars$/, replacement: src('index.ts') },
      { find: /^scars\/(faults|observers|assertions|workloads)$/, replacement: `${src('')}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process tests spawn the real CLI; keep parallelism modest on 2-core CI machines.
    maxWorkers: 2,
  },
});
