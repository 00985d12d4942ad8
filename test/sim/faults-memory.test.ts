/**
 * The memory faults against the simulated cluster (default topology, time scale 20), through the
 * harness's journalled client as the runner gives it to them: inject does what it says through the
 * API, observe reports the fault only when it bit, and revert removes what inject created.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simProvider } from '../../src/cluster/sim.ts';
import type { ProvisionedCluster } from '../../src/cluster/provider.ts';
import { memoryHog, nodeOf } from '../../src/faults/memory-hog.ts';
import { nodeMemoryPressure } from '../../src/faults/node-memory-pressure.ts';
import { Journal } from '../../src/harness/journal.ts';
import { JournalledKube } from '../../src/harness/journalled-kube.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { revertEntries } from '../../src/harness/revert.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import type { Clock } from '../../src/harness/timeline.ts';

let cluster: ProvisionedCluster;
let api: KubeApi;
let clock: Clock;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scars-faults-memory-'));
  cluster = await simProvider().provision({ allowContexts: [], runId: 'faults', sim: { timeScale: 20 } });
  api = new KubeApi(cluster.kubeConfig);
  clock = cluster.clock as Clock;
}, 60_000);

afterAll(async () => {
  await cluster?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface TestContext {
  ctx: RunContext;
  journal: Journal;
  records: { event: string; detail?: Record<string, unknown> }[];
}

async function runContext(namespace: string): Promise<TestContext> {
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const journal = Journal.open(dir, namespace, 'test');
  const kube = new JournalledKube(
    api,
    journal,
    namespace,
    { runNamespace: namespace, namespaces: [], nodes: 'any' },
    () => ({
      scenario: 'faults',
      arm: 'main',
      step: 'inject',
    }),
  );
  const records: TestContext['records'] = [];
  const ctx: RunContext = {
    runId: namespace,
    namespace,
    arm: 'main',
    agentImage: 'scars-agent:test',
    provider: 'sim',
    simulated: true,
    kube,
    clock,
    signal: new AbortController().signal,
    record: (event, detail) => records.push({ event, ...(detail ? { detail } : {}) }),
  };
  return { ctx, journal, records };
}

const podsOf = (ns: string, selector: string) =>
  api.list<V1Pod>('v1', 'Pod', { namespace: ns, labelSelector: selector });

describe('memoryHog', () => {
  it("creates a memhog pod with the deployment's resources on the chosen node; OOMKilled at the limit is its evidence; revert deletes it", async () => {
    const { ctx, journal } = await runContext('hog-limited');
    const app: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'hog-limited' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'scars-agent:test',
                args: ['serve'],
                resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } },
              },
            ],
          },
        },
      },
    };
    await api.create(app);
    let appNode: string | undefined;
    for (let i = 0; i < 120 && !appNode; i++) {
      appNode = (await podsOf('hog-limited', 'app=app')).find((p) => p.status?.phase === 'Running')?.spec
        ?.nodeName;
      if (!appNode) await clock.sleep(500);
    }
    expect(appNode).toBeDefined();

    const fault = memoryHog({
      name: 'leak',
      target: '512Mi',
      rate: '256Mi/s',
      node: nodeOf('app=app'),
      resourcesFrom: { deployment: 'app' },
    });
    await fault.inject(ctx);
    const [pod] = await podsOf('hog-limited', 'app=leak');
    expect(pod?.spec?.nodeName).toBe(appNode);
    expect(pod?.spec?.containers[0]?.args).toEqual(['memhog', '--target', '512Mi', '--rate', '256Mi/s']);
    expect(pod?.spec?.containers[0]?.resources?.limits?.memory).toBe('128Mi');
    expect(pod?.status?.qosClass ?? 'Burstable').toBe('Burstable');

    // The leak crosses 128Mi about a second after it starts; a busy machine stretches sim time.
    let effect = await fault.observe(ctx);
    for (let i = 0; i < 30 && !effect.observed; i++) {
      await clock.sleep(1000);
      effect = await fault.observe(ctx);
    }
    expect(effect.observed, effect.summary).toBe(true);
    expect(effect.summary).toMatch(/leak OOMKilled/);
    expect(
      effect.evidence.some((e) => e.what === 'container OOMKilled (exit 137)' && e.ref === 'Pod/leak'),
    ).toBe(true);

    const r = await revertEntries(
      api,
      journal,
      journal.pending(() => true),
    );
    expect(r.failed).toEqual([]);
    const gone = await podsOf('hog-limited', 'app=leak');
    expect(gone.every((p) => p.metadata?.deletionTimestamp)).toBe(true);
    journal.close(true);
  }, 60_000);

  it('reports not observed while the hog has neither reached its target nor been killed', async () => {
    const { ctx, journal } = await runContext('hog-slow');
    const fault = memoryHog({ name: 'slow', target: '2Gi', rate: '1Mi/s', node: 'scars-worker3' });
    await fault.inject(ctx);
    const [pod] = await podsOf('hog-slow', 'app=slow');
    expect(pod?.spec?.nodeName).toBe('scars-worker3');
    expect(pod?.status?.qosClass).toBe('BestEffort');
    await clock.sleep(3000);
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(false);
    expect(effect.summary).toMatch(/no memhog was OOM-killed, evicted or reached 2Gi/);
    await revertEntries(
      api,
      journal,
      journal.pending(() => true),
    );
    journal.close(true);
  }, 60_000);
});

describe('nodeMemoryPressure', () => {
  it('fills the node with Guaranteed hogs sized from its allocatable until it reports MemoryPressure', async () => {
    const { ctx, journal, records } = await runContext('pressure');
    const fault = nodeMemoryPressure({ node: 'scars-worker', headroom: '768Mi' });
    await fault.inject(ctx);
    const hogs = await podsOf('pressure', 'app=node-pressure');
    expect(hogs.map((p) => p.metadata?.name).sort()).toEqual(['node-pressure-creep', 'node-pressure-fill']);
    for (const p of hogs) {
      expect(p.spec?.nodeName).toBe('scars-worker');
      expect(p.status?.qosClass).toBe('Guaranteed');
    }
    const plan = records.find((r) => r.event === 'node-pressure-plan')?.detail as {
      fill: number;
      allocatable: number;
    };
    // The fill leaves the headroom (and what is already requested) free of allocatable.
    expect(plan.allocatable - plan.fill).toBeGreaterThanOrEqual(768 * 2 ** 20);
    expect(records.some((r) => r.event === 'node-memory-pressure')).toBe(true);

    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(true);
    expect(
      effect.evidence.some((e) => e.what === 'node reported MemoryPressure' && e.ref === 'Node/scars-worker'),
    ).toBe(true);
    await revertEntries(
      api,
      journal,
      journal.pending(() => true),
    );
    journal.close(true);
  }, 90_000);

  it('reports not observed when the node never reaches its threshold', async () => {
    const { ctx, journal } = await runContext('no-pressure');
    const fault = nodeMemoryPressure({
      node: 'scars-worker2',
      headroom: '3Gi',
      creepRate: '1Mi/s',
      timeout: '15s',
    });
    await fault.inject(ctx);
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(false);
    expect(effect.summary).toMatch(/scars-worker2 never reported MemoryPressure/);
    await revertEntries(
      api,
      journal,
      journal.pending(() => true),
    );
    journal.close(true);
  }, 60_000);
});
