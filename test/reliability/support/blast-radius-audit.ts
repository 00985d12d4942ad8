/**
 * The blast-radius audit: every mutating request the simulated API server received during a run,
 * attributed to the scenario arm that was running, and judged against what that arm declares.
 *
 * What a scenario arm "declares" (declaredRadius):
 * - its run namespace (runNamespace(runId, scenario, arm)): anything in it, and the Namespace
 *   object itself;
 * - for each namespace in `namespaces:`, exactly the objects the arm deploys there — the objects
 *   buildArmObjects returns (workloads, and in the main arm the mitigation's manifests) whose
 *   metadata.namespace is that namespace — by resource and name. The namespace alone is not
 *   enough: coredns-flood-nodelocal declares kube-system for the NodeLocal DNSCache addon and
 *   must not write CoreDNS or anything else there. (The runtime guard, blast-radius.ts, checks
 *   the namespace; this audit checks the built-in scenarios object by object.)
 * - nodes: any node of the cluster with `nodes: 'any'`, the listed ones with a list, none without.
 * Nothing else: no other cluster-scoped object, no other namespace, no deletecollection outside
 * the run namespace, no create by generateName outside it (its name cannot have been declared).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { runNamespace } from '../../../src/harness/run-id.ts';
import type { Arm, Scenario } from '../../../src/harness/scenario.ts';
import { buildArmObjects } from '../../../src/harness/workloads.ts';
import type { RunReport } from '../../../src/report/model.ts';
import { type AuditEvent, MUTATING_VERBS } from '../../../src/sim/api/audit.ts';
import type { SimCluster } from '../../../src/sim/cluster.ts';
import { resourceForKind } from '../../../src/sim/kinds/registry.ts';

export interface DeclaredRadius {
  scenario: string;
  arm: Arm;
  runNamespace: string;
  namespaces: readonly string[];
  /** `resource namespace/name` of every object the arm deploys into a declared namespace. */
  objects: ReadonlySet<string>;
  nodes: 'any' | readonly string[];
}

export function declaredRadius(s: Scenario, runId: string, arm: Arm): DeclaredRadius {
  const namespace = runNamespace(runId, s.name, arm);
  const declared = s.namespaces ?? [];
  const objects = buildArmObjects(s, { runId, namespace, arm, agentImage: 'scars-agent:audit' })
    .filter((o) => o.metadata?.namespace !== undefined && declared.includes(o.metadata.namespace))
    .map(objectKeyOf);
  return {
    scenario: s.name,
    arm,
    runNamespace: namespace,
    namespaces: declared,
    objects: new Set(objects),
    nodes: s.nodes ?? [],
  };
}

/** `deployments kube-system/coredns`: how the audit names an object (resource as in the URL). */
export function objectKeyOf(o: KubernetesObject): string {
  const resource = resourceForKind(o.apiVersion ?? '', o.kind ?? '')?.plural ?? `(unknown kind ${o.kind})`;
  return `${resource} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export function describeMutation(e: AuditEvent): string {
  const r = e.objectRef;
  if (!r) return `${e.verb} ${e.requestURI}`;
  const what = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
  const name = r.name ?? (r.generateName ? `${r.generateName}*` : '*');
  return `${e.verb} ${what} ${r.namespace ? `${r.namespace}/` : ''}${name} (${e.code ?? 'no answer'})`;
}

/** Why `e` is outside `radius`, or undefined when the arm declared it. */
export function outsideRadius(
  e: AuditEvent,
  radius: DeclaredRadius,
  clusterNodes: readonly string[],
): string | undefined {
  const r = e.objectRef;
  if (!r) return 'a write to a non-resource path';
  if (r.resource === 'namespaces') {
    return r.name === radius.runNamespace ? undefined : `namespace ${r.name ?? '?'} is not the run's`;
  }
  if (r.resource === 'nodes') {
    const allowed = radius.nodes === 'any' ? clusterNodes : radius.nodes;
    if (r.name !== undefined && allowed.includes(r.name)) return undefined;
    return radius.nodes === 'any' || radius.nodes.length
      ? `node ${r.name ?? '(all)'} is not one the scenario may touch`
      : 'the scenario declares no node scope';
  }
  if (r.namespace === undefined) return `cluster-scoped ${r.resource} is never in a scenario's radius`;
  if (r.namespace === radius.runNamespace) return undefined;
  if (!radius.namespaces.includes(r.namespace))
    return `namespace ${r.namespace} is neither the run's nor declared`;
  if (r.name === undefined) return `a ${e.verb} without a declared object name in ${r.namespace}`;
  if (radius.objects.has(`${r.resource} ${r.namespace}/${r.name}`)) return undefined;
  return `${r.resource} ${r.namespace}/${r.name} is in a declared namespace but is not an object the arm deploys there`;
}

/** Every audit event the sim answers, until `stop()`. */
export function recordRequests(sim: Pick<SimCluster, 'audit'>): { events: AuditEvent[]; stop: () => void } {
  const events: AuditEvent[] = [];
  const stop = sim.audit.onRequest((e) => events.push(e));
  return { events, stop };
}

export interface AttributedMutation {
  event: AuditEvent;
  /** The arm running when the request arrived; undefined before the first arm began. */
  radius: DeclaredRadius | undefined;
}

/**
 * Mutations attributed to arms by time: each arm owns the requests from its first timeline event
 * (wall clock, as the audit's receivedAt) until the next arm's first event. Arms run one after
 * another, so this is exact.
 */
export function attributeMutations(
  events: readonly AuditEvent[],
  report: RunReport,
  scenarios: readonly Scenario[],
): AttributedMutation[] {
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const windows: { start: number; radius: DeclaredRadius }[] = [];
  for (const s of report.scenarios) {
    const scenario = byName.get(s.name);
    if (!scenario) throw new Error(`the report names ${s.name}, which was not run`);
    const arms: [Arm, { timeline: { at: string }[] } | null][] = [
      ['main', s],
      ['control', s.control],
    ];
    for (const [arm, result] of arms) {
      const first = result?.timeline[0];
      if (!first) continue;
      windows.push({ start: Date.parse(first.at), radius: declaredRadius(scenario, report.runId, arm) });
    }
  }
  windows.sort((a, b) => a.start - b.start);
  return events
    .filter((e) => MUTATING_VERBS.has(e.verb))
    .map((event) => {
      let radius: DeclaredRadius | undefined;
      for (const w of windows) if (w.start <= event.receivedAt) radius = w.radius;
      return { event, radius };
    });
}

/** One line per mutation outside its arm's radius (empty when every write was declared). */
export function violations(
  mutations: readonly AttributedMutation[],
  clusterNodes: readonly string[],
): string[] {
  const out: string[] = [];
  for (const { event, radius } of mutations) {
    if (!radius) {
      out.push(`${describeMutation(event)}: made before any scenario arm began`);
      continue;
    }
    const why = outsideRadius(event, radius, clusterNodes);
    if (why) out.push(`${radius.scenario} (${radius.arm}): ${describeMutation(event)}: ${why}`);
  }
  return out;
}
