/**
 * The StatefulSet controller (pkg/controller/statefulset, 1.32 behaviour): pods named
 * `<set>-<ordinal>` with their identity (hostname, subdomain, pod-name and pod-index labels) and
 * their claims `<template>-<set>-<ordinal>`; OrderedReady creates ordinals one at a time, each
 * only once its predecessors are Running and Ready, and removes the highest ordinal first, one
 * at a time; Parallel does both at once. A failed or finished pod is deleted and recreated under
 * the same name. RollingUpdate replaces pods from the highest ordinal down to the partition,
 * waiting for each to be healthy; OnDelete only uses the new template for recreated pods.
 * ControllerRevisions record templates; status carries current and update revisions.
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import { resourceAt } from '../kinds/registry.ts';
import { controllerRefOf, controllerRefTo, isPodAvailable, isPodReady, type SimPod } from '../kinds/pod.ts';
import { CONTROLLER_REVISIONS, PODS, STATEFULSETS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual } from '../object.ts';
import { labelSelectorFromSpec } from '../store/selectors.ts';
import { ControllerIndex } from './controller-index.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import {
  createRevision,
  deleteRevision,
  nextRevisionNumber,
  POD_REVISION_LABEL,
  renumberRevision,
  revisionTemplate,
  sameRevisionData,
  type SimRevision,
  sortRevisions,
  templatePatch,
} from './controller-revision.ts';
import type { EventSource } from './events.ts';
import { CONTROLLER_MANAGER, podFromTemplate } from './pod-template.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type SimSet = StatefulSet & KubeObject;
type SimClaim = PersistentVolumeClaim & KubeObject;

const SOURCE: EventSource = { component: 'statefulset-controller' };
/** apps.StatefulSetPodNameLabel and apps.PodIndexLabel (PodIndexLabel, on by default). */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** How long a sync that hit an API error waits before trying again (the rate limiter's first step, rounded up). */
const RETRY_MS = 1_000;

const CLAIMS = (() => {
  const r = resourceAt('v1', 'persistentvolumeclaims');
  if (!r) throw new Error('sim: v1/persistentvolumeclaims is not in the kind table');
  return r;
})();

// getParentNameAndOrdinal: `(.*)-([0-9]+)$`, the ordinal a 32-bit integer.
const ORDINAL_RE = /^(.*)-([0-9]+)$/;

function parentAndOrdinal(name: string | undefined): { parent: string; ordinal: number } {
  const m = ORDINAL_RE.exec(name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1] as string, ordinal: n <= 2_147_483_647 ? n : -1 };
}

const ordinalOf = (pod: SimPod): number => parentAndOrdinal(pod.metadata.name).ordinal;
const podRevision = (pod: SimPod): string => pod.metadata.labels?.[POD_REVISION_LABEL] ?? '';
/** isCreated: the API server has stored it (an unsaved placeholder has no phase). */
const isCreated = (pod: SimPod): boolean => Boolean(pod.status?.phase);
const isTerminating = (pod: SimPod): boolean => Boolean(pod.metadata.deletionTimestamp);
const isRunningAndReady = (pod: SimPod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
const isHealthy = (pod: SimPod): boolean => isRunningAndReady(pod) && !isTerminating(pod);

type Step = 'continue' | 'exit' | 'error';

interface Revisions {
  current: SimRevision;
  update: SimRevision;
  collisionCount: number;
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset-controller';
  private readonly queue: WorkQueue;
  private readonly pods: ControllerIndex;
  private readonly revisions: ControllerIndex;
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('statefulset', ctx.clock, (key) => this.sync(key));
    this.pods = ControllerIndex.of(ctx.registry, PODS);
    this.revisions = ControllerIndex.of(ctx.registry, CONTROLLER_REVISIONS);
  }

  start(): void {
    const { registry } = this.ctx;
    this.pods.acquire();
    this.revisions.acquire();
    this.stops.push(
      subscribe(registry, STATEFULSETS, (_type, event) =>
        this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? '')),
      ),
      subscribe(registry, PODS, (type, event) => {
        this.enqueueOwner(event.object);
        if (event.previous && controllerRefOf(event.previous)?.uid !== controllerRefOf(event.object)?.uid)
          this.enqueueOwner(event.previous);
      }),
      subscribe(registry, CONTROLLER_REVISIONS, (type, event) => {
        this.enqueueOwner(event.object);
      }),
    );
    for (const set of registry.list(STATEFULSETS, {}).items)
      this.queue.add(keyOf(set.metadata.namespace, set.metadata.name ?? ''));
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.queue.stop();
    this.pods.release();
    this.revisions.release();
  }

  private enqueueOwner(obj: KubeObject): void {
    const ref = controllerRefOf(obj);
    if (ref?.kind === 'StatefulSet' && ref.apiVersion.startsWith('apps/'))
      this.queue.add(keyOf(obj.metadata.namespace, ref.name));
  }

  private sync(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const set = this.ctx.registry.find(STATEFULSETS, namespace, name) as SimSet | undefined;
    if (!set) return undefined;
    try {
      labelSelectorFromSpec(set.spec?.selector);
    } catch {
      // Upstream logs the bad selector and leaves the set alone.
      return undefined;
    }
    const uid = set.metadata.uid ?? '';
    const pods = this.membersOf(set);
    const history = sortRevisions(this.revisions.controlledBy(uid) as SimRevision[]);
    const revisions = this.revisionsFor(set, history);
    // A set being deleted only gets its status updated; the garbage collector removes its pods.
    let requeue = set.metadata.deletionTimestamp ? undefined : this.manage(set, pods, revisions);
    const status = this.writeStatus(set, revisions);
    this.truncateHistory(set, pods, history, revisions);
    const minReady = set.spec?.minReadySeconds ?? 0;
    // Pods turn available with time, not with an event: look again when the oldest could be.
    if (minReady > 0 && status && status.availableReplicas !== (set.spec?.replicas ?? 1))
      requeue = Math.min(requeue ?? Infinity, minReady * 1000);
    return requeue;
  }

  /** getPodsForStatefulSet: the pods this set controls whose names say they are its members. */
  private membersOf(set: SimSet): SimPod[] {
    return (this.pods.controlledBy(set.metadata.uid ?? '') as SimPod[]).filter(
      (p) => parentAndOrdinal(p.metadata.name).parent === set.metadata.name,
    );
  }

  /**
   * getStatefulSetRevisions: the update revision is the set's template (an equal older revision
   * is renumbered as the newest, a rollback; otherwise a new one is created); the current
   * revision is the one status names, or the update revision for a new set.
   */
  private revisionsFor(set: SimSet, history: SimRevision[]): Revisions {
    const collision = { count: set.status?.collisionCount ?? 0 };
    const number = nextRevisionNumber(history);
    const candidate: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        namespace: set.metadata.namespace,
        labels: { ...set.spec?.template.metadata?.labels },
        ownerReferences: [controllerRefTo(set)],
      },
      data: templatePatch(set.spec?.template),
      revision: number,
    };
    const last = history.at(-1);
    const equal = history.filter((r) => sameRevisionData(r, candidate));
    let update: SimRevision;
    if (last && sameRevisionData(last, candidate)) {
      update = last;
    } else if (equal.length > 0) {
      update = renumberRevision(this.ctx.registry, equal.at(-1) as SimRevision, number);
    } else {
      update = createRevision(
        this.ctx.registry,
        set.metadata.name ?? '',
        set.metadata.namespace ?? '',
        candidate,
        collision,
      );
      this.revisions.track(update);
    }
    const current = history.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount: collision.count };
  }

  /** updateStatefulSet: scale, repair and roll; returns a retry delay after an API error. */
  private manage(set: SimSet, pods: SimPod[], revisions: Revisions): number | undefined {
    const start = set.spec?.ordinals?.start ?? 0;
    const count = set.spec?.replicas ?? 1;
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.ctx.clock.now();
    const available = (p: SimPod) => p.status?.phase === 'Running' && isPodAvailable(p, minReady, now);
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const currentTemplate = revisionTemplate(revisions.current);
    const updateTemplate = revisionTemplate(revisions.update);
    const versioned = (ordinal: number): SimPod =>
      this.newVersionedPod(set, currentTemplate, updateTemplate, revisions, ordinal);

    // Partition into the replicas in [start, start+replicas) and the condemned beyond.
    const replicas: (SimPod | undefined)[] = new Array<SimPod | undefined>(count).fill(undefined);
    const condemned: SimPod[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOf(pod);
      if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    const slots: SimPod[] = replicas.map((p, i) => p ?? versioned(start + i));
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const firstUnhealthy =
      slots.find((p) => !isHealthy(p)) ?? [...condemned].reverse().find((p) => !isHealthy(p));

    for (let i = 0; i < slots.length; i++) {
      const step = this.processReplica(set, slots, i, monotonic, available, versioned);
      if (step === 'error') return RETRY_MS;
      if (step === 'exit' && monotonic) return undefined;
    }

    // Claims of condemned pods follow the whenScaled retention policy before the pods go.
    for (const pod of condemned) this.applyClaimRetention(set, pod);

    // Scale down from the highest ordinal; in order, one at a time, once the rest are healthy.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return undefined;
        continue;
      }
      if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !available(pod)))
        return undefined;
      if (!this.deletePod(set, pod)) return RETRY_MS;
      if (monotonic) return undefined;
    }

    if (set.spec?.updateStrategy?.type === 'OnDelete') return undefined;
    // RollingUpdate: the highest ordinal not at the update revision goes first, down to the partition.
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let target = slots.length - 1; target >= partition; target--) {
      const pod = slots[target] as SimPod;
      if (podRevision(pod) !== revisions.update.metadata.name && !isTerminating(pod)) {
        if (!this.deletePod(set, pod)) return RETRY_MS;
        return undefined;
      }
      if (!isHealthy(pod) || !available(pod)) return undefined;
    }
    return undefined;
  }

  /** processReplica: repair or create the pod at slot `i`. */
  private processReplica(
    set: SimSet,
    slots: SimPod[],
    i: number,
    monotonic: boolean,
    available: (p: SimPod) => boolean,
    versioned: (ordinal: number) => SimPod,
  ): Step {
    let pod = slots[i] as SimPod;
    const phase = pod.status?.phase;
    if (isCreated(pod) && (phase === 'Failed' || phase === 'Succeeded')) {
      // Whatever the exit code: an evicted or node-killed pod's phase comes from its containers.
      const ns = set.metadata.namespace;
      if (phase === 'Failed') {
        this.ctx.events.record(
          SOURCE,
          set,
          'Warning',
          'RecreatingFailedPod',
          `StatefulSet ${ns}/${set.metadata.name} is recreating failed Pod ${pod.metadata.name}`,
        );
      } else {
        this.ctx.events.record(
          SOURCE,
          set,
          'Normal',
          'RecreatingTerminatedPod',
          `StatefulSet ${ns}/${set.metadata.name} is recreating terminated Pod ${pod.metadata.name}`,
        );
      }
      if (!this.deletePod(set, pod)) return 'error';
      pod = slots[i] = versioned(ordinalOf(pod));
    }
    if (!isCreated(pod)) {
      const created = this.createPod(set, pod);
      if (!created) return 'error';
      slots[i] = created;
      return monotonic ? 'exit' : 'continue';
    }
    if (pod.status?.phase === 'Pending' && !this.createClaims(set, pod)) return 'error';
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !available(pod))) return 'exit';
    if (!this.identityMatches(set, pod) && !this.updateIdentity(set, pod)) return 'error';
    this.applyClaimRetention(set, pod);
    return 'continue';
  }

  /** newVersionedStatefulSetPod: ordinals below the partition keep the current revision. */
  private newVersionedPod(
    set: SimSet,
    currentTemplate: PodTemplateSpec,
    updateTemplate: PodTemplateSpec,
    revisions: Revisions,
    ordinal: number,
  ): SimPod {
    const strategy = set.spec?.updateStrategy;
    const start = set.spec?.ordinals?.start ?? 0;
    const atCurrent =
      (strategy?.type === 'RollingUpdate' &&
        !strategy.rollingUpdate &&
        ordinal < start + (set.status?.currentReplicas ?? 0)) ||
      (strategy?.rollingUpdate !== undefined && ordinal < start + (strategy.rollingUpdate.partition ?? 0));
    const pod = this.newPod(set, atCurrent ? currentTemplate : updateTemplate, ordinal);
    const labels = (pod.metadata.labels ??= {});
    labels[POD_REVISION_LABEL] = (atCurrent ? revisions.current : revisions.update).metadata.name ?? '';
    return pod;
  }

  /** newStatefulSetPod: the template, the identity and the claim volumes. */
  private newPod(set: SimSet, template: PodTemplateSpec, ordinal: number): SimPod {
    const pod = podFromTemplate(template, set);
    const name = `${set.metadata.name}-${ordinal}`;
    pod.metadata.name = name;
    pod.metadata.namespace = set.metadata.namespace;
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
    };
    const spec = pod.spec as NonNullable<SimPod['spec']>;
    spec.hostname = name;
    if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
    // updateStorage: one volume per claim template, replacing template volumes of the same name.
    const claimVolumes: Volume[] = (set.spec?.volumeClaimTemplates ?? []).map((claim) => ({
      name: claim.metadata?.name ?? '',
      persistentVolumeClaim: { claimName: this.claimName(set, claim, ordinal) },
    }));
    if (claimVolumes.length > 0) {
      const names = new Set(claimVolumes.map((v) => v.name));
      spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v) => !names.has(v.name))];
    }
    return pod;
  }

  private claimName(set: SimSet, claim: PersistentVolumeClaim, ordinal: number): string {
    return `${claim.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;
  }

  private identityMatches(set: SimSet, pod: SimPod): boolean {
    const { parent, ordinal } = parentAndOrdinal(pod.metadata.name);
    return (
      ordinal >= 0 &&
      parent === set.metadata.name &&
      pod.metadata.namespace === set.metadata.namespace &&
      pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name &&
      pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal)
    );
  }

  /**
   * UpdateStatefulPod for a pod whose identity labels were changed by someone: they are put back.
   * (Volumes cannot change on a live pod, so storage is repaired by creating missing claims only.)
   */
  private updateIdentity(set: SimSet, pod: SimPod): boolean {
    const next = structuredClone(pod);
    const ordinal = String(ordinalOf(pod));
    next.metadata.labels = {
      ...next.metadata.labels,
      [POD_NAME_LABEL]: pod.metadata.name ?? '',
      [POD_INDEX_LABEL]: ordinal,
    };
    try {
      this.ctx.registry.replace(PODS, pod, next, { manager: CONTROLLER_MANAGER });
    } catch (error) {
      this.podEvent('update', set, pod, error);
      return false;
    }
    this.podEvent('update', set, pod);
    return true;
  }

  private createPod(set: SimSet, pod: SimPod): SimPod | undefined {
    if (!this.createClaims(set, pod)) {
      this.podEvent('create', set, pod, new Error(`failed to create PVCs for pod ${pod.metadata.name}`));
      return undefined;
    }
    let created: SimPod;
    try {
      created = this.ctx.registry.create(PODS, set.metadata.namespace, pod, {
        manager: CONTROLLER_MANAGER,
      }) as SimPod;
    } catch (error) {
      // An existing pod of that name (still terminating) is not an event, just a later retry.
      if (!(error instanceof ApiError && error.code === 409)) this.podEvent('create', set, pod, error);
      return undefined;
    }
    this.pods.track(created);
    this.applyClaimRetention(set, created);
    this.podEvent('create', set, created);
    return created;
  }

  /** DeleteStatefulPod: default grace period, an event either way. */
  private deletePod(set: SimSet, pod: SimPod): boolean {
    try {
      this.ctx.registry.delete(
        PODS,
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        {},
        {
          manager: CONTROLLER_MANAGER,
        },
      );
    } catch (error) {
      this.podEvent('delete', set, pod, error);
      return error instanceof ApiError && error.code === 404;
    }
    this.podEvent('delete', set, pod);
    return true;
  }

  /** recordPodEvent: `SuccessfulCreate` "create Pod web-0 in StatefulSet web successful" and kin. */
  private podEvent(verb: 'create' | 'update' | 'delete', set: SimSet, pod: SimPod, error?: unknown): void {
    const title = verb[0]?.toUpperCase() + verb.slice(1);
    const what = `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    if (error === undefined) {
      this.ctx.events.record(SOURCE, set, 'Normal', `Successful${title}`, `${what} successful`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      this.ctx.events.record(SOURCE, set, 'Warning', `Failed${title}`, `${what} failed error: ${message}`);
    }
  }

  /**
   * createPersistentVolumeClaims: every claim of the pod that does not exist yet, labelled with
   * the template's labels and the set's selector labels. False if any is missing afterwards.
   */
  private createClaims(set: SimSet, pod: SimPod): boolean {
    const ordinal = ordinalOf(pod);
    let ok = true;
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const name = this.claimName(set, template, ordinal);
      const existing = this.ctx.registry.find(CLAIMS, set.metadata.namespace, name);
      if (existing) {
        if (existing.metadata.deletionTimestamp) ok = false;
        continue;
      }
      const claim = structuredClone(template) as SimClaim;
      delete (claim as { status?: unknown }).status;
      claim.metadata = {
        ...claim.metadata,
        name,
        namespace: set.metadata.namespace,
        labels: { ...template.metadata?.labels, ...set.spec?.selector.matchLabels },
      };
      const what = `Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
      try {
        this.ctx.registry.create(CLAIMS, set.metadata.namespace, claim, { manager: CONTROLLER_MANAGER });
        this.ctx.events.record(SOURCE, set, 'Normal', 'SuccessfulCreate', `create ${what} success`);
      } catch (error) {
        ok = false;
        if (error instanceof ApiError && error.code === 409) continue;
        const message = error instanceof Error ? error.message : String(error);
        this.ctx.events.record(
          SOURCE,
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${message}`,
        );
      }
    }
    return ok;
  }

  /**
   * updateClaimOwnerRefForSetAndPod: persistentVolumeClaimRetentionPolicy as owner references the
   * garbage collector acts on. whenDeleted=Delete makes the set an owner of its claims;
   * whenScaled=Delete makes a scaled-down pod the owner of its claims instead.
   */
  private applyClaimRetention(set: SimSet, pod: SimPod): void {
    const templates = set.spec?.volumeClaimTemplates ?? [];
    if (templates.length === 0 || !pod.metadata.uid) return;
    const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
    const start = set.spec?.ordinals?.start ?? 0;
    const ordinal = ordinalOf(pod);
    const scaledDown = ordinal < start || ordinal >= start + (set.spec?.replicas ?? 1);
    const wantPod = policy.whenScaled === 'Delete' && scaledDown;
    const wantSet = policy.whenDeleted === 'Delete' && !wantPod;
    const setRef: OwnerReference = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: set.metadata.name ?? '',
      uid: set.metadata.uid ?? '',
    };
    const podRef: OwnerReference = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid,
    };
    for (const template of templates) {
      const claim = this.ctx.registry.find(
        CLAIMS,
        set.metadata.namespace,
        this.claimName(set, template, ordinal),
      );
      if (!claim) continue;
      const refs = claim.metadata.ownerReferences ?? [];
      const next = refs.filter(
        (r) => !((r.uid === setRef.uid && !wantSet) || (r.uid === podRef.uid && !wantPod)),
      );
      if (wantSet && !next.some((r) => r.uid === setRef.uid)) next.push(setRef);
      if (wantPod && !next.some((r) => r.uid === podRef.uid)) next.push(podRef);
      if (semanticEqual(refs, next)) continue;
      const updated = structuredClone(claim);
      if (next.length > 0) updated.metadata.ownerReferences = next;
      else delete updated.metadata.ownerReferences;
      ignoreGone(() => this.ctx.registry.replace(CLAIMS, claim, updated, { manager: CONTROLLER_MANAGER }));
    }
  }

  /** updateStatefulSetStatus, with completeRollingUpdate. Returns what status now says. */
  private writeStatus(set: SimSet, revisions: Revisions): StatefulSetStatus | undefined {
    const live = this.ctx.registry.find(STATEFULSETS, set.metadata.namespace, set.metadata.name ?? '') as
      SimSet | undefined;
    if (!live || live.metadata.uid !== set.metadata.uid) return undefined;
    const minReady = live.spec?.minReadySeconds ?? 0;
    const now = this.ctx.clock.now();
    const currentName = revisions.current.metadata.name ?? '';
    const updateName = revisions.update.metadata.name ?? '';
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    for (const pod of this.membersOf(live)) {
      if (!isCreated(pod)) continue;
      replicas++;
      if (isRunningAndReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
      if (isTerminating(pod)) continue;
      if (podRevision(pod) === currentName) current++;
      if (podRevision(pod) === updateName) updated++;
    }
    let currentRevision = currentName;
    if (live.spec?.updateStrategy?.type === 'RollingUpdate' && updated === replicas && ready === replicas) {
      current = updated;
      currentRevision = updateName;
    }
    // Field order and omitempty as StatefulSetStatus serializes: zero counters other than replicas
    // and availableReplicas are left out; collisionCount is a pointer, always written.
    const status: StatefulSetStatus = {
      observedGeneration: live.metadata.generation ?? 1,
      replicas,
      ...(ready ? { readyReplicas: ready } : {}),
      ...(current ? { currentReplicas: current } : {}),
      ...(updated ? { updatedReplicas: updated } : {}),
      currentRevision,
      updateRevision: updateName,
      collisionCount: revisions.collisionCount,
      ...(live.status?.conditions ? { conditions: live.status.conditions } : {}),
      availableReplicas: available,
    };
    const next = structuredClone(live);
    (next as { status?: StatefulSetStatus }).status = status;
    ignoreGone(() =>
      this.ctx.registry.replace(STATEFULSETS, live, next, {
        subresource: 'status',
        manager: CONTROLLER_MANAGER,
      }),
    );
    return status;
  }

  /** truncateHistory: keep revisions in use (current, update, any pod's) plus revisionHistoryLimit others. */
  private truncateHistory(set: SimSet, pods: SimPod[], history: SimRevision[], revisions: Revisions): void {
    const live = new Set([
      revisions.current.metadata.name,
      revisions.update.metadata.name,
      ...pods.map(podRevision),
    ]);
    const old = history.filter((r) => !live.has(r.metadata.name));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    for (const revision of old.slice(0, Math.max(0, old.length - limit)))
      deleteRevision(this.ctx.registry, revision);
  }
}
