import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/sim/api/rest/status.ts';
import type { SimContext } from '../../../../src/sim/context.ts';
import { podsToDelete } from '../../../../src/sim/controllers/pod-deletion-rank.ts';
import { ReplicaSetController } from '../../../../src/sim/controllers/replicaset.ts';
import type { ResourceType } from '../../../../src/sim/kinds/registry.ts';
import { EVENTS, NAMESPACES, PODS, REPLICASETS } from '../../../../src/sim/kinds/resources.ts';
import { isPodActive, isPodReady, type SimPod } from '../../../../src/sim/kinds/pod.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { type ControllerHarness, controllerFixture } from '../../../support/controller-fixture.ts';
import { waitFor } from '../../../support/wait.ts';

type SimRS = ReplicaSet & KubeObject;

const { start: startController, cleanups } = controllerFixture();

function start(timeScale = 20): ControllerHarness {
  return startController((ctx) => new ReplicaSetController(ctx), timeScale);
}

function replicaSet(
  name: string,
  replicas: number,
  extra: Partial<NonNullable<ReplicaSet['spec']>> = {},
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' }, annotations: { 'example.com/note': 'x' } },
        spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
      },
      ...extra,
    },
  };
}

const rsOf = (ctx: SimContext, name: string): SimRS =>
  ctx.registry.get(REPLICASETS, 'default', name) as SimRS;

function podsOf(ctx: SimContext, rs: SimRS): SimPod[] {
  return (ctx.registry.list(PODS, { namespace: 'default' }).items as SimPod[]).filter((p) =>
    p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller),
  );
}

function eventsFor(ctx: SimContext, name: string): Event[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as (Event & KubeObject)[]).filter(
    (e) => e.involvedObject.name === name,
  );
}

const activeReady = (pods: SimPod[]) => pods.filter((p) => isPodActive(p) && isPodReady(p));

describe('ReplicaSetController', () => {
  it('creates the missing pods from the template, owned by the ReplicaSet, and reports status', async () => {
    const { ctx } = start();
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 3));
    await waitFor('3 ready replicas', () => rsOf(ctx, 'web').status?.readyReplicas === 3);
    const rs = rsOf(ctx, 'web');
    expect(rs.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    const pods = podsOf(ctx, rs);
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.generateName).toBe('web-');
      expect(pod.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(pod.metadata.annotations).toEqual({ 'example.com/note': 'x' });
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(pod.metadata.managedFields?.[0]?.manager).toBe('kube-controller-manager');
    }
    const created = eventsFor(ctx, 'web').filter((e) => e.reason === 'SuccessfulCreate');
    expect(created.map((e) => e.message).sort()).toEqual(
      pods.map((p) => `Created pod: ${p.metadata.name}`).sort(),
    );
    expect(created[0]?.source?.component).toBe('replicaset-controller');
    expect(created[0]?.type).toBe('Normal');
  });

  it('replaces a deleted pod', async () => {
    const { ctx } = start();
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 3));
    await waitFor('3 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 3);
    const before = podsOf(ctx, rsOf(ctx, 'web'));
    const victim = before[0]?.metadata.name ?? '';
    ctx.registry.delete(PODS, 'default', victim, { gracePeriodSeconds: 0 });
    await waitFor('a replacement', () => {
      const pods = activeReady(podsOf(ctx, rsOf(ctx, 'web')));
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim);
    });
    expect(podsOf(ctx, rsOf(ctx, 'web'))).toHaveLength(3);
  });

  it('replaces a Failed (evicted) pod and leaves the failed one for pod GC', async () => {
    const { ctx } = start();
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 2));
    await waitFor('2 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 2);
    const victim = podsOf(ctx, rsOf(ctx, 'web'))[0] as SimPod;
    const evicted = structuredClone(victim) as SimPod & { status: Pod['status'] };
    evicted.status = {
      ...victim.status,
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. ',
    };
    ctx.registry.replace(PODS, victim, evicted, { subresource: 'status', manager: 'kubelet' });
    await waitFor(
      'a replacement for the evicted pod',
      () => activeReady(podsOf(ctx, rsOf(ctx, 'web'))).length === 2,
    );
    const pods = podsOf(ctx, rsOf(ctx, 'web'));
    expect(pods).toHaveLength(3);
    expect(pods.find((p) => p.metadata.name === victim.metadata.name)?.status?.phase).toBe('Failed');
    await waitFor('status counts active pods only', () => rsOf(ctx, 'web').status?.replicas === 2);
  });

  it('scales down not-ready pods first', async () => {
    const { ctx, kubelet, notReady } = start();
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 4));
    await waitFor('4 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 4);
    const [a, b] = podsOf(ctx, rsOf(ctx, 'web')).map((p) => p.metadata.name ?? '');
    for (const name of [a, b] as string[]) {
      notReady.add(name);
      kubelet.refresh('default', name);
    }
    await waitFor('2 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 2);
    const live = rsOf(ctx, 'web');
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 2;
    ctx.registry.replace(REPLICASETS, live, next);
    await waitFor('2 pods left', () => podsOf(ctx, rsOf(ctx, 'web')).length === 2);
    const left = podsOf(ctx, rsOf(ctx, 'web'));
    expect(left.every((p) => isPodReady(p))).toBe(true);
    expect(left.map((p) => p.metadata.name)).not.toContain(a);
    expect(left.map((p) => p.metadata.name)).not.toContain(b);
    const deleted = eventsFor(ctx, 'web').filter((e) => e.reason === 'SuccessfulDelete');
    expect(deleted.map((e) => e.message).sort()).toEqual([`Deleted pod: ${a}`, `Deleted pod: ${b}`].sort());
    await waitFor('status follows', () => rsOf(ctx, 'web').status?.replicas === 2);
  });

  it('adopts a matching orphan instead of creating, and releases a pod whose labels stop matching', async () => {
    const { ctx } = start();
    ctx.registry.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', labels: { app: 'web' } },
      spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
    });
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 2));
    await waitFor('2 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 2);
    const rs = rsOf(ctx, 'web');
    expect(podsOf(ctx, rs).map((p) => p.metadata.name)).toContain('stray');
    expect(eventsFor(ctx, 'web').filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(1);

    const stray = ctx.registry.get(PODS, 'default', 'stray');
    const relabelled = structuredClone(stray);
    relabelled.metadata.labels = { app: 'other' };
    ctx.registry.replace(PODS, stray, relabelled);
    await waitFor(
      'the pod released',
      () => !ctx.registry.get(PODS, 'default', 'stray').metadata.ownerReferences,
    );
    await waitFor('a replacement', () => activeReady(podsOf(ctx, rsOf(ctx, 'web'))).length === 2);
  });

  it('reports FailedCreate and a ReplicaFailure condition while creates fail, then recovers', async () => {
    const { ctx } = start();
    const registry = ctx.registry;
    const create = registry.create.bind(registry);
    let refuse = true;
    const message =
      'pods "web-" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0';
    registry.create = (
      r: ResourceType,
      ns: string | undefined,
      body: unknown,
      options?: { manager?: string },
    ) => {
      if (refuse && r === PODS) throw new ApiError(403, 'Forbidden', message);
      return create(r, ns, body, options);
    };
    cleanups.push(() => {
      registry.create = create;
    });
    registry.create(REPLICASETS, 'default', replicaSet('web', 2));
    await waitFor('the failure condition', () =>
      Boolean(rsOf(ctx, 'web').status?.conditions?.some((c) => c.type === 'ReplicaFailure')),
    );
    expect(rsOf(ctx, 'web').status?.conditions).toEqual([
      {
        type: 'ReplicaFailure',
        status: 'True',
        lastTransitionTime: expect.any(String),
        reason: 'FailedCreate',
        message,
      },
    ]);
    const failed = eventsFor(ctx, 'web').find((e) => e.reason === 'FailedCreate');
    expect(failed?.type).toBe('Warning');
    expect(failed?.message).toBe(`Error creating: ${message}`);

    refuse = false;
    await waitFor('pods once creates succeed', () => rsOf(ctx, 'web').status?.readyReplicas === 2, 15_000);
    await waitFor('the condition cleared', () => !rsOf(ctx, 'web').status?.conditions);
  });

  it('creates nothing and reports nothing in a terminating namespace', async () => {
    const { ctx } = start();
    ctx.registry.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'gone' },
    });
    ctx.registry.create(REPLICASETS, 'gone', replicaSet('web', 0));
    ctx.registry.delete(NAMESPACES, undefined, 'gone', {});
    const live = ctx.registry.get(REPLICASETS, 'gone', 'web') as SimRS;
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 2;
    ctx.registry.replace(REPLICASETS, live, next);
    await waitFor('the status observed', () => {
      const rs = ctx.registry.get(REPLICASETS, 'gone', 'web') as SimRS;
      return rs.status?.observedGeneration === 2;
    });
    const rs = ctx.registry.get(REPLICASETS, 'gone', 'web') as SimRS;
    expect(rs.status?.conditions).toBeUndefined();
    expect(ctx.registry.list(PODS, { namespace: 'gone' }).items).toHaveLength(0);
  });

  it('counts pods available only minReadySeconds after they become ready', async () => {
    const { ctx } = start(50);
    ctx.registry.create(REPLICASETS, 'default', replicaSet('web', 2, { minReadySeconds: 10 }));
    await waitFor('2 ready', () => rsOf(ctx, 'web').status?.readyReplicas === 2);
    const readyAt = ctx.clock.now();
    expect(rsOf(ctx, 'web').status?.availableReplicas ?? 0).toBe(0);
    await waitFor('2 available', () => rsOf(ctx, 'web').status?.availableReplicas === 2, 10_000);
    // Ready timestamps have second precision; availability follows ~minReadySeconds (+1s) later.
    expect(ctx.clock.now() - readyAt).toBeGreaterThanOrEqual(8_000);
  });
});

describe('podsToDelete', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString().replace('.000Z', 'Z');
  let n = 0;
  function pod(opts: {
    node?: string;
    phase?: string;
    ready?: boolean;
    readySecondsAgo?: number;
    createdSecondsAgo?: number;
    restarts?: number;
    cost?: number;
  }): SimPod {
    n++;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `p${n}`,
        uid: `uid-${String(n).padStart(3, '0')}`,
        creationTimestamp: at(opts.createdSecondsAgo ?? 3600),
        ...(opts.cost !== undefined
          ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(opts.cost) } }
          : {}),
      },
      spec: {
        containers: [{ name: 'c' }],
        ...(opts.node !== undefined ? { nodeName: opts.node } : { nodeName: 'n1' }),
      },
      status: {
        phase: opts.phase ?? 'Running',
        conditions: [
          {
            type: 'Ready',
            status: (opts.ready ?? true) ? 'True' : 'False',
            lastTransitionTime: at(opts.readySecondsAgo ?? 3000),
          },
        ],
        containerStatuses: [{ name: 'c', restartCount: opts.restarts ?? 0 } as never],
      },
    } as SimPod;
  }
  const first = (pods: SimPod[], related: SimPod[] = []) =>
    podsToDelete(pods, related, 1, now)[0]?.metadata.name;

  it('prefers unassigned, then pending, then not ready pods', () => {
    const running = pod({});
    const unassigned = pod({ node: '', phase: 'Pending', ready: false });
    expect(first([running, unassigned])).toBe(unassigned.metadata.name);
    const pending = pod({ phase: 'Pending', ready: false });
    expect(first([running, pending])).toBe(pending.metadata.name);
    const notReady = pod({ ready: false });
    expect(first([running, notReady])).toBe(notReady.metadata.name);
  });

  it('then lower deletion cost, then doubled-up nodes', () => {
    const cheap = pod({ cost: -5 });
    const dear = pod({ cost: 10 });
    expect(first([dear, cheap])).toBe(cheap.metadata.name);
    const alone = pod({ node: 'a' });
    const crowded = pod({ node: 'b' });
    expect(first([alone, crowded], [alone, crowded, pod({ node: 'b' })])).toBe(crowded.metadata.name);
  });

  it('then ready for less time (by power-of-two buckets), then more restarts, then newer', () => {
    const old = pod({ readySecondsAgo: 4000 });
    const fresh = pod({ readySecondsAgo: 10 });
    expect(first([old, fresh])).toBe(fresh.metadata.name);
    const calm = pod({ restarts: 0 });
    const crashy = pod({ restarts: 4 });
    expect(first([calm, crashy])).toBe(crashy.metadata.name);
    const older = pod({ createdSecondsAgo: 7200 });
    const newer = pod({ createdSecondsAgo: 60 });
    expect(first([older, newer])).toBe(newer.metadata.name);
  });

  it('returns every pod unsorted when all go', () => {
    const pods = [pod({}), pod({ ready: false })];
    expect(podsToDelete(pods, [], 2, now)).toEqual(pods);
  });
});
