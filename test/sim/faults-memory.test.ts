/**
 * The memory faults against the simulated cluster (default topology, time scale 20), through the
 * harness's journalled client as the runner gives it to them: inject does what it says through the
 * API, observe reports the fault only when it bit, and revert removes what inject created.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHog, nodeOf } from '../../src/faults/memory-hog.ts';
import { nodeMemoryPressure } from '../../src/faults/node-memory-pressure.ts';
import { type FaultSim, startFaultSim } from '../support/fault-harness.ts';

let sim: FaultSim;

beforeAll(async () => {
  sim = await startFaultSim('faults-memory');
}, 60_000);

afterAll(() => sim?.dispose());

describe('memoryHog', () => {
  it("creates a memhog pod with the deployment's resources on the chosen node; OOMKilled at the limit is its evidence; revert deletes it", async () => {
    const { ctx, revert } = await sim.context('hog-limited', { nodes: 'any' });
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
    await sim.api.create(app);
    let appNode: string | undefined;
    for (let i = 0; i < 120 && !appNode; i++) {
      appNode = (await sim.podsOf('hog-limited', 'app=app')).find((p) => p.status?.phase === 'Running')?.spec
        ?.nodeName;
      if (!appNode) await sim.clock.sleep(500);
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
    const [pod] = await sim.podsOf('hog-limited', 'app=leak');
    expect(pod?.spec?.nodeName).toBe(appNode);
    expect(pod?.spec?.containers[0]?.args).toEqual(['memhog', '--target', '512Mi', '--rate', '256Mi/s']);
    expect(pod?.spec?.containers[0]?.resources?.limits?.memory).toBe('128Mi');
    expect(pod?.status?.qosClass ?? 'Burstable').toBe('Burstable');

    // The leak crosses 128Mi about a second after it starts; a busy machine stretches sim time.
    let effect = await fault.observe(ctx);
    for (let i = 0; i < 30 && !effect.observed; i++) {
      await sim.clock.sleep(1000);
      effect = await fault.observe(ctx);
    }
    expect(effect.observed, effect.summary).toBe(true);
    expect(effect.summary).toMatch(/leak OOMKilled/);
    expect(
      effect.evidence.some((e) => e.what === 'container OOMKilled (exit 137)' && e.ref === 'Pod/leak'),
    ).toBe(true);

    await revert();
    const gone = await sim.podsOf('hog-limited', 'app=leak');
    expect(gone.every((p) => p.metadata?.deletionTimestamp)).toBe(true);
  }, 60_000);

  it('reports not observed while the hog has neither reached its target nor been killed', async () => {
    const { ctx, revert } = await sim.context('hog-slow', { nodes: 'any' });
    const fault = memoryHog({ name: 'slow', target: '2Gi', rate: '1Mi/s', node: 'scars-worker3' });
    await fault.inject(ctx);
    const [pod] = await sim.podsOf('hog-slow', 'app=slow');
    expect(pod?.spec?.nodeName).toBe('scars-worker3');
    expect(pod?.status?.qosClass).toBe('BestEffort');
    await sim.clock.sleep(3000);
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(false);
    expect(effect.summary).toMatch(/no memhog was OOM-killed, evicted or reached 2Gi/);
    await revert();
  }, 60_000);
});

describe('nodeMemoryPressure', () => {
  it('fills the node with Guaranteed hogs sized from its allocatable until it reports MemoryPressure', async () => {
    const { ctx, records, revert } = await sim.context('pressure', { nodes: 'any' });
    const fault = nodeMemoryPressure({ node: 'scars-worker', headroom: '768Mi' });
    await fault.inject(ctx);
    const hogs = await sim.podsOf('pressure', 'app=node-pressure');
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
    await revert();
  }, 90_000);

  it('reports not observed when the node never reaches its threshold', async () => {
    const { ctx, revert } = await sim.context('no-pressure', { nodes: 'any' });
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
    await revert();
  }, 60_000);
});
