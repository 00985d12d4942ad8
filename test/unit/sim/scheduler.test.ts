/**
 * The sim's kube-scheduler, in process: placement by the default plugins, the exact FitError
 * messages of 1.32 (with DefaultPreemption's verdict), parking and retrying on cluster events,
 * priority order, and a small scale run.
 */
import type { Event, Node, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../src/sim/context.ts';
import { EVENTS, NODES, PODS } from '../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../src/sim/object.ts';
import { SimClock } from '../../../src/sim/clock.ts';
import { cycleState } from '../../../src/sim/scheduler/filters.ts';
import type { AffinityLookup } from '../../../src/sim/scheduler/inter-pod-affinity.ts';
import { type NodeInfo, NodeInfoCache } from '../../../src/sim/scheduler/node-info.ts';
import { type PodFacts, podFacts } from '../../../src/sim/scheduler/pod-info.ts';
import { numFeasibleNodesToFind, Scheduler } from '../../../src/sim/scheduler/scheduler.ts';
import {
  MAX_IN_UNSCHEDULABLE_MS,
  type QueuedPod,
  SchedulingQueue,
} from '../../../src/sim/scheduler/queue.ts';
import { spreadScores } from '../../../src/sim/scheduler/topology-spread.ts';
import { DEFAULT_TOPOLOGY, resolveTopology, type TopologyInput } from '../../../src/sim/topology/load.ts';
import { waitFor } from '../../support/wait.ts';

type TestPod = Pod & KubeObject;

const CONTROL_PLANE_TAINT = '1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }';

let running: { ctx: SimContext; scheduler: Scheduler }[] = [];

afterEach(() => {
  for (const { ctx, scheduler } of running) {
    scheduler.stop();
    ctx.clock.stop();
  }
  running = [];
});

function cluster(
  topology: TopologyInput = DEFAULT_TOPOLOGY,
  start = true,
): { ctx: SimContext; scheduler: Scheduler } {
  // Fast sim time: the 1s–10s backoffs take milliseconds.
  const ctx = createSimCore({ topology: resolveTopology(topology), timeScale: 200 });
  registerNodes(ctx);
  const scheduler = new Scheduler(ctx);
  if (start) scheduler.start();
  const c = { ctx, scheduler };
  running.push(c);
  return c;
}

function createPod(
  ctx: SimContext,
  name: string,
  opts: { requests?: Record<string, string>; labels?: Record<string, string>; spec?: Partial<PodSpec> } = {},
): TestPod {
  return ctx.registry.create(
    PODS,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx',
            ...(opts.requests ? { resources: { requests: opts.requests } } : {}),
          },
        ],
        ...opts.spec,
      },
    },
    { manager: 'test' },
  ) as TestPod;
}

const pod = (ctx: SimContext, name: string): TestPod | undefined =>
  ctx.registry.find(PODS, 'default', name) as TestPod | undefined;

const nodeOf = (ctx: SimContext, name: string): string | undefined => pod(ctx, name)?.spec?.nodeName;

const scheduledCondition = (ctx: SimContext, name: string) =>
  pod(ctx, name)?.status?.conditions?.find((c) => c.type === 'PodScheduled');

const unschedulableMessage = (ctx: SimContext, name: string): string | undefined => {
  const c = scheduledCondition(ctx, name);
  return c?.status === 'False' && c.reason === 'Unschedulable' ? c.message : undefined;
};

function eventsFor(ctx: SimContext, name: string, reason: string): (Event & KubeObject)[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as (Event & KubeObject)[]).filter(
    (e) => e.involvedObject.name === name && e.reason === reason,
  );
}

async function waitBound(ctx: SimContext, names: string[], ms = 10_000): Promise<void> {
  await waitFor(
    `${names.length} pods bound`,
    () => names.every((n) => nodeOf(ctx, n) !== undefined),
    ms,
    () => names.filter((n) => !nodeOf(ctx, n)).join(', '),
  );
}

async function waitUnschedulable(ctx: SimContext, name: string): Promise<string> {
  await waitFor(`${name} to be reported unschedulable`, () => unschedulableMessage(ctx, name) !== undefined);
  return unschedulableMessage(ctx, name) as string;
}

function editNode(ctx: SimContext, name: string, edit: (node: Node & KubeObject) => void): void {
  const live = ctx.registry.get(NODES, undefined, name);
  const next = structuredClone(live) as Node & KubeObject;
  edit(next);
  ctx.registry.replace(NODES, live, next, { manager: 'test' });
}

const cordon = (ctx: SimContext, name: string, on: boolean): void =>
  editNode(ctx, name, (n) => {
    const spec = (n.spec ??= {}) as { unschedulable?: boolean };
    if (on) spec.unschedulable = true;
    else delete spec.unschedulable;
  });

describe('sim scheduler', () => {
  it('spreads pods over the workers, never onto the tainted control plane, and says so in events', async () => {
    const { ctx, scheduler } = cluster();
    const names = Array.from({ length: 30 }, (_, i) => `web-${i}`);
    for (const n of names) createPod(ctx, n, { requests: { cpu: '100m', memory: '64Mi' } });
    await waitBound(ctx, names);

    const perNode = new Map<string, number>();
    for (const n of names)
      perNode.set(nodeOf(ctx, n) as string, (perNode.get(nodeOf(ctx, n) as string) ?? 0) + 1);
    expect(perNode.has('scars-control-plane')).toBe(false);
    expect([...perNode.keys()].sort()).toEqual(['scars-worker', 'scars-worker2', 'scars-worker3']);
    // LeastAllocated keeps them level: nobody gets much more than a third.
    for (const count of perNode.values()) expect(count).toBeGreaterThanOrEqual(8);

    const p = pod(ctx, 'web-0') as TestPod;
    expect(scheduledCondition(ctx, 'web-0')).toMatchObject({ status: 'True' });
    // The binding leaves no managedFields entry, as upstream's assignPod does not.
    expect(p.metadata.managedFields?.map((m) => m.manager)).toEqual(['test']);
    const [event] = eventsFor(ctx, 'web-0', 'Scheduled');
    expect(event).toMatchObject({
      type: 'Normal',
      source: { component: 'default-scheduler' },
      message: `Successfully assigned default/web-0 to ${p.spec?.nodeName}`,
    });
    expect(scheduler.stats()).toMatchObject({ scheduled: 30, failed: 0, pending: 0 });
  });

  it('leaves cordoned nodes alone, and a parked pod schedules once a node is uncordoned', async () => {
    const { ctx } = cluster();
    for (const w of ['scars-worker', 'scars-worker2', 'scars-worker3']) cordon(ctx, w, true);
    createPod(ctx, 'waiting');
    expect(await waitUnschedulable(ctx, 'waiting')).toBe(
      `0/4 nodes are available: ${CONTROL_PLANE_TAINT}, 3 node(s) were unschedulable. ` +
        'preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.',
    );
    expect(nodeOf(ctx, 'waiting')).toBeUndefined();

    cordon(ctx, 'scars-worker2', false);
    await waitBound(ctx, ['waiting']);
    expect(nodeOf(ctx, 'waiting')).toBe('scars-worker2');
    expect(scheduledCondition(ctx, 'waiting')).toMatchObject({ status: 'True' });
  });

  it('reports insufficient memory with the exact FitError message and a FailedScheduling event', async () => {
    const { ctx, scheduler } = cluster();
    createPod(ctx, 'huge', { requests: { memory: '9Gi' } });
    const message = await waitUnschedulable(ctx, 'huge');
    const expected =
      `0/4 nodes are available: ${CONTROL_PLANE_TAINT}, 3 Insufficient memory. ` +
      'preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, ' +
      '3 No preemption victims found for incoming pod.';
    expect(message).toBe(expected);
    expect(scheduledCondition(ctx, 'huge')).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      lastProbeTime: null,
    });
    await waitFor('the FailedScheduling event', () => eventsFor(ctx, 'huge', 'FailedScheduling').length > 0);
    expect(eventsFor(ctx, 'huge', 'FailedScheduling')[0]).toMatchObject({
      type: 'Warning',
      message: expected,
      source: { component: 'default-scheduler' },
    });
    expect(pod(ctx, 'huge')?.metadata.managedFields?.map((m) => [m.manager, m.subresource])).toContainEqual([
      'kube-scheduler',
      'status',
    ]);
    expect(scheduler.stats()).toMatchObject({ scheduled: 0, pending: 1 });
    expect(scheduler.stats().failed).toBeGreaterThanOrEqual(1);
  });

  it('places a pod once another pod leaves, counting a terminating pod until it is gone', async () => {
    const { ctx } = cluster({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodes: [{ role: 'worker', capacity: { memory: '4Gi' } }],
    });
    createPod(ctx, 'first', { requests: { memory: '3Gi' } });
    await waitBound(ctx, ['first']);
    createPod(ctx, 'second', { requests: { memory: '3Gi' } });
    expect(await waitUnschedulable(ctx, 'second')).toBe(
      '0/1 nodes are available: 1 Insufficient memory. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );

    // An unrelated pod coming and going retries `second`: same verdict, so no status write, one more event.
    createPod(ctx, 'small', { requests: { memory: '10Mi' } });
    await waitBound(ctx, ['small']);
    const rv = pod(ctx, 'second')?.metadata.resourceVersion;
    ctx.registry.delete(PODS, 'default', 'small', { gracePeriodSeconds: 0 });
    await waitFor(
      'a second FailedScheduling',
      () => (eventsFor(ctx, 'second', 'FailedScheduling')[0]?.count ?? 0) >= 2,
    );
    expect(pod(ctx, 'second')?.metadata.resourceVersion).toBe(rv);

    // Graceful deletion: `first` is terminating but still holds its memory.
    ctx.registry.delete(PODS, 'default', 'first', {});
    expect(pod(ctx, 'first')?.metadata.deletionTimestamp).toBeDefined();
    await new Promise((r) => setTimeout(r, 100)); // 20 simulated seconds: several backoff periods
    expect(nodeOf(ctx, 'second')).toBeUndefined();

    ctx.registry.delete(PODS, 'default', 'first', { gracePeriodSeconds: 0 });
    await waitBound(ctx, ['second']);
    expect(nodeOf(ctx, 'second')).toBe('scars-worker');
  });

  it('honours nodeSelector, required node affinity, tolerations and DaemonSet-style matchFields', async () => {
    const { ctx } = cluster({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodes: [
        { role: 'control-plane' },
        { role: 'worker', name: 'ssd', labels: { disk: 'ssd', rank: '7' } },
        { role: 'worker', name: 'hdd', labels: { disk: 'hdd', rank: '3' } },
        {
          role: 'worker',
          name: 'db',
          labels: { disk: 'ssd', rank: '9' },
          taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
        },
      ],
    });
    createPod(ctx, 'selector', { spec: { nodeSelector: { disk: 'hdd' } } });
    createPod(ctx, 'affinity', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'disk', operator: 'In', values: ['ssd'] },
                    { key: 'rank', operator: 'Gt', values: ['5'] },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    createPod(ctx, 'tolerating', {
      spec: {
        nodeSelector: { rank: '9' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
      },
    });
    createPod(ctx, 'intolerant', { spec: { nodeSelector: { rank: '9' } } });
    createPod(ctx, 'pinned', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd'] }] },
              ],
            },
          },
        },
      },
    });
    createPod(ctx, 'pinned-too-big', {
      requests: { cpu: '5' },
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ssd'] }] },
              ],
            },
          },
        },
      },
    });
    createPod(ctx, 'prefers-hdd', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 50,
                preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] },
              },
            ],
          },
        },
      },
    });
    await waitBound(ctx, ['selector', 'affinity', 'tolerating', 'pinned', 'prefers-hdd']);
    // Preferred terms score (NodeAffinity weight 2 × 100) far above the resource scores' differences.
    expect(nodeOf(ctx, 'prefers-hdd')).toBe('hdd');
    expect(nodeOf(ctx, 'selector')).toBe('hdd');
    // The tainted node also has disk=ssd and rank 9, but nothing tolerates its taint.
    expect(nodeOf(ctx, 'affinity')).toBe('ssd');
    expect(nodeOf(ctx, 'tolerating')).toBe('db');
    expect(nodeOf(ctx, 'pinned')).toBe('hdd');
    expect(await waitUnschedulable(ctx, 'intolerant')).toBe(
      // Sorted as strings: {dedicated…} before {node-role…}.
      `0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, ${CONTROL_PLANE_TAINT}, ` +
        "2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.',
    );
    expect(await waitUnschedulable(ctx, 'pinned-too-big')).toBe(
      "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '3 Preemption is not helpful for scheduling.',
    );

    // A toleration with an empty key and Exists tolerates every taint.
    editNode(ctx, 'ssd', (n) => ((n.spec ??= {}).taints = [{ key: 'maintenance', effect: 'NoExecute' }]));
    createPod(ctx, 'tolerates-all', {
      spec: { nodeSelector: { rank: '7' }, tolerations: [{ operator: 'Exists' }] },
    });
    await waitBound(ctx, ['tolerates-all']);
    expect(nodeOf(ctx, 'tolerates-all')).toBe('ssd');
  });

  it('hostname anti-affinity puts three replicas on three nodes and leaves the fourth Pending', async () => {
    const { ctx } = cluster();
    const spec: Partial<PodSpec> = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
    const names = ['web-a', 'web-b', 'web-c'];
    for (const n of names) createPod(ctx, n, { labels: { app: 'web' }, spec });
    await waitBound(ctx, names);
    expect(new Set(names.map((n) => nodeOf(ctx, n))).size).toBe(3);

    createPod(ctx, 'web-d', { labels: { app: 'web' }, spec });
    expect(await waitUnschedulable(ctx, 'web-d')).toBe(
      `0/4 nodes are available: ${CONTROL_PLANE_TAINT}, 3 node(s) didn't match pod anti-affinity rules. ` +
        'preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, ' +
        '3 No preemption victims found for incoming pod.',
    );

    // Existing pods' anti-affinity binds the newcomer too, and pod affinity follows its target.
    createPod(ctx, 'follower', {
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      },
    });
    await waitBound(ctx, ['follower']);
    expect(names.map((n) => nodeOf(ctx, n))).toContain(nodeOf(ctx, 'follower'));

    createPod(ctx, 'intruder', {
      labels: { app: 'web' },
      spec: { nodeSelector: { 'kubernetes.io/hostname': nodeOf(ctx, 'web-a') as string } },
    });
    expect(await waitUnschedulable(ctx, 'intruder')).toBe(
      "0/4 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, " +
        `${CONTROL_PLANE_TAINT}, 2 node(s) didn't match Pod's node affinity/selector. ` +
        'preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '3 Preemption is not helpful for scheduling.',
    );

    // Removing a replica frees its node for the parked fourth.
    const freed = nodeOf(ctx, 'web-b');
    ctx.registry.delete(PODS, 'default', 'web-b', { gracePeriodSeconds: 0 });
    await waitBound(ctx, ['web-d']);
    expect(nodeOf(ctx, 'web-d')).toBe(freed);
  });

  it('keeps DoNotSchedule topology spread constraints within maxSkew', async () => {
    const zone = 'topology.kubernetes.io/zone';
    const { ctx } = cluster({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodes: [
        { role: 'control-plane' },
        { role: 'worker', name: 'a', count: 2, labels: { [zone]: 'a' } },
        { role: 'worker', name: 'b', labels: { [zone]: 'b' }, capacity: { cpu: '1' } },
      ],
    });
    const spec: Partial<PodSpec> = {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: zone,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ],
    };
    const place = async (name: string): Promise<string | undefined> => {
      createPod(ctx, name, { labels: { app: 'spread' }, requests: { cpu: '600m' }, spec });
      await waitFor(
        `${name} decided`,
        () => nodeOf(ctx, name) !== undefined || unschedulableMessage(ctx, name) !== undefined,
      );
      return nodeOf(ctx, name);
    };
    const zones = [];
    for (const name of ['s1', 's2', 's3']) zones.push((await place(name))?.[0]);
    // Zone b takes one pod (its cpu), zone a the other two: never more than one apart.
    expect(zones.sort()).toEqual(['a', 'a', 'b']);
    expect(await place('s4')).toBeUndefined();
    expect(unschedulableMessage(ctx, 's4')).toBe(
      `0/4 nodes are available: 1 Insufficient cpu, ${CONTROL_PLANE_TAINT}, ` +
        "2 node(s) didn't match pod topology spread constraints. " +
        'preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, ' +
        '3 No preemption victims found for incoming pod.',
    );
  });

  it('schedules higher priority first, and lower priority pods find no victims', async () => {
    const { ctx, scheduler } = cluster(
      {
        apiVersion: 'scars.dev/v1alpha1',
        kind: 'SimTopology',
        nodes: [{ role: 'worker', capacity: { cpu: '1' } }],
      },
      false,
    );
    // All queued before the scheduler starts: order comes from priority, then arrival.
    createPod(ctx, 'low', { requests: { cpu: '800m' }, spec: { priority: 0 } });
    createPod(ctx, 'mid', { requests: { cpu: '800m' }, spec: { priority: 10 } });
    createPod(ctx, 'high', { requests: { cpu: '800m' }, spec: { priority: 1000 } });
    scheduler.start();
    await waitBound(ctx, ['high']);
    expect(await waitUnschedulable(ctx, 'low')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    expect(await waitUnschedulable(ctx, 'mid')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    expect(nodeOf(ctx, 'low')).toBeUndefined();

    // preemptionPolicy: Never is not eligible for preemption at all.
    createPod(ctx, 'polite', { requests: { cpu: '800m' }, spec: { priority: 5, preemptionPolicy: 'Never' } });
    expect(await waitUnschedulable(ctx, 'polite')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it('scores default topology spreading like PodTopologySpread (hostname maxSkew 3), ignoring terminating pods', () => {
    const { ctx } = cluster(DEFAULT_TOPOLOGY, false);
    const cache = new NodeInfoCache();
    for (const n of ctx.registry.list(NODES, {}).items) cache.setNode(n as Node);
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true };
    const replica = (name: string, deleting = false): PodFacts =>
      podFacts({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: 'default',
          uid: name,
          ownerReferences: [owner],
          ...(deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
        },
        spec: { containers: [{ name: 'c' }] },
      });
    cache.setPod(replica('a'), 'scars-worker');
    cache.setPod(replica('b'), 'scars-worker');
    const incoming = replica('c');
    const state = cycleState({ spec: { containers: [] } }, incoming);
    const workers = ['scars-worker', 'scars-worker2', 'scars-worker3'].map((n) => cache.get(n) as NodeInfo);
    const lookup = { cache } as AffinityLookup;
    // Raw: 2·ln(5)+2 → 5 on the busy node, 2 elsewhere; normalized 100·(max+min−s)/max.
    expect([...(spreadScores(lookup, cache, state, workers) ?? [])]).toEqual([40, 100, 100]);
    // A replica being deleted no longer counts: 1·ln(5)+2 → 4.
    cache.setPod(replica('b', true), 'scars-worker');
    expect([...(spreadScores(lookup, cache, state, workers) ?? [])]).toEqual([50, 100, 100]);
  });

  it('queue: backoff doubles from 1s to 10s, and a parked pod is flushed back after 5 minutes', async () => {
    const clock = new SimClock(6000); // 5 simulated minutes in 50 wall ms
    let woken = 0;
    const queue = new SchedulingQueue(clock, () => woken++);
    try {
      queue.add('default/p', 0, false);
      expect(woken).toBe(1);
      const durations: number[] = [];
      for (let attempt = 1; attempt <= 6; attempt++) {
        const p = queue.pop() as QueuedPod;
        durations.push(queue.backoffMs(p));
        queue.failed('default/p', new Set());
        await waitFor('the backoff to pass', () => queue.activeCount === 1, 5_000);
      }
      expect(durations).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);

      queue.pop();
      queue.failed('default/p', new Set(['NodeResourcesFit']));
      // An event for another plugin leaves it parked; only the flush or a matching event moves it.
      queue.move(['TaintToleration'], () => true);
      expect(queue.activeCount).toBe(0);
      const parkedAt = clock.now();
      await waitFor('the 5-minute flush', () => queue.activeCount === 1, 5_000);
      // Not a backoff (10s at most) but the flush; a few seconds of slack for timer granularity at this scale.
      expect(clock.now() - parkedAt).toBeGreaterThanOrEqual(MAX_IN_UNSCHEDULABLE_MS - 10_000);
    } finally {
      queue.stop();
      clock.stop();
    }
  });

  it('queue: higher priority first, then first come', () => {
    const clock = new SimClock(1);
    const queue = new SchedulingQueue(clock, () => undefined);
    try {
      queue.add('a', 0, false);
      queue.add('b', 100, false);
      queue.add('c', 0, false);
      queue.add('d', 100, false);
      queue.add('gated', 1000, true);
      expect([1, 2, 3, 4, 5].map(() => queue.pop()?.key)).toEqual(['b', 'd', 'a', 'c', undefined]);
      queue.update('gated', 1000, false, false);
      expect(queue.pop()?.key).toBe('gated');
    } finally {
      queue.stop();
      clock.stop();
    }
  });

  it('numFeasibleNodesToFind follows the adaptive percentageOfNodesToScore rule', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(200)).toBe(100); // 48% of 200 = 96 → at least 100
    expect(numFeasibleNodesToFind(1000)).toBe(420); // 50 − 8 = 42%
    expect(numFeasibleNodesToFind(6000)).toBe(300); // floor at 5%
  });

  it('schedules 2,000 pods over 200 nodes', async () => {
    const { ctx, scheduler } = cluster(
      {
        apiVersion: 'scars.dev/v1alpha1',
        kind: 'SimTopology',
        nodes: [{ role: 'control-plane' }, { role: 'worker', count: 199 }],
      },
      false,
    );
    for (let i = 0; i < 2000; i++) createPod(ctx, `p-${i}`, { requests: { cpu: '100m', memory: '100Mi' } });
    scheduler.start();
    await waitFor(
      '2,000 pods scheduled',
      () => scheduler.stats().scheduled === 2000,
      60_000,
      () => JSON.stringify(scheduler.stats()),
    );
    const perNode = new Map<string, number>();
    for (const p of ctx.registry.list(PODS, { namespace: 'default' }).items as TestPod[]) {
      const n = p.spec?.nodeName as string;
      perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    expect(perNode.has('scars-control-plane')).toBe(false);
    expect(perNode.size).toBe(199);
    expect(Math.max(...perNode.values())).toBeLessThanOrEqual(15);
    expect(scheduler.stats()).toMatchObject({ failed: 0, pending: 0 });
  }, 90_000);
});
