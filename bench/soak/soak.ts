/**
 * The soak: one suite, with its controls, run again and again on ONE simulated cluster in this
 * process, as a nightly CI machine that never restarts would. After each iteration the cluster is
 * compared with the inventory taken before the first (inventory.ts), and the process's memory is
 * measured after a forced GC, so leaks of either kind show as a trend rather than a single number.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadScenarios, selectScenarios } from '../../src/harness/scenario-loader.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.ts';
import type { RunReport } from '../../src/report/model.ts';
import {
  diffInventory,
  eventCount,
  type Inventory,
  type InventoryDifference,
  quietInventory,
  takeInventory,
} from './inventory.ts';
import { runWithControls, sharedSimCluster } from './sim-cluster.ts';

export interface SoakOptions {
  iterations: number;
  suite: string;
  /** Simulated seconds per wall second. */
  timeScale: number;
  /** Where `scenarios/` is (default: this repository). */
  repo?: string;
  /** Cluster ms to wait for the cluster to settle back to the baseline after a run (default 120 s). */
  settleMs?: number;
  /** Called with each iteration as it finishes (and the cluster, for a closer look). */
  onIteration?: (result: IterationResult, sim: SimCluster) => void;
}

export interface IterationResult {
  iteration: number;
  wallMs: number;
  /** Scenario name → `verdict (main …, control …)`. */
  verdicts: Record<string, string>;
  /** Scenario name → why the verdict is what it is (to explain a changed one). */
  reasons: Record<string, string>;
  /** What still differs from the baseline once the cluster had `settleMs` to settle. */
  differences: InventoryDifference[];
  /** Cluster ms the cluster took to match the baseline after the run (settleMs when it never did). */
  settledAfterMs: number;
  /** After a forced GC (when the process runs with --expose-gc). */
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap V8 has committed (used plus free pages it keeps): RSS minus this is native memory. */
  heapTotalBytes: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, TLS, sockets' ArrayBuffers). */
  externalBytes: number;
  /** Handles and requests keeping the event loop alive (sockets, timers, servers). */
  activeResources: number;
  /** Events in the cluster: they may grow, within their TTL (not compared). */
  events: number;
  runError: string | null;
}

export interface SoakResult {
  suite: string;
  timeScale: number;
  scenarios: string[];
  /** Identities in the baseline inventory. */
  baselineEntries: number;
  iterations: IterationResult[];
  wallMs: number;
}

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const repo = options.repo ?? resolve(import.meta.dirname, '../..');
  const all = await loadScenarios(['scenarios'], repo);
  const scenarios = selectScenarios(all, { names: [], suite: options.suite });
  const sim = await startSimCluster({ timeScale: options.timeScale });
  const journalDir = mkdtempSync(join(tmpdir(), 'scars-soak-'));
  const t0 = performance.now();
  const results: IterationResult[] = [];
  try {
    const cluster = sharedSimCluster(sim, 'sim-soak');
    // A fresh sim is still starting (node Leases, CoreDNS endpoints): the baseline is the cluster
    // once it has stopped changing by itself.
    const baseline = await quietInventory(sim, 10_000, 180_000);
    for (let i = 1; i <= options.iterations; i++) {
      const started = performance.now();
      const report = await runWithControls(cluster, scenarios, journalDir);
      const wallMs = performance.now() - started;
      const settled = await settle(sim, baseline, options.settleMs ?? 120_000);
      const memory = measureMemory();
      const result: IterationResult = {
        iteration: i,
        wallMs,
        verdicts: verdictsOf(report),
        reasons: Object.fromEntries(
          report.scenarios.map((s) => [
            s.name,
            s.control && s.control.verdict !== 'failed'
              ? `${s.reason}; control: ${s.control.reason}`
              : s.reason,
          ]),
        ),
        differences: settled.differences,
        settledAfterMs: settled.afterMs,
        ...memory,
        events: eventCount(sim),
        runError: report.error,
      };
      results.push(result);
      options.onIteration?.(result, sim);
    }
    return {
      suite: options.suite,
      timeScale: options.timeScale,
      scenarios: scenarios.map((s) => s.scenario.name),
      baselineEntries: baseline.size,
      iterations: results,
      wallMs: performance.now() - t0,
    };
  } finally {
    await sim.stop();
    rmSync(journalDir, { recursive: true, force: true });
  }
}

function verdictsOf(report: RunReport): Record<string, string> {
  return Object.fromEntries(
    report.scenarios.map((s) => [
      s.name,
      `${s.verdict} (main ${s.mainVerdict}, control ${s.control?.verdict ?? 'none'})`,
    ]),
  );
}

/**
 * Waits (in cluster time) until the inventory equals the baseline: garbage collection of an
 * addon's pods and a node condition's transition period finish after the run returns.
 */
async function settle(
  sim: SimCluster,
  baseline: Inventory,
  limitMs: number,
): Promise<{ differences: InventoryDifference[]; afterMs: number }> {
  const start = sim.clock.now();
  for (;;) {
    const differences = diffInventory(baseline, takeInventory(sim));
    const afterMs = sim.clock.now() - start;
    if (differences.length === 0 || afterMs >= limitMs) return { differences, afterMs };
    await sim.clock.sleep(1000);
  }
}

function measureMemory(): Pick<
  IterationResult,
  'rssBytes' | 'heapUsedBytes' | 'heapTotalBytes' | 'externalBytes' | 'activeResources'
> {
  // Twice: the first pass runs finalizers whose garbage the second one collects.
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    activeResources: process.getActiveResourcesInfo().length,
  };
}
