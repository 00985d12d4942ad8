/**
 * The rollback journal: `.scars/journal/<run-id>.jsonl`, append-only, one JSON record per line.
 *
 * Every mutation is written as an `intent` (with how to undo it) and fsync'd *before* the API
 * call is made, so a run killed at any instant leaves enough on disk for `scars cleanup` to put
 * things back. A torn last line (crash mid-write) is ignored on read.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeRef } from './kube-ref.ts';
import { assertNoSecretData } from './secret-guard.ts';

export type Undo =
  | { op: 'delete'; ref: KubeRef; uid?: string }
  | { op: 'patch'; ref: KubeRef; patch: Record<string, unknown> }
  | { op: 'create'; object: KubernetesObject }
  | { op: 'none'; reason: string }
  /** A patched Secret: its data comes back from `backup` (checked against `sha256`), the rest from `patch`. */
  | { op: 'restore-secret'; ref: KubeRef; backup: KubeRef; sha256: string; patch?: Record<string, unknown> }
  /** A deleted Secret: `object` without its contents, which come from `backup`. */
  | { op: 'recreate-secret'; ref: KubeRef; backup: KubeRef; sha256: string; object: KubernetesObject }
  /** A backup Secret: deleted once no restore from it is pending. */
  | { op: 'drop-backup'; ref: KubeRef; of: KubeRef }
  /** A node claim: released while the node is still claimed by `runId`. */
  | { op: 'release-claim'; ref: KubeRef; runId: string };

export interface Mutation {
  verb: 'create' | 'patch' | 'delete' | 'evict' | 'claim';
  ref: KubeRef;
  /** For patches: the patch body and its content type. */
  patch?: Record<string, unknown>;
  strategy?: 'merge' | 'strategic';
  /** Fields of the patch left out of the journal because they hold Secret contents (`data.tls.key`). */
  redacted?: string[];
}

export interface JournalScope {
  scenario?: string;
  arm?: 'main' | 'control';
  step: string;
}

/** How to reach the cluster again from another process (never credentials themselves). */
export interface ClusterLocator {
  provider: string;
  name: string;
  /** In-process clusters (sim) die with the run; nothing outlives them to revert. */
  inProcess: boolean;
  kubeconfigPath?: string;
  context?: string;
  server?: string;
}

export type JournalRecord =
  | { type: 'begin'; runId: string; pid: number; host: string; startedAt: string; version: string }
  | { type: 'cluster'; cluster: ClusterLocator }
  | { type: 'intent'; seq: number; at: string; scope: JournalScope; mutation: Mutation; undo: Undo }
  | { type: 'done'; seq: number; at: string; uid?: string }
  | { type: 'failed'; seq: number; at: string; error: string }
  | {
      type: 'reverted';
      seq: number;
      at: string;
      outcome: 'reverted' | 'already-gone' | 'skipped';
      note?: string;
    }
  | { type: 'revert-failed'; seq: number; at: string; error: string }
  | { type: 'end'; at: string; clean: boolean };

/** One journalled mutation, folded from its intent and the records that followed it. */
export interface JournalEntry {
  seq: number;
  scope: JournalScope;
  mutation: Mutation;
  undo: Undo;
  state: 'intended' | 'done' | 'failed' | 'reverted' | 'revert-failed';
  uid?: string;
}

export class Journal {
  private fd: number | undefined;
  private seq = 0;
  private readonly entries = new Map<number, JournalEntry>();

  private constructor(
    readonly file: string,
    readonly runId: string,
  ) {}

  static defaultDir(cwd = process.cwd()): string {
    return join(cwd, '.scars', 'journal');
  }

  static open(dir: string, runId: string, version: string): Journal {
    mkdirSync(dir, { recursive: true });
    const journal = new Journal(join(dir, `${runId}.jsonl`), runId);
    journal.fd = openSync(journal.file, 'a');
    journal.append({
      type: 'begin',
      runId,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      version,
    });
    return journal;
  }

  /** Reopen a journal left by another (dead) process to replay it. */
  static resume(file: string): Journal {
    const parsed = readJournal(file);
    const journal = new Journal(file, parsed.runId);
    for (const e of parsed.entries) journal.entries.set(e.seq, e);
    journal.seq = Math.max(0, ...parsed.entries.map((e) => e.seq));
    journal.fd = openSync(file, 'a');
    // A torn last line has no newline: end it, or the next record would be glued onto it and lost.
    const text = readFileSync(file, 'utf8');
    if (text.length && !text.endsWith('\n')) writeSync(journal.fd, '\n');
    return journal;
  }

  recordCluster(cluster: ClusterLocator): void {
    this.append({ type: 'cluster', cluster });
  }

  intend(scope: JournalScope, mutation: Mutation, undo: Undo): number {
    // Refused before a sequence number is taken: nothing of it reaches the file.
    assertNoSecretData(mutation, undo);
    const seq = ++this.seq;
    this.append({ type: 'intent', seq, at: now(), scope, mutation, undo });
    this.entries.set(seq, { seq, scope, mutation, undo, state: 'intended' });
    return seq;
  }

  done(seq: number, uid?: string): void {
    this.append(uid ? { type: 'done', seq, at: now(), uid } : { type: 'done', seq, at: now() });
    this.update(seq, { state: 'done', ...(uid ? { uid } : {}) });
  }

  failed(seq: number, error: string): void {
    this.append({ type: 'failed', seq, at: now(), error });
    this.update(seq, { state: 'failed' });
  }

  reverted(seq: number, outcome: 'reverted' | 'already-gone' | 'skipped', note?: string): void {
    this.append(
      note
        ? { type: 'reverted', seq, at: now(), outcome, note }
        : { type: 'reverted', seq, at: now(), outcome },
    );
    this.update(seq, { state: 'reverted' });
  }

  revertFailed(seq: number, error: string): void {
    this.append({ type: 'revert-failed', seq, at: now(), error });
    this.update(seq, { state: 'revert-failed' });
  }

  /** Entries that still need undoing, newest first; `filter` narrows to one arm or step. */
  pending(filter?: (e: JournalEntry) => boolean): JournalEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.state !== 'reverted' && e.state !== 'failed' && (!filter || filter(e)))
      .sort((a, b) => b.seq - a.seq);
  }

  close(clean: boolean): void {
    if (this.fd === undefined) return;
    this.append({ type: 'end', at: now(), clean });
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Close the file handle without an end record (the journal stays "open" for scars cleanup). */
  abandon(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private update(seq: number, patch: Partial<JournalEntry>): void {
    const e = this.entries.get(seq);
    if (e) Object.assign(e, patch);
  }

  private append(record: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    // The point of the journal is to survive a crash right after this line: make it durable now.
    fsyncSync(this.fd);
  }
}

export interface ParsedJournal {
  file: string;
  runId: string;
  pid: number | undefined;
  host: string | undefined;
  startedAt: string | undefined;
  cluster: ClusterLocator | undefined;
  entries: JournalEntry[];
  ended: boolean;
  /** Lines that could not be parsed (a torn last write is expected after a crash). */
  skippedLines: number;
}

export function readJournal(file: string): ParsedJournal {
  const lines = readFileSync(file, 'utf8').split('\n');
  const result: ParsedJournal = {
    file,
    runId: '',
    pid: undefined,
    host: undefined,
    startedAt: undefined,
    cluster: undefined,
    entries: [],
    ended: false,
    skippedLines: 0,
  };
  const bySeq = new Map<number, JournalEntry>();
  for (const line of lines) {
    if (!line.trim()) continue;
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch {
      result.skippedLines++;
      continue;
    }
    switch (rec.type) {
      case 'begin':
        Object.assign(result, { runId: rec.runId, pid: rec.pid, host: rec.host, startedAt: rec.startedAt });
        break;
      case 'cluster':
        result.cluster = rec.cluster;
        break;
      case 'intent':
        bySeq.set(rec.seq, {
          seq: rec.seq,
          scope: rec.scope,
          mutation: rec.mutation,
          undo: rec.undo,
          state: 'intended',
        });
        break;
      case 'done': {
        const e = bySeq.get(rec.seq);
        if (e) Object.assign(e, { state: 'done' }, rec.uid ? { uid: rec.uid } : {});
        break;
      }
      case 'failed':
      case 'reverted':
      case 'revert-failed': {
        const e = bySeq.get(rec.seq);
        if (e) e.state = rec.type === 'revert-failed' ? 'revert-failed' : rec.type;
        break;
      }
      case 'end':
        result.ended = true;
        break;
    }
  }
  result.entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return result;
}

export function listJournals(dir: string): ParsedJournal[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => readJournal(join(dir, f)));
}

/** A journal needs replaying when its run never wrote `end` and its process is gone, or it ended dirty. */
export function needsReplay(j: ParsedJournal): boolean {
  const unreverted = j.entries.some(
    (e) => e.state !== 'reverted' && e.undo.op !== 'none' && e.state !== 'failed',
  );
  return unreverted && !isAlive(j);
}

export function isAlive(j: ParsedJournal): boolean {
  if (j.ended || j.pid === undefined || j.host !== hostname()) return false;
  try {
    process.kill(j.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function now(): string {
  return new Date().toISOString();
}
