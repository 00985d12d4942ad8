/**
 * What NetworkPolicy evaluation reads about the cluster, kept from watch events (like a CNI
 * agent's informers): policies by namespace, pods by name and by pod IP, namespace labels, node
 * addresses, and per pod the policies that select it — computed on first use and dropped when
 * the pod's labels or its namespace's policies change, so a connection costs a few map lookups
 * plus its rules' peer checks, however many pods the sim runs.
 *
 * Only pods on the pod network are indexed by IP: a hostNetwork pod's address is its node's, and
 * policies do not apply to it (upstream leaves it undefined; CNIs do not isolate the host's
 * network namespace). A finished pod (Succeeded/Failed) gives its IP back, so it leaves the IP
 * index while a new pod may take the address.
 */
import type { Container, Namespace, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { WatchEventType } from '../../store/object-store.ts';
import {
  type CompiledPolicy,
  compilePolicy,
  type NamedPort,
  type PolicyDirection,
  protocolOf,
} from './compile.ts';

/** A pod as policies see it. */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string | undefined;
  /** Its pod-network addresses (none for hostNetwork pods, or before the sandbox exists). */
  ips: string[];
  hostNetwork: boolean;
  /** Declared container ports, for named ports. */
  ports: NamedPort[];
}

interface Selection {
  ingress: CompiledPolicy[];
  egress: CompiledPolicy[];
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

function podIPsOf(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

function namedPorts(pod: Pod): NamedPort[] {
  // Sidecars (restartable init containers) serve for the pod's whole life, like its containers.
  const containers: Container[] = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const out: NamedPort[] = [];
  for (const c of containers)
    for (const p of c.ports ?? [])
      if (p.name) out.push({ name: p.name, port: p.containerPort, protocol: protocolOf(p.protocol) });
  return out;
}

/** A pod object as policies see it. */
export function podInfo(pod: Pod): PodInfo {
  const hostNetwork = pod.spec?.hostNetwork === true;
  const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    nodeName: pod.spec?.nodeName,
    ips: hostNetwork || finished ? [] : podIPsOf(pod),
    hostNetwork,
    ports: namedPorts(pod),
  };
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

export class PolicyClusterIndex {
  private readonly policies = new Map<string, Map<string, CompiledPolicy>>();
  private policyCount = 0;
  private readonly pods = new Map<string, PodInfo>();
  private readonly byIP = new Map<string, PodInfo>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly nodes = new Map<string, string[]>();
  /** namespace → pod name → the policies selecting it. */
  private readonly selections = new Map<string, Map<string, Selection>>();

  /** Whether any policy exists (without one, nothing is isolated and evaluation is skipped). */
  get empty(): boolean {
    return this.policyCount === 0;
  }

  applyPolicy(type: WatchEventType, policy: NetworkPolicy): void {
    const compiled = compilePolicy(policy);
    let inNamespace = this.policies.get(compiled.namespace);
    if (type === 'DELETED') {
      if (inNamespace?.delete(compiled.name)) this.policyCount--;
      if (inNamespace?.size === 0) this.policies.delete(compiled.namespace);
    } else {
      if (!inNamespace) this.policies.set(compiled.namespace, (inNamespace = new Map()));
      if (!inNamespace.has(compiled.name)) this.policyCount++;
      inNamespace.set(compiled.name, compiled);
    }
    // Which pods it selects may have changed: recompute the namespace's selections on demand.
    this.selections.delete(compiled.namespace);
  }

  applyPod(type: WatchEventType, pod: Pod): void {
    const next = podInfo(pod);
    const key = keyOf(next.namespace, next.name);
    const previous = this.pods.get(key);
    if (previous) for (const ip of previous.ips) if (this.byIP.get(ip) === previous) this.byIP.delete(ip);
    if (type === 'DELETED') {
      this.pods.delete(key);
      this.selections.get(next.namespace)?.delete(next.name);
      return;
    }
    this.pods.set(key, next);
    for (const ip of next.ips) this.byIP.set(ip, next);
    if (!previous || !sameLabels(previous.labels, next.labels))
      this.selections.get(next.namespace)?.delete(next.name);
  }

  applyNamespace(type: WatchEventType, namespace: Namespace): void {
    const name = namespace.metadata?.name ?? '';
    if (type === 'DELETED') this.namespaces.delete(name);
    else this.namespaces.set(name, namespace.metadata?.labels ?? {});
  }

  applyNode(type: WatchEventType, node: Node): void {
    const name = node.metadata?.name ?? '';
    if (type === 'DELETED') this.nodes.delete(name);
    else
      this.nodes.set(
        name,
        (node.status?.addresses ?? []).map((a) => a.address),
      );
  }

  pod(namespace: string, name: string): PodInfo | undefined {
    return this.pods.get(keyOf(namespace, name));
  }

  /** The pod-network pod holding `ip`, if any. */
  podAt(ip: string): PodInfo | undefined {
    return this.byIP.get(ip);
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }

  /** Whether `ip` is an address of node `nodeName`. */
  isNodeAddress(nodeName: string | undefined, ip: string): boolean {
    return nodeName !== undefined && (this.nodes.get(nodeName)?.includes(ip) ?? false);
  }

  /** The policies of `direction` that select `pod` (empty: the pod is not isolated for it). */
  selecting(pod: PodInfo, direction: PolicyDirection): readonly CompiledPolicy[] {
    if (pod.hostNetwork) return [];
    let inNamespace = this.selections.get(pod.namespace);
    if (!inNamespace) this.selections.set(pod.namespace, (inNamespace = new Map()));
    let selection = inNamespace.get(pod.name);
    if (!selection) {
      selection = { ingress: [], egress: [] };
      for (const policy of this.policies.get(pod.namespace)?.values() ?? []) {
        if (!policy.selector.matches(pod.labels)) continue;
        if (policy.ingress) selection.ingress.push(policy);
        if (policy.egress) selection.egress.push(policy);
      }
      inNamespace.set(pod.name, selection);
    }
    return selection[direction];
  }

  /** Every policy, for listing. */
  allPolicies(): CompiledPolicy[] {
    return [...this.policies.values()].flatMap((m) => [...m.values()]);
  }
}
