/**
 * What the HTML report charts for one arm, read from its timeline: the steps (with the fault
 * window), numeric series grouped into panels, and point events (evictions, OOM kills, restarts,
 * deletions) as markers. Pure over the report, so it is tested without a browser; the page's
 * script only draws what this returns.
 *
 * Timeline details are plain JSON in report.json (possibly from an older or newer scars), so every
 * field is read defensively: a detail that lacks a field adds nothing rather than throwing.
 */
import { FAULT_WINDOW } from '../../assertions/window.ts';
import type { TimelineEvent } from '../../harness/timeline.ts';
import type { ArmReport } from '../model.ts';

export interface StepSpan {
  step: string;
  /** Cluster-clock ms since the arm started. */
  start: number;
  end: number;
  ok: boolean;
  fault: boolean;
}

export type MarkerKind =
  | 'fault'
  | 'evicted'
  | 'eviction-refused'
  | 'oom'
  | 'restart'
  | 'pod-deleted'
  | 'node-pressure'
  | 'credentials';

export interface Marker {
  t: number;
  kind: MarkerKind;
  label: string;
}

export type PanelId = 'latency' | 'pods' | 'cert';

export interface SeriesData {
  label: string;
  /** Which y scale: the panel's own or, for error rates, a percent scale on the right. */
  scale: 'y' | '%';
  /** Draw as steps (counts) rather than straight lines (measurements). */
  stepped: boolean;
  /** One value per `x` of the panel; null where this series has no sample. */
  values: (number | null)[];
}

export interface Panel {
  id: PanelId;
  title: string;
  unit: string;
  /** Seconds of cluster time. */
  x: number[];
  series: SeriesData[];
}

export interface ArmChart {
  /** Cluster-clock ms of the last event: the x range is [0, end]. */
  end: number;
  steps: StepSpan[];
  /** Where the fault was in place: from the start of inject to the end of revert. */
  faultWindow: { start: number; end: number } | null;
  panels: Panel[];
  markers: Marker[];
}

type Detail = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Detail | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Detail) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function armChart(arm: Pick<ArmReport, 'timeline'>): ArmChart {
  const events = arm.timeline;
  const steps = stepSpans(events);
  const faultSteps = steps.filter((s) => s.fault);
  const faultWindow = faultSteps.length
    ? { start: Math.min(...faultSteps.map((s) => s.start)), end: Math.max(...faultSteps.map((s) => s.end)) }
    : null;
  const end = Math.max(0, ...events.map((e) => e.t));
  const panels = [latencyPanel(events), podsPanel(events), certPanel(events)].filter(
    (p): p is Panel => p !== null,
  );
  return { end, steps, faultWindow, panels, markers: markers(events) };
}

/** Step spans from `start`/`end` events; a step that never ended (interrupted) ends at the last event. */
export function stepSpans(events: readonly TimelineEvent[]): StepSpan[] {
  const last = Math.max(0, ...events.map((e) => e.t));
  const spans: StepSpan[] = [];
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.event === 'start') {
      open.set(e.step, spans.length);
      spans.push({ step: e.step, start: e.t, end: last, ok: true, fault: FAULT_WINDOW.has(e.step) });
    } else if (e.event === 'end') {
      const i = open.get(e.step);
      const span = i === undefined ? undefined : spans[i];
      if (!span) continue;
      span.end = e.t;
      const outcome = str(e.detail?.outcome);
      span.ok = outcome === undefined || outcome === 'ok' || outcome === 'skipped';
      open.delete(e.step);
    }
  }
  return spans;
}

/** Several series sampled at different times → one x array and values aligned to it (uPlot's shape). */
function align(
  sources: { label: string; scale: 'y' | '%'; stepped: boolean; points: [number, number][] }[],
): { x: number[]; series: SeriesData[] } {
  const xs = [...new Set(sources.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const series = sources.map((s) => {
    const values: (number | null)[] = xs.map(() => null);
    for (const [t, v] of s.points) values[index.get(t) ?? 0] = v;
    return { label: s.label, scale: s.scale, stepped: s.stepped, values };
  });
  return { x: xs.map((t) => t / 1000), series };
}

function grouped<K>(items: Iterable<[K, [number, number]]>): Map<K, [number, number][]> {
  const out = new Map<K, [number, number][]>();
  for (const [k, p] of items) {
    const list = out.get(k) ?? [];
    list.push(p);
    out.set(k, list);
  }
  return out;
}

/** Load p95/p99 and error rate (`load-sample`), and probe latencies (agent `attempt` lines). */
function latencyPanel(events: readonly TimelineEvent[]): Panel | null {
  const p95: [number, number][] = [];
  const p99: [number, number][] = [];
  const errors: [number, number][] = [];
  for (const e of events) {
    if (e.event !== 'load-sample' || !e.detail) continue;
    const requests = num(e.detail.requests);
    const failed = num(e.detail.failed);
    const a = num(e.detail.p95);
    const b = num(e.detail.p99);
    if (a !== undefined) p95.push([e.t, a]);
    if (b !== undefined) p99.push([e.t, b]);
    if (requests !== undefined && failed !== undefined && requests > 0)
      errors.push([e.t, (100 * failed) / requests]);
  }
  const probes = grouped(
    events.flatMap((e): [string, [number, number]][] => {
      const line = obj(e.detail?.line);
      if (e.event !== 'agent-line' || !line || line.event !== 'attempt') return [];
      const latency = num(line.latencyMs);
      const mode = str(line.mode);
      return latency !== undefined && mode ? [[mode, [e.t, latency]]] : [];
    }),
  );
  const sources = [
    ...(p95.length ? [{ label: 'load p95', scale: 'y' as const, stepped: false, points: p95 }] : []),
    ...(p99.length ? [{ label: 'load p99', scale: 'y' as const, stepped: false, points: p99 }] : []),
    ...[...probes].map(([mode, points]) => ({
      label: `${mode} latency`,
      scale: 'y' as const,
      stepped: false,
      points: meanPerInstant(points),
    })),
    ...(errors.length ? [{ label: 'load errors', scale: '%' as const, stepped: true, points: errors }] : []),
  ];
  if (!sources.length) return null;
  return { id: 'latency', title: 'Latency', unit: 'ms', ...align(sources) };
}

/** Several probe pods answer at the same instant; one point per instant keeps the line readable. */
function meanPerInstant(points: [number, number][]): [number, number][] {
  const byT = grouped(points.map(([t, v]): [number, [number, number]] => [t, [t, v]]));
  return [...byT].map(([t, ps]) => [t, ps.reduce((s, [, v]) => s + v, 0) / ps.length]);
}

/** Ready pods and restarts per selector, from pod-readiness `sample` events. */
function podsPanel(events: readonly TimelineEvent[]): Panel | null {
  const ready = new Map<string, [number, number][]>();
  const restarts = new Map<string, [number, number][]>();
  for (const e of events) {
    if (e.event !== 'sample' || e.detail?.observer !== 'pod-readiness') continue;
    const selector = str(e.detail.selector) ?? '';
    const r = num(e.detail.ready);
    if (r !== undefined) ready.set(selector, [...(ready.get(selector) ?? []), [e.t, r]]);
    const counts = obj(e.detail.restarts);
    if (counts) {
      const total = Object.values(counts).reduce<number>((s, v) => s + (num(v) ?? 0), 0);
      restarts.set(selector, [...(restarts.get(selector) ?? []), [e.t, total]]);
    }
  }
  if (!ready.size) return null;
  const sources = [...ready.keys()].flatMap((sel) => {
    const rs = restarts.get(sel) ?? [];
    return [
      { label: `ready ${sel}`, scale: 'y' as const, stepped: true, points: ready.get(sel) ?? [] },
      // Restarts only when there were any: a flat zero line is noise.
      ...(rs.some(([, v]) => v > 0)
        ? [{ label: `restarts ${sel}`, scale: 'y' as const, stepped: true, points: rs }]
        : []),
    ];
  });
  return { id: 'pods', title: 'Pods', unit: 'pods', ...align(sources) };
}

/** Days left on the certificate an agent tlsprobe saw (`certificate` lines). */
function certPanel(events: readonly TimelineEvent[]): Panel | null {
  const points: [number, number][] = [];
  for (const e of events) {
    const line = obj(e.detail?.line);
    if (e.event !== 'agent-line' || !line || line.event !== 'certificate') continue;
    const days = num(line.daysLeft);
    if (days !== undefined) points.push([e.t, days]);
  }
  if (!points.length) return null;
  return {
    id: 'cert',
    title: 'Certificate',
    unit: 'days left',
    ...align([{ label: 'days left', scale: 'y', stepped: true, points: meanPerInstant(points) }]),
  };
}

/** Point events worth seeing on the time axis, each once (status snapshots repeat what they saw). */
export function markers(events: readonly TimelineEvent[]): Marker[] {
  const out: Marker[] = [];
  const seen = new Set<string>();
  const once = (key: string, m: Marker) => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(m);
  };
  const lastRestarts = new Map<string, number>();
  for (const e of events) {
    const d = e.detail ?? {};
    switch (e.event) {
      case 'fault-observed':
        out.push({ t: e.t, kind: 'fault', label: `fault observed: ${str(d.summary) ?? str(d.fault) ?? ''}` });
        break;
      case 'eviction': {
        const pod = `${str(d.namespace) ?? ''}/${str(d.pod) ?? ''}`;
        const evicted = d.outcome === 'evicted';
        out.push({
          t: e.t,
          kind: evicted ? 'evicted' : 'eviction-refused',
          label: evicted
            ? `evicted ${pod}`
            : `eviction of ${pod} refused${num(d.code) ? ` (${String(d.code)})` : ''}`,
        });
        break;
      }
      case 'pod-deleted':
        out.push({ t: e.t, kind: 'pod-deleted', label: `deleted pod ${str(d.pod) ?? ''}` });
        break;
      case 'node-memory-pressure':
        out.push({ t: e.t, kind: 'node-pressure', label: `MemoryPressure on ${str(d.node) ?? ''}` });
        break;
      case 'pod-status':
        podStatusMarkers(e, obj(d.pod), once);
        break;
      case 'sample': {
        const counts = obj(d.restarts);
        for (const [pod, v] of Object.entries(counts ?? {})) {
          const n = num(v) ?? 0;
          const before = lastRestarts.get(pod);
          lastRestarts.set(pod, n);
          if (before !== undefined && n > before)
            once(`restart/${pod}/${n}`, { t: e.t, kind: 'restart', label: `${pod} restarted (${n})` });
        }
        break;
      }
      case 'agent-line': {
        const line = obj(d.line);
        if (line?.event === 'result' && line.credentialsReturned === true)
          once(`creds/${str(d.pod) ?? ''}`, {
            t: e.t,
            kind: 'credentials',
            label: `IMDS returned credentials to ${str(d.pod) ?? 'a pod'}`,
          });
        break;
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

function podStatusMarkers(
  e: TimelineEvent,
  pod: Detail | undefined,
  once: (key: string, m: Marker) => void,
): void {
  const meta = obj(pod?.metadata);
  const status = obj(pod?.status);
  const name = str(meta?.name) ?? '';
  if (status?.reason === 'Evicted')
    once(`evicted/${str(meta?.uid) ?? name}`, {
      t: e.t,
      kind: 'evicted',
      label: `kubelet evicted ${name}${str(status.message) ? `: ${str(status.message)}` : ''}`,
    });
  for (const c of arr(status?.containerStatuses).map(obj)) {
    for (const state of [obj(c?.state), obj(c?.lastState)]) {
      const term = obj(state?.terminated);
      if (term?.reason !== 'OOMKilled') continue;
      const id = str(term.containerID) ?? `${name}/${str(term.finishedAt) ?? ''}`;
      once(`oom/${id}`, {
        t: e.t,
        kind: 'oom',
        label: `${name} ${str(c?.name) ?? ''} OOMKilled (exit ${String(num(term.exitCode) ?? '?')})`,
      });
    }
  }
}
