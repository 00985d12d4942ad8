/**
 * Replays journal entries backwards, newest first. Used by the runner's revert and cleanup
 * steps, by signal handlers, and by `scars cleanup` for journals of killed runs.
 * Every undo is idempotent: replaying twice, or replaying an intent that never reached the
 * server, leaves the same state.
 */
import { errorMessage } from '../errors.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { RUN_LABEL } from './journalled-kube.ts';
import type { KubeApi } from './kube-api.ts';
import { formatRef, refOf } from './kube-ref.ts';

export interface RevertReport {
  reverted: number;
  skipped: number;
  failed: { entry: JournalEntry; error: string }[];
}

export async function revertEntries(
  api: KubeApi,
  journal: Journal,
  entries: JournalEntry[],
  log: (line: string) => void = () => {},
): Promise<RevertReport> {
  const report: RevertReport = { reverted: 0, skipped: 0, failed: [] };
  for (const entry of [...entries].sort((a, b) => b.seq - a.seq)) {
    try {
      const outcome = await undoOne(api, journal.runId, entry);
      journal.reverted(entry.seq, outcome.result, outcome.note);
      if (outcome.result === 'skipped') report.skipped++;
      else report.reverted++;
      if (outcome.result !== 'skipped')
        log(`reverted ${entry.mutation.verb} ${formatRef(entry.mutation.ref)}`);
    } catch (err) {
      // Keep going: one stuck undo must not leave everything after it in place.
      journal.revertFailed(entry.seq, errorMessage(err));
      report.failed.push({ entry, error: errorMessage(err) });
      log(`could not revert ${entry.mutation.verb} ${formatRef(entry.mutation.ref)}: ${errorMessage(err)}`);
    }
  }
  return report;
}

async function undoOne(
  api: KubeApi,
  runId: string,
  entry: JournalEntry,
): Promise<{ result: 'reverted' | 'already-gone' | 'skipped'; note?: string }> {
  const undo = entry.undo;
  switch (undo.op) {
    case 'none':
      return { result: 'skipped', note: undo.reason };
    case 'delete': {
      if (entry.uid) return { result: asOutcome(await api.delete(undo.ref, { uid: entry.uid })) };
      // The create may never have reached the server (or answered): only delete what carries our run label.
      const live = await api.read(undo.ref);
      if (!live) return { result: 'already-gone' };
      if (live.metadata?.labels?.[RUN_LABEL] !== runId) {
        return {
          result: 'skipped',
          note: `${formatRef(undo.ref)} is not labelled ${RUN_LABEL}=${runId}; left alone`,
        };
      }
      return {
        result: asOutcome(await api.delete(undo.ref, live.metadata?.uid ? { uid: live.metadata.uid } : {})),
      };
    }
    case 'patch': {
      const live = await api.read(undo.ref);
      if (!live) return { result: 'already-gone' };
      await api.patch(undo.ref, undo.patch, 'merge');
      return { result: 'reverted' };
    }
    case 'create': {
      const ref = refOf(undo.object);
      if (await api.read(ref)) return { result: 'skipped', note: `${formatRef(ref)} exists again` };
      await api.create(undo.object);
      return { result: 'reverted' };
    }
  }
}

function asOutcome(r: 'deleted' | 'already-gone'): 'reverted' | 'already-gone' {
  return r === 'deleted' ? 'reverted' : r;
}
