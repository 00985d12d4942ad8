/**
 * Two `scars run` at once on one cluster (a simulated cluster in the test process, served on
 * loopback; each run is a real CLI child with `--provider context`). Each run works in its own
 * namespace and claims the nodes it changes, so neither writes an object of the other: their
 * journals (every mutation a run makes) touch disjoint objects. Node faults are the risk: if both
 * cordoned one node, the second's revert would re-cordon it after the first uncordoned it. Here
 * the second picks another node, or (naming the node) fails preflight saying who holds it; and
 * `scars cleanup --run A` after A was SIGKILLed reverts A's changes only while B still runs.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal, type ParsedJournal } from '../../src/harness/journal.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { formatRef } from '../../src/harness/kube-ref.ts';
import { claimOf } from '../../src/harness/node-claim.ts';
import { cli, cliInProcess, REPO, startCli, type CliProcess } from '../support/cli.ts';
import { arrivals, type Arrival, BARRIER_ENV, openBarrier } from '../support/run-barrier.ts';
import { type ServedSim, startServedSim } from '../support/served-sim.ts';

const FIXTURES = join(REPO, 'test/fixtures/concurrency');

let served: ServedSim;
let api: KubeApi;
let project: string;

beforeAll(async () => {
  served = await startServedSim(FIXTURES, 'scars-concurrency-');
  ({ api, project } = served);
}, 60_000);

afterAll(async () => {
  await served?.close();
});

async function until<T>(what: string, probe: () => T | Promise<T>, ok: (v: T) => boolean, ms = 90_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const settledDiff = () => served.settledDiff();

const journalOf = (runId: string): ParsedJournal =>
  readJournal(join(project, '.scars', 'journal', `${runId}.jsonl`));

const nodes = () => api.list<V1Node>('v1', 'Node');

/** Node name → the run id that claims it. */
async function claims(): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await nodes()).flatMap((n) => {
      const c = claimOf(n);
      return c ? [[n.metadata?.name ?? '', c.runId]] : [];
    }),
  );
}

/**
 * Every object a run's journal says it changed, and whether each lies in that run's own scope.
 * A `failed` entry was refused with a definite answer, so it changed nothing: only a lost claim
 * race may be one (both runs picked the node of a web pod; the other run's claim won).
 */
function scopeOfJournal(j: ParsedJournal, ownNamespace: string, ownNodes: readonly string[]) {
  const failed = j.entries.filter((e) => e.state === 'failed');
  expect(failed.map((e) => e.mutation.verb).filter((v) => v !== 'claim')).toEqual([]);
  const refs = j.entries.filter((e) => e.state !== 'failed').map((e) => e.mutation.ref);
  const outside = refs.filter((r) =>
    r.kind === 'Node'
      ? !ownNodes.includes(r.name)
      : r.kind === 'Namespace' && !r.namespace
        ? r.name !== ownNamespace
        : r.namespace !== ownNamespace,
  );
  return { refs: new Set(refs.map(formatRef)), outside: outside.map(formatRef) };
}

/** Starts two runs of `scenario` and waits until both hold their fault at the barrier. */
async function twoRunsAtBarrier(scenario: string) {
  const barrier = mkdtempSync(join(tmpdir(), 'scars-barrier-'));
  const env = { [BARRIER_ENV]: barrier };
  const runs: CliProcess[] = [0, 1].map(() => startCli(['run', scenario, '--yes'], { cwd: project, env }));
  const at = await until(
    'both runs to hold their fault',
    () => arrivals(barrier),
    (a) => a.length === 2,
  ).catch(async (err: unknown) => {
    for (const r of runs) r.child.kill('SIGINT');
    const out = await Promise.all(runs.map((r) => r.done));
    throw new Error(`${String(err)}\n${out.map((o) => o.stdout + o.stderr).join('\n---\n')}`);
  });
  const byPid = (a: Arrival) => runs.find((r) => r.child.pid === a.pid) as CliProcess;
  return { barrier, runs, at, byPid };
}

describe('two concurrent runs on one cluster (real CLI, child processes)', () => {
  it.each(['conc-cordon', 'conc-drain'])(
    '%s twice at once: different nodes, disjoint objects, cluster as before, both journals clean',
    async (scenario) => {
      const { barrier, runs, at } = await twoRunsAtBarrier(scenario);
      // Both faults are in place at the same moment, each on a node only its run claims.
      const held = await claims();
      const nodesOf = (runId: string) =>
        Object.entries(held)
          .filter(([, by]) => by === runId)
          .map(([n]) => n);
      const [a, b] = at as [Arrival, Arrival];
      expect(nodesOf(a.runId)).toHaveLength(1);
      expect(nodesOf(b.runId)).toHaveLength(1);
      expect(nodesOf(a.runId)).not.toEqual(nodesOf(b.runId));
      const cordoned = (await nodes()).filter((n) => n.spec?.unschedulable).map((n) => n.metadata?.name);
      expect(cordoned.sort()).toEqual([...nodesOf(a.runId), ...nodesOf(b.runId)].sort());
      const claimedBy = { [a.runId]: nodesOf(a.runId), [b.runId]: nodesOf(b.runId) };

      openBarrier(barrier);
      for (const r of await Promise.all(runs.map((p) => p.done))) expect(r.code, r.stdout + r.stderr).toBe(0);

      const scopes = [a, b].map((x) => {
        const j = journalOf(x.runId);
        expect(j.ended, x.runId).toBe(true);
        expect(j.entries.filter((e) => e.state !== 'reverted' && e.state !== 'failed')).toEqual([]);
        return scopeOfJournal(j, x.namespace, claimedBy[x.runId] ?? []);
      });
      for (const s of scopes) expect(s.outside).toEqual([]);
      const [sa, sb] = scopes as [(typeof scopes)[0], (typeof scopes)[0]];
      expect([...sa.refs].filter((r) => sb.refs.has(r))).toEqual([]);
      expect(await settledDiff()).toEqual([]);
    },
    150_000,
  );

  it('a run naming a node another live run holds fails preflight with who holds it (in-process); the holder is unaffected', async () => {
    const barrier = mkdtempSync(join(tmpdir(), 'scars-barrier-'));
    const holder = startCli(['run', 'conc-cordon-fixed', '--yes'], {
      cwd: project,
      env: { [BARRIER_ENV]: barrier },
    });
    const [a] = (await until(
      'the first run to hold the node',
      () => arrivals(barrier),
      (x) => x.length === 1,
    )) as [Arrival];
    const second = await cliInProcess(['run', 'conc-cordon-fixed', '--yes'], { cwd: project });
    expect(second.code, second.stdout + second.stderr).toBe(3);
    expect(second.stdout).toMatch(
      new RegExp(
        `preflight cordon-node: node scars-worker2 is claimed by scars run ${a.runId} \\(pid ${a.pid} on .+\\), which is still running`,
      ),
    );
    const worker2 = (await nodes()).find((n) => n.metadata?.name === 'scars-worker2');
    expect(worker2?.spec?.unschedulable).toBe(true);
    expect(claimOf(worker2)?.runId).toBe(a.runId);

    openBarrier(barrier);
    const r = await holder.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await settledDiff()).toEqual([]);
  }, 120_000);

  it('`scars cleanup --run A` after A was SIGKILLed reverts only A; B keeps its namespace, claim and cordon, then ends clean', async () => {
    const { barrier, at, byPid } = await twoRunsAtBarrier('conc-cordon');
    const [a, b] = at as [Arrival, Arrival];
    const held = await claims();
    const nodeOf = (runId: string) => Object.entries(held).find(([, by]) => by === runId)?.[0] as string;
    const [nodeA, nodeB] = [nodeOf(a.runId), nodeOf(b.runId)];
    expect(nodeA).toBeDefined();
    expect(nodeB).toBeDefined();

    const killed = byPid(a);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(journalOf(a.runId).ended).toBe(false);
    const bJournalBefore = journalOf(b.runId).entries.map((e) => [e.seq, e.state]);

    const cleaned = await cli(['cleanup', '--run', a.runId], { cwd: project });
    expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(new RegExp(`clean\\s+${a.runId}: \\d+ reverted`));

    // A's changes are gone: its node uncordoned and unclaimed, its namespace deleted.
    const after = await nodes();
    const byName = (n: string) => after.find((x) => x.metadata?.name === n);
    expect(byName(nodeA)?.spec?.unschedulable ?? false).toBe(false);
    expect(claimOf(byName(nodeA))).toBeUndefined();
    await until(
      `namespace ${a.namespace} gone`,
      () => api.read<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: a.namespace }),
      (ns) => ns === undefined,
      30_000,
    );
    // B's are untouched: node cordoned and claimed by B, its namespace and pods there, its journal as it was.
    expect(byName(nodeB)?.spec?.unschedulable).toBe(true);
    expect(claimOf(byName(nodeB))?.runId).toBe(b.runId);
    const bNamespace = await api.read<V1Namespace>({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: b.namespace,
    });
    expect(bNamespace?.metadata?.deletionTimestamp).toBeUndefined();
    expect(
      (await api.list<V1Pod>('v1', 'Pod', { namespace: b.namespace, labelSelector: 'app=web' })).length,
    ).toBe(2);
    expect(journalOf(b.runId).entries.map((e) => [e.seq, e.state])).toEqual(bJournalBefore);

    openBarrier(barrier);
    const r = await byPid(b).done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(journalOf(b.runId).ended).toBe(true);
    expect(await settledDiff()).toEqual([]);
    // Both journals have nothing left to undo.
    const left = readdirSync(join(project, '.scars', 'journal'))
      .map((f) => readJournal(join(project, '.scars', 'journal', f)))
      .filter((j) => !j.ended || j.entries.some((e) => e.state !== 'reverted' && e.state !== 'failed'));
    expect(left.map((j) => j.runId)).toEqual([]);
  }, 150_000);
});
