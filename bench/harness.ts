/** The harness's own costs: fsync'd journal appends and scenario loading. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Journal } from '../src/harness/journal.ts';
import { loadScenarios } from '../src/harness/scenario-loader.ts';
import type { Figures } from './figures.ts';

const N = 500;

export function benchJournal(figures: Figures): void {
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
    figures.add('journal: ms per mutation (intent + done, fsync each)', ms / N, 'ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchLoad(figures: Figures): Promise<void> {
  const t0 = performance.now();
  await loadScenarios(['scenarios']);
  figures.add('scenarios: import and validate the built-in scenarios', performance.now() - t0, 'ms');
}
