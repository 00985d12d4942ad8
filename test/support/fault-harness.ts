/**
 * A simulated cluster (default topology, time scale 20) for the fault tests, and the RunContext
 * the runner would give a fault: the run namespace, a journal, the journalled blast-radius-checked
 * client, the cluster clock and a timeline. Faults are exercised through exactly that, so the
 * tests see what a scenario run sees; revert undoes the journal as the runner does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { simProvider } from '../../src/cluster/sim.ts';
import type { BlastRadius } from '../../src/harness/blast-radius.ts';
import { Journal } from '../../src/harness/journal.ts';
import { JournalledKube } from '../../src/harness/journalled-kube.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { revertEntries } from '../../src/harness/revert.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import type { Clock } from '../../src/harness/timeline.ts';
import { untilHolds } from './wait.ts';

/** A timeline event the fault recorded, stamped with cluster time. */
export interface Recorded {
  event: string;
  t: number;
  detail?: Record<string, unknown>;
}

export interface FaultContextOptions {
  /** Nodes the fault may change (cordon, drain); none unless the fault under test needs them. */
  nodes?: BlastRadius['nodes'];
  /** The image `agentContainer(ctx, …)` uses; something other than the agent makes pods that never probe. */
  agentImage?: string;
}

export interface FaultContext {
  ctx: RunContext;
  journal: Journal;
  records: Recorded[];
  /**
   * Undoes every pending journal entry, newest first, as the runner's cleanup does; none may fail.
   * With `awaitGone`, then waits until no pod of the run namespace matches that label selector
   * (deleted pods linger through their grace period).
   */
  revert(options?: { awaitGone?: string }): Promise<void>;
}

export interface FaultSim {
  api: KubeApi;
  clock: Clock;
  /** Creates `namespace` and a RunContext whose run namespace it is. */
  context(namespace: string, options?: FaultContextOptions): Promise<FaultContext>;
  podsOf(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  dispose(): Promise<void>;
}

export async function startFaultSim(name: string): Promise<FaultSim> {
  const cluster = await simProvider().provision({ allowContexts: [], runId: name, sim: { timeScale: 20 } });
  const api = new KubeApi(cluster.kubeConfig);
  const clock = cluster.clock as Clock;
  const dir = mkdtempSync(join(tmpdir(), `scars-${name}-`));
  const journals: Journal[] = [];
  const podsOf = (namespace: string, labelSelector: string) =>
    api.list<V1Pod>('v1', 'Pod', { namespace, labelSelector });

  async function context(namespace: string, options: FaultContextOptions = {}): Promise<FaultContext> {
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const journal = Journal.open(dir, namespace, 'test');
    journals.push(journal);
    const kube = new JournalledKube(
      api,
      journal,
      namespace,
      { runNamespace: namespace, namespaces: [], nodes: options.nodes ?? [] },
      () => ({ scenario: name, arm: 'main', step: 'inject' }),
    );
    const records: Recorded[] = [];
    const ctx: RunContext = {
      runId: namespace,
      namespace,
      arm: 'main',
      agentImage: options.agentImage ?? 'scars-agent:test',
      provider: 'sim',
      simulated: true,
      kube,
      clock,
      signal: new AbortController().signal,
      record: (event, detail) => records.push({ event, t: clock.now(), ...(detail ? { detail } : {}) }),
    };
    const revert = async ({ awaitGone }: { awaitGone?: string } = {}) => {
      const report = await revertEntries(api, journal, journal.pending());
      expect(report.failed).toEqual([]);
      journal.close(true);
      if (awaitGone !== undefined)
        await until(
          `the pods ${awaitGone} gone`,
          () => podsOf(namespace, awaitGone),
          (pods) => pods.length === 0,
        );
    };
    return { ctx, journal, records, revert };
  }

  return {
    api,
    clock,
    context,
    podsOf,
    async dispose() {
      // Journals a test did not revert stay without an end record, as after a crash; only the fd goes.
      for (const journal of journals) journal.abandon();
      try {
        await cluster.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const ready = (p: V1Pod) =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Fault tests' polling: an API error fails at once. */
export const until = untilHolds;
