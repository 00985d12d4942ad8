/**
 * For an API-only sim (`scars sim serve --api-only`, where no kubelets run): the kubelet's half of
 * graceful pod deletion, reduced to its outcome — once a pod bound to a node has a
 * deletionTimestamp, it is confirmed with a DELETE of grace period 0 at once, as if its
 * containers exited on SIGTERM; log follows end when the pod goes. With kubelets running, they
 * do this themselves (src/sim/kubelet/pod-worker.ts).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { type Controller, ignoreGone, subscribe } from '../controllers/controller.ts';
import { resourceAt } from '../kinds/registry.ts';
import type { KubeObject } from '../object.ts';
import type { PodLogStore } from './pod-logs.ts';

const PODS = resourceAt('v1', 'pods');

export class PodTermination implements Controller {
  readonly name = 'kubelet-pod-termination';
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly logs: PodLogStore,
  ) {}

  start(): void {
    if (!PODS) return;
    this.stopWatch = subscribe(this.registry, PODS, (type, event) => {
      const pod = event.object as Pod & KubeObject;
      const uid = pod.metadata.uid ?? '';
      if (type === 'DELETED') {
        for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])])
          this.logs.end(uid, c.name);
        this.logs.forget(uid);
        return;
      }
      if (!pod.metadata.deletionTimestamp || !pod.spec?.nodeName) return;
      if ((pod.metadata.finalizers ?? []).length > 0) return;
      ignoreGone(() =>
        this.registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        }),
      );
    });
  }

  stop(): void {
    this.stopWatch?.();
  }
}
