/** Pod GC: orphans of deleted nodes, the terminated-pod threshold, stuck terminating pods. */
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { subscribe } from '../../../../src/sim/controllers/controller.ts';
import { PodGcController, type PodGcOptions } from '../../../../src/sim/controllers/pod-gc.ts';
import { NODES, PODS } from '../../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';
import { waitFor } from '../../../support/wait.ts';

type SimPod = Pod & KubeObject;

const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function start(options: PodGcOptions = {}, kubeletNodes?: string[], timeScale = 100): SimContext {
  const ctx = createSimCore({ topology: defaultTopology(), timeScale });
  registerNodes(ctx);
  const kubelet = kubeletNodes ? new FakeKubelet(ctx, { nodes: kubeletNodes }) : undefined;
  const gc = new PodGcController(ctx, options);
  kubelet?.start();
  gc.start();
  cleanups.push(() => {
    gc.stop();
    kubelet?.stop();
    ctx.clock.stop();
  });
  return ctx;
}

function createPod(ctx: SimContext, name: string, finalizers: string[] = [], nodeName?: string): void {
  ctx.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(finalizers.length > 0 ? { finalizers } : {}) },
    spec: {
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }],
      ...(nodeName ? { nodeName } : {}),
    },
  } satisfies Pod);
}

const podOf = (ctx: SimContext, name: string) =>
  ctx.registry.find(PODS, 'default', name) as SimPod | undefined;

function setStatus(ctx: SimContext, name: string, status: Partial<NonNullable<Pod['status']>>): void {
  const live = ctx.registry.get(PODS, 'default', name) as SimPod;
  ctx.registry.replace(
    PODS,
    live,
    { ...structuredClone(live), status: { ...live.status, ...status } },
    { subresource: 'status' },
  );
}

function bind(ctx: SimContext, name: string, node: string): void {
  const live = ctx.registry.get(PODS, 'default', name) as SimPod;
  const bound = structuredClone(live);
  (bound.spec as { nodeName?: string }).nodeName = node;
  ctx.registry.replace(PODS, live, bound, { subresource: 'binding' });
  setStatus(ctx, name, { phase: 'Running', podIP: '127.64.3.9' });
}

/** The last state each pod had before it went (what the GC wrote before deleting). */
function lastStates(ctx: SimContext): Map<string, SimPod> {
  const seen = new Map<string, SimPod>();
  const stop = subscribe(ctx.registry, PODS, (type, event) => {
    if (type === 'MODIFIED') seen.set(event.object.metadata.name ?? '', event.object as SimPod);
  });
  cleanups.push(stop);
  return seen;
}

describe('pod GC', () => {
  it('force-deletes pods of a deleted node after the quarantine, marked Failed with DeletionByPodGC', async () => {
    const ctx = start({}, ['scars-worker3']);
    const seen = lastStates(ctx);
    createPod(ctx, 'orphan-a');
    createPod(ctx, 'orphan-b');
    await waitFor('running', () => podOf(ctx, 'orphan-b')?.status?.phase === 'Running');
    // A pod on a live node is left alone.
    createPod(ctx, 'elsewhere', [], 'scars-worker');
    await waitFor('running', () => podOf(ctx, 'elsewhere')?.status?.phase === 'Running');
    const deletedAt = ctx.clock.now();
    ctx.registry.delete(NODES, undefined, 'scars-worker3');
    await waitFor('orphans gone', () => !podOf(ctx, 'orphan-a') && !podOf(ctx, 'orphan-b'), 15_000);
    const took = ctx.clock.now() - deletedAt;
    // 40s quarantine from the pass that noticed, seen by a pass every 20s.
    expect(took).toBeGreaterThanOrEqual(40_000);
    expect(took).toBeLessThanOrEqual(85_000);
    // The watch delivers on a later tick than the store's own state.
    await waitFor('last state seen', () => seen.get('orphan-a')?.status?.phase === 'Failed');
    expect(
      seen.get('orphan-a')?.status?.conditions?.find((c) => c.type === 'DisruptionTarget'),
    ).toMatchObject({
      status: 'True',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
    expect(podOf(ctx, 'elsewhere')?.status?.phase).toBe('Running');
  });

  it('keeps pods of a node that comes back within the quarantine', async () => {
    // Slower clock: the node must be back before the quarantine (≥ 40s after deletion) ends.
    const ctx = start({}, ['scars-worker3'], 20);
    createPod(ctx, 'survivor');
    await waitFor('running', () => podOf(ctx, 'survivor')?.status?.phase === 'Running');
    const node = ctx.registry.get(NODES, undefined, 'scars-worker3') as Node & KubeObject;
    const deletedAt = ctx.clock.now();
    ctx.registry.delete(NODES, undefined, 'scars-worker3');
    // A pass (every 20s) has noticed the missing node by now.
    await waitFor('25s', () => ctx.clock.now() > deletedAt + 25_000, 10_000);
    const { resourceVersion: _rv, uid: _uid, ...metadata } = node.metadata;
    const back = { ...structuredClone(node), metadata };
    ctx.registry.create(NODES, undefined, back);
    await waitFor('90s', () => ctx.clock.now() > deletedAt + 90_000, 15_000);
    expect(podOf(ctx, 'survivor')?.status?.phase).toBe('Running');
  });

  it('deletes terminated pods beyond the threshold, evicted first, then oldest first', async () => {
    const ctx = start({ terminatedPodThreshold: 3 });
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4', 'evicted']) createPod(ctx, name);
    createPod(ctx, 'running');
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) setStatus(ctx, name, { phase: 'Succeeded' });
    setStatus(ctx, 'evicted', {
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. ',
    });
    await waitFor('two deleted', () => !podOf(ctx, 'evicted') && !podOf(ctx, 'done-1'), 10_000);
    const until = ctx.clock.now() + 45_000;
    await waitFor('more passes', () => ctx.clock.now() > until, 10_000);
    expect(['done-2', 'done-3', 'done-4', 'running'].map((n) => podOf(ctx, n) !== undefined)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('force-deletes terminating pods on a not-ready node tainted out-of-service', async () => {
    const ctx = start();
    createPod(ctx, 'stuck');
    bind(ctx, 'stuck', 'scars-worker2');
    ctx.registry.delete(PODS, 'default', 'stuck');
    expect(podOf(ctx, 'stuck')?.metadata.deletionTimestamp).toBeDefined();
    const until = ctx.clock.now() + 25_000;
    await waitFor('a pass', () => ctx.clock.now() > until, 10_000);
    // No kubelet confirms it, and the node is fine: it stays terminating.
    expect(podOf(ctx, 'stuck')).toBeDefined();
    const live = ctx.registry.get(NODES, undefined, 'scars-worker2') as Node & KubeObject;
    const next = structuredClone(live);
    (next.spec as { taints?: Taint[] }).taints = [
      { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' },
    ];
    const tainted = ctx.registry.replace(NODES, live, next) as Node & KubeObject;
    const down = structuredClone(tainted);
    (down.status as { conditions?: NodeCondition[] }).conditions = (tainted.status?.conditions ?? []).map(
      (c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'KubeletNotReady' } : c),
    );
    ctx.registry.replace(NODES, tainted, down, { subresource: 'status' });
    await waitFor('stuck gone', () => podOf(ctx, 'stuck') === undefined, 10_000);
  });

  it('marks never-scheduled terminating pods Failed and deletes them', async () => {
    const ctx = start();
    createPod(ctx, 'unscheduled', ['example.com/hold']);
    ctx.registry.delete(PODS, 'default', 'unscheduled');
    await waitFor('failed', () => podOf(ctx, 'unscheduled')?.status?.phase === 'Failed', 10_000);
    // Its finalizer still holds it, as it would upstream.
    expect(podOf(ctx, 'unscheduled')?.metadata.deletionTimestamp).toBeDefined();
  });
});
