/**
 * The built-in suite with its controls on the sim, as `scars run --suite nightly --control` runs
 * it (one simulated cluster, time scale 20): wall time per scenario and arm, and in total.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_RUN_TIME_SCALE } from '../src/harness/defaults.ts';
import { run } from '../src/harness/runner.ts';
import { loadScenarios, selectScenarios } from '../src/harness/scenario-loader.ts';
import type { Figures } from './figures.ts';

export async function benchScenarios(figures: Figures): Promise<void> {
  const repo = resolve(import.meta.dirname, '..');
  const all = await loadScenarios(['scenarios'], repo);
  const nightly = selectScenarios(all, { names: [], suite: 'nightly' });
  const journalDir = mkdtempSync(join(tmpdir(), 'scars-bench-'));
  const t0 = performance.now();
  try {
    const report = await run({
      scenarios: nightly,
      provider: 'sim',
      providerOptions: { allowContexts: [], sim: { timeScale: DEFAULT_RUN_TIME_SCALE } },
      control: true,
      reporters: [],
      journalDir,
    });
    const total = performance.now() - t0;
    for (const s of report.scenarios) {
      console.log(`  ${s.name}: ${s.verdict} (main ${s.mainVerdict}, control ${s.control?.verdict ?? '—'})`);
      figures.add(`scenario ${s.name}: main arm wall time`, s.wallMs / 1000, 's', '≤ 5');
      if (s.control)
        figures.add(`scenario ${s.name}: control arm wall time`, s.control.wallMs / 1000, 's', '≤ 5');
    }
    const verdicts = report.scenarios.map((s) => s.verdict);
    figures.add(
      `nightly suite (${report.scenarios.length} scenarios + controls, time scale ${DEFAULT_RUN_TIME_SCALE}): wall time`,
      total / 1000,
      's',
      '< 60',
    );
    figures.add(
      'nightly suite: scenarios passed with their control failing',
      verdicts.filter((v) => v === 'passed').length,
      'scenarios',
      `= ${report.scenarios.length}`,
    );
    if (report.error) console.log(`  run error: ${report.error}`);
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
}
