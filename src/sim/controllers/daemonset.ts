/**
 * The DaemonSet controller (pkg/controller/daemon, 1.32 behaviour): one pod per eligible node,
 * created with a required `metadata.name In [<node>]` node affinity for the scheduler to honour
 * (never with nodeName), the daemon tolerations, and the `controller-revision-hash` and
 * `pod-template-generation` labels. Nodes that stop fitting lose their pods (only untolerated
 * NoExecute taints evict a running one); failed pods are deleted and recreated with a per-node
 * exponential backoff (1s doubling to 15m). RollingUpdate replaces pods within maxUnavailable,
 * or surges with maxSurge; OnDelete waits for pods to be deleted. At most 250 creates and 250
 * deletes per sync (burstReplicas). ControllerRevisions keep the template history.
 */
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import { controllerRefOf, controllerRefTo, isPodAvailable, isPodReady, type SimPod } from '../kinds/pod.ts';
import { CONTROLLER_REVISIONS, DAEMONSETS, NODES, PODS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual } from '../object.ts';
import { labelSelectorFromSpec } from '../store/selectors.ts';
import { ApiError } from '../api/rest/status.ts';
import { ControllerIndex } from './controller-index.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import {
  deleteRevision,
  POD_REVISION_LABEL,
  renumberRevision,
  sameRevisionData,
  type SimRevision,
  sortRevisions,
  templateHash,
  templatePatch,
} from './controller-revision.ts';
import {
  daemonPlacement,
  type DaemonPlacement,
  nodeNameAffinity,
  targetNodeName,
  withDaemonTolerations,
} from './daemon-placement.ts';
import type { EventSource } from './events.ts';
import { CONTROLLER_MANAGER, createPod, deletePod, podFromTemplate } from './pod-template.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type SimDaemonSet = DaemonSet & KubeObject;

const SOURCE: EventSource = { component: 'daemonset-controller' };
/** The apps/v1 form of the internal spec.templateGeneration, which the API server maintains. */
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
/** extensions.DaemonSetTemplateGenerationKey. */
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** burstReplicas: creates (and deletes) per sync; the rest wait for the next one. */
const BURST_REPLICAS = 250;
/** failedPodsBackoff: flowcontrol.NewBackOff(1s, 15m). */
const FAILED_BACKOFF_INITIAL_MS = 1_000;
const FAILED_BACKOFF_MAX_MS = 15 * 60_000;
const RETRY_MS = 1_000;

/** intstr.GetScaledValueFromIntOrPercent rounding up; validation has ruled out malformed values. */
function scaled(value: number | string | undefined, total: number): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const pct = Number.parseInt(value.replace(/%$/, ''), 10);
  return Number.isFinite(pct) ? Math.ceil((pct * total) / 100) : 0;
}

const maxSurgeOf = (ds: SimDaemonSet, total: number): number =>
  ds.spec?.updateStrategy?.type === 'RollingUpdate'
    ? scaled(ds.spec.updateStrategy.rollingUpdate?.maxSurge, total)
    : 0;

const maxUnavailableOf = (ds: SimDaemonSet, total: number): number =>
  ds.spec?.updateStrategy?.type === 'RollingUpdate'
    ? scaled(ds.spec.updateStrategy.rollingUpdate?.maxUnavailable, total)
    : 0;

/** util.GetTemplateGeneration: the annotation, or nothing if absent or unparseable. */
function templateGeneration(ds: SimDaemonSet): string | undefined {
  const text = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return text !== undefined && /^-?\d+$/.test(text) ? String(Number.parseInt(text, 10)) : undefined;
}

/** util.IsPodUpdated: the pod carries the current hash, or the current template generation. */
function isPodUpdated(pod: SimPod, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (
    (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation) ||
    (hash.length > 0 && labels[POD_REVISION_LABEL] === hash)
  );
}

/** podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name. */
function byAgeScheduledFirst(a: SimPod, b: SimPod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

const isTerminal = (pod: SimPod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** What a sync works from: the set, its template with the daemon tolerations, nodes and pods. */
interface SyncState {
  ds: SimDaemonSet;
  tolerations: Toleration[];
  nodes: Node[];
  /** NodeShouldRunDaemonPod per node name, computed once per sync. */
  placements: Map<string, DaemonPlacement>;
  hash: string;
  generation: string | undefined;
  now: number;
}

interface NodeWork {
  create: string[];
  remove: SimPod[];
  /** Sim ms until a failed pod's backoff allows its replacement. */
  retryAfter?: number;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private readonly queue: WorkQueue;
  private readonly pods: ControllerIndex;
  private readonly revisions: ControllerIndex;
  private readonly nodeNames = new Set<string>();
  /** `<ds uid>/<node>` → failed-pod backoff, as failedPodsBackoff. */
  private readonly backoff = new Map<string, { delayMs: number; lastUpdate: number }>();
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('daemonset', ctx.clock, (key) => this.sync(key));
    this.pods = ControllerIndex.of(ctx.registry, PODS);
    this.revisions = ControllerIndex.of(ctx.registry, CONTROLLER_REVISIONS);
  }

  start(): void {
    const { registry } = this.ctx;
    this.pods.acquire();
    this.revisions.acquire();
    for (const node of registry.list(NODES, {}).items) this.nodeNames.add(node.metadata.name ?? '');
    this.stops.push(
      subscribe(registry, DAEMONSETS, (type, event) => {
        if (type === 'DELETED') this.forgetBackoff(event.object.metadata.uid ?? '');
        this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? ''));
      }),
      subscribe(registry, PODS, (type, event) => {
        this.enqueueOwner(event.object);
        if (event.previous && controllerRefOf(event.previous)?.uid !== controllerRefOf(event.object)?.uid)
          this.enqueueOwner(event.previous);
      }),
      subscribe(registry, CONTROLLER_REVISIONS, (type, event) => {
        this.enqueueOwner(event.object);
      }),
      subscribe(registry, NODES, (type, event) =>
        this.onNode(type, event.object as Node & KubeObject, event.previous),
      ),
    );
    for (const ds of registry.list(DAEMONSETS, {}).items)
      this.queue.add(keyOf(ds.metadata.namespace, ds.metadata.name ?? ''));
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
    if (ref?.kind === 'DaemonSet' && ref.apiVersion.startsWith('apps/'))
      this.queue.add(keyOf(obj.metadata.namespace, ref.name));
  }

  /**
   * addNode/updateNode: a set is synced when a node appears where it should run, or when a
   * change of labels or taints changes where it should run. Heartbeats change neither.
   */
  private onNode(type: string, node: Node & KubeObject, previous: KubeObject | undefined): void {
    const name = node.metadata.name ?? '';
    if (type === 'DELETED') {
      this.nodeNames.delete(name);
      // Upstream waits for the pods' deletion to resync; counts here drop with the node at once.
      for (const ds of this.ctx.registry.list(DAEMONSETS, {}).items) this.enqueue(ds);
      return;
    }
    this.nodeNames.add(name);
    const before = previous as (Node & KubeObject) | undefined;
    if (
      type === 'MODIFIED' &&
      before &&
      semanticEqual(before.metadata.labels, node.metadata.labels) &&
      semanticEqual(before.spec?.taints, node.spec?.taints)
    )
      return;
    for (const obj of this.ctx.registry.list(DAEMONSETS, {}).items) {
      const ds = obj as SimDaemonSet;
      const tolerations = withDaemonTolerations(ds.spec?.template.spec ?? { containers: [] });
      const now = daemonPlacement(ds.spec?.template.spec, tolerations, node);
      if (type === 'ADDED' || !before) {
        if (now.shouldRun) this.enqueue(ds);
        continue;
      }
      const then = daemonPlacement(ds.spec?.template.spec, tolerations, before);
      if (then.shouldRun !== now.shouldRun || then.shouldContinueRunning !== now.shouldContinueRunning)
        this.enqueue(ds);
    }
  }

  private enqueue(ds: KubeObject): void {
    this.queue.add(keyOf(ds.metadata.namespace, ds.metadata.name ?? ''));
  }

  private forgetBackoff(uid: string): void {
    for (const key of this.backoff.keys()) if (key.startsWith(`${uid}/`)) this.backoff.delete(key);
  }

  private sync(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const ds = this.ctx.registry.find(DAEMONSETS, namespace, name) as SimDaemonSet | undefined;
    if (!ds || ds.metadata.deletionTimestamp) return undefined;
    try {
      if (labelSelectorFromSpec(ds.spec?.selector).empty) {
        this.ctx.events.record(
          SOURCE,
          ds,
          'Warning',
          'SelectingAll',
          'This daemon set is selecting all pods. A non-empty selector is required.',
        );
        return undefined;
      }
    } catch {
      return undefined;
    }
    const history = this.constructHistory(ds);
    if (!history) return RETRY_MS;
    const state: SyncState = {
      ds,
      tolerations: withDaemonTolerations(ds.spec?.template.spec ?? { containers: [] }),
      nodes: this.liveNodes(),
      placements: new Map(),
      hash: history.current.metadata.labels?.[POD_REVISION_LABEL] ?? '',
      generation: templateGeneration(ds),
      now: this.ctx.clock.now(),
    };
    const work = this.manage(state);
    const writes = this.syncNodes(state, work);
    let requeue = work.retryAfter;
    if (writes.truncated) requeue = Math.min(requeue ?? Infinity, 0);
    // Rolling updates wait until the pods manage() created or deleted are observed (expectations).
    if (writes.count === 0 && ds.spec?.updateStrategy?.type === 'RollingUpdate') {
      const rolled = this.syncNodes(state, this.rollingUpdate(state));
      if (rolled.truncated) requeue = Math.min(requeue ?? Infinity, 0);
    }
    this.cleanupHistory(ds, history.old);
    const status = this.writeStatus(state);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status && status.numberReady !== (status.numberAvailable ?? 0))
      requeue = Math.min(requeue ?? Infinity, minReady * 1000);
    return requeue;
  }

  private liveNodes(): Node[] {
    const nodes: Node[] = [];
    for (const name of this.nodeNames) {
      const node = this.ctx.registry.find(NODES, undefined, name);
      if (node) nodes.push(node as Node);
    }
    return nodes;
  }

  /**
   * getNodesToDaemonPods: the set's pods by the node they run on or are meant for. Without
   * `includeDeletedTerminal`, finished pods already being deleted are left out.
   */
  private podsByNode(ds: SimDaemonSet, includeDeletedTerminal: boolean): Map<string, SimPod[]> {
    const out = new Map<string, SimPod[]>();
    for (const pod of this.pods.controlledBy(ds.metadata.uid ?? '') as SimPod[]) {
      if (!includeDeletedTerminal && isTerminal(pod) && pod.metadata.deletionTimestamp) continue;
      const node = targetNodeName(pod);
      if (!node) continue;
      let list = out.get(node);
      if (!list) out.set(node, (list = []));
      list.push(pod);
    }
    return out;
  }

  private placement(state: SyncState, node: Node): DaemonPlacement {
    const name = node.metadata?.name ?? '';
    let placement = state.placements.get(name);
    if (!placement) {
      placement = daemonPlacement(state.ds.spec?.template.spec, state.tolerations, node);
      state.placements.set(name, placement);
    }
    return placement;
  }

  /** manage + podsShouldBeOnNode: which nodes need a pod and which pods must go. */
  private manage(state: SyncState): NodeWork {
    const { ds, now } = state;
    const byNode = this.podsByNode(ds, false);
    const work: NodeWork = { create: [], remove: [] };
    const surge = maxSurgeOf(ds, 1) !== 0;
    const existing = new Set<string>();
    for (const node of state.nodes) {
      const nodeName = node.metadata?.name ?? '';
      existing.add(nodeName);
      const { shouldRun, shouldContinueRunning } = this.placement(state, node);
      const pods = byNode.get(nodeName) ?? [];
      if (shouldRun && pods.length === 0) {
        work.create.push(nodeName);
      } else if (shouldContinueRunning) {
        const running: SimPod[] = [];
        for (const pod of pods) {
          if (pod.metadata.deletionTimestamp) continue;
          if (pod.status?.phase === 'Failed') {
            // The controller and a kubelet that rejects the pod can fight: back off per node.
            const key = `${ds.metadata.uid}/${nodeName}`;
            const entry = this.backoff.get(key);
            if (entry && now - entry.lastUpdate < entry.delayMs) {
              work.retryAfter = Math.min(work.retryAfter ?? Infinity, entry.delayMs);
              continue;
            }
            const expired = !entry || now - entry.lastUpdate > 2 * FAILED_BACKOFF_MAX_MS;
            this.backoff.set(key, {
              delayMs: expired
                ? FAILED_BACKOFF_INITIAL_MS
                : Math.min(entry.delayMs * 2, FAILED_BACKOFF_MAX_MS),
              lastUpdate: now,
            });
            this.ctx.events.record(
              SOURCE,
              ds,
              'Warning',
              'FailedDaemonPod',
              `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`,
            );
            work.remove.push(pod);
          } else if (pod.status?.phase === 'Succeeded') {
            work.remove.push(pod);
          } else {
            running.push(pod);
          }
        }
        running.sort(byAgeScheduledFirst);
        if (!surge) {
          // One pod per node: all but the oldest go.
          work.remove.push(...running.slice(1));
          continue;
        }
        // With surge, an old and a new pod may overlap until the new one is available.
        let oldestNew: SimPod | undefined;
        let oldestOld: SimPod | undefined;
        for (const pod of running) {
          const isNew = pod.metadata.labels?.[POD_REVISION_LABEL] === state.hash;
          if (isNew && !oldestNew) oldestNew = pod;
          else if (!isNew && !oldestOld) oldestOld = pod;
          else work.remove.push(pod);
        }
        if (
          oldestNew &&
          oldestOld &&
          (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, now))
        )
          work.remove.push(oldestOld);
      } else if (pods.length > 0) {
        for (const pod of pods) if (!pod.metadata.deletionTimestamp) work.remove.push(pod);
      }
    }
    // Unscheduled pods meant for nodes that are gone are never bound, and the pod GC skips them.
    for (const [nodeName, pods] of byNode) {
      if (existing.has(nodeName)) continue;
      for (const pod of pods)
        if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) work.remove.push(pod);
    }
    return work;
  }

  /** syncNodes: deletes and creates, capped at burstReplicas each. */
  private syncNodes(state: SyncState, work: NodeWork): { count: number; truncated: boolean } {
    const { ds } = state;
    let count = 0;
    const creates = work.create.slice(0, BURST_REPLICAS);
    const removes = work.remove.slice(0, BURST_REPLICAS);
    const truncated = creates.length < work.create.length || removes.length < work.remove.length;
    if (creates.length > 0) {
      const template = this.podTemplate(state);
      for (const nodeName of creates) {
        const pod = podFromTemplate(template, ds);
        const spec = pod.spec as NonNullable<SimPod['spec']>;
        spec.affinity = nodeNameAffinity(spec.affinity, nodeName);
        const created = createPod(this.ctx, SOURCE, ds, pod);
        // Like the slow-start batches: after a failure the rest wait for the next sync.
        if (!created) return { count, truncated: true };
        this.pods.track(created);
        count++;
      }
    }
    for (const pod of removes) {
      if (deletePod(this.ctx, SOURCE, ds, pod)) count++;
    }
    return { count, truncated };
  }

  /** util.CreatePodTemplate: the daemon tolerations and the generation and hash labels. */
  private podTemplate(state: SyncState): PodTemplateSpec {
    const template = structuredClone(state.ds.spec?.template ?? { spec: { containers: [] } });
    const spec = (template.spec ??= { containers: [] });
    spec.tolerations = state.tolerations;
    const labels: Record<string, string> = { ...template.metadata?.labels };
    if (state.generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = state.generation;
    if (state.hash) labels[POD_REVISION_LABEL] = state.hash;
    template.metadata = { ...template.metadata, labels };
    return template;
  }

  /** rollingUpdate: which old pods to replace now, within maxUnavailable (or maxSurge). */
  private rollingUpdate(state: SyncState): NodeWork {
    const { ds, now, hash } = state;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: SimPod) => isPodAvailable(p, minReady, now);
    const byNode = this.podsByNode(ds, false);
    let desired = 0;
    const nodesByName = new Map<string, Node>();
    for (const node of state.nodes) {
      const nodeName = node.metadata?.name ?? '';
      nodesByName.set(nodeName, node);
      if (!this.placement(state, node).shouldRun) continue;
      desired++;
      if (!byNode.has(nodeName)) byNode.set(nodeName, []);
    }
    const maxSurge = maxSurgeOf(ds, desired);
    let maxUnavailable = maxUnavailableOf(ds, desired);
    // An impossible configuration falls back to allowing one unavailable pod.
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

    // findUpdatedPodsOnNode: at most one new and one old pod, or the node is left to manage().
    const split = (pods: SimPod[]): { fresh?: SimPod; old?: SimPod; ok: boolean } => {
      let fresh: SimPod | undefined;
      let old: SimPod | undefined;
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        if (isPodUpdated(pod, hash, state.generation)) {
          if (fresh) return { ok: false };
          fresh = pod;
        } else {
          if (old) return { ok: false };
          old = pod;
        }
      }
      return { ...(fresh ? { fresh } : {}), ...(old ? { old } : {}), ok: true };
    };

    if (maxSurge === 0) {
      // Delete just enough old pods to stay within maxUnavailable; manage() recreates them.
      let unavailable = 0;
      const allowed: SimPod[] = [];
      const candidates: SimPod[] = [];
      for (const pods of byNode.values()) {
        const { fresh, old, ok } = split(pods);
        if (!ok || (!fresh && !old) || (fresh && old)) {
          unavailable++;
        } else if (fresh) {
          if (!available(fresh)) unavailable++;
        } else if (old) {
          if (!available(old)) allowed.push(old);
          else if (unavailable < maxUnavailable) candidates.push(old);
        }
      }
      const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      return { create: [], remove: [...allowed, ...candidates.slice(0, room)] };
    }

    // Surge: start new pods beside old ones (at most maxSurge at a time), delete old ones once
    // the new ones are available.
    const remove: SimPod[] = [];
    const sunset: SimPod[] = [];
    const allowedNodes: string[] = [];
    const candidateNodes: string[] = [];
    let surging = 0;
    let availableCount = 0;
    for (const [nodeName, pods] of byNode) {
      const { fresh, old, ok } = split(pods);
      if (!ok) {
        surging++;
        continue;
      }
      if (old ? available(old) : fresh ? available(fresh) : false) availableCount++;
      if (!old) continue;
      const node = nodesByName.get(nodeName);
      const shouldRun = node ? this.placement(state, node).shouldRun : false;
      if (!fresh) {
        if (!available(old)) {
          if (!shouldRun) remove.push(old);
          else allowedNodes.push(nodeName);
        } else if (!shouldRun) {
          sunset.push(old);
        } else if (surging < maxSurge) {
          candidateNodes.push(nodeName);
        }
      } else if (!available(fresh)) {
        surging++;
      } else {
        remove.push(old);
      }
    }
    // Old pods on nodes the set left go only as new pods elsewhere make up for them.
    const deletable = Math.min(Math.max(0, availableCount - desired), sunset.length);
    remove.push(...sunset.slice(0, deletable));
    const room = Math.min(Math.max(0, maxSurge - surging), candidateNodes.length);
    return { create: [...allowedNodes, ...candidateNodes.slice(0, room)], remove };
  }

  /**
   * constructHistory: the revision matching the template (created, or renumbered as the newest
   * on a rollback) and the older ones. Undefined after a hash collision, which bumps
   * status.collisionCount so that the next sync hashes differently.
   */
  private constructHistory(ds: SimDaemonSet): { current: SimRevision; old: SimRevision[] } | undefined {
    const revisions = sortRevisions(this.revisions.controlledBy(ds.metadata.uid ?? '') as SimRevision[]);
    const patch = { data: templatePatch(ds.spec?.template) };
    const matching = revisions.filter((r) => sameRevisionData(r, patch));
    const old = revisions.filter((r) => !sameRevisionData(r, patch));
    const next = Math.max(0, ...old.map((r) => r.revision ?? 0)) + 1;
    if (matching.length === 0) {
      const created = this.snapshot(ds, patch.data, next);
      return created ? { current: created, old } : undefined;
    }
    // dedupCurHistories: keep the newest of several equal revisions.
    const keep = matching.at(-1) as SimRevision;
    for (const extra of matching.slice(0, -1)) deleteRevision(this.ctx.registry, extra);
    const current = (keep.revision ?? 0) < next ? renumberRevision(this.ctx.registry, keep, next) : keep;
    return { current, old };
  }

  /** snapshot: `<ds>-<template hash>`, labelled with the hash, carrying the set's annotations. */
  private snapshot(
    ds: SimDaemonSet,
    data: Record<string, unknown>,
    revision: number,
  ): SimRevision | undefined {
    const hash = templateHash(ds.spec?.template, ds.status?.collisionCount);
    const name = `${ds.metadata.name}-${hash}`;
    const body: SimRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ds.metadata.namespace,
        labels: { ...ds.spec?.template.metadata?.labels, [POD_REVISION_LABEL]: hash },
        ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
        ownerReferences: [controllerRefTo(ds)],
      },
      data,
      revision,
    };
    try {
      const created = this.ctx.registry.create(CONTROLLER_REVISIONS, ds.metadata.namespace, body, {
        manager: CONTROLLER_MANAGER,
      }) as SimRevision;
      this.revisions.track(created);
      return created;
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
      const existing = this.ctx.registry.find(CONTROLLER_REVISIONS, ds.metadata.namespace, name) as
        SimRevision | undefined;
      if (existing && controllerRefOf(existing)?.uid === ds.metadata.uid && sameRevisionData(existing, body))
        return existing;
      const next = structuredClone(ds);
      (next as { status?: DaemonSetStatus }).status = {
        ...(ds.status ?? {
          currentNumberScheduled: 0,
          desiredNumberScheduled: 0,
          numberMisscheduled: 0,
          numberReady: 0,
        }),
        collisionCount: (ds.status?.collisionCount ?? 0) + 1,
      };
      ignoreGone(() =>
        this.ctx.registry.replace(DAEMONSETS, ds, next, {
          subresource: 'status',
          manager: CONTROLLER_MANAGER,
        }),
      );
      return undefined;
    }
  }

  /** cleanupHistory: beyond revisionHistoryLimit, the oldest revisions no pod uses are deleted. */
  private cleanupHistory(ds: SimDaemonSet, old: SimRevision[]): void {
    let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const liveHashes = new Set<string>();
    for (const pods of this.podsByNode(ds, true).values())
      for (const pod of pods) {
        const hash = pod.metadata.labels?.[POD_REVISION_LABEL];
        if (hash) liveHashes.add(hash);
      }
    for (const revision of old) {
      if (toKill <= 0) break;
      if (liveHashes.has(revision.metadata.labels?.[POD_REVISION_LABEL] ?? '')) continue;
      deleteRevision(this.ctx.registry, revision);
      toKill--;
    }
  }

  /** updateDaemonSetStatus: counted over nodes, looking at each node's oldest daemon pod. */
  private writeStatus(state: SyncState): DaemonSetStatus | undefined {
    const { ds, now, hash } = state;
    const live = this.ctx.registry.find(DAEMONSETS, ds.metadata.namespace, ds.metadata.name ?? '') as
      SimDaemonSet | undefined;
    if (!live || live.metadata.uid !== ds.metadata.uid) return undefined;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const byNode = this.podsByNode(ds, false);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of state.nodes) {
      const pods = byNode.get(node.metadata?.name ?? '') ?? [];
      if (!this.placement(state, node).shouldRun) {
        if (pods.length > 0) misscheduled++;
        continue;
      }
      desired++;
      if (pods.length === 0) continue;
      current++;
      const oldest = [...pods].sort(byAgeScheduledFirst)[0] as SimPod;
      if (isPodReady(oldest)) {
        ready++;
        if (isPodAvailable(oldest, minReady, now)) available++;
      }
      if (isPodUpdated(oldest, hash, state.generation)) updated++;
    }
    const unavailable = desired - available;
    // DaemonSetStatus field order; the omitempty counters are left out at zero.
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: live.metadata.generation ?? 1,
      ...(updated ? { updatedNumberScheduled: updated } : {}),
      ...(available ? { numberAvailable: available } : {}),
      ...(unavailable ? { numberUnavailable: unavailable } : {}),
      ...(live.status?.collisionCount !== undefined ? { collisionCount: live.status.collisionCount } : {}),
      ...(live.status?.conditions ? { conditions: live.status.conditions } : {}),
    };
    const next = structuredClone(live);
    (next as { status?: DaemonSetStatus }).status = status;
    ignoreGone(() =>
      this.ctx.registry.replace(DAEMONSETS, live, next, {
        subresource: 'status',
        manager: CONTROLLER_MANAGER,
      }),
    );
    return status;
  }
}
