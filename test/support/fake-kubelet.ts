/**
 * A test-only stand-in for scheduler + kubelet, for testing one controller in isolation: binds
 * every pending pod to the next node (round robin) and reports it Running, and Ready unless
 * `notReady` says otherwise; confirms graceful deletions at once. Writes go through the registry
 * like the real components' would. Not used by the sim itself.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type Controller, ignoreGone, subscribe } from '../../src/sim/controllers/controller.ts';
import type { SimContext } from '../../src/sim/context.ts';
import { PODS } from '../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../src/sim/object.ts';

export interface FakeKubeletOptions {
  nodes: string[];
  /** Pods for which this returns true are reported Running but not Ready. */
  notReady?: (pod: Pod & KubeObject) => boolean;
}

export class FakeKubelet implements Controller {
  readonly name = 'fake-kubelet';
  private stopWatch: (() => void) | undefined;
  private next = 0;
  private ip = 2;

  constructor(
    private readonly ctx: SimContext,
    private readonly options: FakeKubeletOptions,
  ) {}

  start(): void {
    this.stopWatch = subscribe(this.ctx.registry, PODS, (type, event) => {
      if (type === 'DELETED') return;
      const pod = event.object as Pod & KubeObject;
      if (pod.metadata.deletionTimestamp) {
        if ((pod.metadata.finalizers ?? []).length === 0)
          ignoreGone(() =>
            this.ctx.registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
              gracePeriodSeconds: 0,
              preconditions: { uid: pod.metadata.uid ?? '' },
            }),
          );
        return;
      }
      if (pod.status?.phase !== 'Pending') return;
      ignoreGone(() => this.run(pod));
    });
  }

  stop(): void {
    this.stopWatch?.();
  }

  /** Re-reports readiness of a running pod, e.g. after `notReady` changed its answer. */
  refresh(namespace: string, name: string): void {
    const pod = this.ctx.registry.get(PODS, namespace, name) as Pod & KubeObject;
    ignoreGone(() => this.report(pod, pod.spec?.nodeName ?? ''));
  }

  private run(pod: Pod & KubeObject): void {
    let live = pod;
    let node = pod.spec?.nodeName;
    if (!node) {
      // A daemon pod names its node in a required `metadata.name In [node]` affinity term.
      node = daemonTarget(pod) ?? this.options.nodes[this.next++ % this.options.nodes.length] ?? '';
      const bound = structuredClone(pod) as Pod & KubeObject;
      (bound.spec as { nodeName?: string }).nodeName = node;
      live = this.ctx.registry.replace(PODS, pod, bound, { subresource: 'binding' }) as Pod & KubeObject;
    }
    this.report(live, node);
  }

  private report(pod: Pod & KubeObject, node: string): void {
    const now = this.ctx.clock.timestamp();
    const ready = !(this.options.notReady?.(pod) ?? false);
    const cond = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null as unknown as string,
      lastTransitionTime: now,
    });
    const next = structuredClone(pod) as KubeObject & Pod;
    (next as { status: Pod['status'] }).status = {
      ...pod.status,
      phase: 'Running',
      hostIP: '127.18.0.3',
      podIP: pod.status?.podIP ?? `127.64.1.${this.ip++ % 250}`,
      startTime: pod.status?.startTime ?? now,
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', true),
        cond('Ready', ready),
        cond('ContainersReady', ready),
        cond('PodScheduled', true),
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `containerd://${pod.metadata.uid ?? ''}-${c.name}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    void node;
    this.ctx.registry.replace(PODS, pod, next, { subresource: 'status', manager: 'kubelet' });
  }
}

function daemonTarget(pod: Pod): string | undefined {
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const field = terms[0]?.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
  return field?.values?.length === 1 ? field.values[0] : undefined;
}
