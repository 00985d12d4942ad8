/**
 * The journal survives its writer being killed mid-stream: a child process appends records as fast
 * as it can and gets SIGKILL. Every record before the kill is readable, at most the last line is
 * torn, and a resumed journal (what `scars cleanup` does) goes on writing whole lines after it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Journal, readJournal } from '../../src/harness/journal.ts';
import { REPO } from '../support/cli.ts';

const WRITER = `
import { Journal } from './src/harness/journal.ts';
const j = Journal.open(process.argv[1], 'crash-run', '0.0.0');
const ref = (i) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'cm-' + i });
process.stdout.write('ready\\n');
// Bounded: the test kills it long before the end.
for (let i = 0; i < 200000; i++) {
  const seq = j.intend({ step: 'inject' }, { verb: 'create', ref: ref(i) }, { op: 'delete', ref: ref(i) });
  j.done(seq);
}
`;

it('a writer killed with SIGKILL leaves a readable journal that cleanup can resume', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-journal-crash-'));
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER, dir], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));

  const [file] = readdirSync(dir);
  const path = join(dir, file!);
  const parsed = readJournal(path);
  expect(parsed.ended).toBe(false);
  expect(parsed.skippedLines).toBeLessThanOrEqual(1);
  const seqs = parsed.entries.map((e) => e.seq);
  expect(seqs.length).toBeGreaterThan(10);
  // Nothing in the middle is lost: 1..n without a gap.
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));

  const resumed = Journal.resume(path);
  const next = resumed.intend(
    { step: 'cleanup' },
    { verb: 'delete', ref: { apiVersion: 'v1', kind: 'Namespace', name: 'x' } },
    { op: 'none', reason: 'test' },
  );
  resumed.close(true);
  const after = readJournal(path);
  expect(after.ended).toBe(true);
  expect(after.entries.at(-1)?.seq).toBe(next);
  expect(after.skippedLines).toBe(parsed.skippedLines);
});
