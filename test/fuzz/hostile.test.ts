/**
 * Hostile YAML at every entry point that reads it (scars.config.yaml, sim topology, kind config,
 * audit manifests): huge, deeply nested, alias bombs ("billion laughs"), very many documents, very
 * long keys. Each is refused with exit 2 and one line within a bound (10 s here; measured times
 * are printed), and nothing is contacted. Two cases go through the real binary.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, type CliResult, cliInProcess, REPO } from '../support/cli.ts';
import { makeStandIns } from '../kind/stand-ins.ts';
import { expectAnswered } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'scars-hostile-'));
const timings: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.log(`hostile inputs refused: ${timings.join(', ')}`);
});

const deepFlow = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepBlock = (levels: number) =>
  Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n';
/** Nine levels of nine aliases each: 9^9 nodes once expanded. */
const aliasBomb = (prefix = '') => {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${prefix}${lines.join('\n')}\n`;
};

const HOSTILE: Record<string, string> = {
  'huge (2 MiB)': `provider: sim\nx: "${'x'.repeat(2 * 1024 * 1024)}"\n`,
  'deep flow nesting (10k levels)': `x: ${deepFlow(10_000)}\n`,
  'deep block nesting (200 levels)': deepBlock(200),
  'alias bomb': aliasBomb(),
  'long key (512 KiB)': `${'k'.repeat(512 * 1024)}: 1\n`,
};

async function refusedInTime(name: string, run: () => Promise<CliResult>) {
  const started = performance.now();
  const r = await run();
  const ms = performance.now() - started;
  timings.push(`${name} ${Math.round(ms)} ms`);
  expectAnswered(r, [2], `hostile ${name}`);
  expect(ms).toBeLessThan(10_000);
  return r;
}

describe.each(Object.entries(HOSTILE))('%s', (name, text) => {
  it('scars.config.yaml: refused, exit 2, one line', async () => {
    const project = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(project, 'scars.config.yaml'), text);
    const r = await refusedInTime(`config ${name}`, () => cliInProcess(['list'], { cwd: project }));
    expect(r.stderr).toContain('scars.config.yaml');
  });

  it('sim topology (--topology FILE): refused before anything starts', async () => {
    const project = mkdtempSync(join(dir, 'topo-'));
    writeFileSync(join(project, 'topology.yaml'), text);
    writeFileSync(join(project, 'scars.config.yaml'), `scenarioDirs: [${join(REPO, 'scenarios')}]\n`);
    const r = await refusedInTime(`topology ${name}`, () =>
      cliInProcess(['run', 'pod-kill-availability', '--topology', 'topology.yaml', '--dry-run'], {
        cwd: project,
      }),
    );
    expect(r.stderr).toContain('topology.yaml');
  });

  it('kind config (cluster up --config, stand-in tools): refused, no tool creates anything', async () => {
    const tools = makeStandIns();
    try {
      const project = mkdtempSync(join(dir, 'kind-'));
      writeFileSync(join(project, 'kind.yaml'), text);
      await refusedInTime(`kind config ${name}`, () =>
        cliInProcess(['cluster', 'up', '--config', 'kind.yaml'], { cwd: project, env: tools.env }),
      );
      expect(tools.lines('kind').filter((l) => l.startsWith('create'))).toEqual([]);
    } finally {
      tools.cleanup();
    }
  });

  // Audit reads manifests up to 8 MiB a file (its own bound, tested below with 50 MB).
  it.skipIf(name.startsWith('huge'))('audit manifest: refused, exit 2, one line', async () => {
    const project = mkdtempSync(join(dir, 'audit-'));
    writeFileSync(
      join(project, 'm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  ${text.replaceAll('\n', '\n  ')}`,
    );
    await refusedInTime(`audit ${name}`, () => cliInProcess(['audit', 'm.yaml'], { cwd: project }));
  });
});

describe('audit: sizes beyond its bounds', () => {
  it('a 50 MB manifest is refused from its size, without parsing (real binary)', async () => {
    const project = mkdtempSync(join(dir, 'audit-big-'));
    writeFileSync(
      join(project, 'big.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  x: "${'x'.repeat(50 * 1024 * 1024)}"\n`,
    );
    const r = await refusedInTime('audit 50 MB (binary)', () => cli(['audit', 'big.yaml'], { cwd: project }));
    expect(r.stderr).toMatch(/big\.yaml/);
  }, 30_000);

  it('30,000 documents in one file are answered within the bound', async () => {
    const project = mkdtempSync(join(dir, 'audit-docs-'));
    writeFileSync(
      join(project, 'many.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n'.repeat(30_000),
    );
    const started = performance.now();
    const r = await cliInProcess(['audit', 'many.yaml', '--format', 'json'], { cwd: project });
    const ms = performance.now() - started;
    timings.push(`audit 30k documents ${Math.round(ms)} ms (exit ${r.code})`);
    expectAnswered(r, [0, 1, 2], 'hostile many documents');
    expect(ms).toBeLessThan(20_000);
  }, 30_000);

  it('an alias bomb in scars.config.yaml through the real binary', async () => {
    const project = mkdtempSync(join(dir, 'cfg-bin-'));
    writeFileSync(join(project, 'scars.config.yaml'), aliasBomb('provider: sim\n'));
    const r = await refusedInTime('config alias bomb (binary)', () => cli(['list'], { cwd: project }));
    expect(r.stderr.trim()).toBe(
      'scars: scars.config.yaml: more than 100 alias expansions (a YAML alias bomb?); refusing it',
    );
  }, 30_000);
});
