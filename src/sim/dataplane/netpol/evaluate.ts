/**
 * Whether NetworkPolicy lets one connection through: the source pod's egress and the
 * destination pod's ingress must both allow it (API reference, NetworkPolicySpec). For each side:
 * - a pod no policy of that direction selects is not isolated: allowed;
 * - a pod selected by one or more is isolated: allowed only if some rule of some of those
 *   policies matches the peer and the port (the union; order does not matter);
 * - traffic between a pod and its own node is always allowed, and a pod cannot block itself
 *   (the concepts page's exceptions; this is what lets the kubelet's probes through).
 * Only pods on the pod network are subject: a node (the kubelet, hostNetwork pods) and the host
 * outside the sim have no egress policy, and are matched as ingress peers by IP only.
 */
import type { CompiledPeer, CompiledPolicy, PolicyDirection, Protocol } from './compile.ts';
import { portAllowed } from './compile.ts';
import type { PodInfo, PolicyClusterIndex } from './cluster-index.ts';

/** One end of a connection. */
export interface Party {
  kind: 'pod' | 'node' | 'host';
  /** The address the other side sees (for ipBlock peers). */
  ip: string;
  /** The node it runs on (pods and nodes). */
  nodeName?: string;
  /** The pod-network pod at this end (never set for nodes, hostNetwork pods or the host). */
  pod?: PodInfo;
}

export interface Connection {
  source: Party;
  destination: Party;
  port: number;
  protocol: Protocol;
}

/**
 * One direction's outcome: `not-subject` (no pod on that side), `not-isolated` (no policy selects
 * it), `local-node`/`self` (the exceptions), `allowed` (by `allowedBy`), `denied`.
 */
export interface DirectionVerdict {
  outcome: 'not-subject' | 'not-isolated' | 'local-node' | 'self' | 'allowed' | 'denied';
  /** `namespace/name` of the pod whose policies decided. */
  pod?: string;
  /** The policies selecting it (denied: all of them said no). */
  policies?: string[];
  /** The first policy whose rule matched. */
  allowedBy?: string;
}

export interface Verdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

const ALLOWED = new Set<DirectionVerdict['outcome']>([
  'not-subject',
  'not-isolated',
  'local-node',
  'self',
  'allowed',
]);

function peerMatches(
  peers: readonly CompiledPeer[] | undefined,
  peer: Party,
  policyNamespace: string,
  index: PolicyClusterIndex,
): boolean {
  if (!peers) return true;
  return peers.some((p) => {
    switch (p.kind) {
      case 'ipBlock':
        return p.block.contains(peer.ip);
      case 'pods': {
        const pod = peer.pod;
        if (!pod) return false;
        const inNamespace = p.namespaces
          ? p.namespaces.matches(
              // Every namespace carries its name label (the apiserver sets it); a namespace not
              // seen yet still has it.
              index.namespaceLabels(pod.namespace) ?? { 'kubernetes.io/metadata.name': pod.namespace },
            )
          : pod.namespace === policyNamespace;
        return inNamespace && p.pods.matches(pod.labels);
      }
      case 'none':
        return false;
    }
  });
}

function decideDirection(
  direction: PolicyDirection,
  subject: PodInfo,
  peer: Party,
  connection: Connection,
  index: PolicyClusterIndex,
  localNode: boolean,
): DirectionVerdict {
  const policies = index.selecting(subject, direction);
  const pod = `${subject.namespace}/${subject.name}`;
  if (policies.length === 0) return { outcome: 'not-isolated', pod };
  const names = policies.map((p: CompiledPolicy) => p.name);
  if (peer.pod && peer.pod.namespace === subject.namespace && peer.pod.name === subject.name)
    return { outcome: 'self', pod, policies: names };
  if (localNode) return { outcome: 'local-node', pod, policies: names };
  // Named ports are the destination pod's, in both directions.
  const destinationPorts = connection.destination.pod?.ports;
  for (const policy of policies) {
    for (const rule of policy[direction] ?? []) {
      if (
        portAllowed(rule.ports, connection.port, connection.protocol, destinationPorts) &&
        peerMatches(rule.peers, peer, policy.namespace, index)
      )
        return { outcome: 'allowed', pod, policies: names, allowedBy: policy.name };
    }
  }
  return { outcome: 'denied', pod, policies: names };
}

export function evaluate(connection: Connection, index: PolicyClusterIndex): Verdict {
  const { source, destination } = connection;
  const egress: DirectionVerdict =
    source.kind === 'pod' && source.pod
      ? decideDirection(
          'egress',
          source.pod,
          destination,
          connection,
          index,
          index.isNodeAddress(source.nodeName ?? source.pod.nodeName, destination.ip),
        )
      : { outcome: 'not-subject' };
  // Both sides are evaluated even when egress already said no, so a verdict tells the whole story.
  const ingress: DirectionVerdict = !destination.pod
    ? { outcome: 'not-subject' }
    : decideDirection(
        'ingress',
        destination.pod,
        source,
        connection,
        index,
        (source.kind === 'node' &&
          source.nodeName !== undefined &&
          source.nodeName === destination.pod.nodeName) ||
          index.isNodeAddress(destination.pod.nodeName, source.ip),
      );
  return { allowed: ALLOWED.has(egress.outcome) && ALLOWED.has(ingress.outcome), egress, ingress };
}
