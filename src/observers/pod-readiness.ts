/**
 * Samples how many pods matching a selector are Ready, at a fixed interval, into the timeline
 * (`sample` events). Availability assertions read these samples.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import type { Observer } from '../harness/scenario.ts';

export interface PodReadinessOptions {
  selector: string;
  /** Sampling interval in ms (cluster clock). Default 500. */
  intervalMs?: number;
}

export interface ReadinessSample {
  observer: 'pod-readiness';
  selector: string;
  ready: number;
  total: number;
  notReady: string[];
  /** Container restarts per pod (the sum of its containers' restartCount), for restart-rate assertions. */
  restarts?: Record<string, number>;
}

export function isPodReady(p: V1Pod): boolean {
  return (
    !p.metadata?.deletionTimestamp &&
    (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** Restarts of a pod's containers so far (init containers' included: a crash-looping init counts too). */
export function restartsOf(p: V1Pod): number {
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  return statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

export function podReadiness(options: PodReadinessOptions): Observer {
  const interval = options.intervalMs ?? 500;
  return {
    name: 'pod-readiness',
    describe: () => `sample Ready pods matching ${options.selector} every ${interval}ms`,
    async start(ctx) {
      let stopped = false;
      const sample = async () => {
        try {
          const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
            namespace: ctx.namespace,
            labelSelector: options.selector,
          });
          const ready = pods.filter(isPodReady);
          const detail: ReadinessSample = {
            observer: 'pod-readiness',
            selector: options.selector,
            ready: ready.length,
            total: pods.length,
            notReady: pods.filter((p) => !isPodReady(p)).map((p) => p.metadata?.name ?? ''),
            restarts: Object.fromEntries(pods.map((p) => [p.metadata?.name ?? '', restartsOf(p)])),
          };
          ctx.record('sample', { ...detail });
        } catch (err) {
          ctx.record('sample-error', { observer: 'pod-readiness', error: errorMessage(err) });
        }
      };
      await sample();
      const loop = (async () => {
        while (!stopped) {
          await ctx.clock.sleep(interval).catch(() => {});
          if (!stopped) await sample();
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
        },
      };
    },
  };
}
