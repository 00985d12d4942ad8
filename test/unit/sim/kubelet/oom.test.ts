/**
 * Memory limits and the OOM killers: a container past its limit is OOMKilled (137) and restarted
 * through a growing CrashLoopBackOff; a node out of memory kills the highest oom_score.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PODS } from '../../../../src/sim/kinds/resources.ts';
import {
  container,
  createPod,
  events,
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

const hog = (name: string, limit: string, extra: Record<string, string> = {}) => ({
  metadata: { name, annotations: { 'sim.scars.dev/memory': '600Mi', ...extra } },
  spec: {
    containers: [
      { name: 'app', image: 'nginx', resources: { requests: { memory: '64Mi' }, limits: { memory: limit } } },
    ],
  },
});

describe('kubelet: container memory limit', () => {
  it('OOMKills (137) and restarts with a growing CrashLoopBackOff', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    const messages = new Set<string>();
    const restartCounts = new Set<number>();
    const unwatch = sim.ctx.registry.store.watch({
      resource: sim.ctx.registry.storeKey(PODS),
      deliver: (_t, _e, obj) => {
        const c = container(obj as TestPod);
        if (c?.state?.waiting?.message) messages.add(c.state.waiting.message);
        if (c) restartCounts.add(c.restartCount);
      },
    });
    const created = createPod(sim, hog('leaky', '256Mi'));
    const uid = created.metadata.uid ?? '';
    const pod = await waitForPod(
      sim,
      'leaky',
      'back-off reached 40s',
      (p) => (container(p)?.state?.waiting?.message ?? '').startsWith('back-off 40s'),
      20_000,
    );
    unwatch();
    const c = container(pod);
    expect(pod.status?.phase).toBe('Running');
    expect(c?.state?.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: `back-off 40s restarting failed container=app pod=leaky_default(${uid})`,
    });
    expect(c?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(c?.lastState?.terminated?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(c?.lastState?.terminated?.startedAt).toBeTruthy();
    expect(c?.lastState?.terminated?.finishedAt).toBeTruthy();
    expect(c?.restartCount).toBe(3);
    expect([...messages].map((m) => m.split(' ')[1])).toEqual(['10s', '20s', '40s']);
    expect([...restartCounts].sort()).toEqual([0, 1, 2, 3]);
    const backoff = events(sim, { name: 'leaky', reason: 'BackOff' });
    expect(backoff).toHaveLength(1);
    expect(backoff[0]?.type).toBe('Warning');
    expect(backoff[0]?.message).toBe(`Back-off restarting failed container app in pod leaky_default(${uid})`);
    expect(backoff[0]?.count).toBeGreaterThanOrEqual(3);
    expect(sim.kubelets.stats().oomKills).toBe(4);
    // No node-level OOM: a memcg kill records nothing on the node.
    expect(events(sim, { reason: 'SystemOOM' })).toHaveLength(0);
  });

  it('control: the same program under a higher limit keeps running', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, hog('roomy', '1Gi'));
    await waitForPod(sim, 'roomy', 'Running', (p) => !!container(p)?.state?.running);
    await sim.ctx.clock.sleep(60_000);
    const pod = getPod(sim, 'roomy') as TestPod;
    expect(container(pod)?.restartCount).toBe(0);
    expect(container(pod)?.state?.running).toBeTruthy();
    expect(sim.kubelets.nodeMemory(sim.node)?.pods.get(pod.metadata.uid ?? '')).toBe(600 * 1024 * 1024);
  });

  it('fails a restartPolicy Never pod that is OOMKilled', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    const body = hog('once', '256Mi');
    createPod(sim, { ...body, spec: { ...body.spec, restartPolicy: 'Never' } });
    const pod = await waitForPod(sim, 'once', 'Failed', (p) => p.status?.phase === 'Failed');
    expect(container(pod)?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(container(pod)?.restartCount).toBe(0);
  });

  it('kills past the limit when a ramp or a live annotation change gets there', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, hog('ramp', '256Mi', { 'sim.scars.dev/memory-ramp': '60s' }));
    const early = await waitForPod(sim, 'ramp', 'Running', (p) => !!container(p)?.state?.running);
    expect(container(early)?.restartCount).toBe(0);
    const killed = await waitForPod(
      sim,
      'ramp',
      'OOMKilled',
      (p) => container(p)?.lastState?.terminated?.reason === 'OOMKilled',
    );
    const t = container(killed)?.lastState?.terminated;
    // 256Mi of a 600Mi ramp over 60s is reached after ~26s.
    const lived = Date.parse(t?.finishedAt ?? '') - Date.parse(t?.startedAt ?? '');
    expect(lived).toBeGreaterThanOrEqual(20_000);
    expect(lived).toBeLessThanOrEqual(35_000);

    createPod(sim, {
      ...hog('patched', '256Mi'),
      metadata: { name: 'patched', annotations: { 'sim.scars.dev/memory': '100Mi' } },
    });
    const live = await waitForPod(sim, 'patched', 'Running', (p) => !!container(p)?.state?.running);
    const next = structuredClone(live);
    next.metadata.annotations = { 'sim.scars.dev/memory': '300Mi' };
    sim.ctx.registry.replace(PODS, live, next, { manager: 'fault' });
    await waitForPod(
      sim,
      'patched',
      'OOMKilled after patch',
      (p) =>
        container(p)?.lastState?.terminated?.reason === 'OOMKilled' ||
        container(p)?.state?.terminated?.reason === 'OOMKilled',
    );
  });
});

describe('kubelet: node out of memory', () => {
  it('kills the process with the highest oom_score and records SystemOOM on the node', async () => {
    sim = startKubeletSim({
      timeScale: 100,
      node: {
        capacity: { cpu: '4', memory: '2Gi', pods: '110' },
        evictionHard: { 'memory.available': '1Mi' },
      },
    });
    // 600Mi system + 500Mi + 500Mi, then a BestEffort pod asking for 600Mi more: 2200Mi > 2Gi.
    const guaranteed = (name: string) =>
      createPod(sim as KubeletSim, {
        metadata: { name, annotations: { 'sim.scars.dev/memory': '500Mi' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              resources: {
                requests: { cpu: '100m', memory: '600Mi' },
                limits: { cpu: '100m', memory: '600Mi' },
              },
            },
          ],
        },
      });
    guaranteed('g1');
    guaranteed('g2');
    await waitForPod(sim, 'g1', 'Running', (p) => !!container(p)?.state?.running);
    await waitForPod(sim, 'g2', 'Running', (p) => !!container(p)?.state?.running);
    createPod(sim, {
      metadata: { name: 'greedy', annotations: { 'sim.scars.dev/memory': '600Mi' } },
      spec: { containers: [{ name: 'app', image: 'redis:7', command: ['/usr/local/bin/redis-server'] }] },
    });
    const pod = await waitForPod(
      sim,
      'greedy',
      'OOMKilled',
      (p) =>
        container(p)?.lastState?.terminated?.reason === 'OOMKilled' ||
        container(p)?.state?.terminated?.reason === 'OOMKilled',
    );
    expect(pod.status?.phase).toBe('Running');
    const oom = events(sim, { reason: 'SystemOOM' });
    expect(oom.length).toBeGreaterThanOrEqual(1);
    expect(oom[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: sim.node } });
    expect(oom[0]?.message).toMatch(/^System OOM encountered, victim process: redis-server, pid: \d+$/);
    for (const name of ['g1', 'g2']) expect(container(getPod(sim, name) as TestPod)?.restartCount).toBe(0);
  });
});
