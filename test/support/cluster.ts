/** Test clusters: the in-memory test API server wrapped as a ProvisionedCluster of the `context` kind. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { ProvisionedCluster } from '../../src/cluster/provider.ts';
import { seedCluster } from './fixture-scenario.ts';
import { type MemoryApiServer, startMemoryApiServer } from './memory-apiserver.ts';

export interface TestCluster {
  server: MemoryApiServer;
  dir: string;
  kubeconfigPath: string;
  cluster: ProvisionedCluster;
  close(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const server = await startMemoryApiServer({ readyOnCreate: true });
  seedCluster((o) => server.seed(o));
  const dir = mkdtempSync(join(tmpdir(), 'scars-test-'));
  const kubeconfigPath = server.writeKubeconfig(dir);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster: ProvisionedCluster = {
    name: 'memory',
    provider: 'context',
    simulated: false,
    kubeConfig: kc,
    context: 'memory',
    server: server.url,
    locator: {
      provider: 'context',
      name: 'memory',
      inProcess: false,
      kubeconfigPath,
      context: 'memory',
      server: server.url,
    },
    dispose: async () => {},
  };
  return { server, dir, kubeconfigPath, cluster, close: () => server.close() };
}

/**
 * A scratch project whose scars.config.yaml points the `context` provider at the test cluster and
 * the scenario folder at the fixture scenarios: what a CLI child process runs against.
 */
export function contextProject(tc: TestCluster, extra: string[] = []): string {
  const project = mkdtempSync(join(tmpdir(), 'scars-proj-'));
  writeFileSync(
    join(project, 'scars.config.yaml'),
    [
      'provider: context',
      `kubeconfig: ${tc.kubeconfigPath}`,
      `scenarioDirs: [${join(fileURLToPath(new URL('../..', import.meta.url)), 'test/fixtures/scenarios')}]`,
      ...extra,
      '',
    ].join('\n'),
  );
  return project;
}

/**
 * A listener standing in for a cluster that must never be contacted, and a kubeconfig (context
 * `local`) pointing at it: `connections` counts every TCP connection it got.
 */
export async function untouchableCluster(dir: string): Promise<{
  kubeconfig: string;
  port: number;
  connections: () => number;
  close: () => void;
}> {
  const { createServer } = await import('node:net');
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = join(dir, 'untouchable.kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: local, context: {cluster: c, user: u}}]\ncurrent-context: local\n`,
  );
  return { kubeconfig, port, connections: () => connections, close: () => server.close() };
}
