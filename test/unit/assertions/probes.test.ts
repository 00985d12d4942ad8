import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { noRestartCascade, readinessGating } from '../../../src/assertions/probes.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const selector = 'app=web';

function sample(t: number, step: string, restarts: Record<string, number>): TimelineEvent {
  const pods = Object.keys(restarts);
  return {
    t,
    at: new Date(t).toISOString(),
    step,
    event: 'sample',
    detail: {
      observer: 'pod-readiness',
      selector,
      ready: pods.length,
      total: pods.length,
      notReady: [],
      restarts,
    },
  };
}

function input(timeline: TimelineEvent[], pods: V1Pod[] = []): AssertionInput {
  return { timeline, state: { namespace: 'ns', pods, events: [], objects: [] }, faults: [] };
}

function pod(name: string, restartCount: number): V1Pod {
  return {
    metadata: { name, labels: { app: 'web' } },
    status: { containerStatuses: [{ name: 'serve', restartCount, ready: true, image: 'x', imageID: '' }] },
  };
}

describe('noRestartCascade', () => {
  const assertion = noRestartCascade({ selector, maxRestartsPerMinute: 1 });

  it('passes when the restart counts do not move during the fault and settle', () => {
    const r = assertion.evaluate(
      input([
        sample(0, 'observe', { a: 2, b: 0 }),
        sample(10_000, 'hold', { a: 2, b: 0 }),
        sample(40_000, 'settle', { a: 2, b: 0 }),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toMatch(/^0 restart\(s\)/);
  });

  it('counts from the last sample before the fault, so earlier restarts are not blamed on it', () => {
    const r = assertion.evaluate(
      input([
        sample(0, 'observe', { a: 5 }),
        sample(10_000, 'hold', { a: 6 }),
        sample(20_000, 'settle', { a: 6 }),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toMatch(/^1 restart\(s\) over 1 pod\(s\).*at most 1 in any minute/);
  });

  it('fails on more restarts in a minute than the bound, naming each pod and its restart count', () => {
    const r = assertion.evaluate(
      input([
        sample(0, 'observe', { a: 0, b: 0, c: 0 }),
        sample(5_000, 'inject', { a: 0, b: 0, c: 0 }),
        sample(10_000, 'hold', { a: 1, b: 0, c: 0 }),
        sample(20_000, 'hold', { a: 1, b: 1, c: 1 }),
        sample(30_000, 'settle', { a: 2, b: 1, c: 1 }),
      ]),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/restart cascade: 4 restarts in the minute/);
    expect(r.evidence.map((e) => [e.ref, e.what])).toEqual([
      ['Pod/a', 'restartCount 2'],
      ['Pod/b', 'restartCount 1'],
      ['Pod/c', 'restartCount 1'],
    ]);
  });

  it('uses a sliding minute: restarts spread further apart than a minute each stay within a bound of 1', () => {
    const r = assertion.evaluate(
      input([
        sample(0, 'observe', { a: 0 }),
        sample(10_000, 'hold', { a: 1 }),
        sample(80_000, 'hold', { a: 2 }),
        sample(150_000, 'settle', { a: 3 }),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toMatch(/^3 restart\(s\).*at most 1 in any minute/);
  });

  it('adds restarts the collected pods show after the last sample', () => {
    const r = assertion.evaluate(
      input(
        [sample(0, 'observe', { a: 0 }), sample(10_000, 'settle', { a: 1 })],
        [pod('a', 3), pod('other', 9)],
      ),
    );
    expect(r.pass).toBe(false);
    expect(r.evidence).toEqual([expect.objectContaining({ ref: 'Pod/a', what: 'restartCount 3' })]);
  });

  it('counts a pod first seen during the fault from zero', () => {
    const r = assertion.evaluate(
      input([sample(0, 'observe', { a: 0 }), sample(10_000, 'hold', { a: 0, fresh: 2 })]),
    );
    expect(r.pass).toBe(false);
    expect(r.evidence).toEqual([expect.objectContaining({ ref: 'Pod/fresh', what: 'restartCount 2' })]);
  });

  it('fails without samples in the window, rather than passing on no data', () => {
    const r = assertion.evaluate(input([sample(0, 'observe', { a: 0 })]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/no restart counts sampled/);
  });
});

function request(t: number, pod: string, path: string, ready: boolean, terminating = false): TimelineEvent {
  return {
    t,
    at: new Date(t).toISOString(),
    step: 'hold',
    event: 'agent-line',
    detail: {
      observer: 'agent-logs',
      selector,
      pod,
      line: {
        ts: new Date(t).toISOString(),
        mode: 'serve',
        event: 'request',
        method: 'GET',
        path,
        status: 200,
        latencyMs: 1,
        queuedMs: 0,
        ready,
        terminating,
        tls: false,
        remoteAddress: '127.18.0.2',
      },
    },
  };
}

describe('readinessGating', () => {
  const assertion = readinessGating({ selector, minRequests: 3 });

  it('passes when every request arrived while the app was ready; probes and the drain do not count', () => {
    const r = assertion.evaluate(
      input([
        request(1, 'a', '/readyz', false),
        request(2, 'a', '/', true),
        request(3, 'b', '/x?y=1', true),
        request(4, 'b', '/', true),
        request(5, 'b', '/', false, true),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toBe('4 request(s) served by 2 pod(s), 0 while the app was not ready');
  });

  it('fails on requests served while the app was warming up, naming the pod and the first request', () => {
    const r = assertion.evaluate(
      input([
        request(1, 'a', '/', true),
        request(2, 'new', '/', false),
        request(3, 'new', '/items', false),
        request(4, 'new', '/', true),
      ]),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(
      /traffic reached unready pods: 4 request\(s\) .* 2 while the app was not ready/,
    );
    expect(r.evidence).toEqual([
      expect.objectContaining({
        ref: 'Pod/new',
        t: 2,
        what: expect.stringMatching(/^2 request\(s\).*GET \/ → 200/),
      }),
    ]);
  });

  it('fails when too few requests were logged to judge', () => {
    const r = assertion.evaluate(input([request(1, 'a', '/', true)]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/only 1 served request/);
  });
});
