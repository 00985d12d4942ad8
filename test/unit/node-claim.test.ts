/**
 * Node claims (in-memory test API server): a run claims a node (annotation written with a
 * resourceVersion precondition, journalled) before it changes it; another run's change is refused;
 * of two runs racing for one node exactly one gets it; revert releases only its own claim and leaves
 * the node as it was; node pickers pass over claimed nodes and a named claimed node fails preflight.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cordonNode } from '../../src/faults/cordon-node.ts';
import { pickAndClaim, withoutClaimed } from '../../src/faults/node-claims.ts';
import { nodeOf } from '../../src/faults/memory-hog.ts';
import { nodeHostingMost, nodesHosting } from '../../src/faults/node-drain.ts';
import { Journal, readJournal } from '../../src/harness/journal.ts';
import { JournalledKube } from '../../src/harness/journalled-kube.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import {
  CLAIM_ANNOTATION,
  CLAIM_PROCESS_ANNOTATION,
  claimOf,
  NodeClaimedError,
} from '../../src/harness/node-claim.ts';
import { revertEntries } from '../../src/harness/revert.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import { wallClock } from '../../src/harness/timeline.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';

let tc: TestCluster;
let api: KubeApi;
let dir: string;

beforeEach(async () => {
  tc = await startTestCluster();
  api = new KubeApi(tc.cluster.kubeConfig);
  dir = mkdtempSync(join(tmpdir(), 'scars-claims-'));
});
afterEach(() => tc.close());

const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', name });
const readNode = (name: string) => api.read<V1Node>(node(name));

function runOf(runId: string): { journal: Journal; kube: JournalledKube; ctx: RunContext } {
  const journal = Journal.open(dir, runId, '0.0.0');
  const kube = new JournalledKube(
    api,
    journal,
    runId,
    { runNamespace: runId, namespaces: [], nodes: 'any' },
    () => ({ scenario: 's', arm: 'main', step: 'inject' }),
  );
  const ctx: RunContext = {
    runId,
    namespace: runId,
    arm: 'main',
    agentImage: 'scars-agent:test',
    provider: 'context',
    simulated: false,
    kube,
    clock: wallClock,
    signal: new AbortController().signal,
    record: () => {},
  };
  return { journal, kube, ctx };
}

const cordon = { spec: { unschedulable: true } };

describe('node claims', () => {
  it('a node patch claims the node first; another run cannot change it; revert leaves it as it was', async () => {
    const before = tc.server.snapshot();
    const a = runOf('run-a');
    const b = runOf('run-b');
    await a.kube.patch(node('worker-1'), cordon, 'strategic');
    const claimed = await readNode('worker-1');
    expect(claimOf(claimed)).toEqual({ runId: 'run-a', pid: process.pid, host: expect.any(String) });
    expect(claimed?.spec?.unschedulable).toBe(true);
    expect(readJournal(a.journal.file).entries.map((e) => `${e.mutation.verb}:${e.undo.op}`)).toEqual([
      'claim:release-claim',
      'patch:patch',
    ]);

    // Run B would cordon the cordoned node and, at its revert, cordon it again after A uncordoned it.
    const refused = b.kube.patch(node('worker-1'), cordon, 'strategic');
    await expect(refused).rejects.toThrow(NodeClaimedError);
    await expect(refused).rejects.toThrow(
      /node worker-1 is claimed by scars run run-a \(pid \d+ on .+\), which is still running/,
    );
    expect(readJournal(b.journal.file).entries).toEqual([]);
    await expect(b.kube.claimNode('worker-1')).rejects.toThrow(NodeClaimedError);

    expect((await revertEntries(api, a.journal, a.journal.pending())).failed).toEqual([]);
    expect(tc.server.snapshot()).toEqual(before);
    // Freed: B may now take it.
    await b.kube.patch(node('worker-1'), cordon, 'strategic');
    expect(claimOf(await readNode('worker-1'))?.runId).toBe('run-b');
    expect((await revertEntries(api, b.journal, b.journal.pending())).failed).toEqual([]);
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('without claims, A-then-B cordon with A reverting first leaves the node cordoned (what claims prevent)', async () => {
    /** The journalled client as it was before claims: node patches go straight through. */
    class Unclaiming extends JournalledKube {
      override async claimNode(): Promise<void> {}
    }
    const open = (runId: string) => {
      const journal = Journal.open(dir, runId, '0.0.0');
      const radius = { runNamespace: runId, namespaces: [], nodes: 'any' as const };
      const scope = () => ({ scenario: 's', arm: 'main' as const, step: 'inject' });
      return { journal, kube: new Unclaiming(api, journal, runId, radius, scope) };
    };
    const a = open('old-a');
    const b = open('old-b');
    await a.kube.patch(node('worker-1'), cordon, 'strategic');
    await b.kube.patch(node('worker-1'), cordon, 'strategic');
    await revertEntries(api, a.journal, a.journal.pending());
    await revertEntries(api, b.journal, b.journal.pending());
    expect((await readNode('worker-1'))?.spec?.unschedulable).toBe(true);

    // The same sequence with claims: B is refused, and the node ends as it began.
    await api.patch(node('worker-1'), { spec: { unschedulable: null } });
    const before = tc.server.snapshot();
    const ca = runOf('new-a');
    const cb = runOf('new-b');
    await ca.kube.patch(node('worker-1'), cordon, 'strategic');
    await expect(cb.kube.patch(node('worker-1'), cordon, 'strategic')).rejects.toThrow(NodeClaimedError);
    await revertEntries(api, ca.journal, ca.journal.pending());
    await revertEntries(api, cb.journal, cb.journal.pending());
    expect(tc.server.snapshot()).toEqual(before);
  });

  it('of two runs racing for one node, exactly one claims it (resourceVersion precondition)', async () => {
    const runs = ['race-1', 'race-2', 'race-3', 'race-4'].map(runOf);
    const outcomes = await Promise.allSettled(runs.map((r) => r.kube.claimNode('worker-2')));
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [runs[i]!.ctx.runId] : []));
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(NodeClaimedError);
    expect(claimOf(await readNode('worker-2'))?.runId).toBe(won[0]);
    // A loser journalled its claim only if it got as far as writing it; the 409 marks it failed,
    // so nothing is left for a replay to undo.
    for (const r of runs.filter((x) => x.ctx.runId !== won[0])) {
      const j = readJournal(r.journal.file);
      expect(j.entries.map((e) => `${e.mutation.verb}:${e.state}`)).toEqual(
        j.entries.length ? ['claim:failed'] : [],
      );
      expect(r.journal.pending()).toEqual([]);
    }
  });

  it('a picker whose choice another run claims first chooses again and journals nothing on the lost node', async () => {
    const a = runOf('run-a');
    const b = runOf('run-b');
    const recorded: unknown[] = [];
    a.ctx.record = (what, data) => recorded.push([what, data]);
    const choices: string[] = [];
    const picker = async () => {
      // The first choice is read free, then run B claims it before A's claim lands.
      if (choices.length === 0) await b.kube.claimNode('worker-1');
      const free = await withoutClaimed(a.ctx, ['worker-1', 'worker-2'], 'the test nodes');
      const pick = choices.length === 0 ? 'worker-1' : (free[0] as string);
      choices.push(pick);
      return pick;
    };
    expect(await pickAndClaim(a.ctx, picker)).toBe('worker-2');
    expect(choices).toEqual(['worker-1', 'worker-2']);
    expect(recorded).toEqual([['node-claimed-elsewhere', { node: 'worker-1', by: 'run-b' }]]);
    expect(readJournal(a.journal.file).entries.map((e) => e.mutation.ref.name)).toEqual(['worker-2']);
    expect(claimOf(await readNode('worker-1'))?.runId).toBe('run-b');
    expect(claimOf(await readNode('worker-2'))?.runId).toBe('run-a');
  });

  it("release leaves another run's claim alone and keeps the node's other annotations", async () => {
    await api.patch(node('worker-2'), { metadata: { annotations: { 'team.example/owner': 'ops' } } });
    const a = runOf('run-a');
    await a.kube.claimNode('worker-2');
    // Someone took the node over by hand (or a replay ran late): A's release must not remove B's claim.
    await api.patch(node('worker-2'), { metadata: { annotations: { [CLAIM_ANNOTATION]: 'run-b' } } });
    const r = await revertEntries(api, a.journal, a.journal.pending());
    expect(r.failed).toEqual([]);
    expect((await readNode('worker-2'))?.metadata?.annotations?.[CLAIM_ANNOTATION]).toBe('run-b');

    await api.patch(node('worker-2'), { metadata: { annotations: { [CLAIM_ANNOTATION]: null } } });
    const c = runOf('run-c');
    await c.kube.claimNode('worker-2');
    await revertEntries(api, c.journal, c.journal.pending());
    expect((await readNode('worker-2'))?.metadata?.annotations).toEqual({ 'team.example/owner': 'ops' });
    expect(CLAIM_PROCESS_ANNOTATION in ((await readNode('worker-2'))?.metadata?.annotations ?? {})).toBe(
      false,
    );
  });

  it('pickers pass over nodes other runs hold; a named claimed node fails preflight', async () => {
    const b = runOf('run-b');
    const a = runOf('run-a');
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'run-a' } });
    for (const [pod, on] of [
      ['web-0', 'worker-1'],
      ['web-1', 'worker-1'],
      ['web-2', 'worker-2'],
    ] as const)
      await api.create<V1Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: 'run-a', labels: { app: 'web' } },
        spec: { nodeName: on, containers: [{ name: 'c', image: 'x' }] },
      } as V1Pod);
    expect(await nodeOf('app=web')(a.ctx)).toBe('worker-1');
    expect(await nodesHosting('app=web')(a.ctx)).toEqual(['worker-1', 'worker-2']);
    expect((await cordonNode({ node: 'worker-1' }).preflight?.(a.ctx))?.ok).toBe(true);

    await b.kube.claimNode('worker-1');
    expect(await nodeOf('app=web')(a.ctx)).toBe('worker-2');
    expect(await nodesHosting('app=web')(a.ctx)).toEqual(['worker-2']);
    expect(await nodeHostingMost('app=web')(a.ctx)).toBe('worker-2');
    const pre = await cordonNode({ node: 'worker-1' }).preflight?.(a.ctx);
    expect(pre).toEqual({
      ok: false,
      summary: expect.stringMatching(/^node worker-1 is claimed by scars run run-b/),
    });
    // Its own claims do not count against a run.
    expect((await cordonNode({ node: 'worker-1' }).preflight?.(b.ctx))?.ok).toBe(true);

    await b.kube.claimNode('worker-2');
    await expect(nodeOf('app=web')(a.ctx)).rejects.toThrow(
      /every node of the pods matching app=web is claimed by another scars run: node worker-1 is claimed by scars run run-b.*; node worker-2/,
    );
  });
});
