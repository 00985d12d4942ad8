import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process tests spawn the real CLI; keep parallelism modest on 2-core CI machines.
    maxWorkers: 2,
  },
});
