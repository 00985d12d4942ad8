import type { CoreV1Event, KubernetesObject, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  criticalNotBestEffort,
  evictionOrderByQoS,
  oomKilledSurfaced,
  qosOf,
  requestsLimitsPolicy,
  restartsBackOff,
} from '../../../src/assertions/memory.ts';
import { minimumDelayBefore } from '../../../src/assertions/memory.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

interface PodOptions {
  name: string;
  app?: string;
  node?: string;
  qos?: 'BestEffort' | 'Burstable' | 'Guaranteed';
  limit?: string;
  statuses?: V1ContainerStatus[];
  evictedAt?: number;
  createdAt?: number;
}

function pod(o: PodOptions): V1Pod {
  return {
    metadata: {
      name: o.name,
      uid: `uid-${o.name}`,
      labels: { app: o.app ?? o.name },
      creationTimestamp: at(o.createdAt ?? 0),
    },
    spec: {
      nodeName: o.node ?? 'n1',
      containers: [
        {
          name: 'c',
          ...(o.limit ? { resources: { requests: { memory: '128Mi' }, limits: { memory: o.limit } } } : {}),
        },
      ],
    },
    status: {
      phase: o.evictedAt !== undefined ? 'Failed' : 'Running',
      qosClass: o.qos ?? 'BestEffort',
      ...(o.evictedAt !== undefined
        ? {
            reason: 'Evicted',
            message: 'The node was low on resource: memory. ',
            conditions: [
              {
                type: 'DisruptionTarget',
                status: 'True',
                reason: 'TerminationByKubelet',
                lastTransitionTime: at(o.evictedAt),
              },
            ],
          }
        : {}),
      containerStatuses: o.statuses ?? [],
    },
  };
}

function event(podName: string, reason: string, count = 1, container = 'c'): CoreV1Event {
  return {
    metadata: { name: `${podName}.${reason}` },
    involvedObject: {
      kind: 'Pod',
      name: podName,
      uid: `uid-${podName}`,
      fieldPath: `spec.containers{${container}}`,
    },
    reason,
    count,
    message: `${reason} ${container}`,
  };
}

function input(
  pods: V1Pod[],
  events: CoreV1Event[] = [],
  timeline: TimelineEvent[] = [],
  objects: KubernetesObject[] = [],
): AssertionInput {
  return { timeline, state: { namespace: 'ns', pods, events, objects }, faults: [] };
}

/** A pod-status snapshot as the observer records it. */
function snapshot(p: V1Pod, t: number): TimelineEvent {
  return {
    t,
    at: at(t).toISOString(),
    step: 'hold',
    event: 'pod-status',
    detail: { observer: 'pod-status', selector: 'app', pod: p },
  };
}

const oomKilled = (restartCount: number, finishedAt: number): V1ContainerStatus => ({
  name: 'c',
  image: 'i',
  imageID: 'i',
  ready: false,
  restartCount,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c' } },
  lastState: {
    terminated: {
      exitCode: 137,
      reason: 'OOMKilled',
      startedAt: at(finishedAt - 3),
      finishedAt: at(finishedAt),
    },
  },
});

describe('oomKilledSurfaced', () => {
  const a = oomKilledSurfaced({ selector: 'app=leak' });

  it('passes on OOMKilled/137 at the limit with the restart in the events (from a snapshot of a pod since deleted)', () => {
    const p = pod({ name: 'leak', qos: 'Burstable', limit: '256Mi', statuses: [oomKilled(1, 10)] });
    const r = a.evaluate(input([], [event('leak', 'BackOff', 2)], [snapshot(p, 11_000)]));
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence[0]).toMatchObject({ ref: 'Pod/leak', what: 'c OOMKilled (exit 137) at limit 256Mi' });
  });

  it('fails when nothing was OOMKilled: the leak was not stopped', () => {
    const p = pod({
      name: 'leak',
      statuses: [
        {
          name: 'c',
          image: 'i',
          imageID: 'i',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: at(1) } },
        },
      ],
    });
    const r = a.evaluate(input([p]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/no container of 1 pod\(s\) matching app=leak was OOMKilled/);
    expect(r.evidence[0]?.ref).toBe('Pod/leak');
  });

  it('fails on an OOM kill without a memory limit (the node-wide OOM killer) and on one with no restart event', () => {
    const noLimit = pod({ name: 'leak', statuses: [oomKilled(1, 10)] });
    const r1 = a.evaluate(input([noLimit], [event('leak', 'BackOff')]));
    expect(r1.pass).toBe(false);
    expect(r1.evidence[0]?.what).toMatch(/without a memory limit/);
    const silent = pod({ name: 'leak', limit: '256Mi', statuses: [oomKilled(1, 10)] });
    const r2 = a.evaluate(input([silent], [event('leak', 'Started', 1)]));
    expect(r2.pass).toBe(false);
    expect(r2.evidence[0]?.what).toMatch(/no restart event/);
    // Started counted twice is the restart showing.
    expect(a.evaluate(input([silent], [event('leak', 'Started', 2)])).pass).toBe(true);
  });
});

describe('restartsBackOff', () => {
  const a = restartsBackOff({ selector: 'app=leak' });
  const running = (restartCount: number, startedAt: number, lastFinished: number): V1ContainerStatus => ({
    name: 'c',
    image: 'i',
    imageID: 'i',
    ready: true,
    restartCount,
    state: { running: { startedAt: at(startedAt) } },
    lastState: {
      terminated: {
        exitCode: 137,
        reason: 'OOMKilled',
        startedAt: at(lastFinished - 3),
        finishedAt: at(lastFinished),
      },
    },
  });

  it('knows the kubelet schedule: immediate, then 10s doubling to 5m', () => {
    expect([1, 2, 3, 4, 7, 8].map((k) => minimumDelayBefore(k, 10_000, 300_000))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
  });

  it('passes when restarts waited out the back-off and CrashLoopBackOff was seen', () => {
    const views = [
      pod({ name: 'leak', statuses: [running(1, 5, 4)] }),
      pod({ name: 'leak', statuses: [oomKilled(1, 8)] }),
      pod({ name: 'leak', statuses: [running(2, 19, 8)] }),
    ];
    const r = a.evaluate(
      input(
        [],
        [],
        views.map((p, i) => snapshot(p, i * 1000)),
      ),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence[0]).toMatchObject({ ref: 'Pod/leak' });
    expect(r.evidence[0]?.what).toMatch(/CrashLoopBackOff/);
  });

  it('fails on a tight loop: the second restart 1s after the exit', () => {
    const views = [
      pod({ name: 'leak', statuses: [running(1, 5, 4)] }),
      pod({ name: 'leak', statuses: [running(2, 9, 8)] }),
    ];
    const r = a.evaluate(
      input(
        [],
        [event('leak', 'BackOff')],
        views.map((p, i) => snapshot(p, i * 1000)),
      ),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/restart #2 came 1s after its exit, back-off wants ≥10s/);
  });

  it('fails when nothing restarted, and when restarts show no back-off', () => {
    expect(a.evaluate(input([pod({ name: 'leak' })])).summary).toMatch(/nothing backed off/);
    const r = a.evaluate(input([pod({ name: 'leak', statuses: [running(1, 5, 4)] })]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/without CrashLoopBackOff or a BackOff event/);
  });
});

describe('evictionOrderByQoS', () => {
  const a = evictionOrderByQoS();

  it('passes when BestEffort went before Burstable and the Guaranteed pod stayed', () => {
    const r = a.evaluate(
      input([
        pod({ name: 'be', qos: 'BestEffort', evictedAt: 10 }),
        pod({ name: 'bu', qos: 'Burstable', evictedAt: 20 }),
        pod({ name: 'g', qos: 'Guaranteed' }),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence.map((e) => e.ref)).toEqual(['Pod/be', 'Pod/bu']);
  });

  it('fails when a Burstable pod went first, or a Guaranteed one while a BestEffort pod on its node survived', () => {
    const r1 = a.evaluate(
      input([
        pod({ name: 'bu', qos: 'Burstable', evictedAt: 10 }),
        pod({ name: 'be', qos: 'BestEffort', evictedAt: 20 }),
      ]),
    );
    expect(r1.pass).toBe(false);
    expect(r1.summary).toMatch(/Burstable bu evicted before BestEffort be/);
    const r2 = a.evaluate(
      input([pod({ name: 'g', qos: 'Guaranteed', evictedAt: 10 }), pod({ name: 'be', qos: 'BestEffort' })]),
    );
    expect(r2.pass).toBe(false);
    expect(r2.evidence[0]).toMatchObject({
      ref: 'Pod/g',
      what: 'Guaranteed g evicted while BestEffort be on n1 was not',
    });
    // A BestEffort pod on another node does not count.
    expect(
      a.evaluate(
        input([pod({ name: 'g', qos: 'Guaranteed', evictedAt: 10 }), pod({ name: 'be', node: 'n2' })]),
      ).pass,
    ).toBe(true);
  });

  it('fails with fewer evictions than required', () => {
    const r = a.evaluate(input([pod({ name: 'be' })]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/0 pod\(s\) evicted for node pressure, expected at least 1/);
  });
});

describe('criticalNotBestEffort', () => {
  const a = criticalNotBestEffort({ selector: 'app=monitoring' });

  it('passes for a Burstable pod that was not evicted', () => {
    const r = a.evaluate(input([pod({ name: 'm', app: 'monitoring', qos: 'Burstable' })]));
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence[0]).toMatchObject({ ref: 'Pod/m', what: 'QoS Burstable, not evicted' });
  });

  it('fails for a BestEffort pod, and for an evicted one (seen before its replacement)', () => {
    const r1 = a.evaluate(input([pod({ name: 'm', app: 'monitoring' })]));
    expect(r1.pass).toBe(false);
    expect(r1.evidence[0]).toMatchObject({ ref: 'Pod/m', what: 'QoS BestEffort' });
    const evicted = pod({ name: 'm', app: 'monitoring', qos: 'Burstable', evictedAt: 5 });
    const r2 = a.evaluate(input([], [], [snapshot(evicted, 5000)]));
    expect(r2.pass).toBe(false);
    expect(r2.evidence[0]?.what).toMatch(/^evicted: The node was low on resource: memory\./);
  });

  it('fails when no pod matched', () => {
    expect(a.evaluate(input([])).summary).toBe('no pod matched app=monitoring');
  });
});

describe('requestsLimitsPolicy', () => {
  const deploymentWith = (
    name: string,
    resources?: Record<string, Record<string, string>>,
  ): KubernetesObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'c', ...(resources ? { resources } : {}) }] },
        },
      },
    }) as KubernetesObject;

  it('passes with requests and limits within the ratio (a limit alone is its own request)', () => {
    const r = requestsLimitsPolicy().evaluate(
      input(
        [],
        [],
        [],
        [
          deploymentWith('a', { requests: { memory: '128Mi' }, limits: { memory: '256Mi' } }),
          deploymentWith('b', { limits: { memory: '1Gi' } }),
        ],
      ),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence.map((e) => e.ref)).toEqual(['Deployment/a', 'Deployment/b']);
  });

  it('fails on a missing limit and on a limit above the ratio, naming the container', () => {
    const r = requestsLimitsPolicy({ maxLimitRequestRatio: 2 }).evaluate(
      input(
        [],
        [],
        [],
        [
          deploymentWith('a', { requests: { memory: '128Mi' } }),
          deploymentWith('b', { requests: { memory: '100Mi' }, limits: { memory: '300Mi' } }),
        ],
      ),
    );
    expect(r.pass).toBe(false);
    expect(r.evidence).toEqual([
      expect.objectContaining({ ref: 'Deployment/a', what: 'c: no memory limit' }),
      expect.objectContaining({ ref: 'Deployment/b', what: 'c: memory limit/request 3.00 > 2' }),
    ]);
  });

  it('checks only the selected workloads', () => {
    const objects = [
      deploymentWith('a'),
      deploymentWith('b', { requests: { memory: '1Gi' }, limits: { memory: '1Gi' } }),
    ];
    expect(requestsLimitsPolicy({ selector: 'app=b' }).evaluate(input([], [], [], objects)).pass).toBe(true);
    expect(requestsLimitsPolicy().evaluate(input([], [], [], objects)).summary).toMatch(
      /Deployment\/a c: no memory request and limit/,
    );
  });
});

describe('qosOf', () => {
  it('uses status.qosClass, else computes it as qos.go does', () => {
    expect(qosOf(pod({ name: 'x', qos: 'Guaranteed' }))).toBe('Guaranteed');
    const bare = (resources?: Record<string, Record<string, string>>): V1Pod => ({
      spec: { containers: [{ name: 'c', ...(resources ? { resources } : {}) }] },
    });
    expect(qosOf(bare())).toBe('BestEffort');
    expect(qosOf(bare({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(qosOf(bare({ limits: { memory: '1Gi' } }))).toBe('Burstable');
    expect(qosOf(bare({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } }))).toBe(
      'Burstable',
    );
  });
});
