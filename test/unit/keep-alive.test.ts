import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAliveKubeConfig } from '../../src/cluster/keep-alive.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function countingServer(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer((_req, res) => {
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end('{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('KeepAliveKubeConfig', () => {
  it('reuses connections where client-node as shipped opens one per call (the control)', async () => {
    const { url, connections } = await countingServer();
    const plain = kubeConfigFor(url).makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) await plain.listNamespace();
    const perCall = connections();
    const pooledConfig = KeepAliveKubeConfig.from(kubeConfigFor(url));
    const pooled = pooledConfig.makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) await pooled.listNamespace();
    pooledConfig.close();
    expect(perCall).toBe(5);
    expect(connections() - perCall).toBe(1);
  });
});
