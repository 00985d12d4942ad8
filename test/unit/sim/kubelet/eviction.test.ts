/**
 * Node-pressure eviction and admission: a memory hog pushes memory.available under the hard
 * threshold; the kubelet reports MemoryPressure, evicts one pod per round in upstream rank order
 * (BestEffort, then Burstable over its request; a Guaranteed pod under its request survives), and
 * refuses BestEffort pods while under pressure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PODS } from '../../../../src/sim/kinds/resources.ts';
import { waitFor } from '../../../support/wait.ts';
import {
  condition,
  createPod,
  eventLines,
  events,
  getNode,
  getPod,
  type KubeletSim,
  startKubeletSim,
  type TestPod,
  waitForPod,
} from './support.ts';

let sim: KubeletSim | undefined;
afterEach(() => {
  sim?.stop();
  sim = undefined;
});

const Mi = 1024 * 1024;

function pod(
  name: string,
  memory: string,
  resources: Record<string, Record<string, string>> = {},
  extra: Partial<Pod['spec']> = {},
): Omit<Pod, 'apiVersion' | 'kind'> {
  return {
    metadata: { name, annotations: { 'sim.scars.dev/memory': memory } },
    spec: { containers: [{ name: 'app', image: 'nginx', resources }], ...extra },
  };
}

const isRunning = (p: TestPod) => !!p.status?.containerStatuses?.[0]?.state?.running;
const memoryPressure = (s: KubeletSim) =>
  getNode(s).status?.conditions?.find((c) => c.type === 'MemoryPressure');

describe('kubelet: node-pressure eviction', () => {
  it('evicts BestEffort first, then the Burstable pod over its request; Guaranteed survives', async () => {
    sim = startKubeletSim({
      timeScale: 100,
      node: { evictionPressureTransitionPeriod: '1m' },
    });
    createPod(sim, pod('best', '100Mi'));
    createPod(sim, pod('burst', '150Mi', { requests: { memory: '100Mi' }, limits: { memory: '1Gi' } }));
    createPod(
      sim,
      pod('guar', '150Mi', {
        requests: { cpu: '100m', memory: '200Mi' },
        limits: { cpu: '100m', memory: '200Mi' },
      }),
    );
    for (const name of ['best', 'burst', 'guar']) await waitForPod(sim, name, 'Running', isRunning);
    expect(memoryPressure(sim)?.status).toBe('False');
    // 600Mi system + 100 + 150 + 150 + 1000 = 2000Mi of 2048Mi: 48Mi available < 100Mi. Both
    // best (100Mi over its 0 request) and burst (50Mi over) exceed their requests: the larger excess goes first.
    createPod(sim, pod('hog', '1000Mi', { requests: { memory: '1100Mi' }, limits: { memory: '1200Mi' } }));
    await waitForPod(sim, 'hog', 'Running', isRunning);

    const best = await waitForPod(sim, 'best', 'evicted', (p) => p.status?.phase === 'Failed');
    const bestUid = best.metadata.uid;
    const bestMessage =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 48Mi. Container app was using 100Mi, request is 0, has larger consumption of memory. ';
    expect(best.status?.reason).toBe('Evicted');
    expect(best.status?.message).toBe(bestMessage);
    expect(condition(best, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
      message: bestMessage,
    });
    expect(condition(best, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    const evictedEvent = events(sim, { name: 'best', reason: 'Evicted' });
    expect(evictedEvent).toHaveLength(1);
    expect(evictedEvent[0]).toMatchObject({
      type: 'Warning',
      message: bestMessage,
      source: { component: 'kubelet', host: sim.node },
    });
    expect(evictedEvent[0]?.metadata?.annotations).toEqual({
      offending_containers: 'app',
      offending_containers_usage: '100Mi',
      starved_resource: 'memory',
    });
    expect(getPod(sim, 'best')?.metadata.uid).toBe(bestUid);
    // One pod per round: with best gone (148Mi available) nothing else goes.
    await sim.ctx.clock.sleep(30_000);
    expect(getPod(sim, 'burst')?.status?.phase).toBe('Running');

    // The hog grows (a live annotation change): 58Mi available; now only burst exceeds its request.
    const hog = getPod(sim, 'hog') as TestPod;
    const grown = structuredClone(hog);
    grown.metadata.annotations = { 'sim.scars.dev/memory': '1090Mi' };
    sim.ctx.registry.replace(PODS, hog, grown, { manager: 'fault' });
    const burst = await waitForPod(sim, 'burst', 'evicted', (p) => p.status?.phase === 'Failed');
    expect(burst.status?.message).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 58Mi. Container app was using 150Mi, request is 100Mi, has larger consumption of memory. ',
    );
    await sim.ctx.clock.sleep(40_000);
    for (const name of ['guar', 'hog']) {
      const p = getPod(sim, name) as TestPod;
      expect(p.status?.phase, name).toBe('Running');
      expect(p.status?.containerStatuses?.[0]?.restartCount, name).toBe(0);
    }
    expect(sim.kubelets.stats().evictions).toBe(2);
    expect(sim.kubelets.nodeMemory(sim.node)?.availableBytes).toBe(208 * Mi);

    const mp = memoryPressure(sim);
    expect(mp).toMatchObject({
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
    });
    expect(events(sim, { kind: 'Node', reason: 'NodeHasInsufficientMemory' })[0]?.message).toBe(
      `Node ${sim.node} status is now: NodeHasInsufficientMemory`,
    );
    const reclaim = events(sim, { kind: 'Node', reason: 'EvictionThresholdMet' });
    expect(reclaim[0]).toMatchObject({ type: 'Warning', message: 'Attempting to reclaim memory' });
    expect(reclaim[0]?.count).toBe(2);

    // Pressure ends after the transition period (1m) without a threshold met.
    await waitFor(
      'MemoryPressure back to False',
      () => memoryPressure(sim as KubeletSim)?.status === 'False',
      15_000,
      () => eventLines(sim as KubeletSim),
    );
    expect(memoryPressure(sim)).toMatchObject({ reason: 'KubeletHasSufficientMemory' });
    expect(events(sim, { kind: 'Node', reason: 'NodeHasSufficientMemory' })).toHaveLength(1);
  });

  it('acts on a soft threshold only after its grace period, killing within evictionMaxPodGracePeriod', async () => {
    sim = startKubeletSim({
      timeScale: 100,
      node: {
        evictionSoft: { 'memory.available': '300Mi' },
        evictionSoftGracePeriod: { 'memory.available': '30s' },
        evictionMaxPodGracePeriod: 10,
      },
    });
    createPod(sim, {
      metadata: {
        name: 'best',
        annotations: { 'sim.scars.dev/memory': '100Mi', 'sim.scars.dev/shutdown-delay': '5m' },
      },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    await waitForPod(sim, 'best', 'Running', isRunning);
    // 600 + 100 + 1200 = 1900Mi: 148Mi available, under the soft 300Mi but above the hard 100Mi.
    createPod(sim, pod('hog', '1200Mi', { requests: { memory: '1300Mi' } }));
    const hog = await waitForPod(sim, 'hog', 'Running', isRunning);
    await waitFor('MemoryPressure', () => memoryPressure(sim as KubeletSim)?.status === 'True', 15_000);
    expect(getPod(sim, 'best')?.status?.phase).toBe('Running');
    const best = await waitForPod(sim, 'best', 'evicted', (p) => p.status?.phase === 'Failed', 20_000);
    expect(best.status?.message).toBe(
      'The node was low on resource: memory. Threshold quantity: 300Mi, available: 148Mi. Container app was using 100Mi, request is 0, has larger consumption of memory. ',
    );
    const evictedAt = Date.parse(events(sim, { name: 'best', reason: 'Evicted' })[0]?.firstTimestamp ?? '');
    const hogStarted = Date.parse(hog.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '');
    expect(evictedAt - hogStarted).toBeGreaterThanOrEqual(29_000);
    const terminated = best.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.exitCode).toBe(137);
    const killedAfter = Date.parse(terminated?.finishedAt ?? '') - evictedAt;
    expect(killedAfter).toBeGreaterThanOrEqual(9_000);
    expect(killedAfter).toBeLessThanOrEqual(13_000);
  });

  it('never evicts a critical pod, whatever its usage', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, pod('small', '20Mi'));
    createPod(sim, {
      metadata: {
        name: 'static-hog',
        annotations: { 'sim.scars.dev/memory': '1400Mi', 'kubernetes.io/config.mirror': 'x' },
      },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    await waitForPod(sim, 'small', 'evicted', (p) => p.status?.phase === 'Failed');
    await sim.ctx.clock.sleep(30_000);
    expect(getPod(sim, 'static-hog')?.status?.phase).toBe('Running');
  });
});

describe('kubelet: admission', () => {
  it('refuses BestEffort pods under MemoryPressure but admits Burstable ones and tolerating BestEffort', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, {
      metadata: {
        name: 'static-hog',
        annotations: { 'sim.scars.dev/memory': '1400Mi', 'kubernetes.io/config.mirror': 'x' },
      },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    await waitFor('MemoryPressure', () => memoryPressure(sim as KubeletSim)?.status === 'True', 15_000);
    createPod(sim, pod('late-best', '8Mi'));
    createPod(sim, pod('late-burst', '8Mi', { requests: { memory: '10Mi' } }));
    createPod(
      sim,
      pod(
        'tolerant',
        '8Mi',
        {},
        {
          tolerations: [
            { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
          ],
        },
      ),
    );
    const refused = await waitForPod(sim, 'late-best', 'rejected', (p) => p.status?.phase === 'Failed');
    expect(refused.status).toMatchObject({
      phase: 'Failed',
      reason: 'Evicted',
      message: 'Pod was rejected: The node had condition: [MemoryPressure]. ',
      qosClass: 'BestEffort',
    });
    expect(refused.status?.containerStatuses).toBeUndefined();
    const ev = events(sim, { name: 'late-best' });
    expect(ev.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'Evicted', 'The node had condition: [MemoryPressure]. '],
    ]);
    await waitForPod(sim, 'late-burst', 'Running', isRunning);
    await waitForPod(sim, 'tolerant', 'Running', isRunning);
    expect(sim.kubelets.stats().rejections).toBe(1);
  });

  it('refuses a pod whose requests do not fit allocatable (OutOfmemory, OutOfcpu)', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, pod('a', '8Mi', { requests: { memory: '1Gi', cpu: '3' } }));
    await waitForPod(sim, 'a', 'Running', isRunning);
    createPod(sim, pod('b', '8Mi', { requests: { memory: '1Gi' } }));
    createPod(sim, pod('c', '8Mi', { requests: { cpu: '1500m' } }));
    const b = await waitForPod(sim, 'b', 'rejected', (p) => p.status?.phase === 'Failed');
    expect(b.status?.reason).toBe('OutOfmemory');
    // allocatable memory = 2Gi − 100Mi hard threshold = 1948Mi.
    expect(b.status?.message).toBe(
      `Pod was rejected: Node didn't have enough resource: memory, requested: ${1024 * Mi}, used: ${1024 * Mi}, capacity: ${1948 * Mi}`,
    );
    expect(events(sim, { name: 'b', reason: 'OutOfmemory' })[0]?.message).toBe(
      `Node didn't have enough resource: memory, requested: ${1024 * Mi}, used: ${1024 * Mi}, capacity: ${1948 * Mi}`,
    );
    const c = await waitForPod(sim, 'c', 'rejected', (p) => p.status?.phase === 'Failed');
    expect(c.status?.reason).toBe('OutOfcpu');
    expect(c.status?.message).toBe(
      "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 3000, capacity: 4000",
    );
  });
});
