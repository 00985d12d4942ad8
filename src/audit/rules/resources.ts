/**
 * Requests and limits: the memory family. A container without a memory limit can take a node's memory
 * until the kubelet evicts (or the kernel OOM-kills) its neighbours; one without requests is packed
 * onto nodes as if it needed nothing; a limit far above the request overcommits the node.
 * Effective values follow the API server: requests default to limits, then the namespace's
 * LimitRange fills in what is still missing.
 */
import { defineRule } from '../rule.ts';
import type { RuleHit } from '../types.ts';
import { type AuditIndex, type ContainerRef, describeObject, quantity, type Workload } from '../workloads.ts';

/** The common rule of thumb (DESIGN.md, memory family): a memory limit about twice the request at most. */
export const MAX_MEMORY_LIMIT_RATIO = 2;

type ResourceList = Record<string, unknown>;

export interface EffectiveResources {
  limits: { cpu?: number; memory?: number };
  requests: { cpu?: number; memory?: number };
  /** The LimitRange that filled something in, if one did. */
  limitRange?: string;
}

/** A container's requests and limits after API defaulting and LimitRanger admission; 0 counts as unset. */
export function effectiveResources(index: AuditIndex, w: Workload, ref: ContainerRef): EffectiveResources {
  const own = ref.container.resources ?? {};
  const ownLimits = (own.limits ?? {}) as ResourceList;
  const ownRequests = (own.requests ?? {}) as ResourceList;
  const lr = index.limitRangeDefaults(w.namespace);
  const pick = (...values: (number | undefined)[]) => values.find((v) => v !== undefined && v > 0);
  const out: EffectiveResources = { limits: {}, requests: {} };
  let usedLimitRange = false;
  for (const r of ['cpu', 'memory'] as const) {
    const limit = pick(quantity(ownLimits, r), quantity(lr.limits, r));
    const request = pick(quantity(ownRequests, r), quantity(ownLimits, r), quantity(lr.requests, r));
    if (limit !== undefined) out.limits[r] = limit;
    if (request !== undefined) out.requests[r] = request;
    if (
      (!pick(quantity(ownLimits, r)) && limit) ||
      (!pick(quantity(ownRequests, r), quantity(ownLimits, r)) && request)
    )
      usedLimitRange = true;
  }
  if (usedLimitRange && lr.from) out.limitRange = lr.from;
  return out;
}

const containerName = (ref: ContainerRef) =>
  `${ref.init ? (ref.sidecar ? 'sidecar' : 'init container') : 'container'} "${ref.container.name ?? '?'}"`;

/** Pod-level resources (spec.resources) bound all containers together. */
const podLevel = (w: Workload, kind: 'limits' | 'requests', r: string) =>
  (quantity(w.podSpec.resources?.[kind], r) ?? 0) > 0;

export const memoryLimitMissing = defineRule({
  id: 'memory-limit-missing',
  family: 'resources',
  severity: 'error',
  title: 'Container has no memory limit',
  why: 'A leak or a burst grows until the node runs out of memory: the kubelet then evicts neighbours (BestEffort first) or the kernel OOM-kills whatever it picks, taking down pods that did nothing wrong.',
  fix: 'Set resources.limits.memory on every container (about 1-2x its memory request), or a LimitRange with a default memory limit in the namespace.',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      if (podLevel(w, 'limits', 'memory')) continue;
      for (const ref of w.containers) {
        if (effectiveResources(index, w, ref).limits.memory !== undefined) continue;
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'resources', 'limits', 'memory'],
          message: `${describeObject(w.manifest)}: ${containerName(ref)} has no memory limit`,
        });
      }
    }
    return hits;
  },
});

export const requestsMissing = defineRule({
  id: 'requests-missing',
  family: 'resources',
  severity: 'warning',
  title: 'Container has no CPU or memory request',
  why: 'The scheduler counts a missing request as zero, so it packs the pod onto nodes that cannot hold it; under memory pressure pods using more than they requested are evicted first.',
  fix: 'Set resources.requests.cpu and resources.requests.memory to what the container needs at steady state (or a LimitRange defaultRequest in the namespace).',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      for (const ref of w.containers) {
        const eff = effectiveResources(index, w, ref);
        const missing = (['cpu', 'memory'] as const).filter(
          (r) => eff.requests[r] === undefined && !podLevel(w, 'requests', r),
        );
        if (!missing.length) continue;
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'resources', 'requests', missing[0] as string],
          message: `${describeObject(w.manifest)}: ${containerName(ref)} has no ${missing.join(' or ')} request`,
        });
      }
    }
    return hits;
  },
});

export const memoryLimitRatio = defineRule({
  id: 'memory-limit-ratio',
  family: 'resources',
  severity: 'warning',
  title: `Memory limit is more than ${MAX_MEMORY_LIMIT_RATIO}x the request`,
  why: 'The scheduler places pods by their requests; a limit far above the request lets pods on one node together use more memory than it has, so a busy moment ends in node-pressure evictions or OOM kills.',
  fix: `Raise the memory request towards real usage, or lower the limit, so that limit <= ${MAX_MEMORY_LIMIT_RATIO} x request (equal values make the pod Guaranteed).`,
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      for (const ref of w.containers) {
        const { limits, requests } = effectiveResources(index, w, ref);
        if (limits.memory === undefined || requests.memory === undefined) continue;
        const ratio = limits.memory / requests.memory;
        if (ratio <= MAX_MEMORY_LIMIT_RATIO) continue;
        const r = ref.container.resources ?? {};
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'resources', 'limits', 'memory'],
          message:
            `${describeObject(w.manifest)}: ${containerName(ref)} memory limit ${String(r.limits?.memory ?? limits.memory)} is ` +
            `${ratio.toFixed(1)}x its request ${String(r.requests?.memory ?? requests.memory)} (at most ${MAX_MEMORY_LIMIT_RATIO}x)`,
        });
      }
    }
    return hits;
  },
});
