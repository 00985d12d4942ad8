import { describe, expect, it } from 'vitest';
import { parseLabelSelector, pdbHeld } from '../../../src/assertions/pdb.ts';
import type { EvictionRecord } from '../../../src/faults/node-drain.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const selector = 'app=web';

function sample(
  t: number,
  ready: number,
  total = 3,
  notReady: string[] = [],
  step = 'inject',
): TimelineEvent {
  return {
    t,
    at: new Date(t).toISOString(),
    step,
    event: 'sample',
    detail: { observer: 'pod-readiness', selector, ready, total, notReady },
  };
}

function eviction(
  t: number,
  pod: string,
  outcome: EvictionRecord['outcome'],
  extra: Partial<EvictionRecord> = {},
): TimelineEvent {
  const code = { evicted: 201, refused: 429, gone: 404, error: 500 }[outcome];
  const detail: EvictionRecord = {
    fault: 'node-drain',
    node: 'n1',
    namespace: 'ns',
    pod,
    outcome,
    code,
    attempt: 1,
    ready: true,
    labels: { app: pod.startsWith('cache') ? 'cache' : 'web' },
    ...(outcome === 'refused'
      ? { message: "Cannot evict pod as it would violate the pod's disruption budget." }
      : {}),
    ...extra,
  };
  return { t, at: new Date(t).toISOString(), step: 'inject', event: 'eviction', detail: { ...detail } };
}

const input = (timeline: TimelineEvent[]): AssertionInput => ({
  timeline,
  state: { namespace: 'ns', pods: [], events: [], objects: [] },
  faults: [],
});

const every = (from: number, to: number, step: number, ready: (t: number) => number) => {
  const out: TimelineEvent[] = [];
  for (let t = from; t <= to; t += step) out.push(sample(t, ready(t)));
  return out;
};

describe('pdbHeld', () => {
  const assertion = pdbHeld({ selector, minAvailable: 2 });

  it('passes when one eviction at a time is allowed and the others are refused with 429', () => {
    // web-a evicted at 1s (3 → 2 Ready), web-b refused until its replacement is Ready at 8s, then evicted.
    const timeline = [
      ...every(0, 20_000, 500, (t) => (t < 1000 ? 3 : t < 8000 ? 2 : t < 11_000 ? 3 : 2)),
      eviction(900, 'cache-1', 'evicted'),
      eviction(1000, 'web-a', 'evicted'),
      eviction(1100, 'web-b', 'refused'),
      eviction(6100, 'web-b', 'refused', { attempt: 2 }),
      eviction(11_000, 'web-b', 'evicted', { attempt: 3 }),
    ];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toBe(
      '41 samples, never fewer than 2 Ready (min 2); 4 eviction request(s): 2 evicted, 2 refused with 429',
    );
    expect(r.evidence.map((e) => e.ref)).toEqual(['Pod/ns/web-b', 'Pod/ns/web-b']);
    expect(r.evidence[0]?.what).toMatch(/^eviction refused with 429 \(attempt 1\): Cannot evict pod/);
  });

  it('fails and names the eviction that took Ready pods below minAvailable, and the samples', () => {
    // No budget: all three evicted at once, nothing Ready until the replacements warm up.
    const timeline = [
      ...every(0, 10_000, 500, (t) => (t < 1000 ? 3 : t < 6000 ? 0 : 3)),
      eviction(1000, 'web-a', 'evicted'),
      eviction(1010, 'web-b', 'evicted'),
      eviction(1020, 'web-c', 'evicted'),
    ];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toBe(
      '10/21 samples below 2 Ready (lowest 0); 3 eviction(s) took Ready pods below 2; 3 eviction request(s): 3 evicted, 0 refused with 429',
    );
    expect(r.evidence.slice(0, 3).map((e) => e.ref)).toEqual([
      'Pod/ns/web-a',
      'Pod/ns/web-b',
      'Pod/ns/web-c',
    ]);
    expect(r.evidence[0]?.what).toBe(
      'eviction of Ready pod web-a succeeded (201) and Ready pods fell to 0 (< 2) 500 ms later: the budget did not refuse it',
    );
    expect(r.evidence[3]).toMatchObject({ what: '0/3 Ready (< 2)', t: 1000 });
  });

  it('judges an eviction by the first sample after it when the sampler fell behind', () => {
    const timeline = [sample(0, 3), eviction(1000, 'web-a', 'evicted'), sample(6000, 1), sample(9000, 3)];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.evidence[0]).toMatchObject({
      what: 'eviction of Ready pod web-a succeeded (201) and Ready pods fell to 1 (< 2) 5000 ms later: the budget did not refuse it',
      ref: 'Pod/ns/web-a',
    });
  });

  it('does not blame an eviction for a replacement that turned Ready between two samples', () => {
    // The sample before the eviction still shows 2 Ready, but a replacement was Ready by then (3 → 2 after).
    const timeline = [...every(0, 10_000, 1000, () => 2), eviction(4500, 'web-b', 'evicted')];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass, r.summary).toBe(true);
  });

  it('does not count evicting a pod that was not Ready as a breach, but still fails on the samples', () => {
    const timeline = [...every(0, 4000, 500, () => 1), eviction(1000, 'web-x', 'evicted', { ready: false })];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/^9\/9 samples below 2 Ready \(lowest 1\); 1 eviction request/);
    expect(r.evidence.every((e) => e.ref === undefined)).toBe(true);
  });

  it('ignores evictions of pods the selector does not pick and samples outside the fault window', () => {
    const timeline = [
      sample(0, 0, 3, ['web-a', 'web-b', 'web-c'], 'wait-ready'),
      ...every(1000, 3000, 500, () => 3),
      eviction(1500, 'cache-1', 'evicted'),
      eviction(1600, 'web-a', 'refused'),
    ];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toMatch(/1 eviction request\(s\): 0 evicted, 1 refused with 429$/);
  });

  it('fails when nothing tested the budget: no samples, or no eviction of its pods', () => {
    const none = assertion.evaluate(input([eviction(1000, 'web-a', 'refused')]));
    expect(none.pass).toBe(false);
    expect(none.summary).toMatch(/^no readiness samples for app=web during the fault window/);
    const untested = assertion.evaluate(
      input([...every(0, 2000, 500, () => 3), eviction(1000, 'cache-1', 'evicted')]),
    );
    expect(untested.pass).toBe(false);
    expect(untested.summary).toMatch(/^no eviction of a pod matching app=web was attempted/);
  });

  it('names eviction requests that failed with another code (two budgets: 500)', () => {
    const timeline = [
      ...every(0, 3000, 500, () => 3),
      eviction(1000, 'web-a', 'error', {
        message:
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      }),
    ];
    const r = assertion.evaluate(input(timeline));
    expect(r.pass).toBe(true);
    expect(r.summary).toMatch(/, 1 failed$/);
    expect(r.evidence).toContainEqual({
      what: 'eviction answered 500: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      ref: 'Pod/ns/web-a',
      t: 1000,
    });
  });
});

describe('parseLabelSelector', () => {
  it('follows the Kubernetes selector syntax', () => {
    const m = parseLabelSelector('app=web,tier!=db,env in (prod, staging),!canary,zone');
    expect(m({ app: 'web', env: 'prod', zone: 'a' })).toBe(true);
    expect(m({ app: 'web', env: 'prod', zone: 'a', tier: 'db' })).toBe(false);
    expect(m({ app: 'web', env: 'dev', zone: 'a' })).toBe(false);
    expect(m({ app: 'web', env: 'prod', zone: 'a', canary: 'true' })).toBe(false);
    expect(m({ app: 'web', env: 'prod' })).toBe(false);
    expect(parseLabelSelector('app==web')({ app: 'web' })).toBe(true);
    expect(parseLabelSelector('env notin (prod)')({})).toBe(true);
    expect(parseLabelSelector('')({ any: 'x' })).toBe(true);
    expect(() => parseLabelSelector('app in prod')).toThrow(/invalid label selector/);
  });
});
