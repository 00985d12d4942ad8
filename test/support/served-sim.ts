/**
 * A simulated cluster in the test process (so it outlives a `scars run` child that is killed),
 * served on loopback like `scars sim serve`, and a scratch project whose config points
 * `--provider context` at it and at a folder of fixture scenarios. The child follows the sim's
 * published clock, so holds and timeouts are cluster time at ×20. What the exit-path, concurrency
 * and API-fault tests run against.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { readJournal } from '../../src/harness/journal.ts';
import type { RunReport } from '../../src/report/model.ts';
import { type ClusterSnapshot, snapshotCluster, snapshotDiff } from './scenario-run.ts';
import { simClients, startTestSim, type TestSim } from './sim.ts';

export interface ServedSim {
  sim: TestSim;
  api: KubeApi;
  project: string;
  before: ClusterSnapshot;
  /** Waits (bounded) until the cluster equals the pre-run snapshot; returns what still differs. */
  settledDiff(timeoutMs?: number): Promise<string[]>;
  /** Differences right now (a fault in place shows here). */
  diffNow(): Promise<string[]>;
  journals(): { file: string; ended: boolean; pending: number }[];
  report(): RunReport;
  close(): Promise<void>;
}

export async function startServedSim(fixtures: string, prefix = 'scars-served-'): Promise<ServedSim> {
  const sim = await startTestSim({ nodes: 4, timeScale: 20 });
  const { kube: api } = simClients(sim);
  const project = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(project, 'scars.config.yaml'),
    [
      'provider: context',
      `kubeconfig: ${sim.kubeconfigPath}`,
      `scenarioDirs: [${fixtures}]`,
      'reporters: [console, json]',
      'out: reports',
      '',
    ].join('\n'),
  );
  const before = await snapshotCluster(api);
  const diffNow = async () => snapshotDiff(before, await snapshotCluster(api));
  return {
    sim,
    api,
    project,
    before,
    diffNow,
    async settledDiff(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let diff = await diffNow();
      // A deleted namespace terminates, and a node's pressure taint outlives the pressure by the
      // kubelet's transition period: both are the cluster settling, not a run leaving things.
      while (diff.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        diff = await diffNow();
      }
      return diff;
    },
    journals() {
      const dir = join(project, '.scars', 'journal');
      return readdirSync(dir)
        .filter((f) => f.endsWith('.jsonl'))
        .map((f) => {
          const j = readJournal(join(dir, f));
          return {
            file: f,
            ended: j.ended,
            pending: j.entries.filter((e) => e.state !== 'reverted' && e.state !== 'failed').length,
          };
        });
    },
    report() {
      const runs = readdirSync(join(project, 'reports'));
      const last = runs.sort().at(-1);
      if (!last) throw new Error('no report was written');
      return JSON.parse(readFileSync(join(project, 'reports', last, 'report.json'), 'utf8')) as RunReport;
    },
    async close() {
      await sim.sim.stop();
      rmSync(project, { recursive: true, force: true });
      rmSync(sim.dir, { recursive: true, force: true });
    },
  };
}
