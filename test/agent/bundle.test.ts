/**
 * The agent as the image runs it: the esbuild bundle works alone (no node_modules, no tsx), the
 * Dockerfile runs the file the bundle script writes, and `npm run image:agent` drives Docker as
 * documented (checked against a stand-in `docker` that records its argv).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_MODES, parseAgentLog } from '../../src/agent/output.ts';
import { AGENT_BUNDLE } from '../../scripts/build-agent.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const DOCKERFILE = readFileSync(join(REPO, 'images/agent/Dockerfile'), 'utf8');

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scars-agent-bundle-'));
  const built = await execa(
    process.execPath,
    ['--import', 'tsx', 'scripts/build-agent.ts', '--outdir', join(dir, 'out')],
    { cwd: REPO, reject: false },
  );
  expect(built.exitCode, built.stderr).toBe(0);
  bundle = join(dir, 'out', AGENT_BUNDLE);
  expect(built.stdout).toContain(`scars-agent ${VERSION}`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundle from an empty directory, far from the repo's node_modules. */
const runBundle = (args: string[]) =>
  execa(process.execPath, [bundle, ...args], {
    cwd: dir,
    reject: false,
    env: { SCARS_AGENT_LOOPBACK_ONLY: '1' },
    extendEnv: true,
    timeout: 10_000,
  });

describe('the agent bundle', () => {
  it('imports nothing but Node built-ins', () => {
    const text = readFileSync(bundle, 'utf8');
    const specifiers = [...text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
    expect(specifiers.length).toBeGreaterThan(0);
    const builtins = new Set(builtinModules);
    for (const s of specifiers) expect(builtins.has(s.replace(/^node:/, '')), s).toBe(true);
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('--help lists every mode and exits 0', async () => {
    const help = await runBundle(['--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    for (const mode of AGENT_MODES) expect(help.stdout).toMatch(new RegExp(`scars-agent ${mode}\\b`));
    const version = await runBundle(['--version']);
    expect(version.stdout.trim()).toBe(VERSION);
  });

  it('runs memhog to its summary', async () => {
    const run = await runBundle(['memhog', '--target', '8Mi', '--rate', '800Mi/s', '--hold', '100ms']);
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = parseAgentLog(run.stdout);
    expect(lines[0]).toMatchObject({ event: 'start', host: 'real', version: VERSION });
    expect(lines.at(-1)).toMatchObject({
      event: 'summary',
      exitCode: 0,
      stoppedBy: 'duration',
      allocatedBytes: 8 * 1024 * 1024,
      targetReached: true,
    });
  });
});

describe('images/agent/Dockerfile', () => {
  const instructions = DOCKERFILE.replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const arg = (keyword: string) =>
    instructions
      .filter((l) => l.toUpperCase().startsWith(`${keyword} `))
      .map((l) => l.slice(keyword.length + 1));

  it('runs the file the bundle script writes, from its build stage', () => {
    const entrypoint = JSON.parse(arg('ENTRYPOINT').at(-1) as string) as string[];
    expect(entrypoint[0]).toBe('node');
    const agentPath = entrypoint[1] as string;
    expect(basename(agentPath)).toBe(basename(bundle));
    expect(JSON.parse(arg('CMD').at(-1) as string)).toEqual(['serve']);

    // The build stage bundles into /out with the same script; the runtime stage copies that file.
    const build = arg('RUN').find((r) => r.includes('scripts/build-agent.ts')) as string;
    const outdir = /--outdir\s+(\S+)/.exec(build)?.[1];
    expect(arg('COPY')).toContain(`--from=build ${outdir}/${AGENT_BUNDLE} ${agentPath}`);
    // The scars-agent shim runs the same file, and the image does not run as root.
    expect(DOCKERFILE).toContain(`exec node ${agentPath} "$@"`);
    expect(arg('USER').at(-1)).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('has a build context with what the build stage copies and nothing heavy', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8');
    for (const kept of ['package.json', 'package-lock.json', 'src/', 'scripts/', 'tsconfig.json'])
      expect(ignore).toContain(`!${kept}`);
    expect(ignore.split('\n')).toContain('*');
  });
});

describe('npm run image:agent with a stand-in docker', () => {
  let bin: string;
  let log: string;

  beforeAll(() => {
    bin = join(dir, 'bin');
    log = join(dir, 'docker-calls.jsonl');
    mkdirSync(bin);
    // Records argv and cwd; `docker info` fails when STANDIN_DOCKER_ENGINE=down, as with no daemon.
    writeFileSync(
      join(bin, 'docker'),
      `#!${process.execPath}
const { appendFileSync } = require('node:fs');
appendFileSync(process.env.STANDIN_DOCKER_LOG, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }) + '\\n');
if (process.argv[2] === 'info' && process.env.STANDIN_DOCKER_ENGINE === 'down') {
  console.error('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  process.exit(1);
}
`,
    );
    chmodSync(join(bin, 'docker'), 0o755);
  });

  const imageAgent = async (args: string[], env: Record<string, string> = {}) => {
    rmSync(log, { force: true });
    const { SCARS_AGENT_IMAGE: _ignored, ...inherited } = process.env;
    const result = await execa(
      'npm',
      ['run', '--silent', 'image:agent', ...(args.length ? ['--', ...args] : [])],
      {
        cwd: REPO,
        reject: false,
        extendEnv: false,
        env: { ...inherited, PATH: `${bin}${delimiter}${process.env.PATH}`, STANDIN_DOCKER_LOG: log, ...env },
        timeout: 15_000,
      },
    );
    let calls: { argv: string[]; cwd: string }[] = [];
    try {
      calls = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { argv: string[]; cwd: string });
    } catch {
      // no calls
    }
    const ours = result.stderr.split('\n').filter((l) => l.startsWith('image:agent:'));
    return { result, calls, ours };
  };

  it('reports a missing engine in one line and exits 3 without building', async () => {
    const { result, calls, ours } = await imageAgent([], { STANDIN_DOCKER_ENGINE: 'down' });
    expect(result.exitCode).toBe(3);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/no Docker engine.*Cannot connect to the Docker daemon/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(calls.map((c) => c.argv)).toEqual([['info']]);
  });

  it('builds scars-agent:<version> from the repository root', async () => {
    const { result, calls } = await imageAgent([]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(calls.map((c) => c.argv)).toEqual([
      ['info'],
      ['build', '-f', 'images/agent/Dockerfile', '-t', `scars-agent:${VERSION}`, '.'],
    ]);
    expect(calls[1]?.cwd).toBe(REPO.replace(/\/$/, ''));
    expect(result.stdout).toContain(`built image scars-agent:${VERSION}`);
  });

  it('takes the image from SCARS_AGENT_IMAGE, and --image over it', async () => {
    const fromEnv = await imageAgent([], { SCARS_AGENT_IMAGE: 'registry.local/agent:dev' });
    expect(fromEnv.calls.at(-1)?.argv).toContain('registry.local/agent:dev');
    const fromFlag = await imageAgent(['--image', 'agent:flag'], {
      SCARS_AGENT_IMAGE: 'registry.local/agent:dev',
    });
    expect(fromFlag.calls.at(-1)?.argv).toEqual([
      'build',
      '-f',
      'images/agent/Dockerfile',
      '-t',
      'agent:flag',
      '.',
    ]);
  });
});
