/**
 * The soak (`npm run soak`, bench/soak.ts) in small: the same code, two iterations of the smoke
 * suite with controls on one sim, through the real script in a child process. It must find no
 * leaked object and the same verdicts twice (RSS is not judged on two iterations). The leak
 * detector and the pass/fail rules are also shown to catch what they are for.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSoakFlags, SoakFlagError } from '../../bench/soak/flags.ts';
import {
  diffInventory,
  formatDifference,
  quietInventory,
  takeInventory,
} from '../../bench/soak/inventory.ts';
import { judgeSoak } from '../../bench/soak/judge.ts';
import type { IterationResult, SoakResult } from '../../bench/soak/soak.ts';
import { CONFIG_MAPS, EVENTS, NAMESPACES, NODES } from '../../src/sim/kinds/resources.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import { REPO } from '../support/cli.ts';

/** `npm run soak -- <args>`, without npm: the script's own command line from package.json. */
function soakScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, ...rest] = (pkg.scripts.soak ?? '').split(' ');
  expect(node).toBe('node');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...rest, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run soak (smoke: 2 iterations of the smoke suite, real child process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scars-soak-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no object behind and gives the same verdicts twice', async () => {
    const json = join(dir, 'soak.json');
    const r = await soakScript(['--iterations', '2', '--suite', 'smoke', '--json', json]);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as SoakResult & { failures: string[] };
    expect(result.failures).toEqual([]);
    expect(result.scenarios.sort()).toEqual(['cert-expiry', 'imds-block', 'oom-limits']);
    expect(result.iterations).toHaveLength(2);
    const [first, second] = result.iterations as [IterationResult, IterationResult];
    for (const it of result.iterations) {
      expect(it.differences, `iteration ${it.iteration}`).toEqual([]);
      expect(it.runError).toBeNull();
      expect(Object.keys(it.verdicts).sort()).toEqual(result.scenarios);
      expect(it.rssBytes).toBeGreaterThan(0);
    }
    expect(second.verdicts).toEqual(first.verdicts);
    // The table: a header and one row per iteration, then the verdicts and the outcome.
    expect(r.stdout).toMatch(/^iter\s+wall s\s+verdicts\s+leaks/m);
    expect(r.stdout).toMatch(/^1\s+\d+\.\d\s+/m);
    expect(r.stdout).toMatch(/^2\s+\d+\.\d\s+/m);
    expect(r.stdout).toContain('soak passed');
    console.log(
      `soak smoke: ${result.iterations.map((i) => `${(i.wallMs / 1000).toFixed(1)} s`).join(', ')}; baseline ${result.baselineEntries} entries`,
    );
  }, 180_000);

  it('names a bad flag in one line and exits 2', async () => {
    const r = await soakScript(['--iterations', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['soak: --iterations: expected a whole number ≥ 1, got "0"']);
    expect(r.stdout).toBe('');
  }, 60_000);
});

describe('soak flags', () => {
  it('defaults to the nightly suite 20 times at the run default time scale', () => {
    expect(parseSoakFlags([])).toEqual({ iterations: 20, suite: 'nightly', timeScale: 20, json: undefined });
    expect(parseSoakFlags(['--iterations', '3', '--suite', 'smoke', '--time-scale', '5'])).toMatchObject({
      iterations: 3,
      suite: 'smoke',
      timeScale: 5,
    });
  });

  it.each([
    [['--iterations', '2.5'], /--iterations: expected a whole number/],
    [['--time-scale', '0'], /--time-scale: expected a number > 0/],
    [['--suite', 'Night Ly'], /--suite: expected a suite name/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'|positional/],
  ])('%j is refused', (args, message) => {
    expect(() => parseSoakFlags(args)).toThrow(SoakFlagError);
    expect(() => parseSoakFlags(args)).toThrow(message);
  });
});

describe('the soak inventory (what counts as leaked)', () => {
  it('finds a leaked namespace, a node left tainted and a changed kube-system object, and ignores Events', async () => {
    const sim = await startSimCluster({ timeScale: 20 });
    try {
      const baseline = await quietInventory(sim, 10_000, 180_000);
      expect(diffInventory(baseline, takeInventory(sim))).toEqual([]);
      const manager = { manager: 'test' };

      // Events in a namespace that exists are Kubernetes' own (kept for their TTL): not a leak.
      sim.registry.create(
        EVENTS,
        'default',
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'noise' },
          involvedObject: { kind: 'Node', name: sim.nodes[0] },
          reason: 'Test',
          message: 'noise',
        },
        manager,
      );
      expect(diffInventory(baseline, takeInventory(sim))).toEqual([]);

      sim.registry.create(
        NAMESPACES,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'leaked' } },
        manager,
      );
      const node = sim.registry.get(NODES, undefined, sim.nodes[1]!);
      const spec = (node.spec ?? {}) as { taints?: unknown[] };
      sim.registry.replace(
        NODES,
        node,
        {
          ...structuredClone(node),
          spec: {
            ...spec,
            taints: [...(spec.taints ?? []), { key: 'scars.dev/left', effect: 'NoSchedule' }],
          },
        },
        manager,
      );
      const corefile = sim.registry.get(CONFIG_MAPS, 'kube-system', 'coredns');
      sim.registry.replace(
        CONFIG_MAPS,
        corefile,
        { ...structuredClone(corefile), data: { Corefile: '.:53 { forward . 10.0.0.1 }' } },
        manager,
      );

      const found = diffInventory(baseline, takeInventory(sim)).map(formatDifference);
      expect(found.find((l) => l.startsWith('left behind: Namespace leaked'))).toBeDefined();
      expect(
        found.find((l) => l.startsWith(`changed: Node ${sim.nodes[1]}`) && l.includes('scars.dev/left')),
      ).toBeDefined();
      expect(found.find((l) => l.startsWith('changed: ConfigMap kube-system/coredns'))).toBeDefined();
    } finally {
      await sim.stop();
    }
  }, 60_000);
});

describe('soak pass/fail rules', () => {
  const iteration = (n: number, over: Partial<IterationResult> = {}): IterationResult => ({
    iteration: n,
    wallMs: 1000,
    verdicts: { a: 'passed (main passed, control failed)' },
    reasons: { a: '1 assertion(s) held' },
    differences: [],
    settledAfterMs: 0,
    rssBytes: 300e6,
    heapUsedBytes: 100e6,
    heapTotalBytes: 120e6,
    externalBytes: 5e6,
    activeResources: 10,
    events: 0,
    runError: null,
    ...over,
  });

  it('passes a steady soak, and does not judge RSS before there are two iterations after warm-up', () => {
    expect(judgeSoak([iteration(1), iteration(2), iteration(3, { rssBytes: 329e6 })])).toMatchObject({
      failures: [],
    });
    expect(judgeSoak([iteration(1, { rssBytes: 100e6 }), iteration(2, { rssBytes: 900e6 })])).toEqual({
      failures: [],
      rssGrowth: null,
    });
  });

  it('fails on RSS growth over 10% from iteration 2, a changed verdict, a leak or a run error', () => {
    // Iteration 1 is warm-up: its lower RSS does not count.
    const rss = judgeSoak([
      iteration(1, { rssBytes: 100e6 }),
      iteration(2),
      iteration(3, { rssBytes: 331e6 }),
    ]);
    expect(rss.failures).toEqual([expect.stringMatching(/^RSS grew 10\.3% from iteration 2/)]);
    const verdict = judgeSoak([
      iteration(1),
      iteration(2, {
        verdicts: { a: 'inconclusive (main passed, control passed)' },
        reasons: { a: 'control arm passed' },
      }),
    ]);
    expect(verdict.failures).toEqual([
      'iteration 2: a changed verdict: passed (main passed, control failed) → inconclusive (main passed, control passed) (control arm passed)',
    ]);
    const leak = judgeSoak([
      iteration(1, { differences: [{ kind: 'left behind', key: 'Namespace scars-x' }] }),
    ]);
    expect(leak.failures).toEqual([
      'iteration 1: 1 object(s) differ from the baseline:\n  left behind: Namespace scars-x',
    ]);
    expect(judgeSoak([iteration(1, { runError: 'boom' })]).failures).toEqual([
      'iteration 1: the run failed: boom',
    ]);
  });
});
