import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, needsReplay, readJournal } from '../../src/harness/journal.ts';

const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name });
const scope = { scenario: 's', arm: 'main' as const, step: 'inject' };

describe('rollback journal', () => {
  it('folds intents and outcomes; pending is newest first and excludes reverted and refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-journal-'));
    const j = Journal.open(dir, 'run-1', '0.0.0');
    const a = j.intend(scope, { verb: 'create', ref: ref('a') }, { op: 'delete', ref: ref('a') });
    j.done(a, 'uid-a');
    const b = j.intend(scope, { verb: 'create', ref: ref('b') }, { op: 'delete', ref: ref('b') });
    j.failed(b, '409 AlreadyExists');
    const c = j.intend(
      scope,
      { verb: 'patch', ref: ref('c') },
      { op: 'patch', ref: ref('c'), patch: { data: null } },
    );
    const d = j.intend(scope, { verb: 'create', ref: ref('d') }, { op: 'delete', ref: ref('d') });
    j.done(d);
    j.reverted(d, 'reverted');
    expect(j.pending().map((e) => e.seq)).toEqual([c, a]);
    j.abandon();

    const parsed = readJournal(j.file);
    expect(parsed.ended).toBe(false);
    expect(parsed.entries.map((e) => [e.seq, e.state, e.uid])).toEqual([
      [a, 'done', 'uid-a'],
      [b, 'failed', undefined],
      [c, 'intended', undefined],
      [d, 'reverted', undefined],
    ]);
  });

  it('tolerates a torn last line (a crash mid-write) and resumes numbering', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-journal-'));
    const j = Journal.open(dir, 'run-2', '0.0.0');
    const a = j.intend(scope, { verb: 'create', ref: ref('a') }, { op: 'delete', ref: ref('a') });
    j.abandon();
    appendFileSync(j.file, '{"type":"intent","seq":2,"at":"2026-');
    const parsed = readJournal(j.file);
    expect(parsed.skippedLines).toBe(1);
    expect(parsed.entries.map((e) => e.seq)).toEqual([a]);
    const resumed = Journal.resume(j.file);
    expect(resumed.intend(scope, { verb: 'create', ref: ref('b') }, { op: 'delete', ref: ref('b') })).toBe(2);
    resumed.close(true);
    expect(readFileSync(j.file, 'utf8').trim().split('\n').at(-1)).toMatch(/"type":"end"/);
    // The record written after the torn line is on a line of its own, not glued to the fragment.
    const reread = readJournal(j.file);
    expect(reread.entries.map((e) => e.seq)).toEqual([a, 2]);
    expect(reread.skippedLines).toBe(1);
    expect(reread.ended).toBe(true);
  });

  it('needs replay only when the run is dead and something is left to undo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-journal-'));
    const file = join(dir, 'dead.jsonl');
    const begin = {
      type: 'begin',
      runId: 'dead',
      pid: 2 ** 22 + 7,
      host: 'elsewhere',
      startedAt: '',
      version: '',
    };
    const intent = {
      type: 'intent',
      seq: 1,
      at: '',
      scope,
      mutation: { verb: 'create', ref: ref('a') },
      undo: { op: 'delete', ref: ref('a') },
    };
    writeFileSync(file, `${JSON.stringify(begin)}\n${JSON.stringify(intent)}\n`);
    expect(needsReplay(readJournal(file))).toBe(true);
    appendFileSync(file, `${JSON.stringify({ type: 'reverted', seq: 1, at: '', outcome: 'reverted' })}\n`);
    expect(needsReplay(readJournal(file))).toBe(false);
  });
});
