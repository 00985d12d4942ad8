/**
 * NoExecute taint-based eviction (pkg/controller/tainteviction, the "taint-eviction-controller"
 * of kube-controller-manager 1.32): a pod on a node with NoExecute taints it does not tolerate
 * is deleted at once; one that tolerates them all for a limited time (tolerationSeconds) is
 * deleted that long after the controller first saw the taints; one that tolerates them for ever
 * stays. Before deleting, the pod gets condition DisruptionTarget=True (DeletionByTaintManager).
 * A scheduled deletion is cancelled when the taints go or the tolerations change to allow the
 * pod to stay, with a TaintManagerEviction event either way.
 *
 * Pods are found through the registry's spec.nodeName index; node taints are remembered from
 * node events, so a pod event needs no node lookup.
 */
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import type { SimPod } from '../kinds/pod.ts';
import { NODES, PODS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual, type Writable } from '../object.ts';
import { parseFieldSelector } from '../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import { updatePodCondition } from './pod-condition.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';
import { toleratesTaint } from '../kinds/tolerations.ts';

const SOURCE: EventSource = { component: 'taint-eviction-controller' };
const MANAGER = 'kube-controller-manager';
/** Attempts at condition + delete before a firing is given up (the pod is gone, usually). */
const RETRIES = 5;

export { toleratesTaint };

/** v1helper.GetMatchingTolerations: whether every taint is tolerated, and by which tolerations. */
export function matchingTolerations(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const match = tolerations.find((t) => toleratesTaint(t, taint));
    if (!match) return { allTolerated: false, used: [] };
    used.push(match);
  }
  return { allTolerated: true, used };
}

/** getMinTolerationTime in ms: the shortest tolerationSeconds; -1 when all tolerate for ever. */
export function minTolerationMs(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

const noExecuteTaints = (taints: readonly Taint[] | undefined): Taint[] =>
  (taints ?? []).filter((t) => t.effect === 'NoExecute');

/** A pod's scheduled deletion; `timer` is gone once it fired (the entry stays, so it fires once). */
interface Eviction {
  createdAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  /** node → its NoExecute taints, for nodes that have some. */
  private readonly taintedNodes = new Map<string, Taint[]>();
  private readonly evictions = new Map<string, Eviction>();
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.nodeQueue = new WorkQueue('noexec_taint_node', ctx.clock, (name) => this.handleNodeUpdate(name));
    this.podQueue = new WorkQueue('noexec_taint_pod', ctx.clock, (key) => this.handlePodUpdate(key));
  }

  start(): void {
    const { registry } = this.ctx;
    for (const node of registry.list(NODES, {}).items) {
      const spec = node.spec as { taints?: Taint[] } | undefined;
      if (noExecuteTaints(spec?.taints).length > 0) this.nodeQueue.add(node.metadata.name ?? '');
    }
    this.stops.push(
      subscribe(registry, NODES, (type, event) => {
        const taintsOf = (obj: KubeObject | undefined) =>
          noExecuteTaints((obj?.spec as { taints?: Taint[] } | undefined)?.taints);
        if (type === 'MODIFIED' && semanticEqual(taintsOf(event.previous), taintsOf(event.object))) return;
        this.nodeQueue.add(event.object.metadata.name ?? '');
      }),
      subscribe(registry, PODS, (type, event) => {
        const pod = event.object as SimPod;
        const previous = event.previous as SimPod | undefined;
        if (
          type === 'MODIFIED' &&
          previous &&
          semanticEqual(previous.spec?.tolerations ?? [], pod.spec?.tolerations ?? []) &&
          previous.spec?.nodeName === pod.spec?.nodeName
        ) {
          return;
        }
        this.podQueue.add(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
      }),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    this.nodeQueue.stop();
    this.podQueue.stop();
    for (const e of this.evictions.values()) if (e.timer) this.ctx.clock.clearTimeout(e.timer);
    this.evictions.clear();
  }

  private podsOnNode(nodeName: string): SimPod[] {
    return this.ctx.registry.list(PODS, {
      fields: parseFieldSelector(`spec.nodeName=${nodeName}`, PODS.fieldLabels),
    }).items as SimPod[];
  }

  private handleNodeUpdate(nodeName: string): void {
    const node = this.ctx.registry.find(NODES, undefined, nodeName);
    if (!node) {
      this.taintedNodes.delete(nodeName);
      return;
    }
    const taints = noExecuteTaints((node.spec as { taints?: Taint[] } | undefined)?.taints);
    if (taints.length === 0) this.taintedNodes.delete(nodeName);
    else this.taintedNodes.set(nodeName, taints);
    const pods = this.podsOnNode(nodeName);
    if (taints.length === 0) {
      for (const pod of pods) this.cancelWithEvent(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
      return;
    }
    const now = this.ctx.clock.now();
    for (const pod of pods) {
      this.processPodOnNode(
        keyOf(pod.metadata.namespace, pod.metadata.name ?? ''),
        pod.spec?.tolerations ?? [],
        taints,
        now,
      );
    }
  }

  private handlePodUpdate(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    if (!pod) {
      this.cancelWithEvent(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.taintedNodes.get(nodeName);
    if (!taints) return;
    this.processPodOnNode(key, pod.spec?.tolerations ?? [], taints, this.ctx.clock.now());
  }

  private processPodOnNode(
    key: string,
    tolerations: readonly Toleration[],
    taints: readonly Taint[],
    now: number,
  ): void {
    if (taints.length === 0) this.cancelWithEvent(key);
    const { allTolerated, used } = matchingTolerations(taints, tolerations);
    if (!allTolerated) {
      // Not tolerated: whatever was scheduled is replaced by deletion right now.
      this.cancelWithEvent(key);
      this.addWork(key, now, now);
      return;
    }
    const min = minTolerationMs(used);
    if (min < 0) {
      this.cancelWithEvent(key);
      return;
    }
    let startTime = now;
    const triggerTime = now + min;
    const scheduled = this.evictions.get(key);
    if (scheduled?.timer) {
      // An eviction already counting down keeps its schedule.
      startTime = scheduled.createdAt;
      if (startTime + min < triggerTime) return;
      this.cancelWithEvent(key);
    }
    this.addWork(key, startTime, triggerTime);
  }

  /** TimedWorkerQueue.AddWork: a key already present (scheduled or done) is left alone. */
  private addWork(key: string, createdAt: number, fireAt: number): void {
    if (this.evictions.has(key)) return;
    const entry: Eviction = { createdAt, timer: undefined };
    entry.timer = this.ctx.clock.setTimeout(
      () => this.fire(key, entry),
      Math.max(0, fireAt - this.ctx.clock.now()),
    );
    this.evictions.set(key, entry);
  }

  private cancelWithEvent(key: string): void {
    const entry = this.evictions.get(key);
    if (!entry) return;
    this.evictions.delete(key);
    if (!entry.timer) return;
    this.ctx.clock.clearTimeout(entry.timer);
    const { namespace, name } = splitKey(key);
    this.ctx.events.record(
      SOURCE,
      { apiVersion: 'v1', kind: 'Pod', name, namespace: namespace ?? '' },
      'Normal',
      'TaintManagerEviction',
      `Cancelling deletion of Pod ${key}`,
    );
  }

  private fire(key: string, entry: Eviction): void {
    entry.timer = undefined;
    const { namespace, name } = splitKey(key);
    this.ctx.events.record(
      SOURCE,
      { apiVersion: 'v1', kind: 'Pod', name, namespace: namespace ?? '' },
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${key}`,
    );
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (this.addConditionAndDeletePod(namespace ?? '', name)) return;
    }
    // Failed for good (the pod is gone): forget it, so a later update may schedule it again.
    if (this.evictions.get(key) === entry) this.evictions.delete(key);
  }

  private addConditionAndDeletePod(namespace: string, name: string): boolean {
    const { registry, clock } = this.ctx;
    const pod = registry.find(PODS, namespace, name) as SimPod | undefined;
    if (!pod) return false;
    const next = structuredClone(pod) as Writable<Pod> & KubeObject;
    const status = (next.status ??= {}) as Writable<NonNullable<Pod['status']>>;
    const changed = updatePodCondition(
      status,
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      },
      clock.timestamp(),
    );
    if (changed)
      ignoreGone(() => registry.replace(PODS, pod, next, { subresource: 'status', manager: MANAGER }));
    let deleted = false;
    ignoreGone(() => {
      registry.delete(PODS, namespace, name, {});
      deleted = true;
    });
    return deleted;
  }
}
