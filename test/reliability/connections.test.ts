/**
 * A run closes the connections it opened: its pooled keep-alive sockets would otherwise stay open
 * until the server times them out (a minute), and a process that runs run after run against one
 * cluster (the soak, a library user) would hold a pool per run. Found by the soak: 6 more open
 * sockets on the sim's API server after every iteration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { sharedSimCluster } from '../../bench/soak/sim-cluster.ts';
import { SCARS_USER_AGENT } from '../../src/cluster/keep-alive.ts';
import { run } from '../../src/harness/runner.ts';
import { defineScenario } from '../../src/harness/scenario.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import { VERSION } from '../../src/version.ts';

/** A TCP relay in front of the API server that counts the connections open through it. */
async function countingRelay(
  target: URL,
): Promise<{ port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const quiet = defineScenario({
  name: 'quiet',
  description: 'test: deploys a ConfigMap, injects nothing',
  workloads: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } } as KubernetesObject,
  ],
  mitigation: { description: 'none' },
  control: false,
  fault: {
    name: 'nothing',
    describe: () => 'nothing',
    inject: async () => {},
    observe: async () => ({ observed: true, summary: 'nothing to see', evidence: [] }),
  },
  expect: [{ name: 'holds', evaluate: () => ({ pass: true, summary: 'ok', evidence: [] }) }],
  hold: '1s',
  settle: '1s',
});

describe('connections of a run', () => {
  it('are all closed when run() returns, though the cluster lives on', async () => {
    const sim = await startSimCluster({ timeScale: 20 });
    const relay = await countingRelay(new URL(sim.url));
    const journalDir = mkdtempSync(join(tmpdir(), 'scars-conn-'));
    const agents = new Set<string>();
    const stopAudit = sim.audit.onRequest((e) => agents.add(e.userAgent));
    try {
      const shared = sharedSimCluster(sim);
      // The same cluster, reached through the relay (the serving certificate names 127.0.0.1).
      const doc = sim.kubeconfig();
      doc.clusters[0]!.cluster.server = `https://127.0.0.1:${relay.port}`;
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(JSON.stringify(doc));
      const report = await run({
        scenarios: [{ scenario: quiet, file: 'quiet.ts' }],
        provider: 'sim',
        providerOptions: { allowContexts: [] },
        control: false,
        reporters: [],
        journalDir,
        cluster: { ...shared, kubeConfig },
      });
      expect(report.scenarios[0]?.verdict, report.scenarios[0]?.reason).toBe('passed');
      // The relay sees the client close; give the close a moment to travel (wall time, generous).
      const deadline = Date.now() + 5_000;
      while (relay.open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(relay.open()).toBe(0);
      // Every request said who sent it (client-go's `name/version (os/arch)` form).
      expect([...agents]).toEqual([SCARS_USER_AGENT]);
      expect(SCARS_USER_AGENT).toBe(`scars/${VERSION} (${process.platform}/${process.arch})`);
    } finally {
      stopAudit();
      await relay.close();
      await sim.stop();
      rmSync(journalDir, { recursive: true, force: true });
    }
  }, 60_000);
});
