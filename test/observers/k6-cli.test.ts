/**
 * `scars run --load k6|builtin|auto` through the real CLI (child process): bad values are exit 2
 * in one line, a demanded k6 that is missing is exit 3 before any cluster is provisioned (no
 * journal), config `load:` applies and the flag wins over it, and pod-kill-availability on the sim
 * with --load k6 and the stand-in k6 on PATH yields a report whose load samples say engine k6.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/model.ts';
import { cli, cliInProcess } from '../support/cli.ts';
import { type StandInK6, standInK6 } from './k6-stand-in.ts';

let k6: StandInK6;
let dir: string;
beforeAll(() => {
  k6 = standInK6();
  dir = mkdtempSync(join(tmpdir(), 'scars-k6-cli-'));
});
afterAll(() => {
  k6.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

interface LoadEvent {
  step: string;
  event: string;
  detail: { engine?: string; requests?: number; exitCode?: number };
}

function loadEvents(out: string): LoadEvent[] {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  return report.scenarios.flatMap((s) =>
    (s.timeline as unknown as LoadEvent[]).filter((e) => e.event.startsWith('load-')),
  );
}

describe('scars run --load', () => {
  it('a bad --load is exit 2 with one line naming the flag and the choices', async () => {
    const r = await cliInProcess(['run', 'pod-kill-availability', '--load', 'k7', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('scars: --load: expected one of auto, k6, builtin, got "k7"');
  });

  it('a bad load: in the config is exit 2 naming the file and the field', async () => {
    const file = config('bad-load.yaml', 'load: fast\n');
    const r = await cliInProcess(['run', 'pod-kill-availability', '--config', file, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/bad-load\.yaml:1: load: expected one of auto, k6, builtin/);
  });

  it('the dry run says which load engine was asked for, flag over config', async () => {
    const file = config('builtin.yaml', 'load: builtin\n');
    const fromConfig = await cliInProcess(['run', 'pod-kill-availability', '--config', file, '--dry-run']);
    expect(fromConfig.stdout).toMatch(/^load: builtin$/m);
    const flag = await cliInProcess([
      'run',
      'pod-kill-availability',
      '--config',
      file,
      '--load',
      'k6',
      '--dry-run',
    ]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^load: k6$/m);
  });

  it('--load k6 without k6 on PATH is exit 3 before any cluster is provisioned', async () => {
    const journalDir = join(dir, 'journal-missing');
    const file = config('journal.yaml', `journalDir: ${JSON.stringify(journalDir)}\n`);
    const r = await cliInProcess(['run', 'pod-kill-availability', '--config', file, '--load', 'k6']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      'scars: k6 is not installed (no executable k6 on PATH); install it from https://grafana.com/docs/k6/latest/set-up/install-k6/ or use --load builtin',
    );
    expect(r.stdout).not.toContain('provider sim');
    expect(existsSync(journalDir) ? readdirSync(journalDir) : []).toEqual([]);
  });

  it('pod-kill-availability on the sim with --load k6 reports samples measured by k6 (stand-in k6 on PATH)', async () => {
    const out = join(dir, 'k6-run');
    const before = k6.calls().length;
    const r = await cli(
      ['run', 'pod-kill-availability', '--load', 'k6', '--reporter', 'json', '--out', out],
      {
        env: { PATH: k6.path, K6_STANDIN_LOG: k6.log },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const calls = k6.calls().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.argv).toContain('--no-usage-report');
    expect(calls[0]!.argv.find((a) => a.startsWith('json='))).toMatch(/points\.jsonl$/);

    const events = loadEvents(out);
    const samples = events.filter((e) => e.event === 'load-sample');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(new Set(samples.map((e) => e.detail.engine))).toEqual(new Set(['k6']));
    expect(samples.some((e) => e.step === 'hold')).toBe(true);
    expect(events.find((e) => e.event === 'load-target')?.detail.engine).toBe('k6');
    const summary = events.find((e) => e.event === 'load-summary')!;
    // Stopped at the end of the observation: k6's graceful stop, summary written.
    expect(summary.detail).toMatchObject({ engine: 'k6', exitCode: 105 });
    expect(summary.detail.requests).toBe(samples.reduce((n, e) => n + (e.detail.requests ?? 0), 0));
  });

  it('--load auto uses k6 when it is on PATH (stand-in k6 on PATH)', async () => {
    const withK6 = join(dir, 'auto-k6');
    const a = await cliInProcess(
      ['run', 'pod-kill-availability', '--load', 'auto', '--reporter', 'json', '--out', withK6],
      {
        env: { PATH: k6.path, K6_STANDIN_LOG: k6.log },
      },
    );
    expect(a.code).toBe(0);
    expect(new Set(loadEvents(withK6).map((e) => e.detail.engine))).toEqual(new Set(['k6']));
  });

  it('--load auto (the default) uses the built-in generator when k6 is not on PATH', async () => {
    const without = join(dir, 'auto-builtin');
    const b = await cliInProcess(['run', 'pod-kill-availability', '--reporter', 'json', '--out', without]);
    expect(b.code).toBe(0);
    const engines = loadEvents(without).map((e) => e.detail.engine);
    expect(engines.length).toBeGreaterThan(0);
    expect(new Set(engines)).toEqual(new Set(['builtin']));
  });
});
