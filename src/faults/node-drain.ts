/**
 * Node drain, as `kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=T` does it
 * (staging/src/k8s.io/kubectl/pkg/drain/{drain,filters}.go, pkg/cmd/drain/drain.go): cordon every
 * target node first, then for each node in turn list its pods, filter them, and evict all of them
 * at once through the eviction API, one loop per pod. A 429 (a PodDisruptionBudget at its limit)
 * is retried every 5 seconds of cluster time with the pod read again, a 404 means the pod is
 * already gone, and an evicted pod counts as done when GET returns 404 or another UID (polled
 * every second). The timeout ends the node's drain attempt, as kubectl's does: pods still there
 * are reported, not treated as an error of the run.
 *
 * Differences from kubectl, on purpose:
 * - Blast radius: only pods in the run namespace (and `namespaces`, which the scenario must also
 *   declare) are evicted; kubectl evicts every namespace. Pods of other namespaces on the node are
 *   counted in the evidence and left alone.
 * - DaemonSet-managed and mirror pods are always skipped (kubectl needs --ignore-daemonsets for
 *   the former); pods with emptyDir are evicted unless `deleteEmptyDirData: false`.
 * - Each pod's own terminationGracePeriodSeconds applies (kubectl's default --grace-period=-1).
 *
 * The cordon is journalled with its inverse patch, so revert (or `scars cleanup`) uncordons what
 * this fault cordoned. Evictions need no undo: the pods' controllers replace them.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import { type Duration, parseDuration } from '../harness/duration.ts';
import { KubeApiError } from '../harness/kube-api.ts';
import type { Evidence, Fault, RunContext } from '../harness/scenario.ts';
import { cordonNode } from './cordon-node.ts';
import { shellLine } from './kubectl.ts';
import { nodeClaimPreflight, pickAndClaim, withoutClaimed } from './node-claims.ts';

/** kubectl drain sleeps this long after a 429 before it asks again. */
export const EVICTION_RETRY_MS = 5_000;
/** kubectl's waitForDelete polls the pod at this interval. */
export const DELETE_POLL_MS = 1_000;

/** A function choosing nodes at run time; `label` says which, for the plan and the report. */
export type NodePicker<T extends string | string[]> = ((ctx: RunContext) => Promise<T>) & { label?: string };

export type NodeChoice = string | string[] | NodePicker<string | string[]>;

export interface NodeDrainOptions {
  /** The node(s) to drain; several are all cordoned first, then drained one after another. */
  node: NodeChoice;
  /** Per node: how long eviction and waiting for deletion may take (kubectl --timeout). Default 5m. */
  timeout?: Duration;
  /** Namespaces besides the run namespace whose pods are evicted; the scenario must declare them. */
  namespaces?: string[];
  /** Evict pods with emptyDir volumes (kubectl --delete-emptydir-data). Default true. */
  deleteEmptyDirData?: boolean;
  /** Evict pods that declare no controller (kubectl --force). Default false: such a pod fails the drain. */
  force?: boolean;
}

/** The detail of an `eviction` timeline event: one eviction request and its answer. */
export interface EvictionRecord {
  fault: 'node-drain';
  node: string;
  namespace: string;
  pod: string;
  /** evicted (201), refused (429: a disruption budget), gone (404), or error (any other answer). */
  outcome: 'evicted' | 'refused' | 'gone' | 'error';
  code: number;
  attempt: number;
  /** Whether the pod was Ready as last read before this request. */
  ready: boolean;
  labels: Record<string, string>;
  message?: string;
}

/** The detail of a `drain-result` timeline event. */
export interface DrainResult {
  fault: 'node-drain';
  node: string;
  outcome: 'drained' | 'timeout' | 'failed';
  evicted: string[];
  /** Pods still on the node when the attempt ended (refused until the timeout, or not yet gone). */
  remaining: string[];
  skipped: { pod: string; reason: string }[];
  durationMs: number;
  error?: string;
}

/**
 * Nodes hosting pods of the run namespace that match a selector, most such pods first (ties by
 * name), less those another scars run has claimed (throws naming them if that leaves none).
 */
export function nodesHosting(selector: string): NodePicker<string[]> {
  const pick = async (ctx: RunContext): Promise<string[]> => {
    const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
      namespace: ctx.namespace,
      labelSelector: selector,
    });
    const counts = new Map<string, number>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !p.metadata?.deletionTimestamp) counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n]) => n);
    return withoutClaimed(ctx, ranked, `the nodes hosting ${selector}`);
  };
  return Object.assign(pick, { label: `the nodes hosting pods matching ${selector}` });
}

/** The node hosting the most pods matching a selector. */
export function nodeHostingMost(selector: string): NodePicker<string> {
  const hosting = nodesHosting(selector);
  const pick = async (ctx: RunContext): Promise<string> => {
    const first = (await hosting(ctx))[0];
    if (!first) throw new Error(`node-drain: no node hosts a pod matching ${selector} in ${ctx.namespace}`);
    return first;
  };
  return Object.assign(pick, { label: `the node hosting the most pods matching ${selector}` });
}

function isReady(p: V1Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function isTerminal(p: V1Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** The filters of drain/filters.go, in its order; the first that does not say "delete" wins. */
function filterPod(
  p: V1Pod,
  allowed: ReadonlySet<string>,
  options: NodeDrainOptions,
): { evict: true } | { evict: false; skip: string } | { evict: false; error: string } {
  const ns = p.metadata?.namespace ?? '';
  if (!allowed.has(ns)) return { evict: false, skip: 'outside the blast radius (namespace not declared)' };
  const controller = (p.metadata?.ownerReferences ?? []).find((o) => o.controller);
  if (controller?.kind === 'DaemonSet' && !isTerminal(p)) return { evict: false, skip: 'DaemonSet-managed' };
  if (p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined)
    return { evict: false, skip: 'mirror pod' };
  const emptyDir = (p.spec?.volumes ?? []).some((v) => v.emptyDir);
  if (emptyDir && !isTerminal(p) && options.deleteEmptyDirData === false)
    return {
      evict: false,
      error: 'cannot delete Pods with local storage (use --delete-emptydir-data to override)',
    };
  if (!controller && !isTerminal(p) && !options.force)
    return { evict: false, error: 'cannot delete Pods that declare no controller (use --force to override)' };
  return { evict: true };
}

export function nodeDrain(options: NodeDrainOptions): Fault {
  const timeoutMs = parseDuration(options.timeout ?? '5m');
  let targets: string[] = [];
  const results: DrainResult[] = [];
  const attempts: EvictionRecord[] = [];
  const nodeLabel =
    typeof options.node === 'function'
      ? (options.node.label ?? 'node(s) chosen at run time')
      : `node ${[options.node].flat().join(', ')}`;

  async function evictOne(ctx: RunContext, node: string, pod: V1Pod, deadline: number): Promise<boolean> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid;
    let current = pod;
    for (let attempt = 1; ; attempt++) {
      if (ctx.clock.now() >= deadline) return false;
      if (attempt > 1) {
        // kubectl ignores a failed GET here and lets the eviction sort it out with the old copy.
        const fresh = await ctx.kube
          .read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace, name })
          .catch(() => undefined);
        if (fresh) current = fresh;
      }
      const base = {
        fault: 'node-drain' as const,
        node,
        namespace,
        pod: name,
        attempt,
        ready: isReady(current),
        labels: { ...current.metadata?.labels },
      };
      let record: EvictionRecord;
      try {
        const out = await ctx.kube.evict(namespace, name);
        record = out.evicted
          ? { ...base, outcome: 'evicted', code: 201 }
          : {
              ...base,
              outcome: out.code === 429 ? 'refused' : 'error',
              code: out.code,
              message: out.message,
            };
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code === undefined) throw err;
        record = {
          ...base,
          outcome: err.code === 404 ? 'gone' : 'error',
          code: err.code,
          message: err.serverMessage,
        };
      }
      attempts.push(record);
      ctx.record('eviction', { ...record });
      if (record.outcome === 'gone') return true;
      if (record.outcome === 'error') return false;
      if (record.outcome === 'evicted') break;
      await ctx.clock.sleep(Math.min(EVICTION_RETRY_MS, Math.max(0, deadline - ctx.clock.now())), ctx.signal);
    }
    // waitForDelete: done on 404 or when a pod of that name has another UID.
    for (;;) {
      const live = await ctx.kube.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace, name });
      if (!live || live.metadata?.uid !== uid) {
        ctx.record('pod-gone', { fault: 'node-drain', node, namespace, pod: name });
        return true;
      }
      if (ctx.clock.now() >= deadline) return false;
      await ctx.clock.sleep(Math.min(DELETE_POLL_MS, deadline - ctx.clock.now()), ctx.signal);
    }
  }

  async function drainOne(ctx: RunContext, node: string): Promise<DrainResult> {
    const start = ctx.clock.now();
    const deadline = start + timeoutMs;
    const allowed = new Set([ctx.namespace, ...(options.namespaces ?? [])]);
    const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', { fieldSelector: `spec.nodeName=${node}` });
    const toEvict: V1Pod[] = [];
    const skipped: DrainResult['skipped'] = [];
    // Grouped by message, as kubectl's GetPodsForDeletion reports them ("<message>: ns/a, ns/b").
    const errors = new Map<string, string[]>();
    for (const p of pods) {
      const ref = `${p.metadata?.namespace}/${p.metadata?.name}`;
      const verdict = filterPod(p, allowed, options);
      if (verdict.evict) toEvict.push(p);
      else if ('skip' in verdict) skipped.push({ pod: ref, reason: verdict.skip });
      else errors.set(verdict.error, [...(errors.get(verdict.error) ?? []), ref]);
    }
    const result = (r: Omit<DrainResult, 'fault' | 'node' | 'skipped' | 'durationMs'>): DrainResult => ({
      fault: 'node-drain',
      node,
      skipped,
      durationMs: ctx.clock.now() - start,
      ...r,
    });
    // Like kubectl, any filter error stops the node's drain before anything is evicted.
    if (errors.size > 0) {
      const error = [...errors].map(([message, refs]) => `${message}: ${refs.join(', ')}`).join('; ');
      return result({ outcome: 'failed', evicted: [], remaining: [], error });
    }
    ctx.record('drain-start', {
      fault: 'node-drain',
      node,
      pods: toEvict.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
      skipped: skipped.length,
    });
    // Every pod's loop runs to its end before the node's result is taken, whatever happens to the others.
    const settled = await Promise.allSettled(toEvict.map((p) => evictOne(ctx, node, p, deadline)));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const done = settled.map((s) => s.status === 'fulfilled' && s.value);
    const thrown = settled.flatMap((s) => (s.status === 'rejected' ? [errorMessage(s.reason)] : []));
    const names = toEvict.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    const evicted = names.filter((_, i) => done[i]);
    const remaining = names.filter((_, i) => !done[i]);
    const failed = thrown.length > 0 || attempts.some((a) => a.node === node && a.outcome === 'error');
    return result({
      outcome: remaining.length === 0 ? 'drained' : failed ? 'failed' : 'timeout',
      evicted,
      remaining,
      ...(thrown.length > 0 ? { error: thrown.join('; ') } : {}),
    });
  }

  return {
    name: 'node-drain',
    describe: () =>
      `drain ${nodeLabel} like kubectl drain: cordon, evict the run's pods (429 retried every 5s), timeout ${options.timeout ?? '5m'} per node`,
    kubectl: (ctx) => {
      const nodes = typeof options.node === 'function' ? ['<node>'] : [options.node].flat();
      const flags = [
        '--ignore-daemonsets',
        ...(options.deleteEmptyDirData === false ? [] : ['--delete-emptydir-data']),
        ...(options.force ? ['--force'] : []),
        `--timeout=${options.timeout ?? '5m'}`,
      ];
      return {
        inject: [
          `# kubectl drain evicts every pod of the node; scars evicts only namespace ${ctx.namespace}'s`,
          ...nodes.map((n) => shellLine(['kubectl', 'drain', n, ...flags])),
        ],
        revert: nodes.map((n) => shellLine(['kubectl', 'uncordon', n])),
      };
    },
    preflight: (ctx) =>
      nodeClaimPreflight(ctx, typeof options.node === 'function' ? [] : [options.node].flat()),
    async inject(ctx) {
      targets = [];
      results.length = 0;
      attempts.length = 0;
      const chosen = await pickAndClaim<string | string[]>(ctx, options.node);
      targets = [...new Set([chosen].flat())];
      if (targets.length === 0) throw new Error('node-drain: no node to drain');
      // RunDrain cordons every node before draining any.
      for (const node of targets) {
        const before = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: node });
        if (!before) throw new Error(`node-drain: node ${node} not found`);
        // kubectl sends no patch for a node that is already cordoned ("already cordoned").
        if (before.spec?.unschedulable === true) ctx.record('node-already-cordoned', { node });
        else await cordonNode({ node }).inject(ctx);
      }
      for (const node of targets) {
        let r: DrainResult;
        try {
          r = await drainOne(ctx, node);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          r = {
            fault: 'node-drain',
            node,
            outcome: 'failed',
            evicted: [],
            remaining: [],
            skipped: [],
            durationMs: 0,
            error: errorMessage(err),
          };
        }
        results.push(r);
        ctx.record('drain-result', { ...r });
      }
    },
    async observe(ctx) {
      if (targets.length === 0) return { observed: false, summary: 'no node was drained', evidence: [] };
      const evidence: Evidence[] = [];
      let unschedulable = 0;
      for (const node of targets) {
        const live = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: node });
        const cordoned = live?.spec?.unschedulable === true;
        if (cordoned) unschedulable++;
        evidence.push({ what: `spec.unschedulable=${String(cordoned)}`, ref: `Node/${node}` });
      }
      const evicted = attempts.filter((a) => a.outcome === 'evicted').length;
      const refused = attempts.filter((a) => a.outcome === 'refused').length;
      const errors = attempts.filter((a) => a.outcome === 'error');
      for (const r of results) {
        evidence.push({
          what: `drain ${r.outcome}: ${r.evicted.length} evicted, ${r.remaining.length} remaining, ${r.skipped.length} skipped${r.error ? ` (${r.error})` : ''}`,
          ref: `Node/${r.node}`,
          data: { remaining: r.remaining, skipped: r.skipped, durationMs: r.durationMs },
        });
      }
      for (const e of errors.slice(0, 5)) {
        evidence.push({
          what: `eviction answered ${e.code}: ${e.message ?? ''}`,
          ref: `Pod/${e.namespace}/${e.pod}`,
        });
      }
      const observed = unschedulable === targets.length && attempts.length > 0;
      const summary =
        `${unschedulable}/${targets.length} node(s) unschedulable; ${attempts.length} eviction request(s): ` +
        `${evicted} evicted, ${refused} refused with 429${errors.length ? `, ${errors.length} failed` : ''}` +
        (attempts.length === 0 && results.every((r) => r.outcome === 'drained')
          ? ' (no pod of the run on the node: nothing to drain)'
          : '') +
        `; ${results.map((r) => `${r.node} ${r.outcome}`).join(', ')}`;
      return { observed, summary, evidence };
    },
  };
}
