/**
 * A networking.k8s.io/v1 NetworkPolicy turned into what evaluation needs: parsed selectors, CIDR
 * sets and port matchers, built once per policy version instead of once per connection.
 *
 * The meaning follows the API reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort):
 * - policyTypes, when absent, is Ingress plus Egress when the policy has egress rules (the
 *   apiserver's defaulting; repeated here for objects that did not go through it);
 * - a direction listed in policyTypes with no rules (`ingress: []`, or none) allows nothing;
 * - a rule with no peers (`from`/`to` absent or empty) matches every peer, one with no ports
 *   every port, so `{}` allows everything;
 * - a peer is an ipBlock (cidr minus except), or pods: podSelector alone means pods of the
 *   policy's namespace, namespaceSelector alone every pod of the matching namespaces, both
 *   together the matching pods in the matching namespaces;
 * - a port has a protocol (default TCP), no port (every port of that protocol), a number
 *   (through endPort when given), or a name, resolved against the destination pod's ports.
 * A selector the API would reject (an unknown operator) matches nothing, as LabelSelectorAsSelector's
 * callers treat it.
 */
import { BlockList, isIP } from 'node:net';
import type { LabelSelector as LabelSelectorSpec } from 'kubernetes-types/meta/v1.js';
import type {
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from 'kubernetes-types/networking/v1.js';
import { type LabelSelector, labelSelectorFromSpec, nothing, SelectorError } from '../../store/selectors.ts';

export type PolicyDirection = 'ingress' | 'egress';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A port a pod's container declares (for named ports). */
export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

/** One side's view of a pod for peer matching. */
export interface PeerPod {
  namespace: string;
  labels: Record<string, string>;
}

/** An IP set: the CIDR minus its exceptions, per address family. */
export class CidrBlock {
  private readonly include = new BlockList();
  private readonly exclude = new BlockList();
  private readonly family: 'ipv4' | 'ipv6' | undefined;

  constructor(readonly block: IPBlock) {
    const parsed = parseCidr(block.cidr);
    this.family = parsed?.family;
    if (!parsed) return; // the apiserver rejects it; a malformed block matches nothing
    this.include.addSubnet(parsed.address, parsed.prefix, parsed.family);
    for (const e of block.except ?? []) {
      const ex = parseCidr(e);
      if (ex && ex.family === parsed.family) this.exclude.addSubnet(ex.address, ex.prefix, ex.family);
    }
  }

  /** Only addresses of the block's own family match (a ::/0 block does not take in IPv4). */
  contains(ip: string): boolean {
    const family = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
    if (!family || family !== this.family) return false;
    return this.include.check(ip, family) && !this.exclude.check(ip, family);
  }
}

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return undefined;
  const address = cidr.slice(0, slash);
  const prefix = Number(cidr.slice(slash + 1));
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export type CompiledPeer =
  | { kind: 'ipBlock'; block: CidrBlock }
  /** `namespaces` undefined: the policy's own namespace. */
  | { kind: 'pods'; namespaces: LabelSelector | undefined; pods: LabelSelector }
  /** A peer with nothing set (the apiserver rejects it): matches nothing. */
  | { kind: 'none' };

export interface CompiledPort {
  protocol: Protocol;
  /** A number: this port through `endPort`. */
  port?: number;
  endPort?: number;
  /** A named port of the destination pod. */
  name?: string;
}

export interface CompiledRule {
  /** undefined: every peer. */
  peers: CompiledPeer[] | undefined;
  /** undefined: every port and protocol. */
  ports: CompiledPort[] | undefined;
}

export interface CompiledPolicy {
  namespace: string;
  name: string;
  /** Which pods of the namespace it selects. */
  selector: LabelSelector;
  /** Rules per direction; absent when the direction is not in policyTypes (the policy does not isolate for it). */
  ingress?: CompiledRule[];
  egress?: CompiledRule[];
}

function selector(spec: LabelSelectorSpec | undefined): LabelSelector {
  try {
    return labelSelectorFromSpec(spec);
  } catch (err) {
    if (err instanceof SelectorError) return nothing();
    throw err;
  }
}

const EMPTY_SELECTOR: LabelSelectorSpec = {};

function compilePeer(peer: NetworkPolicyPeer): CompiledPeer {
  if (peer.ipBlock) return { kind: 'ipBlock', block: new CidrBlock(peer.ipBlock) };
  if (!peer.podSelector && !peer.namespaceSelector) return { kind: 'none' };
  return {
    kind: 'pods',
    namespaces: peer.namespaceSelector ? selector(peer.namespaceSelector) : undefined,
    // namespaceSelector alone: every pod of those namespaces.
    pods: selector(peer.podSelector ?? EMPTY_SELECTOR),
  };
}

export function protocolOf(value: string | undefined): Protocol {
  return value === 'UDP' || value === 'SCTP' ? value : 'TCP';
}

function compilePort(port: NetworkPolicyPort): CompiledPort {
  const protocol = protocolOf(port.protocol);
  if (port.port === undefined) return { protocol };
  if (typeof port.port === 'string') return { protocol, name: port.port };
  return {
    protocol,
    port: port.port,
    ...(port.endPort !== undefined ? { endPort: port.endPort } : {}),
  };
}

function compileRules(
  rules: { ports?: NetworkPolicyPort[]; from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[] }[] | undefined,
  peersOf: 'from' | 'to',
): CompiledRule[] {
  return (rules ?? []).map((rule) => {
    const peers = rule[peersOf] ?? [];
    const ports = rule.ports ?? [];
    return {
      peers: peers.length > 0 ? peers.map(compilePeer) : undefined,
      ports: ports.length > 0 ? ports.map(compilePort) : undefined,
    };
  });
}

/** policyTypes as the apiserver defaults it. */
export function policyTypesOf(policy: NetworkPolicy): Set<'Ingress' | 'Egress'> {
  const listed = policy.spec?.policyTypes ?? [];
  if (listed.length > 0)
    return new Set(listed.filter((t): t is 'Ingress' | 'Egress' => t === 'Ingress' || t === 'Egress'));
  return new Set((policy.spec?.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
}

export function compilePolicy(policy: NetworkPolicy): CompiledPolicy {
  const types = policyTypesOf(policy);
  const spec = policy.spec;
  return {
    namespace: policy.metadata?.namespace ?? 'default',
    name: policy.metadata?.name ?? '',
    // podSelector is required; `{}` selects every pod of the namespace.
    selector: selector(spec?.podSelector ?? EMPTY_SELECTOR),
    ...(types.has('Ingress') ? { ingress: compileRules(spec?.ingress, 'from') } : {}),
    ...(types.has('Egress') ? { egress: compileRules(spec?.egress, 'to') } : {}),
  };
}

/**
 * Whether a rule's port list lets `port`/`protocol` through. Named ports resolve against the
 * destination pod's declared ports (same name, same protocol, that port number); a destination
 * that is not a pod has no names, so a named port never matches it.
 */
export function portAllowed(
  ports: readonly CompiledPort[] | undefined,
  port: number,
  protocol: Protocol,
  destinationPorts: readonly NamedPort[] | undefined,
): boolean {
  if (!ports) return true;
  return ports.some((p) => {
    if (p.protocol !== protocol) return false;
    if (p.name !== undefined)
      return (destinationPorts ?? []).some(
        (d) => d.name === p.name && d.protocol === protocol && d.port === port,
      );
    if (p.port === undefined) return true;
    return port >= p.port && port <= (p.endPort ?? p.port);
  });
}
