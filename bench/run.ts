/**
 * `npm run bench`: figures for the harness's own costs, printed, not asserted.
 * - journal: fsync'd appends per second (every mutation pays one before it is sent)
 * - scenario loading: time to import and validate the built-in scenarios
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Journal } from '../src/harness/journal.ts';
import { loadScenarios } from '../src/harness/scenario-loader.ts';

const N = 500;

function benchJournal(): void {
  const dir = mkdtempSync(join(tmpdir(), 'scars-bench-'));
  try {
    const journal = Journal.open(dir, 'bench', 'bench');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'c' };
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const seq = journal.intend(
        { step: 'inject' },
        { verb: 'patch', ref },
        { op: 'patch', ref, patch: { data: null } },
      );
      journal.done(seq);
    }
    const ms = performance.now() - t0;
    journal.close(true);
    const perMutation = ms / N;
    console.log(
      `journal: ${N} mutations (intent + done, each fsync'd) in ${ms.toFixed(0)} ms = ${perMutation.toFixed(2)} ms/mutation, ${(1000 / perMutation).toFixed(0)} mutations/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchLoad(): Promise<void> {
  const t0 = performance.now();
  const loaded = await loadScenarios(['scenarios']);
  const ms = performance.now() - t0;
  console.log(`scenario loading: ${loaded.length} scenario(s) imported and validated in ${ms.toFixed(0)} ms`);
}

benchJournal();
await benchLoad();
