/**
 * The CLI: help, list, validate, dry-run, bad input and exit codes. Help, scenario-file errors (the
 * binary's own TypeScript loader words them) and a sim run go through the real binary in a child
 * process; the rest through main() in-process, the same parser, handlers and exit codes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as cliChild, cliInProcess as cli, REPO } from './support/cli.ts';
import { untouchableCluster } from './support/cluster.ts';

describe('scars CLI', () => {
  it('--help lists the commands and exit codes', async () => {
    const r = await cliChild(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['run', 'list', 'validate', 'cleanup', '130 interrupted'])
      expect(r.stdout).toContain(word);
  });

  it('run --help explains the flags', async () => {
    const r = await cliChild(['run', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--suite', '--provider', '--reporter', '--out', '--control', '--dry-run']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('agent --help lists the modes; a bad mode or flag is exit 2 with one line', async () => {
    const help = await cliChild(['agent', '--help']);
    expect(help.code).toBe(0);
    for (const mode of ['memhog', 'dnsflood', 'dnsprobe', 'httpprobe', 'tlsprobe', 'imdsprobe', 'serve'])
      expect(help.stdout).toContain(`scars agent ${mode}`);
    const bad = await cli(['agent', 'memhogg']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Did you mean memhog\?/);
    const flag = await cli(['agent', 'memhog', '--target', 'lots'], {
      env: { SCARS_AGENT_LOOPBACK_ONLY: '1' },
    });
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim().split('\n')[0]).toBe(
      'scars-agent memhog: --target: expected a byte size such as 256Mi, 1Gi or 1048576, got "lots"',
    );
  });

  it('list shows the built-in scenarios', async () => {
    const r = await cli(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pod-kill-availability\s+default,nightly/);
  });

  it('validate passes the built-in scenarios', async () => {
    const r = await cli(['validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok   scenarios/pod-kill-availability.ts (pod-kill-availability)');
  });

  it.each([
    [
      'bad-duration.ts',
      /^test\/fixtures\/bad\/bad-duration\.ts:11: hold: expected a duration like "30s".*got "thirty seconds"$/,
    ],
    [
      'unknown-field.ts',
      /^test\/fixtures\/bad\/unknown-field\.ts:11: setle: unknown field \(did you mean "settle"\?\)$/,
    ],
    ['missing-kind.ts', /^test\/fixtures\/bad\/missing-kind\.ts:10: workloads\[1\]\.kind: expected a kind/],
    [
      'not-wrapped.ts',
      /^test\/fixtures\/bad\/not-wrapped\.ts: export default: expected `export default defineScenario/,
    ],
    ['syntax-error.ts', /^test\/fixtures\/bad\/syntax-error\.ts:6: Expected "}" but found "workloads"$/],
  ])('validate %s: exit 2 and one line naming file, line and field', async (file, re) => {
    const r = await cliChild(['validate', `test/fixtures/bad/${file}`]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(re);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('run rejects a broken scenario with exit 2 before any cluster is contacted', async () => {
    const r = await cli(['run', 'test/fixtures/bad/bad-duration.ts', '--provider', 'context']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-duration\.ts:11: hold:/);
  });

  // One test per case: each starts the CLI (about 2 s each), and a busy machine must not push six
  // of them past one test's timeout.
  it.each<[string[], RegExp]>([
    [
      ['run', 'pod-kill-availabilty'],
      /unknown scenario "pod-kill-availabilty" \(did you mean "pod-kill-availability"\?\)/,
    ],
    [['run', '--suite', 'nightlyy'], /unknown suite "nightlyy" \(did you mean "nightly"\?\)/],
    [['run', '--controll'], /Unknown argument: controll \(did you mean --control\?\)/],
    [['rnu'], /unknown command "rnu". Did you mean run\?/],
    [['run', '--reporter', 'junt'], /unknown reporter "junt" \(did you mean "junit"\?\)/],
    [['run', '--provider', 'kube'], /Invalid values:[\s\S]*provider/],
  ])('unknown scenario, suite, flag or command (%j): exit 2 with a suggestion', async (args, re) => {
    const r = await cli(args);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('a bad YAML config: exit 2 naming file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-cfg-'));
    writeFileSync(join(dir, 'scars.config.yaml'), 'provider: sim\nreporters:\n  - console\n  - xml\n');
    const r = await cli(['list'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'scars: scars.config.yaml:4: reporters[1]: expected one of console, json, junit, html, got "xml"',
    );
  });

  it('run --dry-run prints the plan and opens no connection', async () => {
    // A listener standing in for the cluster: the dry run must never connect to it.
    const target = await untouchableCluster(mkdtempSync(join(tmpdir(), 'scars-dry-')));
    const { kubeconfig } = target;
    try {
      const r = await cli([
        'run',
        'pod-kill-availability',
        '--control',
        '--dry-run',
        '--provider',
        'context',
        '--kubeconfig',
        kubeconfig,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Deployment/web');
      expect(r.stdout).toContain('inject: pod-kill');
      expect(r.stdout).toContain('control arm (no mitigation; assertions must FAIL)');
      expect(target.connections()).toBe(0);
    } finally {
      target.close();
    }
  });

  it('the sim provider runs a scenario and its control: passed, control failed, report labelled simulated', async () => {
    // Run from a scratch folder so the run's journal does not land in the repository.
    const dir = mkdtempSync(join(tmpdir(), 'scars-sim-'));
    writeFileSync(join(dir, 'scars.config.yaml'), `scenarioDirs: [${join(REPO, 'scenarios')}]\n`);
    const r = await cliChild(
      ['run', 'pod-kill-availability', '--control', '--time-scale', '10', '--reporter', 'json', '--out', dir],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      provider: string;
      simulated: boolean;
      scenarios: { name: string; verdict: string; control?: { verdict: string } }[];
    };
    expect(report.provider).toBe('sim');
    expect(report.simulated).toBe(true);
    expect(report.scenarios[0]).toMatchObject({
      name: 'pod-kill-availability',
      verdict: 'passed',
      control: { verdict: 'failed' },
    });
  }, 120_000);

  it('--topology names a shipped topology or fails with one line and exit 2 before anything starts', async () => {
    const r = await cli(['run', 'pod-kill-availability', '--topology', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^scars: --topology: no topology file or name "nope"; expected .* or one of: default, large, memory-pressure$/,
    );
    const other = await cli([
      'run',
      'pod-kill-availability',
      '--provider',
      'context',
      '--topology',
      'default',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--topology: only applies to --provider sim/);
  });
  it('list --json is machine-readable', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as {
      scenarios: { name: string; control: boolean }[];
      suites: string[];
    };
    expect(parsed.scenarios.find((s) => s.name === 'pod-kill-availability')?.control).toBe(true);
    expect(parsed.suites).toEqual(['default', 'nightly', 'smoke', 'upgrade']);
  });

  it('an unreachable local cluster: exit 3 naming the server', async () => {
    // Bind then close a port, so nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dir = mkdtempSync(join(tmpdir(), 'scars-down-'));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: local, context: {cluster: c, user: u}}]\ncurrent-context: local\n`,
    );
    writeFileSync(join(dir, 'scars.config.yaml'), `scenarioDirs: [${join(REPO, 'scenarios')}]\n`);
    const r = await cli(
      [
        'run',
        'pod-kill-availability',
        '--provider',
        'context',
        '--kubeconfig',
        kubeconfig,
        '--yes',
        '--reporter',
        'json',
        '--out',
        dir,
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(`cannot reach the API server of context "local" \\(http://127.0.0.1:${port}\\)`),
    );
  });
});
