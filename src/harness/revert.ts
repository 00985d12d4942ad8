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
import { formatRef, type KubeRef, refOf } from './kube-ref.ts';
import { releaseClaim } from './node-claim.ts';
import { recreateSecret, restoreSecret, restoreWaitingFor } from './secret-backup.ts';

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
      const outcome = await undoOne(api, journal, entry);
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

type Outcome = { result: 'reverted' | 'already-gone' | 'skipped'; note?: string };

async function undoOne(api: KubeApi, journal: Journal, entry: JournalEntry): Promise<Outcome> {
  const undo = entry.undo;
  const runId = journal.runId;
  switch (undo.op) {
    case 'none':
      return { result: 'skipped', note: undo.reason };
    case 'delete':
      return deleteOwn(api, runId, undo.ref, entry.uid);
    case 'drop-backup': {
      const waiting = restoreWaitingFor(journal, undo.ref);
      if (waiting)
        throw new Error(
          `kept ${formatRef(undo.ref)}: the restore of ${formatRef(waiting.mutation.ref)} from it has not succeeded yet`,
        );
      return deleteOwn(api, runId, undo.ref, entry.uid);
    }
    case 'restore-secret':
      return restoreSecret(api, undo);
    case 'recreate-secret':
      return recreateSecret(api, undo);
    case 'release-claim':
      return releaseClaim(api, undo.ref, undo.runId);
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

/** Deletes what this run created: by uid when the create was answered, else only if it carries the run label. */
async function deleteOwn(
  api: KubeApi,
  runId: string,
  ref: KubeRef,
  uid: string | undefined,
): Promise<Outcome> {
  if (uid) return { result: asOutcome(await api.delete(ref, { uid })) };
  // The create may never have reached the server (or answered): only delete what carries our run label.
  const live = await api.read(ref);
  if (!live) return { result: 'already-gone' };
  if (live.metadata?.labels?.[RUN_LABEL] !== runId) {
    return { result: 'skipped', note: `${formatRef(ref)} is not labelled ${RUN_LABEL}=${runId}; left alone` };
  }
  return { result: asOutcome(await api.delete(ref, live.metadata?.uid ? { uid: live.metadata.uid } : {})) };
}

function asOutcome(r: 'deleted' | 'already-gone'): 'reverted' | 'already-gone' {
  return r === 'deleted' ? 'reverted' : r;
}
