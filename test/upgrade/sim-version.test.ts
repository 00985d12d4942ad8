/** The sim presents a chosen Kubernetes release: /version, node versions, and no removed API versions. */
import { VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { simProvider } from '../../src/cluster/sim.ts';
import { ExitCode, ScarsError } from '../../src/errors.ts';
import { apiGroup, apiGroupList } from '../../src/sim/api/discovery.ts';
import { servedVersion } from '../../src/sim/api/served-version.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';

describe('sim served version', () => {
  it('a cluster started for 1.29 says so on /version and on its nodes', async () => {
    const sim = await startSimCluster({ kubernetesVersion: '1.29', tls: false, apiOnly: true, nodes: 2 });
    try {
      expect(sim.kubernetesVersion).toBe('1.29');
      const version = (await (await fetch(`${sim.url}/version`)).json()) as Record<string, string>;
      expect(version).toMatchObject({ major: '1', minor: '29', gitVersion: 'v1.29.0+scars-sim' });
      const nodes = (await (await fetch(`${sim.url}/api/v1/nodes`)).json()) as {
        items: { status: { nodeInfo: { kubeletVersion: string } } }[];
      };
      expect(nodes.items.map((n) => n.status.nodeInfo.kubeletVersion)).toEqual(['v1.29.0', 'v1.29.0']);
      // Everything the sim serves is GA and still served at 1.29: policy/v1 budgets answer.
      const pdbs = await fetch(`${sim.url}/apis/policy/v1/namespaces/default/poddisruptionbudgets`);
      expect(pdbs.status).toBe(200);
      // A removed beta is a 404, as on a real 1.25+ API server.
      const beta = await fetch(`${sim.url}/apis/policy/v1beta1/namespaces/default/poddisruptionbudgets`);
      expect(beta.status).toBe(404);
    } finally {
      await sim.stop();
    }
  });

  it('the sim provider presents ProvisionOptions.kubernetesVersion (what upgrade-check asks for)', async () => {
    const cluster = await simProvider().provision({ allowContexts: [], kubernetesVersion: '1.30' });
    try {
      const info = await cluster.kubeConfig.makeApiClient(VersionApi).getCode();
      expect(info.gitVersion).toBe('v1.30.0+scars-sim');
    } finally {
      await cluster.dispose();
    }
  });

  it('the default is 1.32', async () => {
    const sim = await startSimCluster({ tls: false, apiOnly: true, nodes: 1 });
    try {
      const version = (await (await fetch(`${sim.url}/version`)).json()) as Record<string, string>;
      expect(version.gitVersion).toBe('v1.32.0+scars-sim');
    } finally {
      await sim.stop();
    }
  });

  it('serves() follows the removed-API table; discovery drops what it does not serve', () => {
    const pdbBeta = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget' };
    expect(servedVersion('1.24').serves(pdbBeta)).toBe(true);
    expect(servedVersion('1.25').serves(pdbBeta)).toBe(false);
    expect(servedVersion('1.25').serves({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' })).toBe(true);
    const fc = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema' };
    expect(servedVersion('1.31').serves(fc)).toBe(true);
    expect(servedVersion('1.32').serves(fc)).toBe(false);
    // A group whose every resource is unserved disappears from discovery.
    const withoutPolicy = (r: { group: string }) => r.group !== 'policy';
    expect(apiGroup('policy')).toBeDefined();
    expect(apiGroup('policy', withoutPolicy)).toBeUndefined();
    const names = (apiGroupList(withoutPolicy) as { groups: { name: string }[] }).groups.map((g) => g.name);
    expect(names).toContain('apps');
    expect(names).not.toContain('policy');
  });

  it('a release outside 1.23–1.34 is refused: RangeError in the sim, exit 2 from the provider', async () => {
    expect(() => servedVersion('1.22')).toThrow(/presents Kubernetes 1\.23 to 1\.34, not "1\.22"/);
    expect(() => servedVersion('2.0')).toThrow(RangeError);
    const err = await simProvider()
      .provision({ allowContexts: [], kubernetesVersion: '1.40' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScarsError);
    expect((err as ScarsError).exitCode).toBe(ExitCode.badInput);
  });
});
