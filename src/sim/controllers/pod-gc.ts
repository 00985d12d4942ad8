/**
 * Pod garbage collection (pkg/controller/podgc, kube-controller-manager 1.32), every 20s:
 *
 * - terminated pods (Succeeded/Failed) beyond --terminated-pod-gc-threshold (12500) are
 *   deleted, evicted ones first, then oldest first;
 * - terminating pods on a node that is not Ready and carries the
 *   node.kubernetes.io/out-of-service taint are force-deleted;
 * - pods bound to a node that no longer exists are force-deleted once the node has been
 *   missing for the 40s quarantine, marked Failed with DisruptionTarget=True (DeletionByPodGC);
 * - terminating pods that were never scheduled are force-deleted.
 *
 * "Force" is what upstream does: a pod not yet finished is marked Failed first (no kubelet will
 * ever do it), then deleted with grace period 0. The pass works from indexes kept from watch
 * events (terminated pods, pods per node, unscheduled terminating pods), not a list of all pods.
 */
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import type { SimPod } from '../kinds/pod.ts';
import { NODES, PODS } from '../kinds/resources.ts';
import type { KubeObject, Writable } from '../object.ts';
import { parseFieldSelector } from '../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import { type ConditionUpdate, updatePodCondition } from './pod-condition.ts';
import { keyOf, splitKey } from './work-queue.ts';

export interface PodGcOptions {
  /** --terminated-pod-gc-threshold; 0 or less disables that part. */
  terminatedPodThreshold?: number;
  /** gcCheckPeriod (sim ms). */
  gcCheckPeriodMs?: number;
  /** quarantineTime (sim ms): how long a node must stay missing before its pods go. */
  quarantineTimeMs?: number;
}

const DEFAULTS: Required<PodGcOptions> = {
  terminatedPodThreshold: 12_500,
  gcCheckPeriodMs: 20_000,
  quarantineTimeMs: 40_000,
};

const MANAGER = 'kube-controller-manager';
const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

/** isPodTerminated: any phase but Pending, Running and Unknown. */
const isPodTerminated = (pod: Pod): boolean =>
  !['Pending', 'Running', 'Unknown'].includes(pod.status?.phase ?? '');

/** eviction.PodIsEvicted: failed by the kubelet's eviction manager. */
const isEvicted = (pod: Pod): boolean => pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';

/** byEvictionAndCreationTimestamp. */
function compareForDeletion(a: SimPod, b: SimPod): number {
  const ea = isEvicted(a);
  const eb = isEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export class PodGcController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly options: Required<PodGcOptions>;
  private readonly terminated = new Set<string>();
  private readonly unscheduledTerminating = new Set<string>();
  /** pod key → the node it is bound to, and how many pods each node name has. */
  private readonly nodeOfPod = new Map<string, string>();
  private readonly podsPerNode = new Map<string, number>();
  private readonly nodes = new Set<string>();
  private readonly outOfServiceNodes = new Set<string>();
  /** Missing node → when its quarantine ends (the delaying queue of upstream). */
  private readonly quarantine = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stops: (() => void)[] = [];
  private running = false;

  constructor(
    private readonly ctx: SimContext,
    options: PodGcOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    const { registry } = this.ctx;
    this.running = true;
    for (const node of registry.list(NODES, {}).items) this.trackNode(node, false);
    for (const pod of registry.list(PODS, {}).items) this.trackPod(pod as SimPod, false);
    this.stops.push(
      subscribe(registry, NODES, (type, event) => this.trackNode(event.object, type === 'DELETED')),
      subscribe(registry, PODS, (type, event) => this.trackPod(event.object as SimPod, type === 'DELETED')),
    );
    this.tick();
  }

  stop(): void {
    this.running = false;
    for (const s of this.stops) s();
    this.stops = [];
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private trackNode(node: KubeObject, gone: boolean): void {
    const name = node.metadata.name ?? '';
    const taints = (node.spec as { taints?: Taint[] } | undefined)?.taints ?? [];
    if (gone) {
      this.nodes.delete(name);
      this.outOfServiceNodes.delete(name);
      return;
    }
    this.nodes.add(name);
    if (taints.some((t) => t.key === OUT_OF_SERVICE_TAINT)) this.outOfServiceNodes.add(name);
    else this.outOfServiceNodes.delete(name);
  }

  private trackPod(pod: SimPod, gone: boolean): void {
    const key = keyOf(pod.metadata.namespace, pod.metadata.name ?? '');
    const before = this.nodeOfPod.get(key);
    const nodeName = gone ? undefined : pod.spec?.nodeName || undefined;
    if (before !== nodeName) {
      if (before !== undefined) {
        const n = (this.podsPerNode.get(before) ?? 1) - 1;
        if (n > 0) this.podsPerNode.set(before, n);
        else this.podsPerNode.delete(before);
        this.nodeOfPod.delete(key);
      }
      if (nodeName !== undefined) {
        this.podsPerNode.set(nodeName, (this.podsPerNode.get(nodeName) ?? 0) + 1);
        this.nodeOfPod.set(key, nodeName);
      }
    }
    if (!gone && isPodTerminated(pod)) this.terminated.add(key);
    else this.terminated.delete(key);
    if (!gone && pod.metadata.deletionTimestamp && !pod.spec?.nodeName) this.unscheduledTerminating.add(key);
    else this.unscheduledTerminating.delete(key);
  }

  private tick(): void {
    if (!this.running) return;
    try {
      this.gc();
    } catch (error) {
      console.error('scars sim: pod GC failed:', error);
    }
    if (this.running) this.timer = this.ctx.clock.setTimeout(() => this.tick(), this.options.gcCheckPeriodMs);
  }

  private gc(): void {
    if (this.options.terminatedPodThreshold > 0) this.gcTerminated();
    this.gcTerminating();
    this.gcOrphaned();
    this.gcUnscheduledTerminating();
  }

  private find(key: string): SimPod | undefined {
    const { namespace, name } = splitKey(key);
    return this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
  }

  private podsOnNode(nodeName: string): SimPod[] {
    return this.ctx.registry.list(PODS, {
      fields: parseFieldSelector(`spec.nodeName=${nodeName}`, PODS.fieldLabels),
    }).items as SimPod[];
  }

  private gcTerminated(): void {
    const excess = this.terminated.size - this.options.terminatedPodThreshold;
    if (excess <= 0) return;
    const pods = [...this.terminated]
      .map((k) => this.find(k))
      .filter((p): p is SimPod => !!p && isPodTerminated(p));
    pods.sort(compareForDeletion);
    for (const pod of pods.slice(0, pods.length - this.options.terminatedPodThreshold))
      this.markFailedAndDelete(pod);
  }

  private gcTerminating(): void {
    for (const nodeName of this.outOfServiceNodes) {
      const node = this.ctx.registry.find(NODES, undefined, nodeName);
      const conditions = (node?.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      const ready = conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!node || ready) continue;
      const terminating = this.podsOnNode(nodeName).filter((p) => p.metadata.deletionTimestamp);
      terminating.sort(compareForDeletion);
      for (const pod of terminating) this.markFailedAndDelete(pod);
    }
  }

  private gcOrphaned(): void {
    const now = this.ctx.clock.now();
    for (const nodeName of this.podsPerNode.keys()) {
      if (this.nodes.has(nodeName)) continue;
      const due = now + this.options.quarantineTimeMs;
      const pending = this.quarantine.get(nodeName);
      if (pending === undefined || due < pending) this.quarantine.set(nodeName, due);
    }
    const deleted: string[] = [];
    for (const [nodeName, due] of [...this.quarantine]) {
      if (due > now) continue;
      this.quarantine.delete(nodeName);
      // Still missing after quarantine, and the API agrees: its pods are orphans.
      if (!this.nodes.has(nodeName) && !this.ctx.registry.find(NODES, undefined, nodeName))
        deleted.push(nodeName);
    }
    for (const nodeName of deleted) {
      for (const pod of this.podsOnNode(nodeName)) {
        this.markFailedAndDelete(pod, {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByPodGC',
          message: 'PodGC: node no longer exists',
        });
      }
    }
  }

  private gcUnscheduledTerminating(): void {
    for (const key of [...this.unscheduledTerminating]) {
      const pod = this.find(key);
      if (!pod || !pod.metadata.deletionTimestamp || pod.spec?.nodeName) continue;
      this.markFailedAndDelete(pod);
    }
  }

  /** markFailedAndDeletePodWithCondition: Failed (unless finished) with the condition, then grace 0. */
  private markFailedAndDelete(pod: SimPod, condition?: ConditionUpdate): void {
    const { registry, clock } = this.ctx;
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      const next = structuredClone(pod) as Writable<Pod> & KubeObject;
      const status = (next.status ??= {}) as Writable<NonNullable<Pod['status']>>;
      status.phase = 'Failed';
      if (condition) updatePodCondition(status, condition, clock.timestamp());
      let marked = false;
      ignoreGone(() => {
        registry.replace(PODS, pod, next, { subresource: 'status', manager: MANAGER });
        marked = true;
      });
      if (!marked) return;
    }
    ignoreGone(() =>
      registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0 }),
    );
  }
}
