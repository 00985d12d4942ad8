/**
 * The kind provider in-process, end to end against stand-in kind/docker (alone on PATH) whose
 * kubeconfig points at a sim API server: provision, reach the cluster, let `scars cleanup` reach
 * it again from the journal's locator, dispose. Plus the node image table and kind's version line.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerFor } from '../../src/cluster/index.ts';
import { atLeast, KIND_NETWORK_POLICY_SINCE, parseKindVersion } from '../../src/cluster/kind/kind-cli.ts';
import { loadNodeImages, nodeImageFor } from '../../src/cluster/kind/node-images.ts';
import { cleanup } from '../../src/harness/cleanup.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { type SimCluster, startSimCluster } from '../../src/sim/cluster.ts';
import { untilHolds } from '../support/wait.ts';
import { kindKubeconfigFor, makeStandIns, type StandIns } from './stand-ins.ts';

const AGENT = 'scars-agent:e2e';

describe('kind provider provision → cleanup → dispose (stand-in kind and docker on PATH)', () => {
  let sim: SimCluster;
  let tools: StandIns;
  let cwd: string;
  let saved: Record<string, string | undefined>;
  const progress: string[] = [];
  const settings = () => ({ cwd, log: (line: string) => progress.push(line) });

  beforeAll(async () => {
    sim = await startSimCluster({ nodes: 4 });
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    tools = makeStandIns(['kind', 'docker']);
    tools.setState({ kubeconfig: await kindKubeconfigFor(sim), images: [AGENT] });
    cwd = mkdtempSync(join(tmpdir(), 'scars-kind-provider-'));
    saved = Object.fromEntries(Object.keys(tools.env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, tools.env);
    progress.length = 0;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    tools.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('creates the cluster, yields a kubeconfig that reaches it, is found again by scars cleanup, and dispose deletes it once', async () => {
    const cluster = await providerFor('kind').provision({
      allowContexts: [],
      runId: 'run-kind-e2e',
      agentImage: AGENT,
      kubernetesVersion: '1.31',
      kind: { ...settings(), name: 'e2e' },
    });
    expect(cluster).toMatchObject({
      name: 'e2e',
      provider: 'kind',
      simulated: false,
      context: 'kind-e2e',
      server: sim.url,
      locator: { provider: 'kind', name: 'e2e', inProcess: false, context: 'kind-e2e', server: sim.url },
    });
    expect(tools.lines('kind')).toContain(
      `create cluster --name e2e --config ${join(process.cwd(), 'clusters/kind/workers.yaml')} --image ${nodeImageFor('1.31').image}`,
    );
    expect(tools.lines('kind')).toContain(`load docker-image ${AGENT} --name e2e`);
    expect(progress.some((l) => l.startsWith('4/4 node(s) Ready'))).toBe(true);
    const kubeconfigPath = cluster.locator.kubeconfigPath ?? '';
    expect(kubeconfigPath).toBe(join(cwd, '.scars/kind/e2e.kubeconfig'));

    // The run's client reaches the API through the exported kubeconfig.
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    expect((await core.listNode()).items).toHaveLength(4);
    const ns = await core.createNamespace({ body: { metadata: { name: 'scars-kind-e2e' } } });

    // A run killed after that create: its journal names only the locator; cleanup must get back in.
    const journalDir = join(cwd, '.scars/journal');
    const journal = join(journalDir, 'run-kind-e2e.jsonl');
    mkdirSync(journalDir, { recursive: true });
    const at = new Date().toISOString();
    for (const record of [
      {
        type: 'begin',
        runId: 'run-kind-e2e',
        pid: 1,
        host: 'a-machine-that-died',
        startedAt: at,
        version: '0.1.0',
      },
      { type: 'cluster', cluster: cluster.locator },
      {
        type: 'intent',
        seq: 1,
        at,
        scope: { step: 'namespace' },
        mutation: { verb: 'create', ref: { apiVersion: 'v1', kind: 'Namespace', name: 'scars-kind-e2e' } },
        undo: {
          op: 'delete',
          ref: { apiVersion: 'v1', kind: 'Namespace', name: 'scars-kind-e2e' },
          uid: ns.metadata?.uid,
        },
      },
      { type: 'done', seq: 1, at, uid: ns.metadata?.uid },
    ])
      appendFileSync(journal, `${JSON.stringify(record)}\n`);
    const lines: string[] = [];
    const result = await cleanup({ journalDir, allowContexts: [], log: (l) => lines.push(l) });
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({ runId: 'run-kind-e2e', outcome: 'clean' });
    expect(result.runs[0]?.detail).toMatch(/^1 reverted/);
    const api = new KubeApi(cluster.kubeConfig);
    await untilHolds(
      'the run namespace is gone',
      () => api.list<V1Namespace>('v1', 'Namespace'),
      (left) => !left.some((n) => n.metadata?.name === 'scars-kind-e2e'),
      10_000,
    );

    await cluster.dispose();
    await cluster.dispose();
    expect(tools.lines('kind').filter((l) => l === 'delete cluster --name e2e')).toHaveLength(1);
    expect(tools.state().clusters).toEqual([]);
    expect(existsSync(kubeconfigPath)).toBe(false);
  });

  it('adopts the cluster `scars cluster up` left (no create) and never deletes it', async () => {
    tools.setState({ clusters: ['scars'] });
    const cluster = await providerFor('kind').provision({
      allowContexts: [],
      agentImage: AGENT,
      kind: settings(),
    });
    expect(cluster.context).toBe('kind-scars');
    expect(tools.lines('kind').some((l) => l.startsWith('create'))).toBe(false);
    expect(progress).toContain('reusing kind cluster "scars" (it stays when scars is done)');
    await cluster.dispose();
    expect(tools.lines('kind').some((l) => l.startsWith('delete'))).toBe(false);
    expect(tools.state().clusters).toEqual(['scars']);
  });

  it('a registry agent image that Docker lacks is left for the nodes to pull: nothing is built or loaded', async () => {
    const cluster = await providerFor('kind').provision({
      allowContexts: [],
      agentImage: 'ghcr.io/acme/scars-agent:1',
      kind: { ...settings(), name: 'pull' },
    });
    expect(tools.lines('docker')).toEqual([
      'info',
      'image inspect --format {{.Id}} ghcr.io/acme/scars-agent:1',
    ]);
    expect(tools.lines('kind').some((l) => l.startsWith('load'))).toBe(false);
    await cluster.dispose();
  });

  it('a failure after create (the agent image build) deletes the new cluster and reports that failure', async () => {
    tools.setState({ failBuild: true });
    await expect(
      providerFor('kind').provision({
        allowContexts: [],
        agentImage: 'scars-agent:broken',
        kind: { ...settings(), name: 'buildfail' },
      }),
    ).rejects.toThrow(/^docker build of scars-agent:broken failed \(exit 1\): ERROR: failed to solve/);
    expect(tools.lines('kind').slice(-2)).toEqual([
      'get kubeconfig --name buildfail',
      'delete cluster --name buildfail',
    ]);
    expect(tools.state().clusters).toEqual([]);
    expect(progress.some((l) => l.includes('deleting the half-made cluster'))).toBe(true);
  });
});

describe('kind node images and versions', () => {
  it('clusters/kind/node-images.yaml pins a digest for every minor from 1.27 to 1.33', () => {
    const images = loadNodeImages();
    expect(images.map((i) => i.version)).toEqual(['1.33', '1.32', '1.31', '1.30', '1.29', '1.28', '1.27']);
    for (const i of images) {
      expect(i.image).toMatch(
        new RegExp(`^kindest/node:v${i.version.replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`),
      );
      // Every row comes from a kind release with NetworkPolicy enforcement in kindnet.
      expect(
        atLeast(
          parseKindVersion(i.kind) ?? { version: '', major: 0, minor: 0, patch: 0 },
          KIND_NETWORK_POLICY_SINCE,
        ),
      ).toBe(true);
    }
    expect(new Set(images.map((i) => i.image.split('@')[1])).size).toBe(images.length);
  });

  it('reads kind version lines, old and new', () => {
    expect(parseKindVersion('kind v0.29.0 go1.24.2 linux/amd64')).toEqual({
      version: 'v0.29.0',
      major: 0,
      minor: 29,
      patch: 0,
    });
    expect(parseKindVersion('kind v0.30.0-alpha+abc go1.24 darwin/arm64')?.minor).toBe(30);
    const old = parseKindVersion('kind v0.23.0 go1.21.10 linux/amd64');
    expect(old && atLeast(old, KIND_NETWORK_POLICY_SINCE)).toBe(false);
    expect(parseKindVersion('no version here')).toBeUndefined();
  });
});
