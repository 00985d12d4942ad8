/**
 * `scars cleanup`: replays journals left by runs that died (SIGKILL, power loss) and deletes
 * namespaces still carrying their run label. Idempotent: running it twice changes nothing more.
 */
import { existsSync } from 'node:fs';
import type { V1Namespace } from '@kubernetes/client-node';
import { loadKubeConfig } from '../cluster/context.ts';
import { checkContext } from '../cluster/guard.ts';
import { errorMessage, UsageError } from '../errors.ts';
import { isAlive, Journal, listJournals, needsReplay, type ParsedJournal, readJournal } from './journal.ts';
import { RUN_LABEL } from './journalled-kube.ts';
import { KubeApi } from './kube-api.ts';
import { revertEntries } from './revert.ts';

export interface CleanupOptions {
  journalDir: string;
  runId?: string | undefined;
  allowContexts: readonly string[];
  log: (line: string) => void;
}

export interface CleanupResult {
  runs: { runId: string; outcome: 'clean' | 'dirty' | 'skipped'; detail: string }[];
}

export function staleJournals(dir: string): ParsedJournal[] {
  return listJournals(dir).filter(needsReplay);
}

export async function cleanup(options: CleanupOptions): Promise<CleanupResult> {
  const result: CleanupResult = { runs: [] };
  let targets: ParsedJournal[];
  if (options.runId) {
    const file = `${options.journalDir}/${options.runId}.jsonl`;
    if (!existsSync(file)) {
      const known = listJournals(options.journalDir).map((j) => j.runId);
      throw new UsageError(
        `--run: no journal for run ${options.runId} in ${options.journalDir}${known.length ? ` (runs: ${known.slice(-5).join(', ')})` : ''}`,
      );
    }
    const j = readJournal(file);
    if (isAlive(j)) {
      result.runs.push({ runId: j.runId, outcome: 'skipped', detail: `run is still active (pid ${j.pid})` });
      return result;
    }
    targets = [j];
  } else {
    targets = staleJournals(options.journalDir);
  }
  for (const j of targets) result.runs.push(await replay(j, options));
  return result;
}

async function replay(j: ParsedJournal, options: CleanupOptions): Promise<CleanupResult['runs'][number]> {
  const { log } = options;
  const pendingCount = j.entries.filter((e) => e.state !== 'reverted' && e.state !== 'failed').length;
  if (j.skippedLines) log(`${j.runId}: ignored ${j.skippedLines} torn journal line(s)`);
  if (!j.cluster) {
    // Killed before a cluster was provisioned: there is nothing to reach and nothing was changed.
    Journal.resume(j.file).close(pendingCount === 0);
    return { runId: j.runId, outcome: 'clean', detail: 'no cluster was provisioned' };
  }
  if (j.cluster.inProcess) {
    const journal = Journal.resume(j.file);
    for (const e of journal.pending())
      journal.reverted(e.seq, 'already-gone', 'in-process cluster ended with its run');
    journal.close(true);
    return {
      runId: j.runId,
      outcome: 'clean',
      detail: `${j.cluster.provider} cluster ended with its process`,
    };
  }
  try {
    const { kc } = loadKubeConfig(j.cluster.kubeconfigPath);
    if (j.cluster.context) kc.setCurrentContext(j.cluster.context);
    const server = kc.getCurrentCluster()?.server ?? '';
    checkContext({ context: kc.getCurrentContext(), server, allowContexts: options.allowContexts });
    // A cluster that is gone for good should not cost a minute per journal entry.
    const api = new KubeApi(kc, { retry: { budgetMs: 15_000 } });
    // Keep-alive sockets would otherwise outlive the replay (and, in `scars run`, the run).
    try {
      return await replayAgainst(api, j, log);
    } finally {
      api.close();
    }
  } catch (err) {
    return { runId: j.runId, outcome: 'dirty', detail: errorMessage(err) };
  }
}

async function replayAgainst(
  api: KubeApi,
  j: ParsedJournal,
  log: CleanupOptions['log'],
): Promise<CleanupResult['runs'][number]> {
  const journal = Journal.resume(j.file);
  const report = await revertEntries(api, journal, journal.pending(), (line) => log(`${j.runId}: ${line}`));
  // Objects created outside the journal's knowledge (a crash between create and done) still carry the label.
  // A namespace already terminating (the journal's own revert just deleted it) is on its way
  // out; deleting it again only earns a 409 Conflict.
  const leftovers = (
    await api.list<V1Namespace>('v1', 'Namespace', { labelSelector: `${RUN_LABEL}=${j.runId}` })
  ).filter((ns) => !ns.metadata?.deletionTimestamp);
  for (const ns of leftovers) {
    const name = ns.metadata?.name ?? '';
    await api.delete(
      { apiVersion: 'v1', kind: 'Namespace', name },
      ns.metadata?.uid ? { uid: ns.metadata.uid } : {},
    );
    log(`${j.runId}: deleted leftover namespace ${name}`);
  }
  const clean = report.failed.length === 0;
  journal.close(clean);
  return {
    runId: j.runId,
    outcome: clean ? 'clean' : 'dirty',
    detail: `${report.reverted} reverted, ${report.skipped} needed nothing, ${report.failed.length} failed, ${leftovers.length} leftover namespace(s)`,
  };
}
