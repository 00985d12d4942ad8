/**
 * `scars runbook`: a runbook for every built-in scenario, in Markdown and HTML, with each
 * section a game day needs and the kubectl equivalent of every fault; the kubectl it prints is
 * run for real (kubectl against the simulator) for one scenario end to end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/harness/config.ts';
import { faultsOf } from '../../src/harness/scenario.ts';
import { type LoadedScenario, loadScenarios } from '../../src/harness/scenario-loader.ts';
import { escapeHtml, runbookHtml } from '../../src/runbook/html.ts';
import { runbookMarkdown } from '../../src/runbook/markdown.ts';
import { buildRunbook } from '../../src/runbook/model.ts';
import { cli, cliInProcess, REPO } from '../support/cli.ts';
import { findKubectl } from '../support/kubectl.ts';
import { startTestSim, type TestSim } from '../support/sim.ts';

let scenarios: LoadedScenario[];
const image = 'scars-agent:test';
beforeAll(async () => {
  const config = await loadConfig(undefined, REPO);
  scenarios = await loadScenarios(config.scenarioDirs, REPO);
});

const SECTIONS = [
  'Hypothesis',
  'Blast radius',
  'Mitigation under test',
  'Expected result',
  'Prerequisites',
  'Steps',
  'What to watch',
  'Abort criteria',
  'Rollback',
  'Sign-off',
];

describe('runbook for every built-in scenario', () => {
  it('has every section, the scenario text, and kubectl for each fault to inject and revert', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(9);
    for (const loaded of scenarios) {
      const s = loaded.scenario;
      const rb = buildRunbook(loaded, image);
      const md = runbookMarkdown(rb);
      const html = runbookHtml(rb);
      for (const section of SECTIONS) {
        expect(md, `${s.name}: ## ${section}`).toContain(`## ${section}\n`);
        expect(html, `${s.name}: <h2>${section}`).toContain(`<h2>${section}</h2>`);
      }
      expect(md).toContain(s.runbook!.hypothesis);
      expect(html).toContain(escapeHtml(s.runbook!.blastRadius));
      for (const f of faultsOf(s)) {
        expect(f.kubectl, `${s.name}: ${f.name} has a kubectl equivalent`).toBeDefined();
      }
      const inject = rb.steps.find((st) => st.title === 'Inject the fault')!;
      const revert = rb.steps.find((st) => st.title === 'Revert the fault')!;
      expect(inject.pause && revert.pause).toBe(true);
      expect(inject.kubectl.some((c) => c.startsWith('kubectl') || c.startsWith('openssl'))).toBe(true);
      expect(revert.kubectl.length, `${s.name}: revert commands`).toBeGreaterThan(0);
      expect(rb.rollback).toContain(
        'scars cleanup --run <run-id>   # replays the run journal: undoes every change scars recorded, in reverse',
      );
      // The agent image is the configured one, never hard-coded.
      expect(
        rb.manifests.includes('image: scars-agent:') ? rb.manifests.includes(`image: ${image}`) : true,
      ).toBe(true);
      expect(md).toMatch(/\| Facilitator \| +\| +\|/);
      expect(rb.watch).toEqual(s.runbook!.watch ?? []);
    }
  });

  it('escapes scenario text in HTML: a <script> in a description is shown, never run', () => {
    const loaded = scenarios.find((l) => l.scenario.name === 'pod-kill-availability')!;
    const hostile: LoadedScenario = {
      ...loaded,
      scenario: { ...loaded.scenario, description: '<script>alert(1)</script> & "quotes"' },
    };
    const html = runbookHtml(buildRunbook(hostile, image));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });
});

describe('scars runbook (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-runbook-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints Markdown by default; --out with .html writes a page', async () => {
    const md = await cli(['runbook', 'drain-with-pdb']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^# Game day: drain-with-pdb\n/);
    expect(md.stdout).toContain(
      'kubectl drain <node> --ignore-daemonsets --delete-emptydir-data --timeout=2m',
    );
    expect(md.stdout).toContain('kubectl uncordon <node>');

    const out = join(dir, 'gameday.html');
    const html = await cliInProcess(['runbook', 'cert-expiry', '--out', out]);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stdout).toBe(`runbook: ${out}\n`);
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|https?:\/\//);
  });

  it('bad input: one line naming the flag or the scenario, exit 2', async () => {
    const format = await cliInProcess(['runbook', 'drain-with-pdb', '--format', 'pdf']);
    expect(format.code).toBe(2);
    expect(format.stderr.split('\n')[0]).toBe('scars: --format: expected one of md, html, got "pdf"');
    const unknown = await cliInProcess(['runbook', 'drain-with-pbd']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "drain-with-pbd" \(did you mean "drain-with-pdb"\?\)/);
  });
});

describe("the runbook's kubectl, typed by hand against the simulator", () => {
  const kubectl = findKubectl('default');
  let t: TestSim;
  beforeAll(async () => {
    if (kubectl) t = await startTestSim();
  });
  afterAll(async () => {
    await t?.sim.stop();
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  it.skipIf(!kubectl)(
    `oom-limits: namespace, manifests, rollout, the memhog, its revert and cleanup all work (kubectl ${kubectl?.version ?? 'missing: not on PATH'})`,
    async () => {
      const rb = buildRunbook(
        scenarios.find((l) => l.scenario.name === 'oom-limits')!,
        'scars-agent:0.1.0',
      );
      const manifests = join(t.dir, 'manifests.yaml');
      writeFileSync(manifests, rb.manifests);
      const node = t.sim.nodes.at(-1)!;
      const step = (title: string) => rb.steps.find((s) => s.title.startsWith(title))!.kubectl;
      const script = [
        'set -eu',
        `cd ${t.dir}`,
        ...step('Create the run namespace').filter((c) => !c.startsWith('export')),
        ...step('Deploy'),
        ...step('Wait until ready'),
        // <node>: the runbook leaves it to the reader; a worker here.
        ...step('Inject the fault')
          .filter((c) => !c.startsWith('#'))
          .map((c) => c.replaceAll('<node>', node)),
        'kubectl get pod api-leak -n "$NS" -o jsonpath="{.spec.nodeName} {.spec.containers[0].name} {.spec.containers[0].args}"; echo',
        ...step('Revert the fault'),
        ...step('Clean up'),
      ].join('\n');
      const r = await execa('sh', ['-c', script], {
        env: { KUBECONFIG: t.kubeconfigPath, NS: 'gameday-oom', HOME: t.dir, PATH: process.env.PATH ?? '' },
        extendEnv: false,
        reject: false,
        timeout: 120_000,
      });
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('namespace/gameday-oom created');
      expect(r.stdout).toMatch(/deployment "api" successfully rolled out/);
      expect(r.stdout).toContain('pod/api-leak created');
      expect(r.stdout).toContain(
        `${node} memhog ["memhog","--target","1Gi","--rate","256Mi/s","--step","16Mi"]`,
      );
      expect(r.stdout).toMatch(/pod "api-leak" deleted/);
      expect(r.stdout).toMatch(/namespace "gameday-oom" deleted/);
    },
    150_000,
  );
});
