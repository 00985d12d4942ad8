import dns from 'node:dns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contextProvider } from '../../src/cluster/context.ts';
import { checkContext, isLoopbackHost } from '../../src/cluster/guard.ts';
import { BlastRadiusError } from '../../src/errors.ts';
import { checkMutation } from '../../src/harness/blast-radius.ts';

function kubeconfig(server: string, context = 'prod'): string {
  const dir = mkdtempSync(join(tmpdir(), 'scars-guard-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\nusers: [{name: u, user: {token: secret}}]\ncontexts: [{name: ${context}, context: {cluster: c, user: u}}]\ncurrent-context: ${context}\n`,
  );
  return file;
}

afterEach(() => vi.restoreAllMocks());

describe('blast-radius guard for existing contexts', () => {
  it('refuses a non-local server before any connection or DNS lookup', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const lookup = vi.spyOn(dns, 'lookup');
    const file = kubeconfig('https://prod.example.invalid:6443');
    await expect(contextProvider.provision({ kubeconfig: file, allowContexts: [] })).rejects.toThrow(
      /refusing context "prod": its server https:\/\/prod\.example\.invalid:6443 is not local/,
    );
    expect(connect).not.toHaveBeenCalled();
    expect(lookup).not.toHaveBeenCalled();
  });

  it('allows loopback, kind-* and allow-listed contexts', () => {
    for (const server of [
      'https://127.0.0.1:6443',
      'https://127.3.2.1',
      'https://[::1]:6443',
      'https://localhost:1',
    ]) {
      expect(() => checkContext({ context: 'x', server, allowContexts: [] }), server).not.toThrow();
    }
    expect(() =>
      checkContext({ context: 'kind-scars', server: 'https://10.0.0.1', allowContexts: [] }),
    ).not.toThrow();
    expect(() =>
      checkContext({ context: 'staging', server: 'https://staging.example.com', allowContexts: ['staging'] }),
    ).not.toThrow();
    expect(() =>
      checkContext({ context: 'staging', server: 'https://128.0.0.1', allowContexts: [] }),
    ).toThrow(BlastRadiusError);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['127.example.com', false],
    ['localhost.example.com', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('blast radius of mutations', () => {
  const radius = { runNamespace: 'scars-abc-x', namespaces: ['kube-system'], nodes: ['worker-1'] };
  it('allows the run namespace, declared namespaces and declared nodes', () => {
    expect(() =>
      checkMutation(radius, { apiVersion: 'v1', kind: 'Pod', namespace: 'scars-abc-x', name: 'p' }),
    ).not.toThrow();
    expect(() =>
      checkMutation(radius, { apiVersion: 'v1', kind: 'Namespace', name: 'scars-abc-x' }),
    ).not.toThrow();
    expect(() =>
      checkMutation(radius, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'kube-system',
        name: 'coredns',
      }),
    ).not.toThrow();
    expect(() => checkMutation(radius, { apiVersion: 'v1', kind: 'Node', name: 'worker-1' })).not.toThrow();
  });
  it('refuses everything else', () => {
    const refused = [
      { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'default' },
      { apiVersion: 'v1', kind: 'Node', name: 'worker-2' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'admin' },
    ];
    for (const ref of refused) expect(() => checkMutation(radius, ref), ref.kind).toThrow(BlastRadiusError);
  });
});
