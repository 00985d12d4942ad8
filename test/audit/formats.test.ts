/** The three output formats over the same findings: console (snapshot), JSON (shape + snapshot), SARIF 2.1.0 (structure). */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditResult,
  auditPaths,
  fails,
  formatConsole,
  JSON_SCHEMA_VERSION,
  RULES,
  SARIF_SCHEMA,
  toJson,
  toSarif,
} from '../../src/audit/index.ts';
import { VERSION } from '../../src/version.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FILES = [
  'test/fixtures/audit/rules/liveness-fragile/bad.yaml',
  'test/fixtures/audit/rules/cert-expired/bad.yaml',
  'test/fixtures/audit/rules/readiness-missing/bad.yaml',
];

let result: AuditResult;
beforeAll(async () => {
  result = await auditPaths(FILES, { cwd: REPO, now: new Date('2026-06-01T00:00:00Z') });
});

describe('console', () => {
  it('groups findings by file, one line each, then fixes and a summary', async () => {
    const text = formatConsole(result, { failOn: 'error', failed: fails(result.findings, 'error') });
    await expect(text).toMatchFileSnapshot('__snapshots__/console.txt');
    for (const f of result.findings) {
      expect(text).toContain(`${f.line}:${f.column}`);
    }
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '5 findings in 9 objects in 3 files: 3 errors, 2 warnings, 0 info (--fail-on error: failing)',
    );
  });

  it('says so when there is nothing to report', () => {
    const text = formatConsole({ files: 2, objects: 7, findings: [] }, { failOn: 'error', failed: false });
    expect(text).toBe('No pitfalls found in 7 objects in 2 files.\n');
  });
});

describe('json', () => {
  it('has the documented, stable shape', async () => {
    const json = toJson(result, {
      certDays: 30,
      defaultNamespace: 'default',
      failOn: 'warning',
      failed: true,
    });
    expect(json.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(json.tool).toEqual({ name: 'scars', version: VERSION });
    expect(json.summary).toEqual({
      files: 3,
      objects: 9,
      findings: 5,
      error: 3,
      warning: 2,
      info: 0,
      failed: true,
    });
    expect(json.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const f of json.findings) {
      expect(Object.keys(f).sort()).toEqual(
        [
          'column',
          'field',
          'file',
          'fix',
          'line',
          'message',
          'object',
          'ruleId',
          'severity',
          'title',
          'uri',
        ].sort(),
      );
    }
    const stable = { ...json, tool: { ...json.tool, version: '<version>' } };
    await expect(`${JSON.stringify(stable, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/audit.json');
  });
});

describe('sarif', () => {
  it('is SARIF 2.1.0 with every rule, and results with rule, level and location', () => {
    const log = toSarif(result);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('scars');
    expect(run.tool.driver.version).toBe(VERSION);
    const rules = run.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const r of rules) {
      expect(r.shortDescription?.text).toBeTruthy();
      expect(r.fullDescription?.text).toBeTruthy();
      expect(r.help?.text).toBeTruthy();
      expect(['error', 'warning', 'note']).toContain(r.defaultConfiguration?.level);
    }
    const results = run.results ?? [];
    expect(results).toHaveLength(result.findings.length);
    const uris = (run.artifacts ?? []).map((a) => a.location?.uri);
    results.forEach((res, i) => {
      const f = result.findings[i]!;
      expect(res.ruleId).toBe(f.ruleId);
      expect(rules[res.ruleIndex!]?.id).toBe(f.ruleId);
      expect(res.level).toBe(f.severity === 'info' ? 'note' : f.severity);
      expect(res.message.text).toBe(f.message);
      const loc = res.locations?.[0]?.physicalLocation;
      expect(loc?.artifactLocation?.uri).toBe(f.file);
      expect(uris[loc?.artifactLocation?.index ?? -1]).toBe(f.file);
      expect(loc?.region).toEqual({ startLine: f.line, startColumn: f.column });
      expect(loc?.region?.startLine).toBeGreaterThanOrEqual(1);
    });
    // The expired certificate is reported on its tls.crt line.
    const cert = results.find((r) => r.ruleId === 'cert-expired');
    expect(cert?.locations?.[0]?.physicalLocation?.region?.startLine).toBe(10);
  });

  it('is valid with no findings: every rule, an empty results list', () => {
    const log = toSarif({ files: 1, objects: 1, findings: [] });
    expect(log.runs[0]?.results).toEqual([]);
    expect(log.runs[0]?.tool.driver.rules).toHaveLength(RULES.length);
  });
});
