/**
 * Which pods a ReplicaSet deletes first when it scales down: controller.ActivePodsWithRanks
 * (pkg/controller/controller_utils.go) as the replicaset controller's getPodsToDelete uses it,
 * with the PodDeletionCost and LogarithmicScaleDown feature gates on (their default since 1.22).
 * Earlier in the order = deleted first:
 * 1. unassigned before assigned;
 * 2. Pending before Unknown before Running;
 * 3. not ready before ready;
 * 4. lower `controller.kubernetes.io/pod-deletion-cost` first;
 * 5. pods sharing their node with more related pods first (the rank);
 * 6. ready for less time first (by power-of-two buckets of the ready age, then uid);
 * 7. more container restarts first (regular containers, then sidecars);
 * 8. newer first (by power-of-two buckets of the age, then uid).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodActive, isPodReady, podCondition, type SimPod } from '../kinds/pod.ts';

const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
// Phases outside the table (an active pod has none of them) rank like Pending, as a Go map miss gives 0.
const phaseOrdinal = (pod: Pod): number => PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;

/** helper.GetDeletionCostFromPodAnnotations: an int32, 0 when absent or unparseable. */
function deletionCost(pod: SimPod): number {
  const text = pod.metadata.annotations?.[DELETION_COST];
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return 0;
  const value = Number(text);
  return value >= -2147483648 && value <= 2147483647 ? value : 0;
}

/** The Ready condition's lastTransitionTime (ms), or undefined (Go's zero time). */
function readyTime(pod: Pod): number | undefined {
  if (!isPodReady(pod)) return undefined;
  const at = podCondition(pod, 'Ready')?.lastTransitionTime;
  const ms = at ? Date.parse(at) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function creationTime(pod: SimPod): number | undefined {
  const at = pod.metadata.creationTimestamp;
  const ms = at ? Date.parse(at) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function maxRestarts(pod: Pod): { regular: number; sidecar: number } {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? [])
    if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

/** afterOrZero: a zero time sorts first, otherwise the later time does. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/** logarithmicRankDiff: compares floor(log2(age in ns)) buckets; -1 for a non-positive age. */
function logRankDiff(a: number, b: number, now: number): number {
  const bucket = (t: number): number => {
    const ns = (now - t) * 1e6;
    return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
  };
  return bucket(a) - bucket(b);
}

/** Compares two timestamps the way LogarithmicScaleDown does: younger bucket first, then uid. */
function newerFirst(
  a: number | undefined,
  b: number | undefined,
  now: number,
  pa: SimPod,
  pb: SimPod,
): number {
  if (a === undefined || b === undefined) return afterOrZero(a, b) ? -1 : afterOrZero(b, a) ? 1 : 0;
  const diff = logRankDiff(a, b, now);
  if (diff !== 0) return diff;
  const ua = pa.metadata.uid ?? '';
  const ub = pb.metadata.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

interface Ranked {
  pod: SimPod;
  rank: number;
  ready: boolean;
  readyAt: number | undefined;
}

function compare(a: Ranked, b: Ranked, now: number): number {
  const na = a.pod.spec?.nodeName ?? '';
  const nb = b.pod.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const pa = phaseOrdinal(a.pod);
  const pb = phaseOrdinal(b.pod);
  if (pa !== pb) return pa - pb;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  const ca = deletionCost(a.pod);
  const cb = deletionCost(b.pod);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (a.ready && b.ready && a.readyAt !== b.readyAt) {
    const byReady = newerFirst(a.readyAt, b.readyAt, now, a.pod, b.pod);
    if (byReady !== 0) return byReady;
  }
  const ra = maxRestarts(a.pod);
  const rb = maxRestarts(b.pod);
  if (ra.regular !== rb.regular) return rb.regular - ra.regular;
  if (ra.sidecar !== rb.sidecar) return rb.sidecar - ra.sidecar;
  const ta = creationTime(a.pod);
  const tb = creationTime(b.pod);
  if (ta !== tb) return newerFirst(ta, tb, now, a.pod, b.pod);
  return 0;
}

/**
 * getPodsToDelete: the first `count` of `pods` in deletion order. `related` are the pods of
 * every ReplicaSet with the same controller (this one's included); an active related pod on a
 * node raises the rank of each candidate on that node, so doubled-up nodes lose pods first.
 */
export function podsToDelete(
  pods: readonly SimPod[],
  related: readonly SimPod[],
  count: number,
  now: number,
): SimPod[] {
  // No ordering is needed when every pod goes.
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const pod of related) {
    if (!isPodActive(pod)) continue;
    const node = pod.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked: Ranked[] = pods.map((pod) => ({
    pod,
    rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0,
    ready: isPodReady(pod),
    readyAt: readyTime(pod),
  }));
  ranked.sort((a, b) => compare(a, b, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
