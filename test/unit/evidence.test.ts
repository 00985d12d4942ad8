/** Evidence completeness: blind time of the API within the fault window, and abandoned calls. */
import { describe, expect, it } from 'vitest';
import {
  type ApiRetryRecord,
  evidenceGap,
  MAX_BLIND_SHARE,
  retriesBySite,
} from '../../src/harness/evidence.ts';
import type { TimelineEvent } from '../../src/harness/timeline.ts';

const ev = (t: number, step: string, event: string, detail?: Record<string, unknown>): TimelineEvent => ({
  t,
  at: new Date(t).toISOString(),
  step,
  event,
  ...(detail ? { detail } : {}),
});

const retry = (
  endT: number,
  failedForMs: number,
  outcome: ApiRetryRecord['outcome'] = 'recovered',
  call = 'LIST Pod -n web',
): TimelineEvent =>
  ev(endT, 'hold', 'api-retry', {
    call,
    attempts: 3,
    outcome,
    causes: { '503': 2 },
    failedForMs,
    ambiguous: false,
  } satisfies ApiRetryRecord);

/** A fault window from 10 s to 70 s (inject start → revert start). */
const arm = (...extra: TimelineEvent[]): TimelineEvent[] =>
  [
    ev(0, 'deploy', 'start'),
    ev(10_000, 'inject', 'start'),
    ev(70_000, 'revert', 'start'),
    ev(75_000, 'cleanup', 'end'),
    ...extra,
  ].sort((a, b) => a.t - b.t);

describe('evidenceGap', () => {
  it('no retries, or a short outage the retries bridged: complete', () => {
    expect(evidenceGap(arm())).toBeUndefined();
    expect(
      evidenceGap(arm(retry(30_000, 5_000), retry(31_000, 6_000, 'recovered', 'GET Node/w1'))),
    ).toBeUndefined();
  });

  it('overlapping failures count once; above the share the evidence is incomplete and the reason says by how much', () => {
    // 20–40 s and 30–45 s: 25 s blind of a 60 s window (42%).
    const gap = evidenceGap(arm(retry(40_000, 20_000), retry(45_000, 15_000)));
    expect(gap).toMatchObject({ windowMs: 60_000, blindMs: 25_000, abandoned: [] });
    expect(gap?.reason).toBe(
      'evidence incomplete: the API server could not be read for 25.0 s of the 60.0 s fault window (42%, more than 25%)',
    );
  });

  it('only the part inside the fault window counts', () => {
    // 0–20 s of failures during deploy/inject: 10 s of it in the window (17%).
    expect(evidenceGap(arm(retry(20_000, 20_000)))).toBeUndefined();
    // The same 20 s span wholly inside: 33%.
    expect(evidenceGap(arm(retry(40_000, 20_000)))?.blindMs).toBe(20_000);
    expect(MAX_BLIND_SHARE).toBe(0.25);
  });

  it('a call that gave up inside the window lost evidence outright, whatever the share', () => {
    const gap = evidenceGap(arm(retry(40_000, 2_000, 'gave-up', 'GET Node/w1')));
    expect(gap?.abandoned).toEqual(['GET Node/w1']);
    expect(gap?.reason).toBe('evidence incomplete: 1 call(s) gave up after retrying (GET Node/w1)');
    // Fenced at revert (the window's end) is not a lost sample.
    expect(evidenceGap(arm(retry(70_000, 1_000, 'fenced')))).toBeUndefined();
  });

  it('no fault injected: nothing to judge', () => {
    expect(evidenceGap([ev(0, 'deploy', 'start'), retry(5_000, 5_000, 'gave-up')])).toBeUndefined();
  });
});

describe('retriesBySite', () => {
  it('counts retried calls per verb and kind', () => {
    expect(
      retriesBySite(
        arm(retry(20_000, 1_000), retry(21_000, 1_000), retry(22_000, 1_000, 'gave-up', 'GET Node/w1')),
      ),
    ).toEqual({
      'LIST Pod': { calls: 2, retries: 4, gaveUp: 0 },
      'GET Node': { calls: 1, retries: 2, gaveUp: 1 },
    });
  });
});
