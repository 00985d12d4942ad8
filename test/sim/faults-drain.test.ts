/**
 * The node-drain fault against the simulated cluster (default topology, time scale 20), through the
 * harness's journalled client as the runner gives it: it cordons through a journalled patch, evicts
 * the run's pods on the node through the eviction API (429 retried every 5 s of cluster time until
 * its timeout), leaves DaemonSet pods and other namespaces alone, refuses unmanaged pods as kubectl
 * does, reports not-observed when there was nothing to drain, and revert uncordons.
 */
import type { V1DaemonSet, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DrainResult,
  EVICTION_RETRY_MS,
  type EvictionRecord,
  nodeDrain,
  nodeHostingMost,
} from '../../src/faults/node-drain.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import { agentContainer, deployment } from '../../src/workloads/agent.ts';
import { type FaultSim, type Recorded, ready, startFaultSim, until } from '../support/fault-harness.ts';

const NODE = 'scars-worker';

let sim: FaultSim;

beforeAll(async () => {
  sim = await startFaultSim('faults-drain');
}, 60_000);

afterAll(() => sim?.dispose());

const nodeOf = (name: string) => sim.api.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name });

/** A Deployment of agent `serve` pods pinned to one node, all Ready. */
async function deployOn(ctx: RunContext, name: string, replicas: number): Promise<V1Pod[]> {
  const d = deployment({
    name,
    replicas,
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      containers: [agentContainer(ctx, { name: 'serve', args: ['serve', '--stats-interval', '0s'] })],
    },
  });
  d.metadata = { ...d.metadata, namespace: ctx.namespace };
  await sim.api.create(d);
  return until(
    `${name} Ready`,
    () => sim.podsOf(ctx.namespace, `app=${name}`),
    (pods) => pods.length === replicas && pods.every(ready),
  );
}

const evictions = (records: Recorded[]) =>
  records
    .filter((r) => r.event === 'eviction')
    .map((r) => ({ t: r.t, ...(r.detail as unknown as EvictionRecord) }));
const resultOf = (records: Recorded[]) =>
  records.find((r) => r.event === 'drain-result')?.detail as unknown as DrainResult;

describe('nodeDrain', () => {
  it('cordons, evicts the run pods on the node, skips DaemonSet pods and other namespaces; revert uncordons', async () => {
    const { ctx, records, revert } = await sim.context('drain-all', { nodes: 'any' });
    const before = await deployOn(ctx, 'web', 2);
    const ds: V1DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'drain-all' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            containers: [agentContainer(ctx, { name: 'a', args: ['serve', '--stats-interval', '0s'] })],
          },
        },
      },
    };
    await sim.api.create(ds);
    await until(
      'the DaemonSet pod on the node',
      () => sim.podsOf('drain-all', 'app=agent'),
      (p) => p.some((x) => x.spec?.nodeName === NODE),
    );
    // A workload of another team on the same node: a real `kubectl drain` would evict it too.
    const other = await sim.context('drain-other', { nodes: 'any' });
    await deployOn(other.ctx, 'theirs', 1);
    const elsewhere = (
      await sim.api.list<V1Pod>('v1', 'Pod', { fieldSelector: `spec.nodeName=${NODE}` })
    ).filter((p) => p.metadata?.namespace !== 'drain-all');
    expect(elsewhere.map((p) => p.metadata?.namespace)).toContain('drain-other');

    const fault = nodeDrain({ node: nodeHostingMost('app=web'), timeout: '60s' });
    await fault.inject(ctx);

    expect((await nodeOf(NODE))?.spec?.unschedulable).toBe(true);
    expect(records[0]).toMatchObject({ event: 'node-cordoned', detail: { node: NODE } });
    const ev = evictions(records);
    expect(ev.map((e) => e.pod).sort()).toEqual(before.map((p) => p.metadata?.name).sort());
    expect(ev.every((e) => e.outcome === 'evicted' && e.code === 201 && e.attempt === 1)).toBe(true);
    const result = resultOf(records);
    expect(result).toMatchObject({ node: NODE, outcome: 'drained', remaining: [] });
    expect(result.skipped).toContainEqual({
      pod: expect.stringMatching(/^drain-all\/agent-/) as unknown as string,
      reason: 'DaemonSet-managed',
    });
    expect(result.skipped.filter((s) => s.reason.startsWith('outside the blast radius'))).toHaveLength(
      elsewhere.length,
    );
    // kubectl's waitForDelete: done once the evicted pods are gone (404 or another UID).
    const live = await sim.podsOf('drain-all', 'app=web');
    const uids = new Set(live.map((p) => p.metadata?.uid));
    expect(before.some((p) => uids.has(p.metadata?.uid))).toBe(false);
    expect(live.every((p) => p.spec?.nodeName !== NODE || p.status?.phase === 'Pending')).toBe(true);
    // Pods of other namespaces on the node were not touched.
    const stillThere = await sim.api.list<V1Pod>('v1', 'Pod', { fieldSelector: `spec.nodeName=${NODE}` });
    for (const p of elsewhere) expect(stillThere.map((x) => x.metadata?.uid)).toContain(p.metadata?.uid);

    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(true);
    expect(effect.summary).toMatch(
      /^1\/1 node\(s\) unschedulable; 2 eviction request\(s\): 2 evicted, 0 refused with 429/,
    );
    expect(effect.evidence[0]).toEqual({ what: 'spec.unschedulable=true', ref: `Node/${NODE}` });

    await revert();
    expect((await nodeOf(NODE))?.spec?.unschedulable).toBeUndefined();
  }, 60_000);

  it('retries a 429 from a PodDisruptionBudget every 5 s of cluster time until its timeout, then stops', async () => {
    const { ctx, records, revert } = await sim.context('drain-pdb', { nodes: 'any' });
    await deployOn(ctx, 'web', 2);
    const pdb: V1PodDisruptionBudget = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'drain-pdb' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    };
    await sim.api.create(pdb);
    await until(
      'the budget processed',
      () =>
        sim.api.read<V1PodDisruptionBudget>({
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          namespace: 'drain-pdb',
          name: 'web',
        }),
      (b) => b?.status?.currentHealthy === 2 && b.status.observedGeneration === b.metadata?.generation,
    );

    const fault = nodeDrain({ node: NODE, timeout: '20s' });
    const t0 = sim.clock.now();
    await fault.inject(ctx);
    const took = sim.clock.now() - t0;

    const ev = evictions(records);
    expect(ev.length).toBeGreaterThanOrEqual(4);
    expect(ev.every((e) => e.outcome === 'refused' && e.code === 429)).toBe(true);
    expect(ev[0]?.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    for (const pod of new Set(ev.map((e) => e.pod))) {
      const times = ev.filter((e) => e.pod === pod).map((e) => e.t);
      expect(times.length).toBeGreaterThanOrEqual(2);
      // The attempts of one pod are EVICTION_RETRY_MS apart (plus request latency), never closer.
      for (let i = 1; i < times.length; i++)
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(EVICTION_RETRY_MS);
    }
    expect(resultOf(records)).toMatchObject({ outcome: 'timeout', evicted: [] });
    expect(resultOf(records).remaining).toHaveLength(2);
    // The timeout ends the attempt: no eviction goes out after it.
    expect(took).toBeGreaterThanOrEqual(20_000);
    // (a request sent just before the deadline is answered after it; a loaded machine stretches that)
    expect(Math.max(...ev.map((e) => e.t)) - t0).toBeLessThan(20_000 + 5_000);
    expect((await sim.podsOf('drain-pdb', 'app=web')).filter(ready)).toHaveLength(2);

    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(true);
    expect(effect.summary).toMatch(/0 evicted, \d+ refused with 429; scars-worker timeout$/);
    await revert();
    expect((await nodeOf(NODE))?.spec?.unschedulable).toBeUndefined();
  }, 60_000);

  it('refuses a pod without a controller, like kubectl without --force, and evicts nothing', async () => {
    const { ctx, records, revert } = await sim.context('drain-bare', { nodes: 'any' });
    await sim.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace: 'drain-bare' },
      spec: {
        nodeName: NODE,
        containers: [agentContainer(ctx, { name: 'serve', args: ['serve', '--stats-interval', '0s'] })],
      },
    } as V1Pod);
    await until(
      'bare running',
      () => sim.podsOf('drain-bare', ''),
      (p) => p.some(ready),
    );
    const fault = nodeDrain({ node: NODE, timeout: '10s' });
    await fault.inject(ctx);
    expect(evictions(records)).toEqual([]);
    expect(resultOf(records)).toMatchObject({
      outcome: 'failed',
      error: 'cannot delete Pods that declare no controller (use --force to override): drain-bare/bare',
    });
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(
      /0 eviction request\(s\): 0 evicted, 0 refused with 429; scars-worker failed$/,
    );
    expect(effect.evidence[1]?.what).toMatch(
      /^drain failed: .*cannot delete Pods that declare no controller/,
    );
    await revert();
    expect((await sim.podsOf('drain-bare', '')).map((p) => p.metadata?.name)).toEqual(['bare']);
  }, 60_000);

  it('is not observed when the run has no pod on the node', async () => {
    const { ctx, revert } = await sim.context('drain-empty', { nodes: 'any' });
    const fault = nodeDrain({ node: 'scars-worker2', timeout: '10s' });
    await fault.inject(ctx);
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(/0 eviction request\(s\).*nothing to drain/);
    await revert();
    expect((await nodeOf('scars-worker2'))?.spec?.unschedulable).toBeUndefined();
  }, 60_000);
});
