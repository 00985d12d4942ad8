/**
 * `scars upgrade-check` and `scars run --baseline` through the CLI on the sim: exit codes, the scan
 * in the output, the reports and comparison written, and bad input refused before any cluster.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/model.ts';
import { cli, cliInProcess } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'scars-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The quickest upgrade-suite scenario without load (its verdict does not hang on machine noise). */
const SCENARIO = 'node-pressure-qos';

describe('scars upgrade-check (sim)', () => {
  it.each([
    [['--from', '1.3x', '--to', '1.32'], '--from: expected a Kubernetes minor version like 1.32, got "1.3x"'],
    [['--from', '1.32', '--to', '1.31'], '--to: expected a version after --from 1.32, got 1.31'],
    [['--from', '1.31', '--to', '1.31'], '--to: expected a version after --from 1.31, got 1.31'],
    [['--from', 'v2.1', '--to', '1.32'], '--from: expected a Kubernetes minor version like 1.32, got "v2.1"'],
    [
      ['--from', '1.22', '--to', '1.25'],
      '--from: the simulated cluster presents Kubernetes 1.23 to 1.34, got 1.22 (use --provider kind for others)',
    ],
    [['--to', '1.32'], 'upgrade-check: name both versions, e.g. --from 1.31 --to 1.32'],
  ])('bad versions %j: exit 2, one line', async (args, message) => {
    const r = await cliInProcess(['upgrade-check', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`scars: ${message}`);
    expect(r.stderr).not.toContain('running');
  });

  it('unreadable manifests: exit 2 naming the file, before any cluster', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: [unclosed\n');
    const r = await cliInProcess([
      'upgrade-check',
      '--from',
      '1.31',
      '--to',
      '1.32',
      '--manifests',
      bad,
      SCENARIO,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:3: not valid YAML/);
    expect(r.stderr).not.toContain('running');
  });

  it('clean manifests and no regression: exit 0, both reports and comparison.json written', async () => {
    const out = join(dir, 'clean');
    const r = await cli([
      'upgrade-check',
      SCENARIO,
      '--from',
      '1.31',
      '--to',
      '1.32',
      '--manifests',
      'test/fixtures/upgrade/clean',
      '--out',
      out,
    ]);
    expect(r.stderr).toContain('running 1 scenario(s) on sim at Kubernetes 1.31');
    expect(r.stderr).toContain('running 1 scenario(s) on sim at Kubernetes 1.32');
    expect(r.stdout).toContain('Kubernetes 1.31 → 1.32 (sim, simulated)');
    expect(r.stdout).toContain(
      'Manifests: 3 object(s) in 1 file(s): 0 removed in 1.32 or earlier (blocking), 0 deprecated',
    );
    expect(r.stdout).toMatch(new RegExp(`^${SCENARIO}\\s+passed\\s+passed\\s*$`, 'm'));
    expect(r.stdout).toContain('no regressions');
    expect(r.stdout).toContain('ready for 1.32 as far as scars can tell: no removed APIs, no regressions');
    expect(r.code).toBe(0);
    for (const v of ['1.31', '1.32']) {
      const report = JSON.parse(readFileSync(join(out, v, 'report.json'), 'utf8')) as RunReport;
      expect(report.scenarios.map((s) => s.name)).toEqual([SCENARIO]);
      // Each side ran on a cluster that says it is that release.
      expect(report.cluster?.version).toBe(`v${v}.0+scars-sim`);
    }
    expect(r.stdout).toContain('the Kubernetes version changed: v1.31.0+scars-sim → v1.32.0+scars-sim');
    const saved = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as {
      comparison: { regressions: unknown[]; baseline: { label: string } };
    };
    expect(saved.comparison.baseline.label).toBe('1.31');
    expect(saved.comparison.regressions).toEqual([]);
  }, 180_000);

  it('a policy/v1beta1 PodDisruptionBudget and --to 1.25: exit 1 naming file, line and replacement (--scan-only: no cluster)', async () => {
    const out = join(dir, 'legacy');
    const r = await cliInProcess([
      'upgrade-check',
      '--from',
      '1.24',
      '--to',
      '1.25',
      '--manifests',
      'test/fixtures/upgrade/legacy/pdb.yaml',
      '--scan-only',
      '--out',
      out,
    ]);
    expect(r.stdout).toContain('Kubernetes 1.24 → 1.25 (manifests only, no cluster started)');
    expect(r.stdout).toContain(
      '✘ test/fixtures/upgrade/legacy/pdb.yaml:2: removed in 1.25: policy/v1beta1 PodDisruptionBudget web → use policy/v1',
    );
    expect(r.stdout).toContain('not ready for 1.25: 1 object(s) use APIs removed by 1.25');
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    // Without the removed API nothing blocks; --scan-only without manifests is bad usage.
    const clean = await cliInProcess([
      'upgrade-check',
      '--from',
      '1.24',
      '--to',
      '1.25',
      '--manifests',
      'test/fixtures/upgrade/clean',
      '--scan-only',
    ]);
    expect(clean.stdout).toContain('no API used by these manifests is removed by 1.25');
    expect(clean.code).toBe(0);
    const bare = await cliInProcess(['upgrade-check', '--from', '1.24', '--to', '1.25', '--scan-only']);
    expect(bare.code).toBe(2);
    expect(bare.stderr.split('\n')[0]).toBe(
      'scars: --scan-only: name the manifests to scan with --manifests DIR|FILE|-',
    );
  });
});

describe('scars run --baseline', () => {
  it('a baseline that is not a scars report: exit 2, one line, nothing run', async () => {
    const bad = join(dir, 'not-a-report.json');
    writeFileSync(bad, JSON.stringify({ tool: 'scars', runId: 'x', provider: 'sim', startedAt: 'x' }));
    const out = join(dir, 'never');
    const r = await cliInProcess(['run', 'pod-kill-availability', '--baseline', bad, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`scars: --baseline ${bad}: scenarios: expected a list`);
    expect(existsSync(out)).toBe(false);
  });

  it('a doctored baseline with better numbers: exit 1, the regression named, comparison.json next to report.json', async () => {
    const first = join(dir, 'first');
    const a = await cli(['run', 'pod-kill-availability', '--reporter', 'json', '--out', first]);
    expect(a.code).toBe(0);
    const baseline = JSON.parse(readFileSync(join(first, 'report.json'), 'utf8')) as RunReport;
    // Better than any real run can be: ten Ready replicas throughout the fault window.
    let doctored = 0;
    for (const e of baseline.scenarios[0]?.timeline ?? []) {
      if (e.event === 'sample' && e.detail?.observer === 'pod-readiness') {
        e.detail.ready = 10;
        doctored++;
      }
    }
    expect(doctored).toBeGreaterThan(0);
    const baselineFile = join(dir, 'baseline.json');
    writeFileSync(baselineFile, JSON.stringify(baseline));

    const second = join(dir, 'second');
    const b = await cli([
      'run',
      'pod-kill-availability',
      '--reporter',
      'json',
      '--out',
      second,
      '--baseline',
      baselineFile,
    ]);
    expect(b.stdout).toContain(`Compared with ${baseline.runId}`);
    expect(b.stdout).toMatch(/✘ pod-kill-availability: fewest Ready pods 10 → [0-3]\n/);
    expect(b.code).toBe(1);
    const saved = JSON.parse(readFileSync(join(second, 'comparison.json'), 'utf8')) as {
      regressions: { scenario: string; kind: string }[];
    };
    expect(saved.regressions).toContainEqual(
      expect.objectContaining({ scenario: 'pod-kill-availability', kind: 'metric' }),
    );
    expect(existsSync(join(second, 'report.json'))).toBe(true);
  }, 180_000);
});
