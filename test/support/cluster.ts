/** Test clusters: the in-memory test API server wrapped as a ProvisionedCluster of the `context` kind. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
