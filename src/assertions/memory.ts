/**
 * Memory assertions: OOM kills surface, restarts back off, node-pressure eviction follows QoS,
 * critical pods are not BestEffort, and workloads set requests and limits.
 *
 * Pure over the final state and the `pod-status` snapshots the pod-status observer records: a pod
 * the fault created (deleted at revert), or a container that was OOM-killed and runs again, is
 * still seen as it was while the fault was in place. The newest view of each pod wins.
 */
import type {
  CoreV1Event,
  KubernetesObject,
  V1Container,
  V1ContainerStateTerminated,
  V1Pod,
  V1PodSpec,
} from '@kubernetes/client-node';
import type { Assertion, AssertionInput, Evidence } from '../harness/scenario.ts';
import { parseDuration, type Duration } from '../harness/duration.ts';
import { podStatusesIn } from '../observers/pod-status.ts';
import { parseQuantity } from '../kube/quantity.ts';
import { parseLabelSelector } from './pdb.ts';

const OOM_EXIT_CODE = 137;
type Qos = 'BestEffort' | 'Burstable' | 'Guaranteed';
const QOS_RANK: Record<Qos, number> = { BestEffort: 0, Burstable: 1, Guaranteed: 2 };

const nameOf = (p: V1Pod) => p.metadata?.name ?? '';
const keyOf = (p: V1Pod) => p.metadata?.uid ?? nameOf(p);
const ms = (t: Date | string | undefined): number => (t === undefined ? Number.NaN : new Date(t).getTime());
const bytes = (q: unknown): number | undefined => (q === undefined ? undefined : parseQuantity(String(q)));

/** Every view of each pod matching the selector: snapshots oldest first, then the final state. */
function podHistories(input: AssertionInput, selector?: string): Map<string, V1Pod[]> {
  const matches = selector === undefined ? () => true : parseLabelSelector(selector);
  const out = new Map<string, V1Pod[]>();
  const add = (p: V1Pod) => {
    if (!matches(p.metadata?.labels ?? {})) return;
    const k = keyOf(p);
    const list = out.get(k);
    if (list) list.push(p);
    else out.set(k, [p]);
  };
  for (const s of podStatusesIn(input.timeline)) add(s.pod);
  for (const p of input.state.pods) add(p);
  return out;
}

const latest = (h: V1Pod[]): V1Pod => h[h.length - 1] as V1Pod;

/** QoS class as the API server sets it (status.qosClass), else computed as qos.go does. */
export function qosOf(p: V1Pod): Qos {
  const set = p.status?.qosClass;
  if (set === 'BestEffort' || set === 'Burstable' || set === 'Guaranteed') return set;
  return qosOfSpec(p.spec);
}

function qosOfSpec(spec: V1PodSpec | undefined): Qos {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    // API defaulting copies a limit into a missing request.
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...c.resources?.requests };
    for (const r of ['cpu', 'memory']) {
      const req = bytes(requests[r]) ?? 0;
      const lim = bytes(limits[r]) ?? 0;
      if (req > 0 || lim > 0) any = true;
      if (!(lim > 0) || req !== lim) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function containerSpec(p: V1Pod, name: string): V1Container | undefined {
  return (p.spec?.containers ?? []).find((c) => c.name === name);
}

/** Events about the pod (by uid when the event has one, else by name) and, if given, one of its containers. */
function eventsFor(events: readonly CoreV1Event[], p: V1Pod, container?: string): CoreV1Event[] {
  return events.filter((e) => {
    const o = e.involvedObject;
    if (o.kind !== 'Pod' || o.name !== nameOf(p)) return false;
    if (o.uid && p.metadata?.uid && o.uid !== p.metadata.uid) return false;
    return container === undefined || o.fieldPath === `spec.containers{${container}}`;
  });
}

function isEvicted(p: V1Pod): boolean {
  return p.status?.reason === 'Evicted';
}

/** When the kubelet evicted the pod: its DisruptionTarget condition, else the Evicted event. */
function evictedAt(p: V1Pod, events: readonly CoreV1Event[]): number {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'DisruptionTarget' && x.status === 'True');
  const t = ms(c?.lastTransitionTime);
  if (!Number.isNaN(t)) return t;
  const e = eventsFor(events, p).find((x) => x.reason === 'Evicted');
  return ms(e?.firstTimestamp ?? e?.eventTime);
}

// ---------------------------------------------------------------------------------------------

export interface OomKilledSurfacedOptions {
  /** Pods of the leaking workload, e.g. `app=api-leak`. */
  selector: string;
  /**
   * The kill must be the container's own limit (default true): a container without a memory limit
   * can only be OOM-killed by the node-wide OOM killer, which is the leak not being contained.
   */
  atLimit?: boolean;
  /** The restart must show in the pod's events (default true). */
  requireEvent?: boolean;
}

/**
 * A container of the selected pods was OOM-killed (state or last state terminated, reason
 * `OOMKilled`, exit code 137) and it surfaced: the kubelet has no OOM event of its own for a
 * container, so the kill shows as the container's restart — a `BackOff` warning, or `Started` /
 * `Created` events counted more than once for that container.
 */
export function oomKilledSurfaced(options: OomKilledSurfacedOptions): Assertion {
  const atLimit = options.atLimit ?? true;
  const requireEvent = options.requireEvent ?? true;
  return {
    name: 'oom-killed-surfaced',
    description: `a container of pods matching ${options.selector} was OOMKilled (exit 137)${atLimit ? ' at its memory limit' : ''}${requireEvent ? ', and its restart shows in the pod events' : ''}`,
    thresholds: { exitCode: OOM_EXIT_CODE, atLimit: String(atLimit) },
    evaluate(input) {
      const histories = podHistories(input, options.selector);
      if (histories.size === 0) {
        return { pass: false, summary: `no pod matched ${options.selector}`, evidence: [] };
      }
      const found: Evidence[] = [];
      const rejected: Evidence[] = [];
      for (const h of histories.values()) {
        const pod = latest(h);
        const kills = new Map<string, V1ContainerStateTerminated>();
        for (const view of h) {
          for (const c of view.status?.containerStatuses ?? []) {
            for (const t of [c.state?.terminated, c.lastState?.terminated]) {
              if (t?.reason === 'OOMKilled' && t.exitCode === OOM_EXIT_CODE) kills.set(c.name, t);
            }
          }
        }
        for (const [container, t] of kills) {
          const limit = containerSpec(pod, container)?.resources?.limits?.memory;
          const events = eventsFor(input.state.events, pod, container);
          const restartEvents = events.filter(
            (e) =>
              e.reason === 'BackOff' ||
              ((e.reason === 'Started' || e.reason === 'Created') && (e.count ?? 1) > 1),
          );
          const data = {
            container,
            exitCode: t.exitCode,
            finishedAt: t.finishedAt,
            limit: limit ?? null,
            events: restartEvents.map((e) => ({ reason: e.reason, count: e.count ?? 1, message: e.message })),
          };
          const ref = `Pod/${nameOf(pod)}`;
          if (atLimit && limit === undefined) {
            rejected.push({
              what: `${container} OOMKilled without a memory limit: the node's OOM killer, not its own limit`,
              ref,
              data,
            });
          } else if (requireEvent && restartEvents.length === 0) {
            rejected.push({
              what: `${container} OOMKilled but no restart event (BackOff, Started ×2) for it`,
              ref,
              data,
            });
          } else {
            found.push({
              what: `${container} OOMKilled (exit 137)${limit !== undefined ? ` at limit ${String(limit)}` : ''}`,
              ref,
              data,
            });
          }
        }
      }
      if (found.length > 0) {
        return {
          pass: true,
          summary: `${found.length} OOM kill(s) surfaced: ${found.map((f) => `${f.ref} ${f.what}`).join('; ')}`,
          evidence: found,
        };
      }
      if (rejected.length > 0) {
        return {
          pass: false,
          summary: rejected.map((r) => `${r.ref}: ${r.what}`).join('; '),
          evidence: rejected,
        };
      }
      return {
        pass: false,
        summary: `no container of ${histories.size} pod(s) matching ${options.selector} was OOMKilled: nothing stopped the leak at a limit`,
        evidence: [...histories.values()].map((h) => ({
          what: `restarts ${(latest(h).status?.containerStatuses ?? []).map((c) => c.restartCount).join(',') || 0}, phase ${latest(h).status?.phase ?? '?'}${isEvicted(latest(h)) ? ' (Evicted)' : ''}`,
          ref: `Pod/${nameOf(latest(h))}`,
        })),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface RestartsBackOffOptions {
  selector: string;
  /** The kubelet's first back-off (default 10s; 1s under ReduceDefaultCrashLoopBackOffDecay). */
  initialBackOff?: Duration;
  /** The cap (default 5m; MaxContainerBackOff). */
  maxBackOff?: Duration;
}

/** The least a container waits before its k-th restart (the first is immediate). */
export function minimumDelayBefore(k: number, initialMs: number, maxMs: number): number {
  return k <= 1 ? 0 : Math.min(initialMs * 2 ** (k - 2), maxMs);
}

/**
 * Restarts of the selected pods' containers back off: a container that kept dying was held in
 * `CrashLoopBackOff` (its waiting reason, or the kubelet's `BackOff` event), and no restart came
 * sooner than the kubelet's back-off allows (immediately, then 10s, 20s, 40s … up to 5m) — no
 * tight loop. Fails if no container restarted at all: there was nothing to back off.
 */
export function restartsBackOff(options: RestartsBackOffOptions): Assertion {
  const initialMs = parseDuration(options.initialBackOff ?? '10s');
  const maxMs = parseDuration(options.maxBackOff ?? '5m');
  // Container times have second precision.
  const slackMs = 1000;
  return {
    name: 'restarts-back-off',
    description: `restarting containers of pods matching ${options.selector} go through CrashLoopBackOff and restart no faster than the back-off (${initialMs / 1000}s doubling to ${maxMs / 1000}s)`,
    thresholds: { initialBackOffMs: initialMs, maxBackOffMs: maxMs },
    evaluate(input) {
      const histories = podHistories(input, options.selector);
      const backedOff: Evidence[] = [];
      const tight: Evidence[] = [];
      const restarted: Evidence[] = [];
      for (const h of histories.values()) {
        const pod = latest(h);
        const names = new Set(h.flatMap((v) => (v.status?.containerStatuses ?? []).map((c) => c.name)));
        for (const container of names) {
          const statuses = h.flatMap((v) =>
            (v.status?.containerStatuses ?? []).filter((c) => c.name === container),
          );
          const restarts = Math.max(0, ...statuses.map((c) => c.restartCount));
          if (restarts === 0) continue;
          const ref = `Pod/${nameOf(pod)}`;
          restarted.push({ what: `${container} restarted ${restarts}×`, ref });
          // startedAt of the k-th restart and finishedAt of the exit before it.
          const starts = new Map<number, number>();
          const exits = new Map<number, number>();
          // restartCount k counts the restarts so far: a running (or just exited) container is the
          // k-th restart and its last state the exit before it; a waiting one has exited after it.
          const put = (m: Map<number, number>, k: number, t: Date | string | undefined) => {
            const v = ms(t);
            if (!Number.isNaN(v)) m.set(k, v);
          };
          for (const c of statuses) {
            const k = c.restartCount;
            if (c.state?.running || c.state?.terminated) {
              put(starts, k, c.state.running?.startedAt ?? c.state.terminated?.startedAt);
              if (k > 0) put(exits, k, c.lastState?.terminated?.finishedAt);
              if (c.state.terminated) put(exits, k + 1, c.state.terminated.finishedAt);
            } else if (c.state?.waiting) {
              put(exits, k + 1, c.lastState?.terminated?.finishedAt);
            }
          }
          for (const [k, start] of starts) {
            const exit = exits.get(k);
            if (exit === undefined) continue;
            const need = minimumDelayBefore(k, initialMs, maxMs);
            if (start - exit + slackMs < need) {
              tight.push({
                what: `${container} restart #${k} came ${(start - exit) / 1000}s after its exit, back-off wants ≥${need / 1000}s`,
                ref,
              });
            }
          }
          const ks = [...starts.keys()].sort((a, b) => a - b);
          for (let i = 1; i < ks.length; i++) {
            const a = ks[i - 1] as number;
            const b = ks[i] as number;
            let need = 0;
            for (let k = a + 1; k <= b; k++) need += minimumDelayBefore(k, initialMs, maxMs);
            const got = (starts.get(b) as number) - (starts.get(a) as number);
            if (got + slackMs * (b - a) < need) {
              tight.push({
                what: `${container} restarted ${b - a}× in ${got / 1000}s, back-off allows that in no less than ${need / 1000}s`,
                ref,
              });
            }
          }
          const waiting = statuses.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
          const events = eventsFor(input.state.events, pod, container).filter((e) => e.reason === 'BackOff');
          if (waiting || events.length > 0) {
            backedOff.push({
              what: `${container}: ${waiting ? `CrashLoopBackOff (${waiting.state?.waiting?.message ?? ''})` : ''}${waiting && events.length ? '; ' : ''}${events.length ? `BackOff event ×${events.reduce((n, e) => n + (e.count ?? 1), 0)}` : ''}`,
              ref,
              data: { restarts },
            });
          }
        }
      }
      if (restarted.length === 0) {
        return {
          pass: false,
          summary: `no container of pods matching ${options.selector} restarted: nothing backed off`,
          evidence: [],
        };
      }
      if (tight.length > 0) {
        return {
          pass: false,
          summary: `restarts faster than the back-off: ${tight.map((e) => `${e.ref} ${e.what}`).join('; ')}`,
          evidence: tight,
        };
      }
      if (backedOff.length === 0) {
        return {
          pass: false,
          summary: `restarts without CrashLoopBackOff or a BackOff event: ${restarted.map((e) => `${e.ref} ${e.what}`).join('; ')}`,
          evidence: restarted,
        };
      }
      return {
        pass: true,
        summary: `restarts backed off: ${backedOff.map((e) => `${e.ref} ${e.what}`).join('; ')}`,
        evidence: backedOff,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface EvictionOrderOptions {
  /** Pods to consider; default every pod of the run namespace. */
  selector?: string;
  /** Fewest evictions for the order to mean anything (default 1). */
  minEvictions?: number;
}

/**
 * Node-pressure evictions followed QoS: the pods the kubelet evicted (status reason `Evicted`) went
 * BestEffort before Burstable before Guaranteed, and no Guaranteed pod was evicted while a
 * BestEffort pod on the same node, there before the eviction, was never evicted.
 */
export function evictionOrderByQoS(options: EvictionOrderOptions = {}): Assertion {
  const minEvictions = options.minEvictions ?? 1;
  return {
    name: 'eviction-order-by-qos',
    description: `pods evicted for node pressure${options.selector ? ` (${options.selector})` : ''} went BestEffort → Burstable → Guaranteed; no Guaranteed pod evicted while a BestEffort one on its node survived`,
    thresholds: { minEvictions },
    evaluate(input) {
      const pods = [...podHistories(input, options.selector).values()].map((h) => {
        const evictedView = h.find(isEvicted);
        const pod = evictedView ? (h.filter(isEvicted).pop() as V1Pod) : latest(h);
        return {
          pod,
          node: h.map((v) => v.spec?.nodeName).find(Boolean),
          qos: qosOf(pod),
          evicted: evictedView !== undefined,
        };
      });
      const evicted = pods
        .filter((p) => p.evicted)
        .map((p) => ({ ...p, at: evictedAt(p.pod, input.state.events) }))
        .sort((a, b) => a.at - b.at || QOS_RANK[a.qos] - QOS_RANK[b.qos]);
      const order = evicted.map((e) => ({
        what: `evicted ${e.qos}`,
        ref: `Pod/${nameOf(e.pod)}`,
        t: e.at,
        data: { node: e.node, message: e.pod.status?.message },
      }));
      if (evicted.length < minEvictions) {
        return {
          pass: false,
          summary: `${evicted.length} pod(s) evicted for node pressure, expected at least ${minEvictions}`,
          evidence: order,
        };
      }
      const violations: Evidence[] = [];
      for (let i = 0; i < evicted.length; i++) {
        for (let j = i + 1; j < evicted.length; j++) {
          const a = evicted[i]!;
          const b = evicted[j]!;
          if (a.at < b.at && QOS_RANK[a.qos] > QOS_RANK[b.qos]) {
            violations.push({
              what: `${a.qos} ${nameOf(a.pod)} evicted before ${b.qos} ${nameOf(b.pod)}`,
              ref: `Pod/${nameOf(a.pod)}`,
              t: a.at,
            });
          }
        }
      }
      for (const g of evicted.filter((e) => e.qos === 'Guaranteed')) {
        for (const s of pods) {
          if (s.evicted || s.qos !== 'BestEffort' || s.node !== g.node) continue;
          if (ms(s.pod.metadata?.creationTimestamp) > g.at) continue;
          violations.push({
            what: `Guaranteed ${nameOf(g.pod)} evicted while BestEffort ${nameOf(s.pod)} on ${g.node} was not`,
            ref: `Pod/${nameOf(g.pod)}`,
            t: g.at,
          });
        }
      }
      const sequence = evicted.map((e) => `${nameOf(e.pod)} (${e.qos})`).join(' → ');
      if (violations.length > 0) {
        return {
          pass: false,
          summary: `eviction order broke QoS: ${violations.map((v) => v.what).join('; ')} [${sequence}]`,
          evidence: [...violations, ...order],
        };
      }
      return {
        pass: true,
        summary: `${evicted.length} eviction(s) in QoS order: ${sequence}`,
        evidence: order,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface CriticalNotBestEffortOptions {
  /** The critical pods, e.g. `app=monitoring`. */
  selector: string;
}

/** The selected (critical) pods are not BestEffort and none of them was evicted. */
export function criticalNotBestEffort(options: CriticalNotBestEffortOptions): Assertion {
  return {
    name: 'critical-not-best-effort',
    description: `pods matching ${options.selector} have a QoS class other than BestEffort and were not evicted`,
    evaluate(input) {
      const histories = podHistories(input, options.selector);
      if (histories.size === 0)
        return { pass: false, summary: `no pod matched ${options.selector}`, evidence: [] };
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const h of histories.values()) {
        const pod = h.find(isEvicted) ?? latest(h);
        const qos = qosOf(pod);
        const ref = `Pod/${nameOf(pod)}`;
        const problems = [
          ...(qos === 'BestEffort' ? ['QoS BestEffort'] : []),
          ...(isEvicted(pod) ? [`evicted: ${pod.status?.message ?? ''}`.trim()] : []),
        ];
        if (problems.length)
          bad.push({ what: problems.join('; '), ref, data: { qos, node: pod.spec?.nodeName } });
        else good.push({ what: `QoS ${qos}, not evicted`, ref, data: { node: pod.spec?.nodeName } });
      }
      if (bad.length > 0) {
        return { pass: false, summary: bad.map((b) => `${b.ref}: ${b.what}`).join('; '), evidence: bad };
      }
      return {
        pass: true,
        summary: `${good.length} critical pod(s): ${good.map((g) => `${g.ref} ${g.what}`).join('; ')}`,
        evidence: good,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface RequestsLimitsPolicyOptions {
  /** Workloads whose pod template labels match; default every workload the run deployed. */
  selector?: string;
  /** Largest memory limit / request allowed (default 2). */
  maxLimitRequestRatio?: number;
}

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
]);

interface PodTemplateOwner {
  labels: Record<string, string>;
  spec: V1PodSpec | undefined;
}

function podTemplateOf(o: KubernetesObject): PodTemplateOwner | undefined {
  if (!WORKLOAD_KINDS.has(o.kind ?? '')) return undefined;
  const any = o as KubernetesObject & {
    spec?: V1PodSpec & {
      template?: { metadata?: { labels?: Record<string, string> }; spec?: V1PodSpec };
      jobTemplate?: {
        spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: V1PodSpec } };
      };
    };
  };
  if (o.kind === 'Pod') return { labels: o.metadata?.labels ?? {}, spec: any.spec };
  const t = o.kind === 'CronJob' ? any.spec?.jobTemplate?.spec?.template : any.spec?.template;
  return { labels: t?.metadata?.labels ?? {}, spec: t?.spec };
}

/**
 * Every container of the selected workloads (init containers too) sets a memory request and a
 * memory limit, and the limit is at most `maxLimitRequestRatio` times the request.
 */
export function requestsLimitsPolicy(options: RequestsLimitsPolicyOptions = {}): Assertion {
  const ratio = options.maxLimitRequestRatio ?? 2;
  const matches = options.selector === undefined ? () => true : parseLabelSelector(options.selector);
  return {
    name: 'requests-limits-policy',
    description: `every container of ${options.selector ? `workloads matching ${options.selector}` : 'the deployed workloads'} has memory requests and limits, limit ≤ ${ratio}× request`,
    thresholds: { maxLimitRequestRatio: ratio },
    evaluate(input) {
      const checked: Evidence[] = [];
      const bad: Evidence[] = [];
      for (const o of input.state.objects) {
        const t = podTemplateOf(o);
        if (!t || !matches(t.labels)) continue;
        const ref = `${o.kind}/${o.metadata?.name ?? ''}`;
        for (const c of [...(t.spec?.initContainers ?? []), ...(t.spec?.containers ?? [])]) {
          // A limit alone is defaulted into the request by the API server.
          const limit = bytes(c.resources?.limits?.memory);
          const request = bytes(c.resources?.requests?.memory) ?? limit;
          const data = {
            container: c.name,
            request: c.resources?.requests?.memory ?? null,
            limit: c.resources?.limits?.memory ?? null,
          };
          if (request === undefined || limit === undefined) {
            const missing = [request === undefined ? 'request' : '', limit === undefined ? 'limit' : '']
              .filter(Boolean)
              .join(' and ');
            bad.push({ what: `${c.name}: no memory ${missing}`, ref, data });
          } else if (request > 0 && limit / request > ratio) {
            bad.push({
              what: `${c.name}: memory limit/request ${(limit / request).toFixed(2)} > ${ratio}`,
              ref,
              data,
            });
          } else {
            checked.push({
              what: `${c.name}: memory ${String(data.request ?? data.limit)}/${String(data.limit)}`,
              ref,
              data,
            });
          }
        }
      }
      if (bad.length > 0) {
        return { pass: false, summary: bad.map((b) => `${b.ref} ${b.what}`).join('; '), evidence: bad };
      }
      if (checked.length === 0) {
        return {
          pass: false,
          summary: `no workload container matched${options.selector ? ` ${options.selector}` : ''}`,
          evidence: [],
        };
      }
      return {
        pass: true,
        summary: `${checked.length} container(s) set memory requests and limits within ${ratio}×`,
        evidence: checked,
      };
    },
  };
}
