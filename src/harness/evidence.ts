/**
 * Whether an arm's evidence is complete enough for a verdict. Observers and fault observations read
 * the cluster through the API; when the API server fails for part of the fault window, what they
 * saw has holes, and a `passed` (or `failed`) built on holes says nothing. Retried calls leave
 * `api-retry` events in the timeline (the runner records every call that failed at least once), so
 * the holes can be measured afterwards:
 *
 * - blind time: the union of the spans from a call's first failed attempt to its end, within the
 *   fault window (inject start → revert start). Above MAX_BLIND_SHARE of the window, the evidence is
 *   incomplete.
 * - abandoned calls: a call that gave up inside the window (its retry budget ran out) lost a sample
 *   or an observation outright; one is enough.
 *
 * A short outage that retries bridge leaves a little blind time and no abandoned call: the verdict
 * stands as it would without the outage.
 */
import type { RetryReport } from './retry.ts';
import type { TimelineEvent } from './timeline.ts';

/** The largest share of the fault window the API may be unreadable before the verdict is `error`. */
export const MAX_BLIND_SHARE = 0.25;

/** The detail of an `api-retry` timeline event. */
export interface ApiRetryRecord {
  call: string;
  attempts: number;
  outcome: RetryReport['outcome'];
  causes: Record<string, number>;
  /** From the first failed attempt to the end of the call, ms of the run's clock. */
  failedForMs: number;
  ambiguous: boolean;
}

export function apiRetryRecord(r: RetryReport): ApiRetryRecord {
  return {
    call: r.call,
    attempts: r.attempts,
    outcome: r.outcome,
    causes: r.causes,
    failedForMs: Math.max(0, r.endedAt - r.firstFailureAt),
    ambiguous: r.ambiguous,
  };
}

export interface EvidenceGap {
  windowMs: number;
  blindMs: number;
  /** Calls that gave up inside the window. */
  abandoned: string[];
  /** One line for the verdict's reason. */
  reason: string;
}

/** Retried calls per call site (verb and kind, e.g. `LIST Pod`): what a report's summary needs. */
export interface RetrySiteCount {
  calls: number;
  retries: number;
  gaveUp: number;
}

const retries = (timeline: readonly TimelineEvent[]) =>
  timeline
    .filter((e) => e.event === 'api-retry' && e.detail)
    .map((e) => ({ t: e.t, r: e.detail as unknown as ApiRetryRecord }));

/** The fault window of an arm's timeline, or undefined when no fault was injected. */
export function faultWindow(timeline: readonly TimelineEvent[]): { from: number; to: number } | undefined {
  const start = timeline.find((e) => e.step === 'inject' && e.event === 'start');
  if (!start) return undefined;
  const end = timeline.find((e) => e.step === 'revert' && e.event === 'start' && e.t >= start.t);
  return { from: start.t, to: end?.t ?? timeline.at(-1)?.t ?? start.t };
}

export function evidenceGap(
  timeline: readonly TimelineEvent[],
  maxBlindShare = MAX_BLIND_SHARE,
): EvidenceGap | undefined {
  const window = faultWindow(timeline);
  if (!window || window.to <= window.from) return undefined;
  const windowMs = window.to - window.from;
  const spans = retries(timeline)
    .map(({ t, r }) => [Math.max(window.from, t - r.failedForMs), Math.min(window.to, t)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let blindMs = 0;
  let reach = -Infinity;
  for (const [a, b] of spans) {
    const from = Math.max(a, reach);
    if (b > from) blindMs += b - from;
    reach = Math.max(reach, b);
  }
  const abandoned = retries(timeline)
    .filter(({ t, r }) => r.outcome === 'gave-up' && t >= window.from && t <= window.to)
    .map(({ r }) => r.call);
  const share = blindMs / windowMs;
  if (share <= maxBlindShare && abandoned.length === 0) return undefined;
  const parts: string[] = [];
  if (share > maxBlindShare) {
    parts.push(
      `the API server could not be read for ${seconds(blindMs)} of the ${seconds(windowMs)} fault window (${Math.round(share * 100)}%, more than ${Math.round(maxBlindShare * 100)}%)`,
    );
  }
  if (abandoned.length) {
    const shown = [...new Set(abandoned)].slice(0, 3).join(', ');
    parts.push(`${abandoned.length} call(s) gave up after retrying (${shown})`);
  }
  return { windowMs, blindMs, abandoned, reason: `evidence incomplete: ${parts.join('; ')}` };
}

/** Retried calls per call site over the whole arm. */
export function retriesBySite(timeline: readonly TimelineEvent[]): Record<string, RetrySiteCount> {
  const out: Record<string, RetrySiteCount> = {};
  for (const { r } of retries(timeline)) {
    const site = siteOf(r.call);
    const c = (out[site] ??= { calls: 0, retries: 0, gaveUp: 0 });
    c.calls++;
    c.retries += Math.max(0, r.attempts - 1);
    if (r.outcome === 'gave-up') c.gaveUp++;
  }
  return out;
}

/** `LIST Pod -n web` → `LIST Pod`; `GET Node/worker-1` → `GET Node`. */
function siteOf(call: string): string {
  const [verb, target = ''] = call.split(' ', 2);
  return `${verb} ${target.split('/')[0]}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
