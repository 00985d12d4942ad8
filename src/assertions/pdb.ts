/**
 * PDB held: while pods were being evicted, the workload never had fewer Ready pods than the
 * budget's minAvailable, and no eviction took it below that: the evictions that came while the
 * budget was spent were refused (429) instead. Pure over the pod-readiness samples and the
 * `eviction` records of the node-drain fault in the fault window.
 *
 * An eviction "broke the budget" when it evicted a Ready pod and a readiness sample taken within
 * `graceMs` after it (or, if the sampler fell behind, the first sample after it) shows fewer than
 * minAvailable Ready pods. Judging by the samples after an
 * eviction, not the one before, keeps a replacement that turned Ready between two samples (the
 * budget freed just in time) from counting as a breach.
 */
import type { EvictionRecord } from '../faults/node-drain.ts';
import type { Assertion, AssertionInput, Evidence } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';
import type { ReadinessSample } from '../observers/pod-readiness.ts';
import { FAULT_WINDOW } from './window.ts';

export interface PdbHeldOptions {
  /** Label selector of the budget's pods, as in the PodDisruptionBudget and the pod-readiness observer. */
  selector: string;
  /** Fewest Ready pods allowed at any sample in the fault window. */
  minAvailable: number;
  /** How long after an eviction the samples are looked at for its effect (cluster ms). Default 2000. */
  graceMs?: number;
}

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

/** Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(selector: string): Requirement {
  const parts = selector.match(/[^,(]+(?:\([^)]*\))?/g) ?? [];
  const reqs: Requirement[] = [];
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpMatchArray | null;
    if ((m = raw.match(/^([^!=\s]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key = '', op, list = ''] = m;
      const values = new Set(list.split(',').map((v) => v.trim()));
      reqs.push(
        op === 'in'
          ? (l) => key in l && values.has(l[key] ?? '')
          : (l) => !(key in l) || !values.has(l[key] ?? ''),
      );
    } else if ((m = raw.match(/^([^!=\s]+)\s*!=\s*(\S*)$/))) {
      const [, key = '', value] = m;
      reqs.push((l) => l[key] !== value);
    } else if ((m = raw.match(/^([^!=\s]+)\s*==?\s*(\S*)$/))) {
      const [, key = '', value] = m;
      reqs.push((l) => l[key] === value);
    } else if ((m = raw.match(/^!\s*(\S+)$/))) {
      const key = m[1] ?? '';
      reqs.push((l) => !(key in l));
    } else if (/^\S+$/.test(raw)) {
      reqs.push((l) => raw in l);
    } else {
      throw new Error(
        `invalid label selector ${JSON.stringify(selector)}: cannot parse ${JSON.stringify(raw)}`,
      );
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

function samplesOf(timeline: readonly TimelineEvent[], selector: string) {
  return timeline
    .filter((e) => {
      const d = e.detail as Partial<ReadinessSample> | undefined;
      return (
        e.event === 'sample' &&
        FAULT_WINDOW.has(e.step) &&
        d?.observer === 'pod-readiness' &&
        d.selector === selector
      );
    })
    .map((e) => ({ t: e.t, s: e.detail as unknown as ReadinessSample }));
}

export function pdbHeld(options: PdbHeldOptions): Assertion {
  const graceMs = options.graceMs ?? 2000;
  const matches = parseLabelSelector(options.selector);
  const min = options.minAvailable;
  return {
    name: 'pdb-held',
    description: `pods matching ${options.selector}: never fewer than ${min} Ready while evicted, and no eviction took them below it (refused with 429 instead)`,
    thresholds: { minAvailable: min, graceMs },
    evaluate(input: AssertionInput) {
      const samples = samplesOf(input.timeline, options.selector);
      if (samples.length === 0) {
        return {
          pass: false,
          summary: `no readiness samples for ${options.selector} during the fault window (is the pod-readiness observer configured?)`,
          evidence: [],
        };
      }
      const evictions = input.timeline
        .filter((e) => e.event === 'eviction' && FAULT_WINDOW.has(e.step))
        .map((e) => ({ t: e.t, r: e.detail as unknown as EvictionRecord }))
        .filter(({ r }) => r.fault === 'node-drain' && matches(r.labels ?? {}));
      if (evictions.length === 0) {
        return {
          pass: false,
          summary: `no eviction of a pod matching ${options.selector} was attempted during the fault window: the budget was never tested (is a node-drain fault targeting their node?)`,
          evidence: [],
        };
      }
      const below = samples.filter(({ s }) => s.ready < min);
      const lowest = Math.min(...samples.map(({ s }) => s.ready));
      const breaches = evictions
        .filter(({ r }) => r.outcome === 'evicted' && r.ready)
        .map((x) => {
          // The samples within graceMs after it; when the sampler fell behind, the first one after it.
          const later = samples.filter(({ t }) => t > x.t);
          const within = later.filter(({ t }) => t <= x.t + graceMs);
          const after = within.length > 0 ? within : later.slice(0, 1);
          const lowest = after.reduce<{ t: number; ready: number } | undefined>(
            (m, { t, s }) => (m === undefined || s.ready < m.ready ? { t, ready: s.ready } : m),
            undefined,
          );
          return { ...x, lowest };
        })
        .filter((x) => x.lowest !== undefined && x.lowest.ready < min);
      const refused = evictions.filter(({ r }) => r.outcome === 'refused');
      const evicted = evictions.filter(({ r }) => r.outcome === 'evicted');
      const failedCalls = evictions.filter(({ r }) => r.outcome === 'error');
      const counts =
        `${evictions.length} eviction request(s): ${evicted.length} evicted, ${refused.length} refused with 429` +
        (failedCalls.length ? `, ${failedCalls.length} failed` : '');
      const evidence: Evidence[] = [];
      for (const b of breaches.slice(0, 5)) {
        evidence.push({
          what: `eviction of Ready pod ${b.r.pod} succeeded (201) and Ready pods fell to ${b.lowest?.ready} (< ${min}) ${(b.lowest?.t ?? b.t) - b.t} ms later: the budget did not refuse it`,
          ref: `Pod/${b.r.namespace}/${b.r.pod}`,
          t: b.t,
          data: { node: b.r.node, attempt: b.r.attempt },
        });
      }
      for (const { t, s } of below.slice(0, 5)) {
        evidence.push({ what: `${s.ready}/${s.total} Ready (< ${min})`, t, data: { notReady: s.notReady } });
      }
      for (const f of failedCalls.slice(0, 3)) {
        evidence.push({
          what: `eviction answered ${f.r.code}: ${f.r.message ?? ''}`,
          ref: `Pod/${f.r.namespace}/${f.r.pod}`,
          t: f.t,
        });
      }
      if (below.length === 0 && breaches.length === 0) {
        return {
          pass: true,
          summary: `${samples.length} samples, never fewer than ${lowest} Ready (min ${min}); ${counts}`,
          evidence: [
            ...refused.slice(0, 5).map(({ t, r }) => ({
              what: `eviction refused with ${r.code} (attempt ${r.attempt}): ${r.message ?? ''}`,
              ref: `Pod/${r.namespace}/${r.pod}`,
              t,
            })),
            ...evidence,
          ],
        };
      }
      const problems: string[] = [];
      if (below.length)
        problems.push(`${below.length}/${samples.length} samples below ${min} Ready (lowest ${lowest})`);
      if (breaches.length) problems.push(`${breaches.length} eviction(s) took Ready pods below ${min}`);
      return { pass: false, summary: `${problems.join('; ')}; ${counts}`, evidence };
    },
  };
}
