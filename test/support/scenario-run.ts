/**
 * Runs a built-in scenario (main arm and control arm) on a fresh simulated cluster through the
 * library API, and snapshots the cluster before and after, so a test can assert both the verdicts
 * and that nothing was left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { simProvider } from '../../src/cluster/sim.ts';
import type { ProvisionedCluster } from '../../src/cluster/provider.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { RUN_LABEL } from '../../src/harness/journalled-kube.ts';
import { run } from '../../src/harness/runner.ts';
import { loadScenarioFile, type LoadedScenario } from '../../src/harness/scenario-loader.ts';
import type { RunReport, ScenarioReport } from '../../src/report/model.ts';
import type { SimTopology } from '../../src/sim/topology/types.ts';

export const REPO = resolve(import.meta.dirname, '../..');

/** Kinds whose objects a run must leave exactly as it found them (Pods and Events churn on their own). */
const SNAPSHOT_KINDS: [apiVersion: string, kind: string][] = [
  ['v1', 'Namespace'],
  ['v1', 'Node'],
  ['v1', 'Secret'],
  ['v1', 'ConfigMap'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'DaemonSet'],
  ['apps/v1', 'StatefulSet'],
  ['batch/v1', 'Job'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['networking.k8s.io/v1', 'Ingress'],
];

/** Fields the cluster changes by itself (status, bookkeeping); what remains is what a run could change. */
function canonical(o: KubernetesObject): unknown {
  const { status: _s, ...rest } = o as KubernetesObject & { status?: unknown };
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    generation: _g,
    annotations,
    ...metadata
  } = o.metadata ?? {};
  const kept = Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([k]) => !k.startsWith('deployment.kubernetes.io/')),
  );
  return { ...rest, metadata: { ...metadata, ...(Object.keys(kept).length ? { annotations: kept } : {}) } };
}

export interface ClusterSnapshot {
  /** `kind namespace/name` → canonical JSON. */
  objects: Map<string, string>;
  /** Objects of any snapshot kind that still carry a run label. */
  runLabelled: string[];
}

export async function snapshotCluster(api: KubeApi): Promise<ClusterSnapshot> {
  const objects = new Map<string, string>();
  const runLabelled: string[] = [];
  for (const [apiVersion, kind] of [...SNAPSHOT_KINDS, ['v1', 'Pod'] as [string, string]]) {
    for (const o of await api.list(apiVersion, kind)) {
      const key = `${kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
      if (o.metadata?.labels?.[RUN_LABEL] && !o.metadata.deletionTimestamp) runLabelled.push(key);
      if (kind !== 'Pod') objects.set(key, JSON.stringify(canonical(o)));
    }
  }
  return { objects, runLabelled };
}

/** Differences between two snapshots, one line each (empty when the cluster is as it was). */
export function snapshotDiff(before: ClusterSnapshot, after: ClusterSnapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of before.objects) {
    const now = after.objects.get(k);
    if (now === undefined) out.push(`missing: ${k}`);
    else if (now !== v) out.push(`changed: ${k}\n  before ${v}\n  after  ${now}`);
  }
  for (const k of after.objects.keys()) if (!before.objects.has(k)) out.push(`left behind: ${k}`);
  for (const k of after.runLabelled) out.push(`run-labelled: ${k}`);
  return out;
}

export interface ScenarioRun {
  report: RunReport;
  scenario: ScenarioReport;
  /** Lines naming what differs from the pre-run cluster; must be empty. */
  leftovers: string[];
}

export interface ScenarioRunOptions {
  control?: boolean;
  timeScale?: number;
  topology?: SimTopology;
}

/** Loads `scenarios/<name>.ts`, runs it (with its control arm by default) on a new sim, and diffs the cluster. */
export async function runBuiltInScenario(
  name: string,
  options: ScenarioRunOptions = {},
): Promise<ScenarioRun> {
  const loaded = await loadScenarioFile(join(REPO, 'scenarios', `${name}.ts`), REPO);
  return runLoadedScenario(loaded, options);
}

export async function runLoadedScenario(
  loaded: LoadedScenario,
  options: ScenarioRunOptions = {},
): Promise<ScenarioRun> {
  const journalDir = mkdtempSync(join(tmpdir(), 'scars-scenario-'));
  const cluster: ProvisionedCluster = await simProvider().provision({
    allowContexts: [],
    runId: 'test',
    sim: {
      timeScale: options.timeScale ?? 20,
      ...(options.topology ? { topology: options.topology } : {}),
    },
  });
  try {
    const api = new KubeApi(cluster.kubeConfig);
    const before = await snapshotCluster(api);
    const report = await run({
      scenarios: [loaded],
      provider: 'sim',
      providerOptions: { allowContexts: [] },
      control: options.control ?? true,
      reporters: [],
      journalDir,
      cluster: { ...cluster, dispose: async () => {} },
    });
    const after = await snapshotCluster(api);
    const scenario = report.scenarios[0];
    if (!scenario) throw new Error(`no report for ${loaded.scenario.name}: ${report.error ?? 'unknown'}`);
    return { report, scenario, leftovers: snapshotDiff(before, after) };
  } finally {
    await cluster.dispose();
    rmSync(journalDir, { recursive: true, force: true });
  }
}

/** One line per arm for a failed expectation: verdict, reason, and each assertion. */
export function explain(s: ScenarioReport): string {
  const arm = (name: string, a: Pick<ScenarioReport, 'verdict' | 'reason' | 'assertions' | 'faults'>) =>
    [
      `${name}: ${a.verdict} — ${a.reason}`,
      ...a.faults.map(
        (f) => `  fault ${f.fault}: ${f.observed ? 'observed' : 'NOT observed'} — ${f.summary}`,
      ),
      ...a.assertions.map((x) => `  ${x.pass ? 'PASS' : 'FAIL'} ${x.name}: ${x.summary}`),
    ].join('\n');
  return [arm('main', s), s.control ? arm('control', s.control) : 'no control arm'].join('\n');
}
