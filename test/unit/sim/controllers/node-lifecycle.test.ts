/** Node lifecycle: condition taints, cordon, lost kubelets and NoExecute taint eviction. */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Node, NodeCondition, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { NodeLifecycleController } from '../../../../src/sim/controllers/node-lifecycle.ts';
import { matchingTolerations, minTolerationMs } from '../../../../src/sim/controllers/taint-eviction.ts';
import { EVENTS, LEASES, NODES, PODS } from '../../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';
import { waitFor } from '../../../support/wait.ts';

type SimNode = Node & KubeObject;
type SimPod = Pod & KubeObject;

const NODE_NAMES = ['scars-control-plane', 'scars-worker', 'scars-worker2', 'scars-worker3'];
const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

interface Harness {
  ctx: SimContext;
  /** Nodes whose Lease keeps being renewed every 10s (as a kubelet's would). */
  alive: Set<string>;
}

function start(timeScale = 100, podNode = 'scars-worker'): Harness {
  const ctx = createSimCore({ topology: defaultTopology(), timeScale });
  registerNodes(ctx);
  const alive = new Set(NODE_NAMES);
  for (const name of NODE_NAMES) {
    ctx.registry.create(
      LEASES,
      'kube-node-lease',
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease' },
        spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: ctx.clock.microTimestamp() },
      } satisfies Lease,
      { manager: 'kubelet' },
    );
  }
  let renewal: NodeJS.Timeout | undefined;
  const renew = () => {
    for (const name of alive) {
      const live = ctx.registry.get(LEASES, 'kube-node-lease', name) as Lease & KubeObject;
      const next = structuredClone(live);
      (next.spec as { renewTime?: string }).renewTime = ctx.clock.microTimestamp();
      ctx.registry.replace(LEASES, live, next, { manager: 'kubelet' });
    }
    renewal = ctx.clock.setTimeout(renew, 10_000);
  };
  renewal = ctx.clock.setTimeout(renew, 10_000);
  const kubelet = new FakeKubelet(ctx, { nodes: [podNode] });
  const controller = new NodeLifecycleController(ctx);
  kubelet.start();
  controller.start();
  cleanups.push(() => {
    controller.stop();
    kubelet.stop();
    if (renewal) ctx.clock.clearTimeout(renewal);
    ctx.clock.stop();
  });
  return { ctx, alive };
}

const nodeOf = (ctx: SimContext, name: string): SimNode =>
  ctx.registry.get(NODES, undefined, name) as SimNode;
const taintsOf = (ctx: SimContext, name: string): Taint[] => nodeOf(ctx, name).spec?.taints ?? [];
const hasTaint = (ctx: SimContext, name: string, key: string, effect: string): boolean =>
  taintsOf(ctx, name).some((t) => t.key === key && t.effect === effect);
const condition = (ctx: SimContext, name: string, type: string): NodeCondition | undefined =>
  nodeOf(ctx, name).status?.conditions?.find((c) => c.type === type);
const podOf = (ctx: SimContext, name: string) =>
  ctx.registry.find(PODS, 'default', name) as SimPod | undefined;

function events(ctx: SimContext, reason: string): Event[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as unknown as Event[]).filter(
    (e) => e.reason === reason,
  );
}

function editNode(
  ctx: SimContext,
  name: string,
  edit: (node: SimNode) => void,
  subresource?: 'status',
): void {
  const live = nodeOf(ctx, name);
  const next = structuredClone(live);
  edit(next);
  ctx.registry.replace(NODES, live, next, {
    manager: subresource ? 'kubelet' : 'kubectl-edit',
    ...(subresource ? { subresource } : {}),
  });
}

function setCondition(ctx: SimContext, name: string, type: string, status: string, reason: string): void {
  editNode(
    ctx,
    name,
    (node) => {
      const now = ctx.clock.timestamp();
      const conditions = (node.status?.conditions ?? []).map((c) =>
        c.type === type
          ? { ...c, status, reason, lastHeartbeatTime: now, lastTransitionTime: now }
          : { ...c, lastHeartbeatTime: now },
      );
      (node.status as { conditions?: NodeCondition[] }).conditions = conditions;
    },
    'status',
  );
}

function createPod(
  ctx: SimContext,
  name: string,
  tolerations: Toleration[] = [],
  finalizers: string[] = [],
): void {
  ctx.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(finalizers.length > 0 ? { finalizers } : {}) },
    spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }], tolerations },
  } satisfies Pod);
}

const isReady = (pod: SimPod | undefined): boolean =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('node lifecycle: taints by condition', () => {
  it('cordon adds node.kubernetes.io/unschedulable:NoSchedule, uncordon removes it, other taints stay', async () => {
    const { ctx } = start();
    editNode(ctx, 'scars-worker', (n) => {
      (n.spec as { taints?: Taint[] }).taints = [
        { key: 'example.com/dedicated', value: 'db', effect: 'NoSchedule' },
      ];
    });
    editNode(ctx, 'scars-worker', (n) => {
      (n.spec as { unschedulable?: boolean }).unschedulable = true;
    });
    await waitFor('unschedulable taint', () =>
      hasTaint(ctx, 'scars-worker', 'node.kubernetes.io/unschedulable', 'NoSchedule'),
    );
    expect(taintsOf(ctx, 'scars-worker')).toEqual([
      { key: 'example.com/dedicated', value: 'db', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: expect.any(String) },
    ]);
    editNode(ctx, 'scars-worker', (n) => {
      delete (n.spec as { unschedulable?: boolean }).unschedulable;
    });
    await waitFor(
      'taint removed',
      () => !hasTaint(ctx, 'scars-worker', 'node.kubernetes.io/unschedulable', 'NoSchedule'),
    );
    expect(taintsOf(ctx, 'scars-worker')).toEqual([
      { key: 'example.com/dedicated', value: 'db', effect: 'NoSchedule' },
    ]);
    // The control plane's own taint is untouched.
    expect(taintsOf(ctx, 'scars-control-plane')).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
  });

  it('MemoryPressure=True adds node.kubernetes.io/memory-pressure:NoSchedule until it clears', async () => {
    const { ctx } = start();
    setCondition(ctx, 'scars-worker2', 'MemoryPressure', 'True', 'KubeletHasInsufficientMemory');
    await waitFor('memory-pressure taint', () =>
      hasTaint(ctx, 'scars-worker2', 'node.kubernetes.io/memory-pressure', 'NoSchedule'),
    );
    setCondition(ctx, 'scars-worker2', 'DiskPressure', 'True', 'KubeletHasDiskPressure');
    await waitFor('disk-pressure taint', () =>
      hasTaint(ctx, 'scars-worker2', 'node.kubernetes.io/disk-pressure', 'NoSchedule'),
    );
    setCondition(ctx, 'scars-worker2', 'MemoryPressure', 'False', 'KubeletHasSufficientMemory');
    await waitFor(
      'memory-pressure taint gone',
      () => !hasTaint(ctx, 'scars-worker2', 'node.kubernetes.io/memory-pressure', 'NoSchedule'),
    );
    expect(taintsOf(ctx, 'scars-worker2').map((t) => t.key)).toEqual(['node.kubernetes.io/disk-pressure']);
  });
});

describe('node lifecycle: a kubelet that stops reporting', () => {
  it('goes Unknown, gets unreachable taints, and its pods are evicted by their tolerations', async () => {
    const { ctx, alive } = start(100);
    createPod(ctx, 'at-once', [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 0,
      },
    ]);
    // Default admission gives this one 300s for not-ready and unreachable.
    createPod(ctx, 'five-minutes', [], ['example.com/hold']);
    // A DaemonSet pod tolerates them for ever.
    createPod(ctx, 'daemon', [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ]);
    await waitFor('pods ready', () =>
      ['at-once', 'five-minutes', 'daemon'].every((n) => isReady(podOf(ctx, n))),
    );
    expect(podOf(ctx, 'five-minutes')?.spec?.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    });

    const lost = ctx.clock.now();
    alive.delete('scars-worker');
    await waitFor(
      'Ready Unknown',
      () => condition(ctx, 'scars-worker', 'Ready')?.status === 'Unknown',
      15_000,
    );
    const silentFor = ctx.clock.now() - lost;
    // node-monitor-grace-period 50s after the last renewal (≤ 10s before `lost`), seen by a 5s monitor pass.
    expect(silentFor).toBeGreaterThanOrEqual(40_000);
    expect(silentFor).toBeLessThan(70_000);
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(condition(ctx, 'scars-worker', type)).toMatchObject({
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      });
    }
    // The other nodes keep renewing and stay Ready.
    expect(condition(ctx, 'scars-worker2', 'Ready')?.status).toBe('True');
    expect(events(ctx, 'NodeNotReady').find((e) => e.involvedObject.kind === 'Node')).toMatchObject({
      type: 'Normal',
      message: 'Node scars-worker status is now: NodeNotReady',
      source: { component: 'node-controller' },
    });
    await waitFor('pods marked not ready', () => !isReady(podOf(ctx, 'daemon')));
    expect(events(ctx, 'NodeNotReady').find((e) => e.involvedObject.name === 'daemon')).toMatchObject({
      type: 'Warning',
      message: 'Node is not ready',
    });

    await waitFor(
      'unreachable taints',
      () =>
        hasTaint(ctx, 'scars-worker', 'node.kubernetes.io/unreachable', 'NoExecute') &&
        hasTaint(ctx, 'scars-worker', 'node.kubernetes.io/unreachable', 'NoSchedule'),
    );
    const noExecute = taintsOf(ctx, 'scars-worker').find((t) => t.effect === 'NoExecute') as Taint;
    const taintedAt = Date.parse(noExecute.timeAdded ?? '');
    await waitFor('at-once deleted', () => podOf(ctx, 'at-once') === undefined);
    expect(ctx.clock.now() - taintedAt).toBeLessThan(30_000);
    expect(events(ctx, 'TaintManagerEviction').map((e) => e.message)).toContain(
      'Marking for deletion Pod default/at-once',
    );
    expect(podOf(ctx, 'five-minutes')?.metadata.deletionTimestamp).toBeUndefined();

    await waitFor(
      'five-minutes deleted',
      () => podOf(ctx, 'five-minutes')?.metadata.deletionTimestamp !== undefined,
      15_000,
    );
    const marked = podOf(ctx, 'five-minutes')?.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    expect(marked).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    const waited = Date.parse(marked?.lastTransitionTime ?? '') - taintedAt;
    expect(waited).toBeGreaterThanOrEqual(299_000);
    expect(waited).toBeLessThan(310_000);
    expect(podOf(ctx, 'daemon')?.metadata.deletionTimestamp).toBeUndefined();

    // The kubelet comes back: it renews and posts Ready; the controller lifts its taints.
    alive.add('scars-worker');
    setCondition(ctx, 'scars-worker', 'Ready', 'True', 'KubeletReady');
    await waitFor('taints lifted', () => taintsOf(ctx, 'scars-worker').length === 0, 15_000);
    expect(podOf(ctx, 'daemon')?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('evicts pods that do not tolerate a NoExecute taint at once, and cancels a timed one when it goes', async () => {
    const { ctx } = start(100);
    createPod(ctx, 'intolerant');
    createPod(ctx, 'patient', [
      { key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 },
    ]);
    await waitFor('pods ready', () => isReady(podOf(ctx, 'intolerant')) && isReady(podOf(ctx, 'patient')));
    editNode(ctx, 'scars-worker', (n) => {
      (n.spec as { taints?: Taint[] }).taints = [{ key: 'example.com/maintenance', effect: 'NoExecute' }];
    });
    await waitFor('intolerant deleted', () => podOf(ctx, 'intolerant') === undefined);
    expect(podOf(ctx, 'patient')).toBeDefined();
    editNode(ctx, 'scars-worker', (n) => {
      delete (n.spec as { taints?: Taint[] }).taints;
    });
    await waitFor('cancelled', () =>
      events(ctx, 'TaintManagerEviction').some(
        (e) => e.message === 'Cancelling deletion of Pod default/patient',
      ),
    );
    const cancel = events(ctx, 'TaintManagerEviction').find((e) => e.involvedObject.name === 'patient');
    expect(cancel?.source).toEqual({ component: 'taint-eviction-controller' });
    expect(podOf(ctx, 'patient')?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('registers nodes and does not taint when every node is down (full disruption)', async () => {
    const { ctx, alive } = start(100);
    await waitFor('registered', () => events(ctx, 'RegisteredNode').length === 4);
    expect(events(ctx, 'RegisteredNode').find((e) => e.involvedObject.name === 'scars-worker')?.message).toBe(
      'Node scars-worker event: Registered Node scars-worker in Controller',
    );
    alive.clear();
    await waitFor(
      'all Unknown',
      () => NODE_NAMES.every((n) => condition(ctx, n, 'Ready')?.status === 'Unknown'),
      15_000,
    );
    // Several monitor passes later, still no NoExecute taint anywhere.
    const until = ctx.clock.now() + 30_000;
    await waitFor('time passes', () => ctx.clock.now() > until, 10_000);
    for (const n of NODE_NAMES) expect(taintsOf(ctx, n).filter((t) => t.effect === 'NoExecute')).toEqual([]);
    // The NoSchedule mirror of the Ready condition is there.
    expect(hasTaint(ctx, 'scars-worker', 'node.kubernetes.io/unreachable', 'NoSchedule')).toBe(true);
  });
});

describe('toleration arithmetic', () => {
  const taint: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

  it('matches tolerations as ToleratesTaint does', () => {
    expect(matchingTolerations([taint], [{ operator: 'Exists' }]).allTolerated).toBe(true);
    expect(
      matchingTolerations(
        [taint],
        [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', operator: 'Exists' }],
      ).allTolerated,
    ).toBe(false);
    expect(
      matchingTolerations([{ ...taint, value: 'x' }], [{ key: taint.key, value: 'x' }]).allTolerated,
    ).toBe(true);
    expect(matchingTolerations([taint], []).allTolerated).toBe(false);
  });

  it('takes the shortest tolerationSeconds; none means for ever, ≤ 0 means now', () => {
    expect(minTolerationMs([{ tolerationSeconds: 300 }, { tolerationSeconds: 60 }])).toBe(60_000);
    expect(minTolerationMs([{ operator: 'Exists' }])).toBe(-1);
    expect(minTolerationMs([{ tolerationSeconds: 0 }, { tolerationSeconds: 60 }])).toBe(0);
  });
});
