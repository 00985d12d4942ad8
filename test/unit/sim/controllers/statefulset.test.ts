import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Event, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { SimContext } from '../../../../src/sim/context.ts';
import { StatefulSetController } from '../../../../src/sim/controllers/statefulset.ts';
import { resourceAt } from '../../../../src/sim/kinds/registry.ts';
import { isPodReady, type SimPod } from '../../../../src/sim/kinds/pod.ts';
import { CONTROLLER_REVISIONS, EVENTS, PODS, STATEFULSETS } from '../../../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { type ControllerHarness, controllerFixture } from '../../../support/controller-fixture.ts';
import { waitFor } from '../../../support/wait.ts';

type SimSet = StatefulSet & KubeObject;

const CLAIMS = resourceAt('v1', 'persistentvolumeclaims') as NonNullable<ReturnType<typeof resourceAt>>;
const { start: startController } = controllerFixture();

function start(): ControllerHarness {
  return startController((ctx) => new StatefulSetController(ctx), 20);
}

function statefulSet(
  name: string,
  replicas: number,
  extra: Partial<NonNullable<StatefulSet['spec']>> = {},
): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'registry.k8s.io/pause:3.9',
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: { tier: 'storage' } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
      ...extra,
    },
  };
}

const setOf = (ctx: SimContext, name: string): SimSet =>
  ctx.registry.get(STATEFULSETS, 'default', name) as SimSet;
const pod = (ctx: SimContext, name: string): SimPod | undefined =>
  ctx.registry.find(PODS, 'default', name) as SimPod | undefined;
const podNames = (ctx: SimContext): string[] =>
  ctx.registry
    .list(PODS, { namespace: 'default' })
    .items.map((p) => p.metadata.name ?? '')
    .sort();
const runningReady = (ctx: SimContext, name: string): boolean => {
  const p = pod(ctx, name);
  return p?.status?.phase === 'Running' && isPodReady(p) && !p.metadata.deletionTimestamp;
};

function messages(ctx: SimContext, reason: string): string[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as unknown as Event[])
    .filter((e) => e.reason === reason && e.involvedObject.kind === 'StatefulSet')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((e) => e.message ?? '');
}

function edit(ctx: SimContext, name: string, change: (set: SimSet) => void): void {
  const live = setOf(ctx, name);
  const next = structuredClone(live);
  change(next);
  ctx.registry.replace(STATEFULSETS, live, next, { manager: 'kubectl' });
}

/** Lets the controller run for `simSeconds` of simulated time. */
const settle = (ctx: SimContext, simSeconds: number) => ctx.clock.sleep(simSeconds * 1000);

describe('StatefulSetController', () => {
  it('OrderedReady creates ordinals in order, each once its predecessor is Running and Ready', async () => {
    const { ctx, kubelet, notReady } = start();
    notReady.add('web-0');
    ctx.registry.create(STATEFULSETS, 'default', statefulSet('web', 3), { manager: 'kubectl' });
    await waitFor('web-0 running', () => pod(ctx, 'web-0')?.status?.phase === 'Running');
    await settle(ctx, 5);
    expect(podNames(ctx)).toEqual(['web-0']);
    expect(setOf(ctx, 'web').status).toMatchObject({ replicas: 1, availableReplicas: 0 });

    notReady.delete('web-0');
    kubelet.refresh('default', 'web-0');
    await waitFor('all three ready', () => (setOf(ctx, 'web').status?.readyReplicas ?? 0) === 3);
    expect(messages(ctx, 'SuccessfulCreate')).toEqual([
      'create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'create Pod web-0 in StatefulSet web successful',
      'create Claim data-web-1 Pod web-1 in StatefulSet web success',
      'create Pod web-1 in StatefulSet web successful',
      'create Claim data-web-2 Pod web-2 in StatefulSet web success',
      'create Pod web-2 in StatefulSet web successful',
    ]);
    const created = ['web-0', 'web-1', 'web-2'].map((n) => pod(ctx, n) as SimPod);
    const set = setOf(ctx, 'web');
    const revision = set.status?.updateRevision ?? '';
    expect(revision).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    created.forEach((p, i) => {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({
        app: 'web',
        'statefulset.kubernetes.io/pod-name': `web-${i}`,
        'apps.kubernetes.io/pod-index': String(i),
        'controller-revision-hash': revision,
      });
      expect(p.spec?.hostname).toBe(`web-${i}`);
      expect(p.spec?.subdomain).toBe('web');
      expect(p.spec?.volumes?.[0]).toEqual({
        name: 'data',
        persistentVolumeClaim: { claimName: `data-web-${i}` },
      });
      const claim = ctx.registry.get(CLAIMS, 'default', `data-web-${i}`) as PersistentVolumeClaim &
        KubeObject;
      expect(claim.metadata.labels).toEqual({ tier: 'storage', app: 'web' });
      // Retention policy Retain/Retain: the claims have no owner and outlive the set.
      expect(claim.metadata.ownerReferences).toBeUndefined();
    });
    const revisions = ctx.registry.list(CONTROLLER_REVISIONS, { namespace: 'default' }).items;
    expect(revisions.map((r) => r.metadata.name)).toEqual([revision]);
    expect(revisions[0]?.metadata.labels).toMatchObject({
      app: 'web',
      'controller.kubernetes.io/hash': revision.slice(4),
    });
    await waitFor('steady status', () => setOf(ctx, 'web').status?.availableReplicas === 3);
    expect(setOf(ctx, 'web').status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
      availableReplicas: 3,
    });
  });

  it('recreates a deleted or failed pod under the same name', async () => {
    const { ctx } = start();
    ctx.registry.create(STATEFULSETS, 'default', statefulSet('web', 3), { manager: 'kubectl' });
    await waitFor('three ready', () => ['web-0', 'web-1', 'web-2'].every((n) => runningReady(ctx, n)));
    const first = pod(ctx, 'web-1') as SimPod;
    ctx.registry.delete(PODS, 'default', 'web-1', {});
    await waitFor(
      'web-1 back',
      () => runningReady(ctx, 'web-1') && pod(ctx, 'web-1')?.metadata.uid !== first.metadata.uid,
    );
    expect(pod(ctx, 'web-1')?.spec?.hostname).toBe('web-1');

    const second = pod(ctx, 'web-2') as SimPod;
    const failed = structuredClone(second);
    (failed as { status: SimPod['status'] }).status = { ...second.status, phase: 'Failed' };
    ctx.registry.replace(PODS, second, failed, { subresource: 'status', manager: 'kubelet' });
    await waitFor(
      'web-2 back',
      () => runningReady(ctx, 'web-2') && pod(ctx, 'web-2')?.metadata.uid !== second.metadata.uid,
    );
    expect(messages(ctx, 'RecreatingFailedPod')).toEqual([
      'StatefulSet default/web is recreating failed Pod web-2',
    ]);
    expect(podNames(ctx)).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('scales down from the highest ordinal, waiting for each pod to terminate', async () => {
    const { ctx } = start();
    ctx.registry.create(STATEFULSETS, 'default', statefulSet('web', 3), { manager: 'kubectl' });
    await waitFor('three ready', () => ['web-0', 'web-1', 'web-2'].every((n) => runningReady(ctx, n)));
    // A finalizer holds web-2 in Terminating: web-1 must wait for it.
    const held = structuredClone(pod(ctx, 'web-2') as SimPod);
    held.metadata.finalizers = ['example.com/hold'];
    ctx.registry.replace(PODS, pod(ctx, 'web-2') as SimPod, held, { manager: 'test' });

    edit(ctx, 'web', (s) => {
      (s.spec as { replicas: number }).replicas = 1;
    });
    await waitFor('web-2 terminating', () => Boolean(pod(ctx, 'web-2')?.metadata.deletionTimestamp));
    await settle(ctx, 5);
    expect(runningReady(ctx, 'web-1')).toBe(true);
    expect(messages(ctx, 'SuccessfulDelete')).toEqual(['delete Pod web-2 in StatefulSet web successful']);

    const terminating = pod(ctx, 'web-2') as SimPod;
    const released = structuredClone(terminating);
    delete released.metadata.finalizers;
    ctx.registry.replace(PODS, terminating, released, { manager: 'test' });
    await waitFor('only web-0 left', () => podNames(ctx).join() === 'web-0');
    expect(messages(ctx, 'SuccessfulDelete')).toEqual([
      'delete Pod web-2 in StatefulSet web successful',
      'delete Pod web-1 in StatefulSet web successful',
    ]);
    await waitFor('status', () => setOf(ctx, 'web').status?.replicas === 1);
    // The claims stay (whenScaled: Retain).
    expect(ctx.registry.list(CLAIMS, { namespace: 'default' }).items).toHaveLength(3);
  });

  it('Parallel creates every pod without waiting for readiness', async () => {
    const { ctx, notReady } = start();
    for (const n of ['db-0', 'db-1', 'db-2']) notReady.add(n);
    ctx.registry.create(STATEFULSETS, 'default', statefulSet('db', 3, { podManagementPolicy: 'Parallel' }), {
      manager: 'kubectl',
    });
    await waitFor('three pods', () => podNames(ctx).length === 3);
    await waitFor('status', () => setOf(ctx, 'db').status?.replicas === 3);
    expect(setOf(ctx, 'db').status).toMatchObject({ replicas: 3, availableReplicas: 0 });
    expect(setOf(ctx, 'db').status?.readyReplicas).toBeUndefined();
  });

  it('rolls a new template out from the highest ordinal down, then makes it current', async () => {
    const { ctx } = start();
    ctx.registry.create(STATEFULSETS, 'default', statefulSet('web', 3), { manager: 'kubectl' });
    await waitFor('steady', () => setOf(ctx, 'web').status?.availableReplicas === 3);
    const oldRevision = setOf(ctx, 'web').status?.currentRevision;
    edit(ctx, 'web', (s) => {
      const template = s.spec?.template as NonNullable<StatefulSet['spec']>['template'];
      template.metadata = { ...template.metadata, annotations: { rollout: '2' } };
    });
    await waitFor('rolled', () => {
      const status = setOf(ctx, 'web').status;
      return (
        status?.observedGeneration === 2 &&
        status.currentRevision === status.updateRevision &&
        status.updatedReplicas === 3 &&
        status.readyReplicas === 3
      );
    });
    const newRevision = setOf(ctx, 'web').status?.updateRevision;
    expect(newRevision).not.toBe(oldRevision);
    expect(messages(ctx, 'SuccessfulDelete')).toEqual([
      'delete Pod web-2 in StatefulSet web successful',
      'delete Pod web-1 in StatefulSet web successful',
      'delete Pod web-0 in StatefulSet web successful',
    ]);
    for (const n of ['web-0', 'web-1', 'web-2']) {
      expect(pod(ctx, n)?.metadata.labels?.['controller-revision-hash']).toBe(newRevision);
      expect(pod(ctx, n)?.metadata.annotations).toEqual({ rollout: '2' });
    }
    expect(
      ctx.registry.list(CONTROLLER_REVISIONS, { namespace: 'default' }).items.map((r) => r.revision),
    ).toEqual(expect.arrayContaining([1, 2]));
  });

  it('keeps ordinals below the partition at the current revision', async () => {
    const { ctx } = start();
    ctx.registry.create(
      STATEFULSETS,
      'default',
      statefulSet('web', 3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }),
      { manager: 'kubectl' },
    );
    await waitFor('steady', () => setOf(ctx, 'web').status?.availableReplicas === 3);
    const oldRevision = setOf(ctx, 'web').status?.currentRevision;
    edit(ctx, 'web', (s) => {
      const template = s.spec?.template as NonNullable<StatefulSet['spec']>['template'];
      template.metadata = { ...template.metadata, annotations: { rollout: '2' } };
    });
    await waitFor(
      'web-2 updated',
      () => setOf(ctx, 'web').status?.updatedReplicas === 1 && runningReady(ctx, 'web-2'),
    );
    await settle(ctx, 5);
    const status = setOf(ctx, 'web').status;
    expect(status).toMatchObject({ currentRevision: oldRevision, currentReplicas: 2, updatedReplicas: 1 });
    expect(pod(ctx, 'web-0')?.metadata.labels?.['controller-revision-hash']).toBe(oldRevision);
    expect(pod(ctx, 'web-2')?.metadata.labels?.['controller-revision-hash']).toBe(status?.updateRevision);
    // A pod below the partition that is deleted comes back at the current revision.
    ctx.registry.delete(PODS, 'default', 'web-0', { gracePeriodSeconds: 0 });
    await waitFor('web-0 back', () => runningReady(ctx, 'web-0'));
    expect(pod(ctx, 'web-0')?.metadata.labels?.['controller-revision-hash']).toBe(oldRevision);
  });
});
