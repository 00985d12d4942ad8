import type { KubernetesObject } from '@kubernetes/client-node';

/** Enough to address one object through the API. */
export interface KubeRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function refOf(obj: KubernetesObject): KubeRef {
  const ref: KubeRef = {
    apiVersion: obj.apiVersion ?? 'v1',
    kind: obj.kind ?? '',
    // generateName stands in for objects the server will name (for messages only).
    name: obj.metadata?.name ?? obj.metadata?.generateName ?? '',
  };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** `Deployment web -n ns` style, for logs and reports. */
export function formatRef(ref: KubeRef): string {
  return `${ref.kind}/${ref.name}${ref.namespace ? ` -n ${ref.namespace}` : ''}`;
}
