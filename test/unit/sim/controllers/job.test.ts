import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Event } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { SimContext } from '../../../../src/sim/context.ts';
import { JobController } from '../../../../src/sim/controllers/job.ts';
import { isPodActive, type SimPod } from '../../../../src/sim/kinds/pod.ts';
import { EVENTS, JOBS, PODS } from '../../../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { controllerFixture } from '../../../support/controller-fixture.ts';
import { waitFor } from '../../../support/wait.ts';

type SimJob = Job & KubeObject;

const { start: startController } = controllerFixture();

function start(): SimContext {
  return startController((ctx) => new JobController(ctx), 20).ctx;
}

function job(name: string, spec: Partial<NonNullable<Job['spec']>> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'registry.k8s.io/pause:3.9' }] },
      },
      ...spec,
    },
  };
}

const jobOf = (ctx: SimContext, name: string): SimJob => ctx.registry.get(JOBS, 'default', name) as SimJob;

function podsOf(ctx: SimContext, name: string): SimPod[] {
  const uid = jobOf(ctx, name).metadata.uid;
  return (ctx.registry.list(PODS, { namespace: 'default' }).items as SimPod[])
    .filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
}

const running = (ctx: SimContext, name: string): SimPod[] =>
  podsOf(ctx, name).filter((p) => p.status?.phase === 'Running' && isPodActive(p));

/** What a kubelet reports when the pod's only container exits. */
function finish(ctx: SimContext, pod: SimPod, exitCode: number): void {
  const live = ctx.registry.get(PODS, 'default', pod.metadata.name ?? '') as SimPod;
  const now = ctx.clock.timestamp();
  const next = structuredClone(live);
  (next as { status: SimPod['status'] }).status = {
    ...live.status,
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: (live.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: now }
        : c,
    ),
    containerStatuses: (live.status?.containerStatuses ?? []).map((cs) => ({
      ...cs,
      ready: false,
      started: false,
      state: {
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt: cs.state?.running?.startedAt ?? now,
          finishedAt: now,
          containerID: cs.containerID ?? '',
        },
      },
    })),
  };
  ctx.registry.replace(PODS, live, next, { subresource: 'status', manager: 'kubelet' });
}

function eventsOf(ctx: SimContext, name: string): Event[] {
  return (ctx.registry.list(EVENTS, { namespace: 'default' }).items as unknown as Event[])
    .filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'Job')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

const conditionsOf = (
  ctx: SimContext,
  name: string,
): Pick<JobCondition, 'type' | 'status' | 'reason' | 'message'>[] =>
  (jobOf(ctx, name).status?.conditions ?? []).map(({ type, status, reason, message }) => ({
    type,
    status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  }));

const settle = (ctx: SimContext, simSeconds: number) => ctx.clock.sleep(simSeconds * 1000);

describe('JobController', () => {
  it('runs completions 3 with parallelism 2 to Complete', async () => {
    const ctx = start();
    ctx.registry.create(JOBS, 'default', job('batch', { completions: 3, parallelism: 2 }), {
      manager: 'kubectl',
    });
    await waitFor('two running', () => running(ctx, 'batch').length === 2);
    const uid = jobOf(ctx, 'batch').metadata.uid ?? '';
    for (const p of podsOf(ctx, 'batch')) {
      expect(p.metadata.generateName).toBe('batch-');
      expect(p.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
      expect(p.metadata.labels).toEqual({
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': 'batch',
        'controller-uid': uid,
        'job-name': 'batch',
      });
    }
    await waitFor('status active 2 ready 2', () => jobOf(ctx, 'batch').status?.ready === 2);
    expect(jobOf(ctx, 'batch').status).toMatchObject({
      active: 2,
      terminating: 0,
      uncountedTerminatedPods: {},
    });
    expect(jobOf(ctx, 'batch').status?.startTime).toBeDefined();

    finish(ctx, running(ctx, 'batch')[0] as SimPod, 0);
    await waitFor('a third pod', () => podsOf(ctx, 'batch').length === 3);
    await waitFor('one counted', () => jobOf(ctx, 'batch').status?.succeeded === 1);
    // Counted pods lose the tracking finalizer; never more than parallelism pods are active.
    expect(
      podsOf(ctx, 'batch').filter((p) => p.status?.phase === 'Succeeded')[0]?.metadata.finalizers,
    ).toBeUndefined();
    expect(podsOf(ctx, 'batch').filter(isPodActive)).toHaveLength(2);

    await waitFor('two running again', () => running(ctx, 'batch').length === 2);
    for (const p of running(ctx, 'batch')) finish(ctx, p, 0);
    await waitFor('complete', () => conditionsOf(ctx, 'batch').some((c) => c.type === 'Complete'));
    await settle(ctx, 3);
    expect(podsOf(ctx, 'batch')).toHaveLength(3);
    const done = jobOf(ctx, 'batch');
    expect(conditionsOf(ctx, 'batch')).toEqual([
      {
        type: 'SuccessCriteriaMet',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      },
      {
        type: 'Complete',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      },
    ]);
    expect(Object.keys(done.status ?? {})).toEqual([
      'conditions',
      'startTime',
      'completionTime',
      'succeeded',
      'terminating',
      'uncountedTerminatedPods',
      'ready',
    ]);
    expect(done.status).toMatchObject({
      succeeded: 3,
      terminating: 0,
      ready: 0,
      uncountedTerminatedPods: {},
    });
    expect(done.status?.completionTime).toBe(done.status?.conditions?.[1]?.lastTransitionTime);
    for (const p of podsOf(ctx, 'batch')) expect(p.metadata.finalizers).toBeUndefined();
    const events = eventsOf(ctx, 'batch');
    expect(
      events
        .filter((e) => e.reason === 'SuccessfulCreate')
        .map((e) => e.message)
        .sort(),
    ).toEqual(
      podsOf(ctx, 'batch')
        .map((p) => `Created pod: ${p.metadata.name}`)
        .sort(),
    );
    expect(events.filter((e) => e.reason === 'Completed').map((e) => [e.type, e.message])).toEqual([
      ['Normal', 'Job completed'],
    ]);
    expect(events[0]?.source?.component).toBe('job-controller');
  });

  it('fails past backoffLimit: FailureTarget, then Failed once the active pods it deleted are gone', async () => {
    const ctx = start();
    ctx.registry.create(JOBS, 'default', job('flaky', { completions: 3, parallelism: 3, backoffLimit: 0 }), {
      manager: 'kubectl',
    });
    await waitFor('three running', () => running(ctx, 'flaky').length === 3);
    const [first, ...others] = running(ctx, 'flaky') as [SimPod, ...SimPod[]];
    finish(ctx, first, 1);
    await waitFor('failed', () => conditionsOf(ctx, 'flaky').some((c) => c.type === 'Failed'));
    const reason = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    expect(conditionsOf(ctx, 'flaky')).toEqual([
      { type: 'FailureTarget', status: 'True', ...reason },
      { type: 'Failed', status: 'True', ...reason },
    ]);
    // The running pods were deleted (and counted as failed); the failed one stays for its logs.
    expect(podsOf(ctx, 'flaky').map((p) => p.metadata.name)).toEqual([first.metadata.name]);
    const status = jobOf(ctx, 'flaky').status;
    expect(status).toMatchObject({ failed: 3, terminating: 0, ready: 0, uncountedTerminatedPods: {} });
    expect(status?.active).toBeUndefined();
    expect(status?.completionTime).toBeUndefined();
    const events = eventsOf(ctx, 'flaky');
    expect(
      events
        .filter((e) => e.reason === 'SuccessfulDelete')
        .map((e) => e.message)
        .sort(),
    ).toEqual(others.map((p) => `Deleted pod: ${p.metadata.name}`).sort());
    expect(events.filter((e) => e.reason === 'BackoffLimitExceeded').map((e) => [e.type, e.message])).toEqual(
      [['Warning', 'Job has reached the specified backoff limit']],
    );
  });

  it('replaces a failed pod only after the 10s backoff', async () => {
    const ctx = start();
    ctx.registry.create(JOBS, 'default', job('retry', { backoffLimit: 3 }), { manager: 'kubectl' });
    await waitFor('one running', () => running(ctx, 'retry').length === 1);
    const failedAt = ctx.clock.now();
    finish(ctx, running(ctx, 'retry')[0] as SimPod, 2);
    await waitFor('a replacement', () => podsOf(ctx, 'retry').length === 2);
    const replacement = podsOf(ctx, 'retry').find((p) => p.status?.phase !== 'Failed') as SimPod;
    // Timestamps have second precision.
    expect(Date.parse(replacement.metadata.creationTimestamp ?? '') - failedAt).toBeGreaterThanOrEqual(9_000);
    await waitFor('failure counted', () => jobOf(ctx, 'retry').status?.failed === 1);
    expect(conditionsOf(ctx, 'retry')).toEqual([]);
  });

  it('fails a Job that runs past activeDeadlineSeconds', async () => {
    const ctx = start();
    ctx.registry.create(JOBS, 'default', job('slow', { activeDeadlineSeconds: 5 }), { manager: 'kubectl' });
    await waitFor('running', () => running(ctx, 'slow').length === 1);
    await waitFor('failed', () => conditionsOf(ctx, 'slow').some((c) => c.type === 'Failed'));
    const reason = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    expect(conditionsOf(ctx, 'slow')).toEqual([
      { type: 'FailureTarget', status: 'True', ...reason },
      { type: 'Failed', status: 'True', ...reason },
    ]);
    const slow = jobOf(ctx, 'slow');
    const elapsed =
      Date.parse(slow.status?.conditions?.[0]?.lastTransitionTime ?? '') -
      Date.parse(slow.status?.startTime ?? '');
    expect(elapsed).toBeGreaterThanOrEqual(5_000);
    expect(podsOf(ctx, 'slow')).toHaveLength(0);
    expect(slow.status?.failed).toBe(1);
  });

  it('gives Indexed pods their index, hostname and variable, and reports completed indexes', async () => {
    const ctx = start();
    ctx.registry.create(
      JOBS,
      'default',
      job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }),
      {
        manager: 'kubectl',
      },
    );
    await waitFor('three running', () => running(ctx, 'idx').length === 3);
    const byIndex = new Map(
      podsOf(ctx, 'idx').map((p) => [
        p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'],
        p,
      ]),
    );
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    for (const [index, p] of byIndex) {
      expect(p.metadata.generateName).toBe(`idx-${index}-`);
      expect(p.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(index);
      expect(p.spec?.hostname).toBe(`idx-${index}`);
      expect(p.spec?.containers[0]?.env).toEqual([
        {
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: {
            fieldRef: {
              apiVersion: 'v1',
              fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
            },
          },
        },
      ]);
    }
    finish(ctx, byIndex.get('0') as SimPod, 0);
    finish(ctx, byIndex.get('2') as SimPod, 0);
    await waitFor('two indexes', () => jobOf(ctx, 'idx').status?.completedIndexes === '0,2');
    expect(jobOf(ctx, 'idx').status?.succeeded).toBe(2);
    finish(ctx, byIndex.get('1') as SimPod, 0);
    await waitFor('complete', () => conditionsOf(ctx, 'idx').some((c) => c.type === 'Complete'));
    expect(jobOf(ctx, 'idx').status?.completedIndexes).toBe('0-2');
  });

  it('deletes the active pods of a suspended Job and sets the Suspended condition', async () => {
    const ctx = start();
    ctx.registry.create(JOBS, 'default', job('paused', { parallelism: 2, completions: 4 }), {
      manager: 'kubectl',
    });
    await waitFor('two running', () => running(ctx, 'paused').length === 2);
    const live = jobOf(ctx, 'paused');
    const next = structuredClone(live);
    (next.spec as { suspend: boolean }).suspend = true;
    ctx.registry.replace(JOBS, live, next, { manager: 'kubectl' });
    await waitFor('suspended', () => conditionsOf(ctx, 'paused').some((c) => c.type === 'Suspended'));
    await waitFor('pods gone', () => podsOf(ctx, 'paused').length === 0);
    expect(conditionsOf(ctx, 'paused')).toEqual([
      { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' },
    ]);
    expect(
      eventsOf(ctx, 'paused')
        .filter((e) => e.reason === 'Suspended')
        .map((e) => e.message),
    ).toEqual(['Job suspended']);
    // Pods removed by suspension are not failures.
    await waitFor('status', () => jobOf(ctx, 'paused').status?.terminating === 0);
    expect(jobOf(ctx, 'paused').status?.failed).toBeUndefined();
  });
});
