/**
 * Blast radius of every built-in scenario, from the API server's side (and, on the same run, the
 * nightly verdicts: every scenario passes, every control arm fails as expected): the sim audits every
 * request it answers (src/sim/api/audit.ts), and every mutation scars sent during a full run of
 * each scenario (main and control arms) must fall inside what that arm declares (see
 * support/blast-radius-audit.ts for what "declares" means). The sim's own controllers, scheduler
 * and kubelets write in-process, so they never show up here; every audited write must carry
 * scars' own user agent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithControls, sharedSimCluster } from '../../bench/soak/sim-cluster.ts';
import { diffInventory, type Inventory, quietInventory, takeInventory } from '../../bench/soak/inventory.ts';
import { SCARS_USER_AGENT } from '../../src/cluster/keep-alive.ts';
import { readJournal } from '../../src/harness/journal.ts';
import { defineScenario, type Fault, type Scenario } from '../../src/harness/scenario.ts';
import { loadScenarios, type LoadedScenario } from '../../src/harness/scenario-loader.ts';
import type { RunReport } from '../../src/report/model.ts';
import { MUTATING_VERBS } from '../../src/sim/api/audit.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.ts';
import { cli, REPO } from '../support/cli.ts';
import { startTestSim } from '../support/sim.ts';
import {
  attributeMutations,
  declaredRadius,
  describeMutation,
  recordRequests,
  violations,
} from './support/blast-radius-audit.ts';

let builtIn: LoadedScenario[];

beforeAll(async () => {
  builtIn = await loadScenarios(['scenarios'], REPO);
});

function runOnSim(sim: SimCluster, scenarios: readonly LoadedScenario[], journalDir: string) {
  return runWithControls(sharedSimCluster(sim), scenarios, journalDir);
}

/**
 * What still differs from `before` once the cluster had up to 30 wall seconds to settle (an
 * addon's pods are garbage-collected after the run has deleted the DaemonSet).
 */
async function settledDiff(sim: SimCluster, before: Inventory) {
  const deadline = Date.now() + 30_000;
  let left = diffInventory(before, takeInventory(sim));
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = diffInventory(before, takeInventory(sim));
  }
  return left;
}

/** Every arm got as far as injecting its faults: an audit of an arm that stopped early proves little. */
function injectedArms(report: RunReport): string[] {
  const arms = report.scenarios.flatMap((s) => [
    { name: `${s.name} (main)`, timeline: s.timeline },
    ...(s.control ? [{ name: `${s.name} (control)`, timeline: s.control.timeline }] : []),
  ]);
  return arms
    .filter((a) =>
      a.timeline.some((e) => e.step === 'inject' && e.event === 'end' && e.detail?.outcome === 'ok'),
    )
    .map((a) => a.name);
}

describe('blast radius of the built-in scenarios (sim API server audit)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scars-blast-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every mutation of every built-in scenario, main and control arms, stays inside what the arm declares', async () => {
    const sim = await startSimCluster({ timeScale: 20 });
    try {
      const before = await quietInventory(sim, 10_000, 180_000);
      const recording = recordRequests(sim);
      const report = await runOnSim(sim, builtIn, join(dir, 'journal-all'));
      recording.stop();

      expect(report.error).toBeNull();
      const scenarios = builtIn.map((l) => l.scenario);
      expect(report.scenarios.map((s) => s.name).sort()).toEqual(scenarios.map((s) => s.name).sort());
      const arms = scenarios.length * 2;
      expect(injectedArms(report), 'arms that reached inject').toHaveLength(arms);
      // The same run is the suite's verdict check: every scenario passes, every control fails as expected.
      const table = report.scenarios.map(
        (s) => `${s.name}: ${s.verdict} (control ${s.control?.verdict}) — ${s.reason}`,
      );
      for (const s of report.scenarios) {
        expect(s.verdict, table.join('\n')).toBe('passed');
        expect(s.control, s.name).toMatchObject({ verdict: 'failed', asExpected: true });
        expect(s.revertFailures, s.name).toEqual([]);
      }

      const mutations = attributeMutations(recording.events, report, scenarios);
      expect(violations(mutations, sim.nodes)).toEqual([]);

      // The recording saw each arm: it created (and deleted) its own namespace.
      for (const s of scenarios) {
        for (const arm of ['main', 'control'] as const) {
          const ns = declaredRadius(s, report.runId, arm).runNamespace;
          const own = mutations.filter(
            (m) => m.event.objectRef?.resource === 'namespaces' && m.event.objectRef.name === ns,
          );
          expect(own.map((m) => m.event.verb).sort(), `${s.name} (${arm})`).toEqual(['create', 'delete']);
        }
      }
      // Only scars wrote over HTTP; the sim's components never appear in the audit.
      const agents = new Set(mutations.map((m) => m.event.userAgent));
      expect([...agents]).toEqual([SCARS_USER_AGENT]);

      // What each built-in scenario writes outside its run namespace, for the record (and so a
      // new write there is a reviewed change): the NodeLocal DNSCache addon, and node patches.
      const outside = new Set(
        mutations
          .filter((m) => m.radius && m.event.objectRef?.namespace !== m.radius.runNamespace)
          .filter((m) => m.event.objectRef?.resource !== 'namespaces')
          .map(
            (m) =>
              `${m.radius?.scenario} (${m.radius?.arm}): ${m.event.verb} ${m.event.objectRef?.resource} ${m.event.objectRef?.namespace ?? ''}`,
          ),
      );
      expect([...outside].sort()).toEqual([
        'coredns-flood-nodelocal (main): create configmaps kube-system',
        'coredns-flood-nodelocal (main): create daemonsets kube-system',
        'coredns-flood-nodelocal (main): create serviceaccounts kube-system',
        'coredns-flood-nodelocal (main): create services kube-system',
        'coredns-flood-nodelocal (main): delete configmaps kube-system',
        'coredns-flood-nodelocal (main): delete daemonsets kube-system',
        'coredns-flood-nodelocal (main): delete serviceaccounts kube-system',
        'coredns-flood-nodelocal (main): delete services kube-system',
        'drain-with-pdb (control): patch nodes ',
        'drain-with-pdb (main): patch nodes ',
        'node-pressure-qos (control): patch nodes ',
        'node-pressure-qos (main): patch nodes ',
      ]);
      console.log(
        `blast radius: ${recording.events.length} requests, ${mutations.length} mutations over ${arms} arms, 0 outside their radius`,
      );

      // And the cluster is as it was (the soak's inventory: every object of every kind).
      expect(await settledDiff(sim, before)).toEqual([]);
    } finally {
      await sim.stop();
    }
  }, 240_000);

  it('the audit catches a write outside the radius (the check can fail)', () => {
    const flood = builtIn.find((l) => l.scenario.name === 'coredns-flood-nodelocal')!.scenario;
    const radius = declaredRadius(flood, 'run-abcdef', 'main');
    const event = (verb: string, resource: string, namespace: string | undefined, name: string) => ({
      verb,
      requestURI: '/',
      userAgent: SCARS_USER_AGENT,
      objectRef: { resource, apiVersion: 'v1', name, ...(namespace ? { namespace } : {}) },
      dryRun: false,
      receivedAt: 0,
    });
    const judge = (e: ReturnType<typeof event>) => violations([{ event: e, radius }], ['scars-worker']);
    expect(judge(event('create', 'daemonsets', 'kube-system', 'node-local-dns'))).toEqual([]);
    expect(judge(event('create', 'pods', radius.runNamespace, 'x'))).toEqual([]);
    expect(judge(event('patch', 'deployments', 'kube-system', 'coredns'))[0]).toMatch(
      /deployments kube-system\/coredns is in a declared namespace but is not an object the arm deploys there/,
    );
    expect(judge(event('delete', 'configmaps', 'default', 'x'))[0]).toMatch(/namespace default is neither/);
    expect(judge(event('patch', 'nodes', undefined, 'scars-worker'))[0]).toMatch(/declares no node scope/);
    expect(judge(event('create', 'clusterroles', undefined, 'x'))[0]).toMatch(/cluster-scoped/);
    expect(judge(event('delete', 'namespaces', undefined, 'kube-system'))[0]).toMatch(/not the run's/);
    // The control arm deploys no addon: the same kube-system write is outside its radius.
    const control = declaredRadius(flood, 'run-abcdef', 'control');
    expect(
      violations(
        [{ event: event('create', 'daemonsets', 'kube-system', 'node-local-dns'), radius: control }],
        [],
      ),
    ).toHaveLength(1);
    expect(MUTATING_VERBS.has('get')).toBe(false);
  });
});

describe('catalogue: what the built-in scenarios declare', () => {
  it('no scenario declares kube-system (or any namespace) without deploying there and saying so in its runbook', () => {
    const declaring: string[] = [];
    for (const { scenario: s } of builtIn) {
      for (const ns of s.namespaces ?? []) {
        declaring.push(`${s.name}: ${ns}`);
        // The reason for the declaration is the objects the main arm deploys there...
        const objects = [...declaredRadius(s, 'run-abcdef', 'main').objects].filter((k) =>
          k.includes(` ${ns}/`),
        );
        expect(objects, `${s.name} declares ${ns} but deploys nothing there`).not.toEqual([]);
        // ...and the runbook names the namespace and each of those objects for the operator.
        const text = s.runbook?.blastRadius ?? '';
        expect(text, `${s.name}: runbook.blastRadius`).toContain(ns);
        for (const key of objects) {
          const name = key.slice(key.indexOf('/') + 1);
          expect(text, `${s.name}: runbook.blastRadius names ${key}`).toContain(name);
        }
      }
      if (s.nodes === 'any' || (s.nodes ?? []).length) {
        expect(s.runbook?.blastRadius ?? '', `${s.name}: node scope in runbook.blastRadius`).toMatch(/node/i);
      }
    }
    // A new declaration outside the run namespace is a reviewed change to this list.
    expect(declaring).toEqual(['coredns-flood-nodelocal: kube-system']);
  });
});

/** A scenario whose fault writes a kube-system object it never declared (it declares no namespace at all). */
function trespassing(name: string, write: Fault['inject']): Scenario {
  return defineScenario({
    name,
    description: 'test: a fault that writes outside its blast radius',
    workloads: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings' },
        data: { a: '1' },
      } as KubernetesObject,
    ],
    mitigation: { description: 'none' },
    control: false,
    fault: {
      name: 'trespass',
      describe: () => 'writes outside the run namespace',
      inject: write,
      observe: async () => ({ observed: true, summary: 'wrote', evidence: [] }),
    },
    expect: [{ name: 'nothing', evaluate: () => ({ pass: true, summary: 'ok', evidence: [] }) }],
    hold: '1s',
    settle: '1s',
  });
}

describe('a scenario that writes outside its radius', () => {
  it('is refused (BlastRadiusError) before the request is sent, and nothing changes', async () => {
    const sim = await startSimCluster({ timeScale: 20 });
    const dir = mkdtempSync(join(tmpdir(), 'scars-blast-neg-'));
    try {
      const scenarios: LoadedScenario[] = [
        trespassing('scale-coredns', async (ctx) => {
          await ctx.kube.patch(
            { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' },
            { spec: { replicas: 0 } },
          );
        }),
        trespassing('cordon-undeclared', async (ctx) => {
          await ctx.kube.patch(
            { apiVersion: 'v1', kind: 'Node', name: sim.nodes[1]! },
            { spec: { unschedulable: true } },
          );
        }),
      ].map((scenario) => ({ scenario, file: `${scenario.name}.ts` }));
      const before = await quietInventory(sim, 10_000, 180_000);
      const recording = recordRequests(sim);
      const report = await runOnSim(sim, scenarios, dir);
      recording.stop();

      for (const s of report.scenarios) {
        expect(s.verdict, s.name).toBe('error');
        expect(s.reason, s.name).toMatch(/^blast radius: refusing to change/);
      }
      expect(report.scenarios[0]?.reason).toMatch(
        /Deployment\/coredns -n kube-system: namespace kube-system is outside the run/,
      );
      expect(report.scenarios[1]?.reason).toMatch(/does not declare node scope/);
      // Refused before it was journalled or sent: the server saw no write outside the run namespaces.
      const mutations = attributeMutations(
        recording.events,
        report,
        scenarios.map((l) => l.scenario),
      );
      const outside = mutations.filter(
        (m) =>
          m.event.objectRef?.namespace !== m.radius?.runNamespace &&
          m.event.objectRef?.resource !== 'namespaces',
      );
      expect(outside.map((m) => describeMutation(m.event))).toEqual([]);
      const journal = readJournal(report.journal!);
      expect(JSON.stringify(journal)).not.toMatch(/kube-system|"kind":"Node"/);
      expect(await settledDiff(sim, before)).toEqual([]);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('blast radius through the real CLI (--provider context against a sim in this process)', () => {
  it('coredns-flood-nodelocal and node-pressure-qos with controls: every write the CLI sends is declared', async () => {
    const t = await startTestSim({ nodes: 4, timeScale: 20 });
    const project = mkdtempSync(join(tmpdir(), 'scars-blast-cli-'));
    try {
      writeFileSync(
        join(project, 'scars.config.yaml'),
        [
          'provider: context',
          `kubeconfig: ${t.kubeconfigPath}`,
          `scenarioDirs: [${join(REPO, 'scenarios')}]`,
          'reporters: [json]',
          '',
        ].join('\n'),
      );
      const before = await quietInventory(t.sim, 10_000, 180_000);
      const recording = recordRequests(t.sim);
      const names = ['coredns-flood-nodelocal', 'node-pressure-qos'];
      const out = join(project, 'out');
      const result = await cli(['run', ...names, '--control', '--yes', '--out', out], { cwd: project });
      recording.stop();
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(report.scenarios.map((s) => s.name)).toEqual(names);
      expect(injectedArms(report)).toHaveLength(4);
      const scenarios = builtIn.filter((l) => names.includes(l.scenario.name)).map((l) => l.scenario);
      const mutations = attributeMutations(recording.events, report, scenarios);
      expect(violations(mutations, t.sim.nodes)).toEqual([]);
      expect(new Set(mutations.map((m) => m.event.userAgent))).toEqual(new Set([SCARS_USER_AGENT]));
      // The addon objects the main arm declared are the only kube-system writes, created then deleted.
      const flood = scenarios.find((s) => s.name === 'coredns-flood-nodelocal')!;
      const addon = [...declaredRadius(flood, report.runId, 'main').objects];
      const kubeSystem = mutations
        .filter((m) => m.event.objectRef?.namespace === 'kube-system')
        .map((m) => `${m.event.verb} ${m.event.objectRef?.resource} kube-system/${m.event.objectRef?.name}`);
      expect(new Set(kubeSystem)).toEqual(new Set(addon.flatMap((k) => [`create ${k}`, `delete ${k}`])));
      expect(addon.map((k) => k.split(' ')[0]).sort()).toEqual([
        'configmaps',
        'daemonsets',
        'serviceaccounts',
        'services',
        'services',
      ]);
      expect(await settledDiff(t.sim, before)).toEqual([]);
    } finally {
      await t.sim.stop();
      rmSync(project, { recursive: true, force: true });
      rmSync(t.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
