/** Builds the objects an arm deploys: workloads, with the mitigation applied in the main arm only. */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BuildContext, ScenarioDefinition, WorkloadSource } from './scenario.ts';

/** Kinds that live outside namespaces; everything else is placed in the run namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'PriorityClass',
  'CustomResourceDefinition',
]);

export function isClusterScoped(kind: string | undefined): boolean {
  return kind !== undefined && CLUSTER_SCOPED.has(kind);
}

function expand(sources: readonly WorkloadSource[], ctx: BuildContext): KubernetesObject[] {
  return sources.flatMap((s) => {
    const out = typeof s === 'function' ? s(ctx) : s;
    return (Array.isArray(out) ? out : [out]).map((o) => structuredClone(o));
  });
}

export function buildArmObjects(s: ScenarioDefinition, ctx: BuildContext): KubernetesObject[] {
  let objects = expand(s.workloads, ctx);
  if (ctx.arm === 'main') {
    if (s.mitigation.apply) objects = s.mitigation.apply(objects, ctx);
    objects = [...objects, ...expand(s.mitigation.manifests ?? [], ctx)];
  }
  const declared = new Set(s.namespaces ?? []);
  // Objects go into the run namespace, except those placed in a namespace the scenario declares
  // (an addon in kube-system, say): the blast radius allows exactly those.
  return objects.map((o) =>
    isClusterScoped(o.kind) || (o.metadata?.namespace && declared.has(o.metadata.namespace))
      ? o
      : { ...o, metadata: { ...o.metadata, namespace: ctx.namespace } },
  );
}
