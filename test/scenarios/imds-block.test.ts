/**
 * imds-block on a fresh sim, both arms. Besides the verdicts, the sim's own counters: the fake
 * metadata service answered the probes (credentials went out in the control arm), and every real
 * connection stayed on loopback — 169.254.169.254 exists only inside the sim.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../src/agent/host/loopback-guard.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { run } from '../../src/harness/runner.ts';
import { loadScenarioFile } from '../../src/harness/scenario-loader.ts';
import { SIM_CONTEXT, startSimCluster } from '../../src/sim/cluster.ts';
import { explain, REPO, snapshotCluster, snapshotDiff } from '../support/scenario-run.ts';

describe('scenario imds-block (sim, with its negative control)', () => {
  it('blocks unlabelled pods from their first packet, allowed pods get credentials; the control leaks; nothing leaves loopback', async () => {
    const loaded = await loadScenarioFile(join(REPO, 'scenarios', 'imds-block.ts'), REPO);
    const sim = await startSimCluster({ timeScale: 20 });
    const journalDir = mkdtempSync(join(tmpdir(), 'scars-imds-'));
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(JSON.stringify(sim.kubeconfig()));
      const api = new KubeApi(kubeConfig);
      const before = await snapshotCluster(api);
      const report = await run({
        scenarios: [loaded],
        provider: 'sim',
        providerOptions: { allowContexts: [] },
        control: true,
        reporters: [],
        journalDir,
        cluster: {
          name: 'sim-imds',
          provider: 'sim',
          simulated: true,
          kubeConfig,
          context: SIM_CONTEXT,
          server: sim.url,
          locator: { provider: 'sim', name: 'sim-imds', inProcess: true, server: sim.url },
          clock: sim.clock,
          dispose: async () => {},
        },
      });
      const scenario = report.scenarios[0];
      if (!scenario) throw new Error(report.error ?? 'no scenario report');
      expect(scenario.verdict, explain(scenario)).toBe('passed');
      expect(scenario.control?.verdict, explain(scenario)).toBe('failed');
      expect(scenario.faults[0]?.observed, explain(scenario)).toBe(true);
      expect(scenario.control?.faults[0]?.observed, explain(scenario)).toBe(true);

      const blocked = scenario.assertions.find((a) => a.name === 'imds-blocked');
      expect(blocked?.summary).toMatch(/every IMDS path blocked or timed out, 0 credential bytes/);
      // The newborn probed within its first seconds, and was blocked too.
      expect(blocked?.evidence.map((e) => e.ref)).toContain('Pod/imds-untrusted-newborn');
      const leaked = scenario.control?.assertions.find((a) => a.name === 'imds-blocked');
      expect(leaked?.pass).toBe(false);
      expect(
        leaked?.evidence.some((e) => /credential byte/.test(e.what) && !/, 0 credential/.test(e.what)),
      ).toBe(true);
      expect(scenario.assertions.find((a) => a.name === 'imds-reachable')?.pass).toBe(true);

      const metadata = sim.dataPlane?.metadata.stats();
      expect(metadata?.credentialResponses).toBeGreaterThan(0);
      expect(sim.dataPlane?.policies.stats().deniedEgress).toBeGreaterThan(0);
      const { real } = sim.network.destinations();
      expect(real).not.toContain('169.254.169.254');
      expect(real.every(isLoopbackAddress)).toBe(true);

      expect(snapshotDiff(before, await snapshotCluster(api))).toEqual([]);
    } finally {
      await sim.stop();
      rmSync(journalDir, { recursive: true, force: true });
    }
  }, 120_000);
});
