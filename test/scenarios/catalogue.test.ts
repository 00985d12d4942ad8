import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, renderCatalogue } from '../../scripts/scenario-docs.ts';

describe('docs/scenarios.md', () => {
  it('is generated from the scenario files and current (npm run docs:scenarios)', async () => {
    expect(readFileSync(CATALOGUE, 'utf8')).toBe(await renderCatalogue());
  });
});

describe('built-in scenarios', () => {
  it('each reads as a runbook, is in the nightly suite and has a negative control', async () => {
    const { loadScenarios } = await import('../../src/harness/scenario-loader.ts');
    const { hasControl } = await import('../../src/harness/scenario.ts');
    const { REPO } = await import('../support/scenario-run.ts');
    const all = await loadScenarios(['scenarios'], REPO);
    for (const { scenario: s } of all) {
      expect(s.runbook, `${s.name}: runbook`).toMatchObject({
        hypothesis: expect.any(String),
        blastRadius: expect.any(String),
        expected: expect.any(String),
      });
      expect(s.suites, s.name).toContain('nightly');
      expect(hasControl(s), s.name).toBe(true);
    }
    const smoke = all.filter(({ scenario: s }) => s.suites?.includes('smoke'));
    expect(smoke.map(({ scenario: s }) => s.name).sort()).toEqual([
      'cert-expiry',
      'imds-block',
      'oom-limits',
    ]);
  });
});
