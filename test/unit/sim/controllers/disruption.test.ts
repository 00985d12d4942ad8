/** The disruption controller keeps PodDisruptionBudget status as kube-controller-manager does. */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { describe, expect, it } from 'vitest';
import type { SimContext } from '../../../../src/sim/context.ts';
import {
  DisruptionController,
  formatLabelSelector,
  scaledValue,
} from '../../../../src/sim/controllers/disruption.ts';
import { controllerRefTo } from '../../../../src/sim/kinds/pod.ts';
import { DEPLOYMENTS, EVENTS, PDBS, PODS, REPLICASETS } from '../../../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { type ControllerHarness, controllerFixture } from '../../../support/controller-fixture.ts';
import { waitFor } from '../../../support/wait.ts';

type SimPDB = PodDisruptionBudget & KubeObject;

const { start: startController } = controllerFixture();

function start(timeScale = 100): ControllerHarness {
  return startController((ctx) => new DisruptionController(ctx), timeScale);
}

function createPod(ctx: SimContext, name: string, labels: Record<string, string>, owner?: KubeObject): void {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ...(owner ? { ownerReferences: [controllerRefTo(owner)] } : {}) },
    spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
  };
  ctx.registry.create(PODS, 'default', pod);
}

function createPdb(ctx: SimContext, name: string, spec: NonNullable<PodDisruptionBudget['spec']>): void {
  ctx.registry.create(
    PDBS,
    'default',
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec,
    },
    { manager: 'kubectl-create' },
  );
}

const pdbOf = (ctx: SimContext, name: string): SimPDB => ctx.registry.get(PDBS, 'default', name) as SimPDB;
const statusOf = (ctx: SimContext, name: string) => pdbOf(ctx, name).status;

function readyPods(ctx: SimContext, n: number): boolean {
  return (
    (ctx.registry.list(PODS, { namespace: 'default' }).items as Pod[]).filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length === n
  );
}

function eventsFor(ctx: SimContext, reason: string): Event[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as unknown as Event[]).filter(
    (e) => e.reason === reason,
  );
}

/** What the eviction subresource does once the budget allows it (eviction.go checkAndDecrement). */
function evictThroughBudget(ctx: SimContext, pdbName: string, podName: string, deletePod: boolean): void {
  const pdb = pdbOf(ctx, pdbName);
  const next = structuredClone(pdb);
  const status = next.status as NonNullable<PodDisruptionBudget['status']> & { disruptionsAllowed: number };
  status.disruptionsAllowed -= 1;
  (status as { disruptedPods?: Record<string, string> }).disruptedPods = {
    ...status.disruptedPods,
    [podName]: ctx.clock.timestamp(),
  };
  ctx.registry.replace(PDBS, pdb, next, { subresource: 'status' });
  if (deletePod) ctx.registry.delete(PODS, 'default', podName);
}

describe('disruption controller', () => {
  it('minAvailable 2 over 3 ready pods allows 1 disruption, with the DisruptionAllowed condition', async () => {
    const { ctx } = start();
    for (const n of ['web-a', 'web-b', 'web-c']) createPod(ctx, n, { app: 'web' });
    await waitFor('3 ready pods', () => readyPods(ctx, 3));
    createPdb(ctx, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    await waitFor('status', () => statusOf(ctx, 'web')?.currentHealthy === 3);
    const status = statusOf(ctx, 'web');
    expect(status).toMatchObject({
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
    });
    expect(status?.disruptedPods).toBeUndefined();
    expect(status?.conditions).toEqual([
      {
        type: 'DisruptionAllowed',
        status: 'True',
        observedGeneration: 1,
        lastTransitionTime: expect.any(String),
        reason: 'SufficientPods',
        message: '',
      },
    ]);
  });

  it('a pod turning not ready lowers currentHealthy and closes the budget', async () => {
    const { ctx, kubelet, notReady } = start();
    for (const n of ['web-a', 'web-b', 'web-c']) createPod(ctx, n, { app: 'web' });
    createPdb(ctx, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    await waitFor('1 allowed', () => statusOf(ctx, 'web')?.disruptionsAllowed === 1);
    notReady.add('web-b');
    kubelet.refresh('default', 'web-b');
    await waitFor('currentHealthy 2', () => statusOf(ctx, 'web')?.currentHealthy === 2);
    expect(statusOf(ctx, 'web')).toMatchObject({ disruptionsAllowed: 0, desiredHealthy: 2, expectedPods: 3 });
    expect(statusOf(ctx, 'web')?.conditions?.[0]).toMatchObject({
      type: 'DisruptionAllowed',
      status: 'False',
      reason: 'InsufficientPods',
    });
  });

  it('maxUnavailable 50% of a 5-replica Deployment: expected 5, desired 2, allowed 3', async () => {
    const { ctx } = start();
    const template = {
      metadata: { labels: { app: 'api' } },
      spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
    };
    const deployment = ctx.registry.create(DEPLOYMENTS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { replicas: 5, selector: { matchLabels: { app: 'api' } }, template },
    } satisfies Deployment);
    const rs = ctx.registry.create(REPLICASETS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'api-5d4f8', ownerReferences: [controllerRefTo(deployment)] },
      // The ReplicaSet's own count must not be what the budget uses.
      spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template },
    } satisfies ReplicaSet);
    for (let i = 0; i < 5; i++) createPod(ctx, `api-${i}`, { app: 'api' }, rs);
    await waitFor('5 ready pods', () => readyPods(ctx, 5));
    createPdb(ctx, 'api', { maxUnavailable: '50%', selector: { matchLabels: { app: 'api' } } });
    await waitFor('status', () => statusOf(ctx, 'api')?.expectedPods === 5);
    expect(statusOf(ctx, 'api')).toMatchObject({
      currentHealthy: 5,
      desiredHealthy: 2,
      expectedPods: 5,
      disruptionsAllowed: 3,
    });
  });

  it('an eviction is recomputed: the evicted pod drops out of disruptedPods once it is gone', async () => {
    const { ctx } = start();
    for (const n of ['web-a', 'web-b', 'web-c', 'web-d']) createPod(ctx, n, { app: 'web' });
    createPdb(ctx, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    await waitFor('2 allowed', () => statusOf(ctx, 'web')?.disruptionsAllowed === 2);
    evictThroughBudget(ctx, 'web', 'web-a', true);
    await waitFor('web-a gone', () => !ctx.registry.find(PODS, 'default', 'web-a'));
    await waitFor('recomputed', () => statusOf(ctx, 'web')?.expectedPods === 3);
    expect(statusOf(ctx, 'web')).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1, expectedPods: 3 });
    expect(statusOf(ctx, 'web')?.disruptedPods).toBeUndefined();
  });

  it('an evicted pod that is not deleted counts as disrupted for 2 minutes, then NotDeleted', async () => {
    const { ctx } = start(200);
    for (const n of ['web-a', 'web-b', 'web-c']) createPod(ctx, n, { app: 'web' });
    createPdb(ctx, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await waitFor('2 allowed', () => statusOf(ctx, 'web')?.disruptionsAllowed === 2);
    const evictedAt = ctx.clock.now();
    evictThroughBudget(ctx, 'web', 'web-a', false);
    await waitFor('web-a not healthy', () => statusOf(ctx, 'web')?.currentHealthy === 2);
    expect(statusOf(ctx, 'web')?.disruptedPods).toHaveProperty('web-a');
    expect(statusOf(ctx, 'web')?.disruptionsAllowed).toBe(1);
    await waitFor('entry expired', () => statusOf(ctx, 'web')?.currentHealthy === 3, 10_000);
    // DeletionTimeout is 2 minutes from the (second-precision) eviction time.
    expect(ctx.clock.now() - evictedAt).toBeGreaterThanOrEqual(119_000);
    expect(statusOf(ctx, 'web')?.disruptedPods).toBeUndefined();
    const notDeleted = eventsFor(ctx, 'NotDeleted');
    expect(notDeleted).toHaveLength(1);
    expect(notDeleted[0]).toMatchObject({
      type: 'Warning',
      message: "Pod was expected by PDB default/default to be deleted but it wasn't",
      involvedObject: { kind: 'Pod', name: 'web-a' },
      source: { component: 'controllermanager' },
    });
  });

  it('percentages over unmanaged pods warn UnmanagedPods and allow nothing', async () => {
    const { ctx } = start();
    for (const n of ['solo-a', 'solo-b']) createPod(ctx, n, { app: 'solo' });
    await waitFor('2 ready pods', () => readyPods(ctx, 2));
    createPdb(ctx, 'solo', { minAvailable: '50%', selector: { matchLabels: { app: 'solo' } } });
    await waitFor('status', () => statusOf(ctx, 'solo')?.currentHealthy === 2);
    expect(statusOf(ctx, 'solo')).toMatchObject({
      expectedPods: 0,
      desiredHealthy: 0,
      disruptionsAllowed: 0,
    });
    const [warning] = eventsFor(ctx, 'UnmanagedPods');
    expect(warning?.message).toBe(
      'Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: solo,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
    );
  });

  it('a controller that cannot be found fails the sync safe (SyncFailed, nothing allowed)', async () => {
    const { ctx } = start();
    const rs = ctx.registry.create(REPLICASETS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'gone' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'gone' } },
        template: {
          metadata: { labels: { app: 'gone' } },
          spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }] },
        },
      },
    } satisfies ReplicaSet);
    createPod(ctx, 'gone-a', { app: 'gone' }, rs);
    ctx.registry.delete(REPLICASETS, 'default', 'gone');
    createPdb(ctx, 'gone', { maxUnavailable: 1, selector: { matchLabels: { app: 'gone' } } });
    await waitFor('condition', () => statusOf(ctx, 'gone')?.conditions !== undefined);
    expect(statusOf(ctx, 'gone')?.disruptionsAllowed).toBe(0);
    expect(statusOf(ctx, 'gone')?.conditions?.[0]).toMatchObject({
      type: 'DisruptionAllowed',
      status: 'False',
      reason: 'SyncFailed',
      message: 'found no controllers for pod "gone-a"',
    });
    expect(eventsFor(ctx, 'CalculateExpectedPodCountFailed')[0]?.message).toBe(
      'Failed to calculate the number of expected pods: found no controllers for pod "gone-a"',
    );
  });

  it('writes status only when it changes', async () => {
    const { ctx } = start();
    for (const n of ['web-a', 'web-b']) createPod(ctx, n, { app: 'web' });
    createPdb(ctx, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await waitFor('1 allowed', () => statusOf(ctx, 'web')?.disruptionsAllowed === 1);
    const rv = pdbOf(ctx, 'web').metadata.resourceVersion;
    // A label change that the budget does not care about wakes the controller but changes nothing.
    const pod = ctx.registry.get(PODS, 'default', 'web-a');
    ctx.registry.replace(PODS, pod, {
      ...structuredClone(pod),
      metadata: { ...pod.metadata, labels: { app: 'web', x: 'y' } },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(pdbOf(ctx, 'web').metadata.resourceVersion).toBe(rv);
    expect(
      pdbOf(ctx, 'web').metadata.managedFields?.some(
        (f) => f.manager === 'kube-controller-manager' && f.subresource === 'status',
      ),
    ).toBe(true);
  });
});

describe('disruption arithmetic', () => {
  it('rounds percentages up', () => {
    expect(scaledValue('50%', 5, true)).toBe(3);
    expect(scaledValue('34%', 3, true)).toBe(2);
    expect(scaledValue(2, 10, true)).toBe(2);
    expect(() => scaledValue('5', 10, true)).toThrow('string is not a percentage');
  });

  it('prints selectors as the generated String() does', () => {
    expect(
      formatLabelSelector({
        matchLabels: { b: '2', a: '1' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }],
      }),
    ).toBe(
      '&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[x y],},},}',
    );
  });
});
