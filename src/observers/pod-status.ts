/**
 * Records the status of the pods matching a selector into the timeline whenever it changes
 * (`pod-status` events): phase and reason, QoS class, node, and every container's state,
 * last state and restart count.
 *
 * The final state the assertions get is read after revert and settle: by then a fault's own pods
 * are deleted, and a pod whose container was OOM-killed may be running again. These snapshots keep
 * what was seen while the fault was in place (an `OOMKilled` last state, a `CrashLoopBackOff`
 * wait, an eviction), so the assertions stay pure over the timeline.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import type { Observer } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';

export interface PodStatusOptions {
  /** Label selector of the pods to follow, e.g. `app=api`. */
  selector: string;
  /** Poll interval in ms of cluster time. Default 1000. */
  intervalMs?: number;
}

/** The detail of a `pod-status` timeline event. */
export interface PodStatusRecord {
  observer: 'pod-status';
  selector: string;
  /** The pod as read, trimmed to what status assertions use (still a V1Pod). */
  pod: V1Pod;
}

/** The fields of a pod that say what happened to it; the rest of the object is left out. */
export function podStatusSnapshot(p: V1Pod): V1Pod {
  const trimStatus = (c: V1ContainerStatus): V1ContainerStatus => ({
    name: c.name,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    ...(c.state ? { state: c.state } : {}),
    ...(c.lastState ? { lastState: c.lastState } : {}),
  });
  return {
    metadata: {
      name: p.metadata?.name,
      namespace: p.metadata?.namespace,
      uid: p.metadata?.uid,
      labels: p.metadata?.labels,
      creationTimestamp: p.metadata?.creationTimestamp,
      ...(p.metadata?.deletionTimestamp ? { deletionTimestamp: p.metadata.deletionTimestamp } : {}),
    },
    spec: {
      nodeName: p.spec?.nodeName,
      ...(p.spec?.priority !== undefined ? { priority: p.spec.priority } : {}),
      containers: (p.spec?.containers ?? []).map((c) => ({
        name: c.name,
        ...(c.resources ? { resources: c.resources } : {}),
      })),
    },
    status: {
      phase: p.status?.phase,
      ...(p.status?.reason ? { reason: p.status.reason } : {}),
      ...(p.status?.message ? { message: p.status.message } : {}),
      ...(p.status?.qosClass ? { qosClass: p.status.qosClass } : {}),
      conditions: p.status?.conditions,
      containerStatuses: (p.status?.containerStatuses ?? []).map(trimStatus),
    },
  };
}

export function podStatus(options: PodStatusOptions): Observer {
  const interval = options.intervalMs ?? 1000;
  return {
    name: 'pod-status',
    describe: () => `record status changes of pods matching ${options.selector} every ${interval}ms`,
    async start(ctx) {
      const last = new Map<string, string>();
      const poll = async () => {
        try {
          const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
            namespace: ctx.namespace,
            labelSelector: options.selector,
          });
          for (const p of pods) {
            const snapshot = podStatusSnapshot(p);
            const key = p.metadata?.uid ?? p.metadata?.name ?? '';
            const text = JSON.stringify(snapshot);
            if (last.get(key) === text) continue;
            last.set(key, text);
            const detail: PodStatusRecord = {
              observer: 'pod-status',
              selector: options.selector,
              pod: snapshot,
            };
            ctx.record('pod-status', { ...detail });
          }
        } catch (err) {
          ctx.record('sample-error', { observer: 'pod-status', error: errorMessage(err) });
        }
      };
      let stopped = false;
      await poll();
      const loop = (async () => {
        while (!stopped) {
          await ctx.clock.sleep(interval).catch(() => {});
          if (!stopped) await poll();
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
          await poll();
        },
      };
    },
  };
}

/** Every `pod-status` snapshot in the timeline, oldest first, optionally of one observer's selector. */
export function podStatusesIn(
  timeline: readonly TimelineEvent[],
  selector?: string,
): { t: number; step: string; pod: V1Pod }[] {
  const out: { t: number; step: string; pod: V1Pod }[] = [];
  for (const e of timeline) {
    const d = e.detail as Partial<PodStatusRecord> | undefined;
    if (e.event !== 'pod-status' || d?.observer !== 'pod-status' || !d.pod) continue;
    if (selector !== undefined && d.selector !== selector) continue;
    out.push({ t: e.t, step: e.step, pod: d.pod });
  }
  return out;
}
