/**
 * When is a deployed object ready? The same rules kubectl rollout status and kstatus use,
 * reduced to the kinds scenarios deploy. Kinds without a notion of readiness are ready once they exist.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

export interface Readiness {
  ready: boolean;
  reason: string;
}

export function readinessOf(obj: KubernetesObject): Readiness {
  const o = obj as Obj;
  const status = o.status ?? {};
  const spec = o.spec ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const generationSeen = num(status.observedGeneration) >= num(o.metadata?.generation);
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const want = spec.replicas === undefined ? 1 : num(spec.replicas);
      const field = o.kind === 'Deployment' ? 'availableReplicas' : 'readyReplicas';
      const have = num(status[field]);
      const updated = o.kind === 'Deployment' ? num(status.updatedReplicas) : want;
      const ready = generationSeen && have >= want && updated >= want;
      return {
        ready,
        reason: `${have}/${want} ${field}${generationSeen ? '' : ' (generation not observed yet)'}`,
      };
    }
    case 'DaemonSet': {
      const want = num(status.desiredNumberScheduled);
      const have = num(status.numberAvailable);
      return { ready: generationSeen && have >= want, reason: `${have}/${want} available` };
    }
    case 'Pod': {
      const conditions = (status.conditions as { type?: string; status?: string }[] | undefined) ?? [];
      const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      const phase = String(status.phase ?? 'Pending');
      return { ready: ready || phase === 'Succeeded', reason: ready ? 'Ready' : `phase ${phase}, not Ready` };
    }
    case 'Job': {
      const succeeded = num(status.succeeded);
      const want = spec.completions === undefined ? 1 : num(spec.completions);
      return { ready: succeeded >= want, reason: `${succeeded}/${want} completions` };
    }
    case 'PersistentVolumeClaim':
      return { ready: status.phase === 'Bound', reason: `phase ${String(status.phase ?? 'Pending')}` };
    default:
      return { ready: true, reason: 'exists' };
  }
}
