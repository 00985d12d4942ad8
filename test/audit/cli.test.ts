/**
 * `scars audit` through the CLI: the exit codes, stdin and hostile input through the real one
 * (bin/scars.js in a child process, one at a time: each start-up compiles the CLI); flags and formats
 * through main() in-process, the same yargs parser and exit-code mapping without the start-up cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, cli, cliInProcess, REPO } from '../support/cli.ts';
import { expiringLeaf } from '../support/certs.ts';

const RULES_DIR = 'test/fixtures/audit/rules';
const bad = (rule: string) => `${RULES_DIR}/${rule}/bad.yaml`;
const good = (rule: string) => `${RULES_DIR}/${rule}/good.yaml`;

/** Like cli(), with something written to the child's stdin. */
function cliWithInput(args: string[], input: string | Buffer): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The CLI may stop reading early (input over the size bound): a closed pipe is expected then.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'scars-audit-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inProcess = (args: string[]) => cliInProcess(args);

function aliasBomb(): string {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
}

describe('scars audit (real CLI)', { timeout: 120_000 }, () => {
  it('exits 1 on an error finding, 0 when there are only warnings (default --fail-on error)', async () => {
    const dirty = await cli(['audit', bad('liveness-fragile')]);
    expect(dirty.code, dirty.stderr).toBe(1);
    expect(dirty.stdout).toContain(
      `${bad('liveness-fragile')}\n  24:13  error    liveness-fragile  Deployment liveness-bad/api:`,
    );
    expect(dirty.stdout).toContain('(--fail-on error: failing)');
    const warnings = await cli(['audit', bad('readiness-missing')]);
    expect(warnings.code, warnings.stderr).toBe(0);
    expect(warnings.stdout).toContain('(--fail-on error: passing)');
  });

  it('reads stdin with -, and emits SARIF pointing at <stdin> lines', async () => {
    const text = readFileSync(join(REPO, bad('memory-limit-ratio')), 'utf8');
    const res = await cliWithInput(['audit', '-', '--format', 'sarif', '--fail-on', 'warning'], text);
    expect(res.code, res.stderr).toBe(1);
    const log = JSON.parse(res.stdout) as {
      version: string;
      runs: {
        results: {
          ruleId: string;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    const ratio = log.runs[0]?.results.find((r) => r.ruleId === 'memory-limit-ratio');
    expect(ratio?.level).toBe('warning');
    expect(ratio?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'stdin', index: 0 },
      region: { startLine: 22, startColumn: 15 },
    });
  });

  it('exits 2 with one line naming file and line on invalid YAML', async () => {
    const invalid = join(tmp, 'invalid.yaml');
    writeFileSync(invalid, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n');
    const r = await cli(['audit', invalid]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^scars: \S*invalid\.yaml:\d+: not valid YAML: [^\n]+\n$/);
  });

  it('refuses an alias bomb on stdin within a bound, exit 2', async () => {
    const started = Date.now();
    const r = await cliWithInput(['audit', '-'], aliasBomb());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^scars: <stdin>:\d+: more than 100 alias expansions \(a YAML alias bomb\?\); refusing it\n$/,
    );
    // CLI start-up dominates; the bomb is never expanded.
    expect(Date.now() - started).toBeLessThan(60_000);
  });
  it('--help shows examples, flags and the rules', async () => {
    const help = await cli(['audit', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('helm template my-chart | scars audit -');
    expect(help.stdout).toContain('--fail-on');
    expect(help.stdout).toContain('memory-limit-missing');
  });
});

describe('scars audit (main, in-process)', () => {
  it('--fail-on warning fails on warnings; json reports it', async () => {
    const r = await inProcess([
      'audit',
      bad('readiness-missing'),
      '--fail-on',
      'warning',
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as { summary: { error: number; warning: number; failed: boolean } };
    expect(json.summary).toMatchObject({ error: 0, warning: 2, failed: true });
    const info = await inProcess(['audit', bad('readiness-missing'), '--fail-on', 'info']);
    expect(info.code).toBe(1);
    const none = await inProcess(['audit', bad('liveness-fragile'), '--fail-on', 'none']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('2 findings');
  });

  it('reports an expiring certificate within --cert-days, measured from now', async () => {
    const leaf = await expiringLeaf(10, { dnsNames: ['soon.example.com'] });
    const file = join(tmp, 'soon.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Secret
metadata: {name: soon-tls, namespace: web}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(leaf.cert).toString('base64')}
  tls.key: ${Buffer.from(leaf.key).toString('base64')}
`,
    );
    const within = await inProcess(['audit', file, '--format', 'json', '--fail-on', 'warning']);
    expect(within.code, within.stderr).toBe(1);
    const json = JSON.parse(within.stdout) as {
      findings: { ruleId: string; message: string; line: number }[];
    };
    expect(json.findings).toHaveLength(1);
    expect(json.findings[0]).toMatchObject({ ruleId: 'cert-expiring', line: 6 });
    expect(json.findings[0]?.message).toContain('(10 days left, threshold 30)');
    const beyond = await inProcess(['audit', file, '--cert-days', '7', '--fail-on', 'warning']);
    expect(beyond.code, beyond.stderr).toBe(0);
    expect(beyond.stdout).toBe('No pitfalls found in 1 object in 1 file.\n');
  });

  it('exits 2 naming the file on a missing path, a non-manifest and a huge file', async () => {
    const values = join(tmp, 'values.yaml');
    writeFileSync(values, 'replicaCount: 3\n');
    const huge = join(tmp, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 64 * 1024 * 1024);
    const missing = await inProcess(['audit', 'no/such/dir']);
    expect(missing).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: 'scars: no/such/dir: cannot read: no such file or directory\n',
    });
    const notManifest = await inProcess(['audit', values]);
    expect(notManifest.code).toBe(2);
    expect(notManifest.stderr).toMatch(
      /values\.yaml:1: not a Kubernetes manifest: apiVersion is missing or not a string\n$/,
    );
    const started = performance.now();
    const big = await inProcess(['audit', huge]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/huge\.yaml: larger than 8 MiB \(64 MiB\); refusing to parse it\n$/);
  });

  it('rejects bad flag values and a second stdin with exit 2', async () => {
    const format = await inProcess(['audit', good('cert-expired'), '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('Invalid values');
    const days = await inProcess(['audit', good('cert-expired'), '--cert-days', '-3']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--cert-days: expected a whole number of days');
    const twice = await inProcess(['audit', '-', '-']);
    expect(twice.code).toBe(2);
  });
});
