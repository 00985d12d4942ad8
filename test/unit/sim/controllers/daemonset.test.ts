import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Event, Node, Taint } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { subscribe } from '../../../../src/sim/controllers/controller.ts';
import { DaemonSetController } from '../../../../src/sim/controllers/daemonset.ts';
import { isPodReady, type SimPod } from '../../../../src/sim/kinds/pod.ts';
import {
  CONTROLLER_REVISIONS,
  DAEMONSETS,
  EVENTS,
  NODES,
  PODS,
} from '../../../../src/sim/kinds/resources.ts';
import { nodeObject, registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology, resolveTopology } from '../../../../src/sim/topology/load.ts';
import type { SimTopology } from '../../../../src/sim/topology/types.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';
import { waitFor } from '../../../support/wait.ts';

type SimDS = DaemonSet & KubeObject;

const WORKERS = ['scars-worker', 'scars-worker2', 'scars-worker3'];
const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function start(topology: SimTopology = defaultTopology(), withKubelet = true): SimContext {
  const ctx = createSimCore({ topology, timeScale: 20 });
  registerNodes(ctx);
  const kubelet = new FakeKubelet(ctx, { nodes: WORKERS });
  const controller = new DaemonSetController(ctx);
  if (withKubelet) kubelet.start();
  controller.start();
  cleanups.push(() => {
    controller.stop();
    kubelet.stop();
    ctx.clock.stop();
  });
  return ctx;
}

function daemonSet(
  name: string,
  spec: Partial<NonNullable<DaemonSet['spec']>> = {},
  podSpec = {},
): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'agent', image: 'registry.k8s.io/pause:3.9' }], ...podSpec },
      },
      ...spec,
    },
  };
}

const dsOf = (ctx: SimContext, name: string): SimDS => ctx.registry.get(DAEMONSETS, 'default', name) as SimDS;

function podsOf(ctx: SimContext, name: string): SimPod[] {
  const uid = dsOf(ctx, name).metadata.uid;
  return (ctx.registry.list(PODS, { namespace: 'default' }).items as SimPod[]).filter((p) =>
    p.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller),
  );
}

const liveOn = (ctx: SimContext, name: string, node: string): SimPod[] =>
  podsOf(ctx, name).filter((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp);

const nodesWithPods = (ctx: SimContext, name: string): string[] =>
  podsOf(ctx, name)
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.spec?.nodeName ?? '')
    .sort();

function eventsOf(ctx: SimContext, name: string, reason: string): Event[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as unknown as Event[]).filter(
    (e) => e.involvedObject.name === name && e.reason === reason,
  );
}

function editNode(ctx: SimContext, name: string, edit: (node: Node & KubeObject) => void): void {
  const live = ctx.registry.get(NODES, undefined, name);
  const next = structuredClone(live) as Node & KubeObject;
  edit(next);
  ctx.registry.replace(NODES, live, next, { manager: 'kubectl' });
}

const addTaint = (taint: Taint) => (node: Node & KubeObject) => {
  const spec = (node.spec ??= {});
  spec.taints = [...(spec.taints ?? []), taint];
};

const status = (ctx: SimContext, name: string) =>
  dsOf(ctx, name).status ?? ({} as NonNullable<DaemonSet['status']>);

describe('DaemonSetController', () => {
  it('creates unbound pods for the scheduler, with the node affinity, tolerations, labels and revision', async () => {
    const ctx = start(defaultTopology(), false);
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent'), { manager: 'kubectl' });
    await waitFor('three daemon pods', () => podsOf(ctx, 'agent').length === 3);

    const ds = dsOf(ctx, 'agent');
    expect(ds.metadata.annotations?.['deprecated.daemonset.template.generation']).toBe('1');
    const revisions = ctx.registry.list(CONTROLLER_REVISIONS, { namespace: 'default' })
      .items as (ControllerRevision & KubeObject)[];
    expect(revisions).toHaveLength(1);
    const revision = revisions[0] as ControllerRevision & KubeObject;
    const hash = revision.metadata.labels?.['controller-revision-hash'] ?? '';
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(revision.metadata.name).toBe(`agent-${hash}`);
    expect(revision.revision).toBe(1);
    expect(revision.data).toMatchObject({ spec: { template: { $patch: 'replace' } } });

    const targets: string[] = [];
    for (const pod of podsOf(ctx, 'agent')) {
      expect(pod.metadata.generateName).toBe('agent-');
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.metadata.labels).toEqual({
        app: 'agent',
        'controller-revision-hash': hash,
        'pod-template-generation': '1',
      });
      const terms =
        pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      expect(terms).toHaveLength(1);
      const field = terms?.[0]?.matchFields?.[0];
      expect(field).toMatchObject({ key: 'metadata.name', operator: 'In' });
      targets.push(field?.values?.[0] ?? '');
      // The daemon tolerations replace DefaultTolerationSeconds' 300s ones for not-ready/unreachable.
      expect(pod.spec?.tolerations).toEqual([
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]);
    }
    expect(targets.sort()).toEqual(WORKERS);
    const created = eventsOf(ctx, 'agent', 'SuccessfulCreate');
    expect(created.map((e) => e.message).sort()).toEqual(
      podsOf(ctx, 'agent')
        .map((p) => `Created pod: ${p.metadata.name}`)
        .sort(),
    );
    expect(created[0]?.source?.component).toBe('daemonset-controller');
    // Scheduled counts include pods meant for a node but not yet bound; none is ready.
    await waitFor('status', () => status(ctx, 'agent').currentNumberScheduled === 3);
    expect(status(ctx, 'agent')).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberUnavailable: 3,
    });
  });

  it('puts one pod on each worker, and on the control plane only when its taint is tolerated', async () => {
    const ctx = start();
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('plain'), { manager: 'kubectl' });
    ctx.registry.create(
      DAEMONSETS,
      'default',
      daemonSet(
        'everywhere',
        {},
        {
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          ],
        },
      ),
      { manager: 'kubectl' },
    );
    await waitFor('plain status', () => status(ctx, 'plain').numberReady === 3);
    await waitFor('everywhere status', () => status(ctx, 'everywhere').numberReady === 4);
    expect(nodesWithPods(ctx, 'plain')).toEqual(WORKERS);
    expect(nodesWithPods(ctx, 'everywhere')).toEqual(['scars-control-plane', ...WORKERS]);
    expect(status(ctx, 'everywhere')).toEqual({
      currentNumberScheduled: 4,
      numberMisscheduled: 0,
      desiredNumberScheduled: 4,
      numberReady: 4,
      observedGeneration: 1,
      updatedNumberScheduled: 4,
      numberAvailable: 4,
    });
  });

  it('adds a pod when a node is registered and follows node labels', async () => {
    const topology = resolveTopology({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodes: [{ role: 'control-plane' }, { role: 'worker', count: 4 }],
    });
    const late = topology.nodes.at(-1);
    const ctx = start({ ...topology, nodes: topology.nodes.slice(0, -1) });
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent'), { manager: 'kubectl' });
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('ssd', {}, { nodeSelector: { disk: 'ssd' } }), {
      manager: 'kubectl',
    });
    await waitFor('three pods', () => status(ctx, 'agent').numberReady === 3);
    expect(podsOf(ctx, 'ssd')).toHaveLength(0);

    ctx.registry.create(
      NODES,
      undefined,
      nodeObject(late as NonNullable<typeof late>, ctx.clock.timestamp()),
      {
        manager: 'kubelet',
      },
    );
    await waitFor('a pod on the new node', () => liveOn(ctx, 'agent', 'scars-worker4').length === 1);
    await waitFor('four desired', () => status(ctx, 'agent').desiredNumberScheduled === 4);

    editNode(ctx, 'scars-worker2', (n) => {
      n.metadata.labels = { ...n.metadata.labels, disk: 'ssd' };
    });
    await waitFor('an ssd pod', () => liveOn(ctx, 'ssd', 'scars-worker2').length === 1);
    editNode(ctx, 'scars-worker2', (n) => {
      delete n.metadata.labels?.disk;
    });
    await waitFor('the ssd pod gone', () => podsOf(ctx, 'ssd').length === 0);
    expect(eventsOf(ctx, 'ssd', 'SuccessfulDelete')).toHaveLength(1);
  });

  it('keeps pods on cordoned and NoSchedule-tainted nodes, and leaves nodes with untolerated NoExecute taints', async () => {
    const ctx = start();
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent'), { manager: 'kubectl' });
    await waitFor('three ready', () => status(ctx, 'agent').numberReady === 3);
    const cordoned = liveOn(ctx, 'agent', 'scars-worker2')[0] as SimPod;

    // kubectl cordon, and the unschedulable taint the node lifecycle controller adds.
    editNode(ctx, 'scars-worker2', (n) => {
      (n.spec ??= {}).unschedulable = true;
      addTaint({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })(n);
    });
    editNode(
      ctx,
      'scars-worker3',
      addTaint({ key: 'example.com/dedicated', value: 'db', effect: 'NoSchedule' }),
    );
    // The untolerated NoSchedule taint stops new pods but keeps the running one: misscheduled.
    await waitFor('worker3 no longer desired', () => status(ctx, 'agent').desiredNumberScheduled === 2);
    expect(status(ctx, 'agent')).toMatchObject({
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 2,
    });
    expect(liveOn(ctx, 'agent', 'scars-worker2').map((p) => p.metadata.uid)).toEqual([cordoned.metadata.uid]);
    expect(liveOn(ctx, 'agent', 'scars-worker3')).toHaveLength(1);

    editNode(ctx, 'scars-worker3', addTaint({ key: 'example.com/evict', effect: 'NoExecute' }));
    await waitFor('the pod on worker3 deleted', () => liveOn(ctx, 'agent', 'scars-worker3').length === 0);
    await waitFor('no misscheduled', () => status(ctx, 'agent').numberMisscheduled === 0);
    expect(liveOn(ctx, 'agent', 'scars-worker2')).toHaveLength(1);
  });

  it('replaces a failed pod after its backoff', async () => {
    const ctx = start();
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent'), { manager: 'kubectl' });
    await waitFor('three ready', () => status(ctx, 'agent').numberReady === 3);
    const victim = liveOn(ctx, 'agent', 'scars-worker')[0] as SimPod;
    const next = structuredClone(victim);
    (next as { status: SimPod['status'] }).status = { ...victim.status, phase: 'Failed', reason: 'Evicted' };
    ctx.registry.replace(PODS, victim, next, { subresource: 'status', manager: 'kubelet' });

    await waitFor('a new pod on the node', () =>
      liveOn(ctx, 'agent', 'scars-worker').some(
        (p) => p.metadata.uid !== victim.metadata.uid && isPodReady(p),
      ),
    );
    expect(podsOf(ctx, 'agent').some((p) => p.metadata.uid === victim.metadata.uid)).toBe(false);
    expect(eventsOf(ctx, 'agent', 'FailedDaemonPod').map((e) => [e.type, e.message])).toEqual([
      [
        'Warning',
        `Found failed daemon pod default/${victim.metadata.name} on node scars-worker, will try to kill it`,
      ],
    ]);
  });

  it('rolls a template change out one node at a time (maxUnavailable 1)', async () => {
    const ctx = start();
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent'), { manager: 'kubectl' });
    await waitFor('three ready', () => status(ctx, 'agent').numberReady === 3);
    const oldHash = podsOf(ctx, 'agent')[0]?.metadata.labels?.['controller-revision-hash'];

    // Watch the pods: the number that are ready and not deleting must never fall below 2.
    const seen = new Map<string, SimPod>();
    let fewestReady = Infinity;
    const stopWatch = subscribe(ctx.registry, PODS, (type, event) => {
      const pod = event.object as SimPod;
      if (type === 'DELETED') seen.delete(pod.metadata.name ?? '');
      else seen.set(pod.metadata.name ?? '', pod);
      const ready = [...seen.values()].filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp).length;
      if (seen.size > 0) fewestReady = Math.min(fewestReady, ready);
    });
    cleanups.push(stopWatch);
    for (const pod of podsOf(ctx, 'agent')) seen.set(pod.metadata.name ?? '', pod);

    const live = dsOf(ctx, 'agent');
    const edited = structuredClone(live);
    const template = edited.spec?.template as NonNullable<DaemonSet['spec']>['template'];
    template.metadata = { ...template.metadata, annotations: { rollout: '2' } };
    ctx.registry.replace(DAEMONSETS, live, edited, { manager: 'kubectl' });

    await waitFor('all pods updated and ready', () => {
      const s = status(ctx, 'agent');
      return s.observedGeneration === 2 && s.updatedNumberScheduled === 3 && s.numberReady === 3;
    });
    const pods = podsOf(ctx, 'agent').filter((p) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(3);
    const newHash = pods[0]?.metadata.labels?.['controller-revision-hash'];
    expect(newHash).not.toBe(oldHash);
    for (const pod of pods) {
      expect(pod.metadata.labels?.['pod-template-generation']).toBe('2');
      expect(pod.metadata.labels?.['controller-revision-hash']).toBe(newHash);
      expect(pod.metadata.annotations).toEqual({ rollout: '2' });
    }
    expect(dsOf(ctx, 'agent').metadata.annotations?.['deprecated.daemonset.template.generation']).toBe('2');
    const revisions = (
      ctx.registry.list(CONTROLLER_REVISIONS, { namespace: 'default' }).items as (ControllerRevision &
        KubeObject)[]
    )
      .map((r) => r.revision)
      .sort();
    expect(revisions).toEqual([1, 2]);
    expect(fewestReady).toBe(2);
    expect(eventsOf(ctx, 'agent', 'SuccessfulDelete')).toHaveLength(3);
  });

  it('OnDelete leaves old pods until they are deleted', async () => {
    const ctx = start();
    ctx.registry.create(DAEMONSETS, 'default', daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }), {
      manager: 'kubectl',
    });
    await waitFor('three ready', () => status(ctx, 'agent').numberReady === 3);
    const live = dsOf(ctx, 'agent');
    const edited = structuredClone(live);
    const template = edited.spec?.template as NonNullable<DaemonSet['spec']>['template'];
    template.metadata = { ...template.metadata, annotations: { rollout: '2' } };
    ctx.registry.replace(DAEMONSETS, live, edited, { manager: 'kubectl' });
    await waitFor('observed', () => status(ctx, 'agent').observedGeneration === 2);
    expect(status(ctx, 'agent').updatedNumberScheduled).toBeUndefined();

    const old = liveOn(ctx, 'agent', 'scars-worker3')[0] as SimPod;
    ctx.registry.delete(PODS, 'default', old.metadata.name ?? '', { gracePeriodSeconds: 0 });
    await waitFor('one updated pod', () => status(ctx, 'agent').updatedNumberScheduled === 1);
    expect(liveOn(ctx, 'agent', 'scars-worker3')[0]?.metadata.labels?.['pod-template-generation']).toBe('2');
    expect(liveOn(ctx, 'agent', 'scars-worker')[0]?.metadata.labels?.['pod-template-generation']).toBe('1');
  });
});
