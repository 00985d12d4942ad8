/**
 * Disruption budgets: a drain (node upgrade, autoscaler scale-down) evicts every pod on a node. Without
 * a PDB all replicas of a Deployment may go at once; with a PDB that allows no disruption the drain
 * never finishes and the upgrade stalls.
 */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { scaledValue } from '../../sim/controllers/disruption.ts';
import { defineRule } from '../rule.ts';
import type { Manifest, RuleHit } from '../types.ts';
import { type AuditIndex, describeObject, selectorMatcher, type Workload } from '../workloads.ts';

const REPLICATED = new Set(['Deployment', 'StatefulSet']);

function pdbsCovering(index: AuditIndex, w: Workload): { manifest: Manifest; pdb: PodDisruptionBudget }[] {
  // policy/v1: a null selector selects no pods, an empty one every pod in the namespace.
  return index.pdbs(w.namespace).filter(({ pdb }) => selectorMatcher(pdb.spec?.selector)(w.labels));
}

export const pdbMissing = defineRule({
  id: 'pdb-missing',
  family: 'disruption',
  severity: 'warning',
  title: 'Multi-replica workload has no PodDisruptionBudget',
  why: 'kubectl drain and the cluster autoscaler evict as fast as they can: without a budget every replica on the drained nodes goes at once, and the service is down until they are rescheduled and ready.',
  fix: 'Add a PodDisruptionBudget whose selector matches the pod template labels, e.g. maxUnavailable: 1 (or minAvailable below the replica count).',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      if (!REPLICATED.has(w.kind)) continue;
      const replicas = index.replicas(w) ?? 1;
      if (replicas < 2 || pdbsCovering(index, w).length) continue;
      hits.push({
        manifest: w.manifest,
        field: ['spec', 'replicas'],
        message: `${describeObject(w.manifest)}: runs ${replicas} replicas but no PodDisruptionBudget in namespace ${w.namespace} selects its pods`,
      });
    }
    return hits;
  },
});

/** A budget value, or undefined when malformed (the API server rejects those; nothing to judge). */
function scaled(value: number | string, total: number): number | undefined {
  try {
    return scaledValue(value, total, true);
  } catch {
    return undefined;
  }
}

const isZero = (v: number | string) => (typeof v === 'number' ? v === 0 : /^[+]?0+%$/.test(v));
const isFull = (v: number | string) => typeof v === 'string' && /^[+]?0*100%$/.test(v);

export const pdbBlocksEviction = defineRule({
  id: 'pdb-blocks-eviction',
  family: 'disruption',
  severity: 'error',
  title: 'PodDisruptionBudget allows no eviction',
  why: 'With maxUnavailable 0, minAvailable 100%, or minAvailable at or above the replica count, the eviction API answers 429 for every pod: kubectl drain retries forever and node upgrades and scale-downs stall.',
  fix: 'Allow at least one disruption: maxUnavailable: 1, or minAvailable below the replica count (and run at least 2 replicas).',
  check(index) {
    const hits: RuleHit[] = [];
    for (const m of index.ofKind('PodDisruptionBudget')) {
      const pdb = m.object as PodDisruptionBudget;
      const spec = pdb.spec ?? {};
      const matches = selectorMatcher(spec.selector);
      // What the disruption controller expects: the replicas of the controllers whose pods it selects.
      const covered = index
        .workloadsIn(m.namespace)
        .filter((w) => REPLICATED.has(w.kind) && matches(w.labels));
      const expected = covered.reduce((n, w) => n + (index.replicas(w) ?? 0), 0);
      const who = covered.length
        ? ` (${covered.map((w) => `${w.kind} ${w.name}`).join(', ')}: ${expected} replica${expected === 1 ? '' : 's'})`
        : '';
      const { maxUnavailable, minAvailable } = spec;
      let problem: { field: string; message: string } | undefined;
      if (maxUnavailable !== undefined && isZero(maxUnavailable)) {
        problem = {
          field: 'maxUnavailable',
          message: `maxUnavailable ${String(maxUnavailable)} refuses every eviction`,
        };
      } else if (minAvailable !== undefined && isFull(minAvailable)) {
        problem = { field: 'minAvailable', message: `minAvailable ${minAvailable} refuses every eviction` };
      } else if (minAvailable !== undefined && expected > 0) {
        const need = scaled(minAvailable, expected);
        if (need !== undefined && need >= expected) {
          problem = {
            field: 'minAvailable',
            message: `minAvailable ${String(minAvailable)} needs ${need} of ${expected} pods available, so no pod may be evicted`,
          };
        }
      }
      // maxUnavailable percentages round up (GetScaledValueFromIntOrPercent with roundUp): only 0% is zero.
      if (!problem) continue;
      hits.push({
        manifest: m,
        field: ['spec', problem.field],
        message: `${describeObject(m)}: ${problem.message}${who}; kubectl drain will never finish`,
      });
    }
    return hits;
  },
});
