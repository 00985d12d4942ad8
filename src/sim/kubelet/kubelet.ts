/**
 * One node's kubelet: admits the pods bound to the node, runs a pod worker for each, keeps the
 * node's memory and its eviction manager, renews the node Lease and reports node conditions.
 * Pod status changes are batched: a worker marks itself dirty and the kubelet writes every dirty
 * status once per turn of the event loop (the status manager's coalescing).
 *
 * `sim.scars.dev/kubelet: stopped` on the Node stops this kubelet (no Lease, no status, no pod
 * work; containers keep running) until the annotation goes: then it catches up like a restarted
 * kubelet.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { SimContext } from '../context.ts';
import { type EventSource, type EventType, nodeReference } from '../controllers/events.ts';
import { ignoreGone } from '../controllers/controller.ts';
import type { ResourceAmounts, SimPod } from '../kinds/pod.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import { NODES, PODS } from '../kinds/resources.ts';
import type { KubeObject } from '../object.ts';
import type { SimNodeConfig } from '../topology/types.ts';
import { admitResources, admitUnderPressure } from './admission.ts';
import { KUBELET_STATE_ANNOTATION } from './annotations.ts';
import { EvictionManager, MONITORING_INTERVAL_MS } from './eviction-manager.ts';
import { PodIpAllocator } from './ip-allocator.ts';
import { type MemoryConsumer, NodeMemory, type OomScope } from './memory.ts';
import { NodeStatusReporter } from './node-status.ts';
import { rejectedPodStatus } from './pod-status.ts';
import { type KubeletCounters, type KubeletOptions, PodWorker, type PodWorkerHost } from './pod-worker.ts';
import { Timers } from './timers.ts';

const amountsOf = (list: Record<string, string>): ResourceAmounts => {
  const out: ResourceAmounts = {};
  for (const [k, v] of Object.entries(list)) {
    const n = parseQuantity(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
};

const rvOf = (obj: KubeObject): number => Number(obj.metadata.resourceVersion ?? 0);

export class Kubelet implements PodWorkerHost {
  readonly nodeName: string;
  readonly hostIP: string;
  readonly memory: NodeMemory;
  readonly timers: Timers;
  readonly eviction: EvictionManager;
  readonly nodeStatus: NodeStatusReporter;
  private readonly source: EventSource;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods refused at admission (their Failed status may not have reached every queued event yet). */
  private readonly rejected = new Set<string>();
  /** Pods seen while stopped, admitted on resume. */
  private readonly waiting = new Map<string, SimPod>();
  private readonly ips: PodIpAllocator;
  private readonly allocatable: ResourceAmounts;
  private readonly used: ResourceAmounts = {};
  private holding = 0;
  private readonly dirty = new Set<PodWorker>();
  private flushScheduled = false;
  private pid = 1000;
  private stoppedByAnnotation = false;
  private running = false;

  constructor(
    readonly ctx: SimContext,
    readonly config: SimNodeConfig,
    readonly options: KubeletOptions,
    readonly counters: KubeletCounters,
  ) {
    this.nodeName = config.name;
    this.hostIP = config.internalIP;
    this.source = { component: 'kubelet', host: config.name };
    this.timers = new Timers(ctx.clock);
    this.ips = new PodIpAllocator(config.podCIDR);
    this.allocatable = amountsOf(config.allocatable);
    const capacity = parseQuantity(config.capacity.memory ?? '0') ?? 0;
    this.memory = new NodeMemory(capacity, config.systemMemoryUsage, (victim, scope) =>
      this.oomKill(victim, scope),
    );
    this.eviction = new EvictionManager({
      config,
      memory: this.memory,
      timers: this.timers,
      allocatableMemoryBytes: this.allocatable.memory ?? capacity,
      paused: () => this.paused(),
      candidates: () => [...this.workers.values()].filter((w) => !w.isFinished && !w.evicted),
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
      evict: (worker, grace, message, annotations) => this.evict(worker, grace, message, annotations),
      conditionsChanged: () => this.nodeStatus.syncStatus(),
    });
    this.nodeStatus = new NodeStatusReporter({
      ctx,
      nodeName: this.nodeName,
      timers: this.timers,
      paused: () => this.paused(),
      pressure: () => this.eviction.nodeConditions,
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
    });
  }

  /** Starts the loops; `offsetMs` staggers this node's heartbeats against the others'. */
  start(offsetMs: number): void {
    if (this.running) return;
    this.running = true;
    const node = this.ctx.registry.find(NODES, undefined, this.nodeName);
    if (node) this.stoppedByAnnotation = isStopped(node as Node & KubeObject);
    this.nodeStatus.start(offsetMs);
    this.eviction.start(offsetMs % MONITORING_INTERVAL_MS);
  }

  stop(): void {
    this.running = false;
    this.nodeStatus.stop();
    this.eviction.stop();
    for (const w of this.workers.values()) w.dispose();
    this.workers.clear();
    this.dirty.clear();
    this.timers.clear();
  }

  paused(): boolean {
    return this.stoppedByAnnotation || !this.running;
  }

  // ---------------------------------------------------------------------------------------------
  // Watch events

  onNode(node: Node & KubeObject): void {
    const stopped = isStopped(node);
    if (stopped === this.stoppedByAnnotation) return;
    this.stoppedByAnnotation = stopped;
    if (!stopped) this.resume();
  }

  onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: SimPod): void {
    const uid = pod.metadata.uid ?? '';
    const worker = this.workers.get(uid);
    if (type === 'DELETED') {
      this.rejected.delete(uid);
      this.waiting.delete(uid);
      // A stopped kubelet does not notice: its containers run on until it comes back (resume).
      if (!this.paused()) worker?.removed();
      return;
    }
    if (worker) {
      if (rvOf(pod) > rvOf(worker.pod)) worker.update(pod);
      return;
    }
    if (this.rejected.has(uid)) return;
    if (this.paused()) {
      this.waiting.set(uid, pod);
      return;
    }
    this.handleNew(pod);
  }

  private handleNew(pod: SimPod): void {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp) {
      // Never started here: nothing to stop, confirm at once.
      ignoreGone(() => {
        this.ctx.registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
      });
      return;
    }
    const verdict = (() => {
      const pressure = admitUnderPressure(pod, this.eviction.nodeConditions);
      if (!pressure.admit) return pressure;
      return admitResources(pod, { allocatable: this.allocatable, used: this.used, podCount: this.holding });
    })();
    if (!verdict.admit) {
      this.reject(pod, verdict.reason, verdict.message);
      return;
    }
    const worker = new PodWorker(this, pod);
    this.workers.set(uid, worker);
    this.holding++;
    for (const [k, v] of Object.entries(worker.requests)) this.used[k] = (this.used[k] ?? 0) + v;
    worker.admit();
  }

  private reject(pod: SimPod, reason: string, message: string): void {
    const uid = pod.metadata.uid ?? '';
    this.rejected.add(uid);
    this.counters.rejections++;
    this.event(pod, 'Warning', reason, message);
    const live = this.ctx.registry.find(PODS, pod.metadata.namespace, pod.metadata.name ?? '') as
      SimPod | undefined;
    if (!live || live.metadata.uid !== uid) return;
    const status = rejectedPodStatus(live, reason, message, this.ctx.clock.timestamp());
    ignoreGone(() => {
      this.ctx.registry.replace(
        PODS,
        live,
        { ...live, status },
        { manager: 'kubelet', subresource: 'status' },
      );
    });
  }

  private resume(): void {
    if (!this.running) return;
    for (const w of [...this.workers.values()]) {
      const live = this.ctx.registry.find(PODS, w.namespace, w.name) as SimPod | undefined;
      if (!live || live.metadata.uid !== w.uid) {
        w.removed();
        continue;
      }
      if (rvOf(live) > rvOf(w.pod)) w.update(live);
      w.resume();
    }
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const pod of pending) {
      const live = this.ctx.registry.find(PODS, pod.metadata.namespace, pod.metadata.name ?? '') as
        SimPod | undefined;
      if (live && live.metadata.uid === pod.metadata.uid && live.spec?.nodeName === this.nodeName)
        this.handleNew(live);
    }
    this.nodeStatus.beat();
    this.eviction.synchronize();
    this.scheduleFlush();
  }

  // ---------------------------------------------------------------------------------------------
  // PodWorkerHost

  allocateIP(podUid: string): string | undefined {
    return this.ips.allocate(podUid);
  }

  releaseIP(podUid: string): void {
    this.ips.release(podUid);
  }

  nextPid(): number {
    this.pid = this.pid >= 4_194_304 ? 1000 : this.pid + 1;
    return this.pid;
  }

  markDirty(worker: PodWorker): void {
    this.dirty.add(worker);
    this.scheduleFlush();
  }

  released(worker: PodWorker): void {
    this.holding--;
    for (const [k, v] of Object.entries(worker.requests)) this.used[k] = (this.used[k] ?? 0) - v;
  }

  gone(worker: PodWorker): void {
    this.dirty.delete(worker);
    if (this.workers.get(worker.uid) === worker) this.workers.delete(worker.uid);
  }

  event(involved: SimPod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    this.ctx.events.record(this.source, involved, type, reason, message, fieldPath);
  }

  private nodeEvent(type: EventType, reason: string, message: string): void {
    this.ctx.events.record(this.source, nodeReference(this.nodeName), type, reason, message);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.paused()) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.paused()) return;
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const w of batch) {
      try {
        w.writeStatus();
      } catch (error) {
        console.error(
          `scars sim: kubelet ${this.nodeName} failed to write status of ${w.namespace}/${w.name}:`,
          error,
        );
      }
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Memory

  private oomKill(victim: MemoryConsumer, scope: OomScope): void {
    const worker = this.workers.get(victim.podUid);
    if (scope === 'node') {
      this.counters.systemOoms++;
      this.nodeEvent(
        'Warning',
        'SystemOOM',
        `System OOM encountered, victim process: ${victim.processName}, pid: ${victim.pid}`,
      );
    }
    worker?.oomKilled(victim);
  }

  private evict(
    worker: PodWorker,
    graceSeconds: number,
    message: string,
    annotations: Record<string, string>,
  ): void {
    this.counters.evictions++;
    this.ctx.events.record(this.source, worker.pod, 'Warning', 'Evicted', message, undefined, annotations);
    worker.terminate({
      kind: 'evict',
      graceSeconds,
      override: {
        reason: 'Evicted',
        message,
        condition: {
          type: 'DisruptionTarget',
          status: 'True',
          lastProbeTime: null as unknown as string,
          reason: 'TerminationByKubelet',
          message,
        },
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection

  stats(): { pods: number; runningPods: number; runningContainers: number; podIPs: number } {
    let runningPods = 0;
    let runningContainers = 0;
    for (const w of this.workers.values()) {
      const n = w.runningContainers;
      if (n > 0) runningPods++;
      runningContainers += n;
    }
    return { pods: this.workers.size, runningPods, runningContainers, podIPs: this.ips.inUse };
  }

  workerFor(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }
}

const isStopped = (node: Node & KubeObject): boolean =>
  node.metadata.annotations?.[KUBELET_STATE_ANNOTATION] === 'stopped';
