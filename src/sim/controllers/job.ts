/**
 * The Job controller (pkg/controller/job, 1.32 behaviour with its default feature gates):
 * - pods from the template with the `batch.kubernetes.io/job-tracking` finalizer, `<job>-`
 *   names (Indexed: `<job>-<index>-`, the index annotation and label, hostname `<job>-<index>`
 *   and the JOB_COMPLETION_INDEX variable), at most parallelism and the remaining completions;
 * - finished pods are counted through status.uncountedTerminatedPods: their uids are written
 *   there first, then their finalizers removed, then they move into succeeded/failed;
 * - a pod deleted before it finished counts as failed (podReplacementPolicy TerminatingOrFailed);
 *   failed pods are replaced after an exponential backoff (10s doubling, capped at 10m);
 * - more failures than backoffLimit (or, with restartPolicy OnFailure, as many container
 *   restarts) or a passed activeDeadlineSeconds first set FailureTarget, delete the active pods,
 *   and once none is terminating set Failed; success first sets SuccessCriteriaMet, then
 *   Complete with completionTime;
 * - suspend deletes the active pods and sets the Suspended condition.
 * Pod events are batched: a Job syncs at most about once a second for them, as upstream.
 */
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Container, EnvVar, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import { controllerRefOf, isPodActive, isPodReady, podCondition, type SimPod } from '../kinds/pod.ts';
import { JOBS, PODS } from '../kinds/resources.ts';
import type { KubeObject } from '../object.ts';
import { ControllerIndex } from './controller-index.ts';
import { type Controller, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import {
  COMPLETION_INDEX_ANNOTATION,
  completionIndexOf,
  formatIndexes,
  generateNameWithIndex,
  parseIndexes,
} from './job-indexes.ts';
import { CONTROLLER_MANAGER, createPod, deletePod, podFromTemplate } from './pod-template.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type SimJob = Job & KubeObject;

const SOURCE: EventSource = { component: 'job-controller' };
/** batch.JobTrackingFinalizer. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** The value of spec.managedBy this controller acts on (batch.JobControllerName). */
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** syncJobBatchPeriod: pod events and status updates sync a Job at most this often. */
const SYNC_BATCH_MS = 1_000;
/** DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
const POD_FAILURE_BACKOFF_MS = 10_000;
const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;
/** MaxUncountedPods and MaxPodCreateDeletePerSync. */
const MAX_UNCOUNTED = 500;
const MAX_CREATE_DELETE = 500;
const RETRY_MS = 1_000;

const hasFinalizer = (pod: SimPod): boolean =>
  (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
const msOf = (time: string | undefined): number => (time ? Date.parse(time) : NaN);

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): JobCondition {
  return {
    type,
    status,
    lastProbeTime: now,
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

const findCondition = (list: readonly JobCondition[] | undefined, type: string): JobCondition | undefined =>
  list?.find((c) => c.type === type);

/** util.IsJobFinished: Complete or Failed is True. */
function isJobFinished(job: SimJob): boolean {
  return (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

const isSuspended = (job: SimJob): boolean => job.spec?.suspend === true;

/** managedByExternalController: another controller owns this Job's status. */
function managedElsewhere(job: SimJob): boolean {
  const managedBy = (job.spec as { managedBy?: string } | undefined)?.managedBy;
  return managedBy !== undefined && managedBy !== JOB_CONTROLLER_NAME;
}

/** onlyReplaceFailedPods: podReplacementPolicy Failed (implied by a podFailurePolicy). */
const onlyReplaceFailed = (job: SimJob): boolean =>
  job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy !== undefined;

/** isPodFailed: Failed, or (unless only failed pods are replaced) deleted before it succeeded. */
function isPodFailed(pod: SimPod, job: SimJob): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailed(job)) return false;
  return Boolean(pod.metadata.deletionTimestamp) && pod.status?.phase !== 'Succeeded';
}

/** getFinishedTime: the last container exit, else Ready=False, else deletion time, else creation. */
function finishedTime(pod: SimPod): number {
  let latest: number | undefined;
  let complete = true;
  for (const s of pod.status?.containerStatuses ?? []) {
    const at = msOf(s.state?.terminated?.finishedAt);
    if (!Number.isFinite(at)) {
      complete = false;
      break;
    }
    latest = Math.max(latest ?? at, at);
  }
  if (complete && latest !== undefined) return latest;
  const ready = podCondition(pod, 'Ready');
  if (ready?.status === 'False' && Number.isFinite(msOf(ready.lastTransitionTime)))
    return msOf(ready.lastTransitionTime);
  if (pod.metadata.deletionTimestamp)
    return msOf(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return msOf(pod.metadata.creationTimestamp);
}

/** controller.ActivePods order: the pods to delete first come first. */
function removalOrder(a: SimPod, b: SimPod): number {
  const assigned = (p: SimPod) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phaseRank = (p: SimPod) => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? ''] ?? 0;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ready = (p: SimPod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (isPodReady(a) && isPodReady(b)) {
    const since = (p: SimPod) => msOf(podCondition(p, 'Ready')?.lastTransitionTime);
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  const restarts = (p: SimPod) => (p.status?.containerStatuses ?? []).reduce((n, s) => n + s.restartCount, 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: SimPod) => msOf(p.metadata.creationTimestamp);
  return created(b) - created(a);
}

interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** The status as the sync builds it; written out by `statusBody`. */
interface WorkingStatus {
  conditions: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active: number;
  succeeded: number;
  failed: number;
  terminating: number;
  completedIndexes: string;
  failedIndexes?: string;
  uncounted: { succeeded: string[]; failed: string[] };
  ready: number;
}

/** JobStatus as Go serializes it: field order, zero counters and empty strings left out, ready and terminating always there. */
function statusBody(s: WorkingStatus): JobStatus {
  const uncounted = {
    ...(s.uncounted.succeeded.length ? { succeeded: [...s.uncounted.succeeded] } : {}),
    ...(s.uncounted.failed.length ? { failed: [...s.uncounted.failed] } : {}),
  };
  return {
    ...(s.conditions.length ? { conditions: structuredClone(s.conditions) } : {}),
    ...(s.startTime ? { startTime: s.startTime } : {}),
    ...(s.completionTime ? { completionTime: s.completionTime } : {}),
    ...(s.active ? { active: s.active } : {}),
    ...(s.succeeded ? { succeeded: s.succeeded } : {}),
    ...(s.failed ? { failed: s.failed } : {}),
    terminating: s.terminating,
    ...(s.completedIndexes ? { completedIndexes: s.completedIndexes } : {}),
    ...(s.failedIndexes !== undefined ? { failedIndexes: s.failedIndexes } : {}),
    uncountedTerminatedPods: uncounted,
    ready: s.ready,
  };
}

function workingStatus(status: JobStatus | undefined): WorkingStatus {
  return {
    conditions: structuredClone(status?.conditions ?? []),
    ...(status?.startTime ? { startTime: status.startTime } : {}),
    ...(status?.completionTime ? { completionTime: status.completionTime } : {}),
    active: status?.active ?? 0,
    succeeded: status?.succeeded ?? 0,
    failed: status?.failed ?? 0,
    terminating: status?.terminating ?? 0,
    completedIndexes: status?.completedIndexes ?? '',
    ...(status?.failedIndexes !== undefined ? { failedIndexes: status.failedIndexes } : {}),
    uncounted: {
      succeeded: [...(status?.uncountedTerminatedPods?.succeeded ?? [])],
      failed: [...(status?.uncountedTerminatedPods?.failed ?? [])],
    },
    ready: status?.ready ?? 0,
  };
}

/** One sync's view of a Job (syncJobCtx). */
interface JobSync {
  key: string;
  job: SimJob;
  status: WorkingStatus;
  pods: SimPod[];
  activePods: SimPod[];
  /** status.uncountedTerminatedPods as the sync found it. */
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  terminating: number;
  ready: number;
  succeeded: number;
  failed: number;
  indexed: boolean;
  completions: number | undefined;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  backoff: BackoffRecord;
  finished?: JobCondition;
  requeue?: number;
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  private readonly queue: WorkQueue;
  /** Pods whose tracking finalizer is left over from a Job that is gone or finished. */
  private readonly orphans: WorkQueue;
  private readonly pods: ControllerIndex;
  /** podBackoffStore: failures since the last success, per Job key. */
  private readonly backoff = new Map<string, BackoffRecord>();
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('job', ctx.clock, (key) => this.sync(key));
    this.orphans = new WorkQueue('job-orphan-pod', ctx.clock, (key) => this.syncOrphan(key));
    this.pods = ControllerIndex.of(ctx.registry, PODS);
  }

  start(): void {
    const { registry } = this.ctx;
    this.pods.acquire();
    this.stops.push(
      subscribe(registry, JOBS, (type, event) =>
        this.onJob(type, event.object as SimJob, event.previous as SimJob),
      ),
      subscribe(registry, PODS, (type, event) => {
        this.onPod(type, event.object as SimPod, event.previous as SimPod | undefined);
      }),
    );
    for (const pod of registry.list(PODS, {}).items) this.checkOrphan(pod as SimPod);
    for (const job of registry.list(JOBS, {}).items)
      this.queue.add(keyOf(job.metadata.namespace, job.metadata.name ?? ''));
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.queue.stop();
    this.pods.release();
    this.orphans.stop();
  }

  // ---------------------------------------------------------------------------------------------
  // Event handlers

  private onJob(type: string, job: SimJob, previous: SimJob | undefined): void {
    const key = keyOf(job.metadata.namespace, job.metadata.name ?? '');
    if (type === 'DELETED') {
      this.queue.add(key);
      this.cleanupPodFinalizers(job);
      return;
    }
    if (type === 'ADDED' || !previous || previous.metadata.generation !== job.metadata.generation) {
      this.queue.add(key);
    } else {
      // Status-only updates (most of them the controller's own) wait for the batch period.
      this.queue.addAfter(key, SYNC_BATCH_MS);
    }
    if (isJobFinished(job)) this.cleanupPodFinalizers(job);
    const deadline = job.spec?.activeDeadlineSeconds;
    const start = msOf(job.status?.startTime);
    if (
      type === 'MODIFIED' &&
      deadline !== undefined &&
      Number.isFinite(start) &&
      previous?.spec?.activeDeadlineSeconds !== deadline
    ) {
      this.queue.addAfter(key, deadline * 1000 - (this.ctx.clock.now() - start));
    }
  }

  private onPod(type: string, pod: SimPod, previous: SimPod | undefined): void {
    if (type !== 'DELETED') this.checkOrphan(pod);
    this.enqueueJobOf(pod);
    if (previous && controllerRefOf(previous)?.uid !== controllerRefOf(pod)?.uid) this.enqueueJobOf(previous);
  }

  private enqueueJobOf(pod: SimPod): void {
    const job = this.jobOf(pod);
    if (job) this.queue.addAfter(keyOf(job.metadata.namespace, job.metadata.name ?? ''), SYNC_BATCH_MS);
  }

  /** resolveControllerRef: the Job the pod's controller reference names, if it still exists. */
  private jobOf(pod: SimPod): SimJob | undefined {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'Job') return undefined;
    const job = this.ctx.registry.find(JOBS, pod.metadata.namespace, ref.name) as SimJob | undefined;
    return job && job.metadata.uid === ref.uid ? job : undefined;
  }

  /** A pod still carrying the finalizer whose Job is gone, finished or absent gets it removed. */
  private checkOrphan(pod: SimPod): void {
    if (!hasFinalizer(pod)) return;
    const ref = controllerRefOf(pod);
    if (ref && ref.kind !== 'Job') return;
    const job = ref ? this.jobOf(pod) : undefined;
    if (!job || isJobFinished(job)) this.orphans.add(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
  }

  private cleanupPodFinalizers(job: SimJob): void {
    for (const pod of this.pods.controlledBy(job.metadata.uid ?? '') as SimPod[])
      if (hasFinalizer(pod)) this.orphans.add(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
  }

  /** syncOrphanPod. */
  private syncOrphan(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    if (!pod || !hasFinalizer(pod)) return undefined;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return undefined;
      const job = this.jobOf(pod);
      if (job && managedElsewhere(job)) return undefined;
      // Adopted by a running Job after all.
      if (job && !isJobFinished(job)) return undefined;
    }
    return this.removeFinalizer(pod) ? undefined : RETRY_MS;
  }

  // ---------------------------------------------------------------------------------------------
  // syncJob

  private sync(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const job = this.ctx.registry.find(JOBS, namespace, name) as SimJob | undefined;
    if (!job) {
      this.backoff.delete(key);
      return undefined;
    }
    if (managedElsewhere(job)) return undefined;
    if (isJobFinished(job)) {
      this.backoff.delete(key);
      return undefined;
    }
    const mode = job.spec?.completionMode ?? 'NonIndexed';
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.ctx.events.record(
        SOURCE,
        job,
        'Warning',
        'UnknownCompletionMode',
        'Skipped Job sync because completion mode is unknown',
      );
      return undefined;
    }
    const s = this.newSync(key, job, mode === 'Indexed');
    const now = this.ctx.clock.now();
    const stamp = this.ctx.clock.timestamp();
    if (!s.status.startTime && !isSuspended(job)) s.status.startTime = stamp;

    s.finished = this.existingFinish(s);
    if (!s.finished) {
      const backoffLimit = job.spec?.backoffLimit ?? 6;
      if (s.failed > backoffLimit || this.pastBackoffLimitOnFailure(s)) {
        s.finished = this.failure('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if (this.pastActiveDeadline(s, now)) {
        s.finished = this.failure('DeadlineExceeded', 'Job was active longer than specified deadline');
      } else if (job.spec?.activeDeadlineSeconds !== undefined && !isSuspended(job)) {
        const started = msOf(s.status.startTime);
        this.later(s, job.spec.activeDeadlineSeconds * 1000 - (now - started));
      }
    }
    if (s.indexed) s.succeeded = s.succeededIndexes.size;

    let active = s.activePods.length;
    let suspendChanged = false;
    if (s.finished) {
      // The Job is done: its remaining pods are deleted (their finalizers come off below).
      let deleted = 0;
      for (const pod of s.activePods) {
        if (!deletePod(this.ctx, SOURCE, job, pod)) continue;
        deleted++;
        if (isPodReady(pod)) s.ready--;
      }
      if (deleted !== active) s.finished = undefined;
      active -= deleted;
      s.terminating += deleted;
    } else {
      let manageCalled = false;
      if (!job.metadata.deletionTimestamp) {
        active = this.manageJob(s);
        manageCalled = true;
      }
      const completions = job.spec?.completions;
      const complete =
        completions === undefined || completions === null
          ? s.succeeded > 0 && active === 0
          : s.succeeded >= completions && active === 0;
      if (complete) {
        s.finished = condition(
          'SuccessCriteriaMet',
          'True',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          stamp,
        );
      } else if (manageCalled) {
        suspendChanged = this.syncSuspendCondition(s, stamp);
      }
    }

    // ready and terminating are pointers upstream: a Job that never had them is written once.
    const needsFlush =
      suspendChanged ||
      active !== s.status.active ||
      s.ready !== job.status?.ready ||
      s.terminating !== job.status?.terminating;
    s.status.active = active;
    s.status.ready = s.ready;
    s.status.terminating = s.terminating;
    if (!this.trackStatusAndRemoveFinalizers(s, needsFlush)) return RETRY_MS;
    return s.requeue;
  }

  private newSync(key: string, job: SimJob, indexed: boolean): JobSync {
    const status = workingStatus(job.status);
    const pods = this.pods.controlledBy(job.metadata.uid ?? '') as SimPod[];
    const activePods = pods.filter(isPodActive);
    const completions = job.spec?.completions ?? undefined;
    const uncounted = {
      succeeded: new Set(status.uncounted.succeeded),
      failed: new Set(status.uncounted.failed),
    };
    const validIndex = (p: SimPod) => {
      if (!indexed) return true;
      const ix = completionIndexOf(p);
      return ix >= 0 && ix < (completions ?? 0);
    };
    // getNewFinishedPods: finished pods not yet counted anywhere.
    const fresh = (p: SimPod, set: Set<string>) =>
      hasFinalizer(p) && !set.has(p.metadata.uid ?? '') && validIndex(p);
    const newSucceeded = pods.filter((p) => fresh(p, uncounted.succeeded) && p.status?.phase === 'Succeeded');
    const newFailed = pods.filter((p) => fresh(p, uncounted.failed) && isPodFailed(p, job));
    const prevSucceededIndexes = indexed
      ? parseIndexes(status.completedIndexes, completions ?? 0)
      : new Set<number>();
    const succeededIndexes = new Set(prevSucceededIndexes);
    if (indexed) {
      for (const p of pods) {
        const ix = completionIndexOf(p);
        if (p.status?.phase === 'Succeeded' && ix >= 0 && ix < (completions ?? 0) && hasFinalizer(p))
          succeededIndexes.add(ix);
      }
    }
    return {
      key,
      job,
      status,
      pods,
      activePods,
      uncounted,
      terminating: pods.filter(
        (p) => p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
      ).length,
      ready: activePods.filter(isPodReady).length,
      succeeded: status.succeeded + newSucceeded.length + uncounted.succeeded.size,
      failed: status.failed + newFailed.length + uncounted.failed.size,
      indexed,
      completions: completions ?? undefined,
      prevSucceededIndexes,
      succeededIndexes,
      backoff: this.nextBackoffRecord(key, newSucceeded, newFailed),
    };
  }

  /** A SuccessCriteriaMet or FailureTarget condition from an earlier sync decides the outcome. */
  private existingFinish(s: JobSync): JobCondition | undefined {
    const met = findCondition(s.status.conditions, 'SuccessCriteriaMet');
    if (met?.status === 'True') return met;
    const target = findCondition(s.status.conditions, 'FailureTarget');
    if (target?.status === 'True')
      return condition(
        'Failed',
        'True',
        target.reason ?? '',
        target.message ?? '',
        this.ctx.clock.timestamp(),
      );
    return undefined;
  }

  /** newFailureCondition: the interim FailureTarget (the terminal condition waits for pods to terminate). */
  private failure(reason: string, message: string): JobCondition {
    return condition('FailureTarget', 'True', reason, message, this.ctx.clock.timestamp());
  }

  /** pastBackoffLimitOnFailure: with OnFailure, container restarts of running pods count. */
  private pastBackoffLimitOnFailure(s: JobSync): boolean {
    if (s.job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const pod of s.pods) {
      if (pod.status?.phase !== 'Running' && pod.status?.phase !== 'Pending') continue;
      for (const c of pod.status.initContainerStatuses ?? []) restarts += c.restartCount;
      for (const c of pod.status.containerStatuses ?? []) restarts += c.restartCount;
    }
    const limit = s.job.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  private pastActiveDeadline(s: JobSync, now: number): boolean {
    const deadline = s.job.spec?.activeDeadlineSeconds;
    const started = msOf(s.status.startTime);
    if (deadline === undefined || !Number.isFinite(started) || isSuspended(s.job)) return false;
    return now - started >= deadline * 1000;
  }

  private later(s: JobSync, ms: number): void {
    s.requeue = Math.min(s.requeue ?? Infinity, Math.max(0, ms));
  }

  /** The Suspended condition follows spec.suspend; resuming restarts the deadline clock. */
  private syncSuspendCondition(s: JobSync, stamp: string): boolean {
    const suspended = isSuspended(s.job);
    const changed = suspended
      ? this.ensureCondition(s.status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', stamp)
      : this.ensureCondition(s.status, 'Suspended', 'False', 'JobResumed', 'Job resumed', stamp);
    if (!changed) return false;
    if (suspended) {
      this.ctx.events.record(SOURCE, s.job, 'Normal', 'Suspended', 'Job suspended');
    } else {
      this.ctx.events.record(SOURCE, s.job, 'Normal', 'Resumed', 'Job resumed');
      s.status.startTime = stamp;
    }
    return true;
  }

  /** ensureJobConditionStatus: updates a condition of that type, or appends it unless it would be False. */
  private ensureCondition(
    status: WorkingStatus,
    type: string,
    value: 'True' | 'False',
    reason: string,
    message: string,
    stamp: string,
  ): boolean {
    const i = status.conditions.findIndex((c) => c.type === type);
    if (i >= 0) {
      const c = status.conditions[i] as JobCondition;
      if (c.status === value && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
      status.conditions[i] = condition(type, value, reason, message, stamp);
      return true;
    }
    if (value === 'False') return false;
    status.conditions.push(condition(type, value, reason, message, stamp));
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // manageJob

  /** Creates or deletes pods towards the wanted number of active ones; returns the new active count. */
  private manageJob(s: JobSync): number {
    const { job } = s;
    let active = s.activePods.length;
    const parallelism = job.spec?.parallelism ?? 1;
    if (isSuspended(job)) {
      const { removed, removedReady } = this.deleteJobPods(s, this.podsForRemoval(s, active));
      s.terminating += removed;
      s.ready -= removedReady;
      return active - removed;
    }
    const completions = job.spec?.completions;
    let wantActive: number;
    if (completions === undefined || completions === null) {
      // A work queue: once one pod succeeded, the rest are left to finish.
      wantActive = s.succeeded > 0 ? active : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(completions - s.succeeded, parallelism));
    }
    const toRemove = this.podsForRemoval(s, Math.max(0, active - wantActive)).slice(0, MAX_CREATE_DELETE);
    if (toRemove.length > 0) {
      // Deletion takes precedence over creation within one sync.
      const { removed, removedReady } = this.deleteJobPods(s, toRemove);
      s.terminating += removed;
      s.ready -= removedReady;
      return active - removed;
    }
    const terminating = onlyReplaceFailed(job) ? s.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    const remaining = this.backoffRemaining(s.backoff);
    if (remaining > 0) {
      this.later(s, Math.max(remaining, SYNC_BATCH_MS));
      // As upstream: a sync held back by the backoff reports no active pods.
      return 0;
    }
    diff = Math.min(diff, MAX_CREATE_DELETE);
    let indexes: number[] = [];
    if (s.indexed) {
      indexes = this.firstPendingIndexes(s, diff);
      diff = indexes.length;
    }
    const template = this.podTemplate(job, s.indexed);
    for (let i = 0; i < diff; i++) {
      const index = indexes[i];
      const pod = podFromTemplate(
        index === undefined ? template : this.indexedTemplate(job, template, index),
        job,
      );
      if (index !== undefined)
        pod.metadata.generateName = generateNameWithIndex(job.metadata.name ?? '', index);
      const created = createPod(this.ctx, SOURCE, job, pod);
      // Slow start: after a failed create the remaining ones wait for the next sync.
      if (!created) {
        this.later(s, RETRY_MS);
        break;
      }
      this.pods.track(created);
      active++;
    }
    return active;
  }

  /** The template every pod starts from: the tracking finalizer, and for Indexed Jobs the index variable. */
  private podTemplate(job: SimJob, indexed: boolean): PodTemplateSpec {
    const template = structuredClone(job.spec?.template ?? { spec: { containers: [] } });
    if (indexed && template.spec) {
      const addEnv = (c: Container): Container =>
        (c.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)
          ? c
          : {
              ...c,
              env: [
                ...(c.env ?? []),
                {
                  name: COMPLETION_INDEX_ENV,
                  valueFrom: {
                    fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` },
                  },
                } satisfies EnvVar,
              ],
            };
      if (template.spec.initContainers)
        template.spec.initContainers = template.spec.initContainers.map(addEnv);
      template.spec.containers = template.spec.containers.map(addEnv);
    }
    const finalizers = template.metadata?.finalizers ?? [];
    template.metadata = {
      ...template.metadata,
      finalizers: finalizers.includes(JOB_TRACKING_FINALIZER)
        ? finalizers
        : [...finalizers, JOB_TRACKING_FINALIZER],
    };
    return template;
  }

  /** The index annotation and label (PodIndexLabel) and the `<job>-<index>` hostname. */
  private indexedTemplate(job: SimJob, template: PodTemplateSpec, index: number): PodTemplateSpec {
    const copy = structuredClone(template);
    copy.metadata = {
      ...copy.metadata,
      annotations: { ...copy.metadata?.annotations, [COMPLETION_INDEX_ANNOTATION]: String(index) },
      labels: { ...copy.metadata?.labels, [COMPLETION_INDEX_ANNOTATION]: String(index) },
    };
    if (copy.spec) copy.spec.hostname = `${job.metadata.name}-${index}`;
    return copy;
  }

  /** firstPendingIndexes: the lowest indexes neither succeeded nor held by an active pod. */
  private firstPendingIndexes(s: JobSync, count: number): number[] {
    const taken = new Set(s.succeededIndexes);
    for (const pod of s.activePods) taken.add(completionIndexOf(pod));
    const out: number[] = [];
    for (let i = 0; i < (s.completions ?? 0) && out.length < count; i++) if (!taken.has(i)) out.push(i);
    return out;
  }

  /**
   * activePodsForRemoval: for Indexed Jobs, pods with an index out of range or repeated first;
   * then the least advanced pods (controller.ActivePods order).
   */
  private podsForRemoval(s: JobSync, atLeast: number): SimPod[] {
    const remove: SimPod[] = [];
    let left = s.activePods;
    if (s.indexed) {
      left = [];
      const seen = new Set<number>();
      for (const pod of [...s.activePods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b))) {
        const ix = completionIndexOf(pod);
        if (ix < 0 || ix >= (s.completions ?? 0) || seen.has(ix)) remove.push(pod);
        else {
          seen.add(ix);
          left.push(pod);
        }
      }
    }
    if (remove.length < atLeast)
      remove.push(...[...left].sort(removalOrder).slice(0, atLeast - remove.length));
    return remove;
  }

  /** deleteJobPods: the finalizer comes off first (the pod is not counted), then the pod is deleted. */
  private deleteJobPods(s: JobSync, pods: SimPod[]): { removed: number; removedReady: number } {
    let removed = 0;
    let removedReady = 0;
    for (const pod of pods) {
      if (!this.removeFinalizer(pod)) continue;
      if (!deletePod(this.ctx, SOURCE, s.job, pod)) continue;
      removed++;
      if (isPodReady(pod)) removedReady++;
    }
    return { removed, removedReady };
  }

  // ---------------------------------------------------------------------------------------------
  // Backoff

  /** backoffStore.newBackoffRecord: failures after the last success, and when the last one finished. */
  private nextBackoffRecord(key: string, succeeded: SimPod[], failed: SimPod[]): BackoffRecord {
    const old = this.backoff.get(key) ?? { failuresAfterLastSuccess: 0 };
    const record: BackoffRecord = { ...old };
    const failedTimes = failed.map(finishedTime).sort((a, b) => a - b);
    if (succeeded.length === 0) {
      if (failedTimes.length === 0) return record;
      record.failuresAfterLastSuccess += failedTimes.length;
      record.lastFailureTime = failedTimes.at(-1) as number;
      return record;
    }
    const lastSuccess = Math.max(...succeeded.map(finishedTime));
    const after = failedTimes.filter((t) => t > lastSuccess);
    return {
      failuresAfterLastSuccess: after.length,
      ...(after.length > 0 ? { lastFailureTime: after.at(-1) as number } : {}),
    };
  }

  /** getRemainingTime: 10s doubling per failure after the last success, capped, since the last failure. */
  private backoffRemaining(record: BackoffRecord): number {
    if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
    let delay = POD_FAILURE_BACKOFF_MS;
    for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
      delay *= 2;
      if (delay >= MAX_POD_FAILURE_BACKOFF_MS) {
        delay = MAX_POD_FAILURE_BACKOFF_MS;
        break;
      }
    }
    const elapsed = this.ctx.clock.now() - record.lastFailureTime;
    return delay < elapsed ? 0 : delay - elapsed;
  }

  // ---------------------------------------------------------------------------------------------
  // Status tracking with finalizers

  /**
   * trackJobStatusAndRemoveFinalizers: records finished pods as uncounted, removes their
   * finalizers, moves them into the counters, and finishes the Job when nothing is left
   * uncounted or terminating. False when a status write failed.
   */
  private trackStatusAndRemoveFinalizers(s: JobSync, needsFlushAtStart: boolean): boolean {
    let needsFlush = needsFlushAtStart;
    const { status, job } = s;
    const pods = s.indexed ? [...s.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : s.pods;
    const withFinalizer = new Set(pods.filter(hasFinalizer).map((p) => p.metadata.uid ?? ''));
    if (this.countUncounted(status, withFinalizer)) needsFlush = true;
    const toRemove: SimPod[] = [];
    const newIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of pods) {
      if (!hasFinalizer(pod)) continue;
      const uid = pod.metadata.uid ?? '';
      const failed = isPodFailed(pod, job);
      const removable =
        Boolean(job.metadata.deletionTimestamp) ||
        s.finished !== undefined ||
        pod.status?.phase === 'Succeeded' ||
        failed;
      if (!removable) continue;
      toRemove.push(pod);
      const ix = completionIndexOf(pod);
      const validIndex = !s.indexed || (ix >= 0 && ix < (s.completions ?? 0));
      if (pod.status?.phase === 'Succeeded' && !s.uncounted.failed.has(uid)) {
        if (s.indexed) {
          if (validIndex && !s.prevSucceededIndexes.has(ix)) {
            newIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!s.uncounted.succeeded.has(uid)) {
          status.uncounted.succeeded.push(uid);
          needsFlush = true;
        }
      } else if (failed || (s.finished !== undefined && s.finished.type !== 'SuccessCriteriaMet')) {
        // Once the Job has failed, every pod that did not succeed counts as failed.
        if (!s.uncounted.failed.has(uid) && validIndex) {
          status.uncounted.failed.push(uid);
          needsFlush = true;
        }
      }
      if (
        newIndexes.length + status.uncounted.succeeded.length + status.uncounted.failed.length >=
        MAX_UNCOUNTED
      ) {
        reachedMax = true;
        break;
      }
    }
    if (s.indexed) {
      for (const ix of newIndexes) s.succeededIndexes.add(ix);
      const text = formatIndexes(s.succeededIndexes);
      if (text !== status.completedIndexes) needsFlush = true;
      status.succeeded = s.succeededIndexes.size;
      status.completedIndexes = text;
    }
    const stamp = this.ctx.clock.timestamp();
    if (s.finished?.type === 'FailureTarget') {
      // The reason is on record before any finalizer comes off.
      status.conditions.push(s.finished);
      needsFlush = true;
      s.finished = condition('Failed', 'True', s.finished.reason ?? '', s.finished.message ?? '', stamp);
    }
    if (s.finished?.type === 'SuccessCriteriaMet') {
      if (!findCondition(status.conditions, 'SuccessCriteriaMet')) {
        status.conditions.push(s.finished);
        needsFlush = true;
      }
      s.finished = condition('Complete', 'True', s.finished.reason ?? '', s.finished.message ?? '', stamp);
    }

    // flushUncountedAndRemoveFinalizers
    if (needsFlush) {
      if (!this.writeStatus(s)) return false;
      this.backoff.set(s.key, s.backoff);
      needsFlush = false;
    }
    for (const pod of toRemove) if (this.removeFinalizer(pod)) withFinalizer.delete(pod.metadata.uid ?? '');
    if (this.countUncounted(status, withFinalizer)) needsFlush = true;

    const finished = !reachedMax && this.enactFinished(s);
    if (finished) needsFlush = true;
    if (needsFlush && !this.writeStatus(s)) return false;
    if (finished && s.finished) this.recordFinished(s, s.finished);
    return true;
  }

  /** cleanUncountedPodsWithoutFinalizers: uncounted pods whose finalizer is gone join the counters. */
  private countUncounted(status: WorkingStatus, withFinalizer: Set<string>): boolean {
    let changed = false;
    const succeeded = status.uncounted.succeeded.filter((uid) => withFinalizer.has(uid));
    if (succeeded.length !== status.uncounted.succeeded.length) {
      status.succeeded += status.uncounted.succeeded.length - succeeded.length;
      status.uncounted.succeeded = succeeded;
      changed = true;
    }
    const failed = status.uncounted.failed.filter((uid) => withFinalizer.has(uid));
    if (failed.length !== status.uncounted.failed.length) {
      status.failed += status.uncounted.failed.length - failed.length;
      status.uncounted.failed = failed;
      changed = true;
    }
    return changed;
  }

  /** enactJobFinished: the terminal condition once no pod is uncounted or terminating. */
  private enactFinished(s: JobSync): boolean {
    const done = s.finished;
    if (!done) return false;
    if (s.status.uncounted.succeeded.length + s.status.uncounted.failed.length > 0) return false;
    if (s.terminating > 0) return false;
    const stamp = done.lastTransitionTime ?? this.ctx.clock.timestamp();
    this.ensureCondition(s.status, done.type, 'True', done.reason ?? '', done.message ?? '', stamp);
    if (done.type === 'Complete') s.status.completionTime = stamp;
    return true;
  }

  private recordFinished(s: JobSync, done: JobCondition): void {
    const job = s.job;
    if (done.type === 'Complete') {
      const completions = job.spec?.completions;
      if (completions !== undefined && completions !== null && s.status.succeeded > completions)
        this.ctx.events.record(
          SOURCE,
          job,
          'Warning',
          'TooManySucceededPods',
          'Too many succeeded pods running after completion count reached',
        );
      this.ctx.events.record(SOURCE, job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.ctx.events.record(SOURCE, job, 'Warning', done.reason ?? '', done.message ?? '');
    }
  }

  private writeStatus(s: JobSync): boolean {
    const next = structuredClone(s.job);
    (next as { status?: JobStatus }).status = statusBody(s.status);
    try {
      s.job = this.ctx.registry.replace(JOBS, s.job, next, {
        subresource: 'status',
        manager: CONTROLLER_MANAGER,
      }) as SimJob;
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.code === 404 || error.code === 409)) return false;
      throw error;
    }
  }

  /** Removes the tracking finalizer (a pod already gone counts as done). False on a failed write. */
  private removeFinalizer(pod: SimPod): boolean {
    const live = this.ctx.registry.find(PODS, pod.metadata.namespace, pod.metadata.name ?? '') as
      SimPod | undefined;
    if (!live || live.metadata.uid !== pod.metadata.uid || !hasFinalizer(live)) return true;
    const next = structuredClone(live);
    const rest = (live.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    if (rest.length > 0) next.metadata.finalizers = rest;
    else delete next.metadata.finalizers;
    try {
      this.ctx.registry.replace(PODS, live, next, { manager: CONTROLLER_MANAGER });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return true;
      if (error instanceof ApiError && error.code === 409) return false;
      throw error;
    }
  }
}
