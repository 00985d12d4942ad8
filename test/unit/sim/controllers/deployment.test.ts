import type { Deployment, DeploymentSpec, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Event } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { subscribe } from '../../../../src/sim/controllers/controller.ts';
import { DeploymentController } from '../../../../src/sim/controllers/deployment/deployment.ts';
import { computeHash, safeEncodeString } from '../../../../src/sim/controllers/deployment/template-hash.ts';
import { ReplicaSetController } from '../../../../src/sim/controllers/replicaset.ts';
import { DEPLOYMENTS, EVENTS, PODS, REPLICASETS } from '../../../../src/sim/kinds/resources.ts';
import { isPodActive, isPodReady, type SimPod } from '../../../../src/sim/kinds/pod.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';
import { waitFor } from '../../../support/wait.ts';

type SimDeployment = Deployment & KubeObject;
type SimRS = ReplicaSet & KubeObject;

const WORKERS = ['scars-worker', 'scars-worker2', 'scars-worker3'];
const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

interface Harness {
  ctx: SimContext;
}

/** Pods for which `notReady` answers true run but never become Ready. */
function start(timeScale = 20, notReady?: (pod: SimPod) => boolean): Harness {
  const ctx = createSimCore({ topology: defaultTopology(), timeScale });
  registerNodes(ctx);
  const components = [
    new FakeKubelet(ctx, { nodes: WORKERS, ...(notReady ? { notReady } : {}) }),
    new ReplicaSetController(ctx),
    new DeploymentController(ctx),
  ];
  for (const c of components) c.start();
  cleanups.push(() => {
    for (const c of components) c.stop();
    ctx.clock.stop();
  });
  return { ctx };
}

function deployment(name: string, spec: Partial<DeploymentSpec> = {}, image = 'nginx:1.27'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: { 'team.example.com/owner': 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image }] },
      },
      ...spec,
    },
  };
}

const get = (ctx: SimContext, name: string): SimDeployment =>
  ctx.registry.get(DEPLOYMENTS, 'default', name) as SimDeployment;

function replicaSetsOf(ctx: SimContext, d: SimDeployment): SimRS[] {
  return (ctx.registry.list(REPLICASETS, { namespace: 'default' }).items as SimRS[]).filter((rs) =>
    rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller),
  );
}

const revisionOf = (rs: SimRS): string | undefined =>
  rs.metadata.annotations?.['deployment.kubernetes.io/revision'];

function scalingEvents(ctx: SimContext, name: string): string[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as (Event & KubeObject)[])
    .filter((e) => e.involvedObject.kind === 'Deployment' && e.involvedObject.name === name)
    .filter((e) => e.reason === 'ScalingReplicaSet')
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((e) => e.message ?? '');
}

/** What kubectl rollout status waits for. */
function rolledOut(d: SimDeployment): boolean {
  const replicas = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas
  );
}

function update(ctx: SimContext, name: string, change: (d: SimDeployment) => void): void {
  const live = get(ctx, name);
  const next = structuredClone(live);
  change(next);
  ctx.registry.replace(DEPLOYMENTS, live, next);
}

const setImage = (ctx: SimContext, name: string, image: string) =>
  update(ctx, name, (d) => {
    const c = d.spec?.template.spec?.containers[0];
    if (c) c.image = image;
  });

/** Watches pods and ReplicaSets and records, after every change, the numbers a rollout must bound. */
function observe(ctx: SimContext, d: SimDeployment) {
  const seen = { minReady: Infinity, maxActive: 0, maxSpecTotal: 0 };
  const measure = () => {
    const rss = replicaSetsOf(ctx, get(ctx, d.metadata.name ?? ''));
    const uids = new Set(rss.map((rs) => rs.metadata.uid));
    const pods = (ctx.registry.list(PODS, { namespace: 'default' }).items as SimPod[]).filter((p) =>
      p.metadata.ownerReferences?.some((r) => uids.has(r.uid)),
    );
    const active = pods.filter(isPodActive);
    seen.minReady = Math.min(seen.minReady, active.filter(isPodReady).length);
    seen.maxActive = Math.max(seen.maxActive, active.length);
    seen.maxSpecTotal = Math.max(
      seen.maxSpecTotal,
      rss.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0),
    );
  };
  const stops = [subscribe(ctx.registry, PODS, measure), subscribe(ctx.registry, REPLICASETS, measure)];
  cleanups.push(() => stops.forEach((s) => s()));
  return seen;
}

describe('pod-template-hash', () => {
  it('encodes the decimal hash with SafeEncodeString and changes with the collision count', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    const template = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const hash = computeHash(template);
    expect(hash).toMatch(/^[456789bcdf]{1,10}$/);
    expect(computeHash(structuredClone(template))).toBe(hash);
    expect(computeHash(template, 1)).not.toBe(hash);
    expect(computeHash({ ...template, spec: { containers: [{ name: 'c', image: 'y' }] } })).not.toBe(hash);
  });
});

describe('DeploymentController', () => {
  it('rolls out a new Deployment: ReplicaSet, revision, status and conditions', async () => {
    const { ctx } = start();
    ctx.registry.create(DEPLOYMENTS, 'default', deployment('web'));
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const d = get(ctx, 'web');
    const [rs, ...others] = replicaSetsOf(ctx, d);
    expect(others).toHaveLength(0);
    const hash = rs?.metadata.labels?.['pod-template-hash'] ?? '';
    expect(hash).toMatch(/^[456789bcdf]+$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.spec?.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(rs?.spec?.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(rs?.metadata.annotations).toEqual({
      'team.example.com/owner': 'web',
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      // 25% of 3 rounds up to 1.
      'deployment.kubernetes.io/max-replicas': '4',
    });
    // The controller writes the revision through /status: no generation bump.
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.metadata.generation).toBe(1);
    await waitFor('complete', () =>
      Boolean(
        get(ctx, 'web').status?.conditions?.some(
          (c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
        ),
      ),
    );
    const status = get(ctx, 'web').status;
    expect(status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(status?.unavailableReplicas).toBeUndefined();
    expect(status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      [
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "web-${hash}" has successfully progressed.`,
      ],
    ]);
    expect(scalingEvents(ctx, 'web')).toEqual([`Scaled up replica set web-${hash} from 0 to 3`]);
  });

  it('rolls a template change with maxSurge=1, maxUnavailable=0 without dropping below replicas ready', async () => {
    const { ctx } = start();
    ctx.registry.create(
      DEPLOYMENTS,
      'default',
      deployment('web', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const oldRS = replicaSetsOf(ctx, get(ctx, 'web'))[0] as SimRS;
    const seen = observe(ctx, get(ctx, 'web'));
    setImage(ctx, 'web', 'nginx:1.28');
    await waitFor('rolled out again', () => {
      const d = get(ctx, 'web');
      return d.metadata.generation === 2 && rolledOut(d) && replicaSetsOf(ctx, d).length === 2;
    });
    const d = get(ctx, 'web');
    const newRS = replicaSetsOf(ctx, d).find((rs) => rs.metadata.uid !== oldRS.metadata.uid) as SimRS;
    expect(seen.minReady).toBeGreaterThanOrEqual(3);
    expect(seen.maxSpecTotal).toBe(4);
    expect(seen.maxActive).toBeLessThanOrEqual(4);
    expect(newRS.spec?.replicas).toBe(3);
    await waitFor('old scaled to 0', () => rsReplicas(ctx, oldRS) === 0);
    expect(revisionOf(newRS)).toBe('2');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const oldName = oldRS.metadata.name;
    const newName = newRS.metadata.name;
    expect(scalingEvents(ctx, 'web')).toEqual([
      `Scaled up replica set ${oldName} from 0 to 3`,
      `Scaled up replica set ${newName} from 0 to 1`,
      `Scaled down replica set ${oldName} from 3 to 2`,
      `Scaled up replica set ${newName} from 1 to 2`,
      `Scaled down replica set ${oldName} from 2 to 1`,
      `Scaled up replica set ${newName} from 2 to 3`,
      `Scaled down replica set ${oldName} from 1 to 0`,
    ]);
  });

  it('honours maxUnavailable with maxSurge=0: one pod down at a time, never more than replicas', async () => {
    const { ctx } = start();
    ctx.registry.create(
      DEPLOYMENTS,
      'default',
      deployment('web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      }),
    );
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const seen = observe(ctx, get(ctx, 'web'));
    setImage(ctx, 'web', 'nginx:1.28');
    await waitFor('rolled out again', () => {
      const d = get(ctx, 'web');
      return d.metadata.generation === 2 && rolledOut(d);
    });
    expect(seen.minReady).toBe(3);
    expect(seen.maxSpecTotal).toBe(4);
    expect(seen.maxActive).toBeLessThanOrEqual(4);
  });

  it('keeps revisionHistoryLimit old ReplicaSets and deletes older ones', async () => {
    const { ctx } = start();
    ctx.registry.create(DEPLOYMENTS, 'default', deployment('web', { replicas: 1, revisionHistoryLimit: 1 }));
    for (const [i, image] of ['nginx:1.27', 'nginx:1.28', 'nginx:1.29', 'nginx:1.30'].entries()) {
      if (i > 0) setImage(ctx, 'web', image);
      await waitFor(`revision ${i + 1} rolled out`, () => {
        const d = get(ctx, 'web');
        return d.metadata.generation === i + 1 && rolledOut(d);
      });
    }
    await waitFor('history trimmed to 1', () => replicaSetsOf(ctx, get(ctx, 'web')).length === 2);
    const revisions = replicaSetsOf(ctx, get(ctx, 'web')).map(revisionOf).sort();
    expect(revisions).toEqual(['3', '4']);
  });

  it('rolls back to an old template by reusing its ReplicaSet with a new revision', async () => {
    const { ctx } = start();
    ctx.registry.create(DEPLOYMENTS, 'default', deployment('web', { replicas: 1 }));
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const first = replicaSetsOf(ctx, get(ctx, 'web'))[0] as SimRS;
    setImage(ctx, 'web', 'nginx:1.28');
    await waitFor(
      'revision 2',
      () => get(ctx, 'web').metadata.generation === 2 && rolledOut(get(ctx, 'web')),
    );
    setImage(ctx, 'web', 'nginx:1.27');
    await waitFor(
      'revision 3',
      () => get(ctx, 'web').metadata.generation === 3 && rolledOut(get(ctx, 'web')),
    );
    const reused = ctx.registry.get(REPLICASETS, 'default', first.metadata.name ?? '') as SimRS;
    expect(reused.metadata.uid).toBe(first.metadata.uid);
    expect(revisionOf(reused)).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(get(ctx, 'web').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('Recreate: scales the old ReplicaSet to zero and starts the new one only once its pods are gone', async () => {
    const { ctx } = start(100);
    const d0 = deployment('web', { replicas: 2, strategy: { type: 'Recreate' } });
    // The old pods stay terminating until the test lets them go.
    (d0.spec?.template.metadata as { finalizers?: string[] }).finalizers = ['example.com/hold'];
    ctx.registry.create(DEPLOYMENTS, 'default', d0);
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const oldRS = replicaSetsOf(ctx, get(ctx, 'web'))[0] as SimRS;
    update(ctx, 'web', (d) => {
      const template = d.spec?.template;
      if (!template?.spec || !template.metadata) return;
      delete (template.metadata as { finalizers?: string[] }).finalizers;
      const c = template.spec.containers[0];
      if (c) c.image = 'nginx:1.28';
    });
    await waitFor('old scaled to 0', () => rsReplicas(ctx, oldRS) === 0);
    const terminating = () =>
      (ctx.registry.list(PODS, { namespace: 'default' }).items as SimPod[]).filter(
        (p) => p.metadata.deletionTimestamp,
      );
    await waitFor('old pods terminating', () => terminating().length === 2);
    // Two simulated minutes: the new ReplicaSet must not appear while old pods remain.
    await ctx.clock.sleep(120_000);
    expect(replicaSetsOf(ctx, get(ctx, 'web'))).toHaveLength(1);
    expect(get(ctx, 'web').status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False');
    for (const pod of terminating()) {
      const next = structuredClone(pod);
      delete next.metadata.finalizers;
      ctx.registry.replace(PODS, pod, next);
    }
    await waitFor('rolled out again', () => {
      const d = get(ctx, 'web');
      return d.metadata.generation === 2 && rolledOut(d);
    });
    const newRS = replicaSetsOf(ctx, get(ctx, 'web')).find((rs) => rs.metadata.uid !== oldRS.metadata.uid);
    expect(scalingEvents(ctx, 'web')).toEqual([
      `Scaled up replica set ${oldRS.metadata.name} from 0 to 2`,
      `Scaled down replica set ${oldRS.metadata.name} from 2 to 0`,
      `Scaled up replica set ${newRS?.metadata.name} from 0 to 2`,
    ]);
  });

  it('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
    const { ctx } = start(100, () => true);
    ctx.registry.create(DEPLOYMENTS, 'default', deployment('web', { progressDeadlineSeconds: 30 }));
    const createdAt = ctx.clock.now();
    await waitFor(
      'the deadline exceeded',
      () =>
        Boolean(
          get(ctx, 'web').status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'False'),
        ),
      15_000,
    );
    expect(ctx.clock.now() - createdAt).toBeGreaterThanOrEqual(30_000);
    const d = get(ctx, 'web');
    const rsName = replicaSetsOf(ctx, d)[0]?.metadata.name;
    expect(d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
      [
        'Progressing',
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
      ],
    ]);
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, unavailableReplicas: 3 });
    expect(d.status?.readyReplicas).toBeUndefined();
  });

  it('scales proportionally when resized in the middle of a stuck rollout', async () => {
    const { ctx } = start(20, (pod) => pod.spec?.containers[0]?.image === 'nginx:broken');
    ctx.registry.create(
      DEPLOYMENTS,
      'default',
      deployment('web', {
        replicas: 10,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
      }),
    );
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    const oldRS = replicaSetsOf(ctx, get(ctx, 'web'))[0] as SimRS;
    setImage(ctx, 'web', 'nginx:broken');
    const sizes = () => {
      const rss = replicaSetsOf(ctx, get(ctx, 'web'));
      const old = rss.find((rs) => rs.metadata.uid === oldRS.metadata.uid);
      const fresh = rss.find((rs) => rs.metadata.uid !== oldRS.metadata.uid);
      return [old?.spec?.replicas, fresh?.spec?.replicas];
    };
    // 10 + 3 surge: the new ReplicaSet gets 5 and the old keeps 8 (10 − 2 unavailable).
    await waitFor('the rollout stuck at 8 + 5', () => sizes().join() === '8,5');
    update(ctx, 'web', (d) => {
      (d.spec as { replicas: number }).replicas = 20;
    });
    // 20 + 3 = 23 shared 8:5 → 14 and 9.
    await waitFor('proportional sizes', () => sizes().join() === '14,9');
    const newName = replicaSetsOf(ctx, get(ctx, 'web')).find((rs) => rs.metadata.uid !== oldRS.metadata.uid)
      ?.metadata.name;
    const events = scalingEvents(ctx, 'web');
    expect(events).toContain(`Scaled up replica set ${oldRS.metadata.name} from 8 to 14`);
    expect(events).toContain(`Scaled up replica set ${newName} from 5 to 9`);
  });

  it('does not roll a paused Deployment and marks it paused', async () => {
    const { ctx } = start();
    ctx.registry.create(DEPLOYMENTS, 'default', deployment('web', { replicas: 2 }));
    await waitFor('rolled out', () => rolledOut(get(ctx, 'web')));
    update(ctx, 'web', (d) => {
      (d.spec as { paused: boolean }).paused = true;
    });
    await waitFor('paused condition', () =>
      Boolean(get(ctx, 'web').status?.conditions?.some((c) => c.reason === 'DeploymentPaused')),
    );
    expect(get(ctx, 'web').status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'Unknown',
      message: 'Deployment is paused',
    });
    setImage(ctx, 'web', 'nginx:1.28');
    update(ctx, 'web', (d) => {
      (d.spec as { replicas: number }).replicas = 3;
    });
    await waitFor('scaled while paused', () => get(ctx, 'web').status?.availableReplicas === 3);
    expect(replicaSetsOf(ctx, get(ctx, 'web'))).toHaveLength(1);
    update(ctx, 'web', (d) => {
      (d.spec as { paused: boolean }).paused = false;
    });
    await waitFor('rolled after resume', () => {
      const d = get(ctx, 'web');
      return replicaSetsOf(ctx, d).length === 2 && rolledOut(d);
    });
  });
});

function rsReplicas(ctx: SimContext, rs: SimRS): number | undefined {
  return (ctx.registry.get(REPLICASETS, 'default', rs.metadata.name ?? '') as SimRS).spec?.replicas;
}
