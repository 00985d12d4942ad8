/**
 * The kubelet's heartbeats: the node Lease renewed every 10s, node conditions reported, and the
 * `sim.scars.dev/kubelet: stopped` annotation that makes a node's kubelet go silent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { LEASES, NODES } from '../../../../src/sim/kinds/resources.ts';
import type { KubeObject, Writable } from '../../../../src/sim/object.ts';
import { waitFor } from '../../../support/wait.ts';
import {
  container,
  createPod,
  events,
  getNode,
  getPod,
  type KubeletSim,
  startKubeletSim,
  waitForPod,
} from './support.ts';

let sim: KubeletSim | undefined;
afterEach(() => {
  sim?.stop();
  sim = undefined;
});

const lease = (s: KubeletSim) =>
  s.ctx.registry.find(LEASES, 'kube-node-lease', s.node) as (Lease & KubeObject) | undefined;

function annotateNode(s: KubeletSim, annotations: Record<string, string>): void {
  const live = getNode(s);
  const next = structuredClone(live);
  next.metadata.annotations = { ...live.metadata.annotations, ...annotations };
  for (const [k, v] of Object.entries(annotations)) if (v === '') delete next.metadata.annotations[k];
  s.ctx.registry.replace(NODES, live, next, { manager: 'test' });
}

describe('kubelet: node lease and status', () => {
  it('creates the node Lease and renews it every 10s', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    await waitFor('lease', () => lease(sim as KubeletSim) !== undefined);
    const first = lease(sim) as Lease & KubeObject;
    expect(first.spec).toMatchObject({ holderIdentity: sim.node, leaseDurationSeconds: 40 });
    expect(first.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: sim.node, uid: getNode(sim).metadata.uid },
    ]);
    const t0 = Date.parse(first.spec?.renewTime ?? '');
    await waitFor('renewal', () => Date.parse(lease(sim as KubeletSim)?.spec?.renewTime ?? '') > t0);
    const gap = Date.parse(lease(sim)?.spec?.renewTime ?? '') - t0;
    expect(gap).toBeGreaterThanOrEqual(9_000);
    expect(gap).toBeLessThanOrEqual(13_000);
  });

  it('stops renewing, reporting and starting pods while annotated stopped, and catches up after', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, { metadata: { name: 'before' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    await waitForPod(sim, 'before', 'Running', (p) => !!container(p)?.state?.running);
    await waitFor('lease', () => lease(sim as KubeletSim) !== undefined);
    annotateNode(sim, { 'sim.scars.dev/kubelet': 'stopped' });
    await sim.ctx.clock.sleep(2_000);
    const frozen = lease(sim)?.spec?.renewTime;
    // What the node-lifecycle controller does to a silent node.
    const node = getNode(sim);
    const unknown = structuredClone(node) as Writable<Node> & KubeObject;
    unknown.status = {
      ...unknown.status,
      conditions: (node.status?.conditions ?? []).map((c) => ({
        ...c,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      })),
    };
    sim.ctx.registry.replace(NODES, node, unknown, {
      manager: 'kube-controller-manager',
      subresource: 'status',
    });
    createPod(sim, { metadata: { name: 'during' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    await sim.ctx.clock.sleep(60_000);
    expect(lease(sim)?.spec?.renewTime).toBe(frozen);
    expect(getPod(sim, 'during')?.status?.startTime).toBeUndefined();
    expect(getNode(sim).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    // Containers keep running on a node whose kubelet is down.
    expect(sim.kubelets.stats().runningContainers).toBe(1);

    annotateNode(sim, { 'sim.scars.dev/kubelet': '' });
    await waitFor('lease renewed again', () => lease(sim as KubeletSim)?.spec?.renewTime !== frozen);
    await waitForPod(sim, 'during', 'Running', (p) => !!container(p)?.state?.running);
    const ready = getNode(sim).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
    });
    expect(events(sim, { kind: 'Node', reason: 'NodeReady' })[0]?.message).toBe(
      `Node ${sim.node} status is now: NodeReady`,
    );
    expect(events(sim, { kind: 'Node', reason: 'NodeHasSufficientMemory' })).toHaveLength(1);
  });

  it('refreshes heartbeats only when something changed or every 5 minutes', async () => {
    sim = startKubeletSim({ timeScale: 200 });
    await waitFor('first report', () => (sim as KubeletSim).kubelets.stats().leaseRenewals >= 1);
    await sim.ctx.clock.sleep(1_000);
    const beat = () =>
      getNode(sim as KubeletSim).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    const first = beat();
    await sim.ctx.clock.sleep(60_000);
    expect(beat()).toBe(first);
    await waitFor('5-minute report', () => beat() !== first, 15_000);
    const gap = Date.parse(beat() ?? '') - Date.parse(first ?? '');
    expect(gap).toBeGreaterThanOrEqual(295_000);
    expect(gap).toBeLessThanOrEqual(315_000);
  });
});
