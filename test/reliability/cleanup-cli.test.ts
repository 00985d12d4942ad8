import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliInProcess } from '../support/cli.ts';

it('scars cleanup --run with an unknown run id: exit 2, one line naming --run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-cleanup-'));
  const r = await cliInProcess(['cleanup', '--run', '20260101-000000-abcdef'], { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(/^scars: --run: no journal for run 20260101-000000-abcdef in /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
