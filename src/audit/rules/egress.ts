/**
 * The instance metadata service (169.254.169.254) hands out the node's cloud credentials to anything
 * that asks. NetworkPolicies are allow-lists: a pod that no Egress policy selects may connect anywhere,
 * and one whose egress rules allow 0.0.0.0/0 without an `except` for the metadata address still
 * reaches it. Evaluated per pod template, as the NetworkPolicy spec defines selection.
 */
import type {
  NetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyPeer,
} from 'kubernetes-types/networking/v1.js';
import { defineRule } from '../rule.ts';
import type { FieldPath, Manifest, RuleHit } from '../types.ts';
import { type AuditIndex, describeObject, selectorMatcher, type Workload } from '../workloads.ts';

export const IMDS_ADDRESS = '169.254.169.254';
const IMDS_PORT = 80;

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Whether an IPv4 CIDR contains an address (an IPv6 CIDR never contains the IPv4 metadata address). */
export function cidrContains(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const net = ipv4(base ?? '');
  const addr = ipv4(address);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (net === undefined || addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32)
    return false;
  const size = 2 ** (32 - bits);
  return Math.floor(net / size) === Math.floor(addr / size);
}

/** Policy types as the API server defaults them: Ingress, plus Egress when the policy has egress rules. */
export function policyTypes(policy: NetworkPolicy): string[] {
  const declared = policy.spec?.policyTypes;
  if (declared?.length) return declared;
  return (policy.spec?.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A peer the metadata address can match: only an ipBlock (it is no pod, in no namespace). */
function peerAllowsImds(peer: NetworkPolicyPeer): boolean {
  const block = peer.ipBlock;
  if (!block) return false;
  return (
    cidrContains(block.cidr, IMDS_ADDRESS) && !(block.except ?? []).some((e) => cidrContains(e, IMDS_ADDRESS))
  );
}

/** Whether a rule's ports let TCP 80 through (no ports: every port; a named port resolves on pods only). */
function portsAllowImds(rule: NetworkPolicyEgressRule): boolean {
  if (!rule.ports?.length) return true;
  return rule.ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== 'TCP') return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return /^\d+$/.test(p.port) && Number(p.port) === IMDS_PORT;
    return p.endPort === undefined ? p.port === IMDS_PORT : p.port <= IMDS_PORT && IMDS_PORT <= p.endPort;
  });
}

/** The first egress rule (and peer) that lets the metadata address through, as a path in the policy. */
export function imdsAllowedBy(policy: NetworkPolicy): { field: FieldPath; why: string } | undefined {
  const rules = policy.spec?.egress ?? [];
  for (const [i, rule] of rules.entries()) {
    if (!portsAllowImds(rule)) continue;
    if (!rule.to?.length)
      return { field: ['spec', 'egress', i], why: `egress[${i}] allows every destination` };
    for (const [j, peer] of rule.to.entries()) {
      if (peerAllowsImds(peer)) {
        return {
          field: ['spec', 'egress', i, 'to', j, 'ipBlock'],
          why: `egress[${i}] allows ${peer.ipBlock?.cidr ?? '?'} without excepting ${IMDS_ADDRESS}/32`,
        };
      }
    }
  }
  return undefined;
}

function egressPoliciesFor(index: AuditIndex, w: Workload): { manifest: Manifest; policy: NetworkPolicy }[] {
  return (
    index
      .networkPolicies(w.namespace)
      .filter(({ policy }) => policyTypes(policy).includes('Egress'))
      // An empty podSelector selects every pod in the namespace.
      .filter(({ policy }) => selectorMatcher(policy.spec?.podSelector ?? {})(w.labels))
  );
}

const list = (names: string[]) =>
  names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');

export const imdsEgressOpen = defineRule({
  id: 'imds-egress-open',
  family: 'egress',
  severity: 'warning',
  title: `Pods can reach the instance metadata service (${IMDS_ADDRESS})`,
  why: 'The metadata service gives the node IAM role credentials to any pod that connects to it: one compromised or careless pod acts as the node in the cloud account. Only an Egress NetworkPolicy (or the cloud-side hop limit) stops it.',
  fix: `Add an Egress NetworkPolicy selecting the pods whose ipBlock rules except ${IMDS_ADDRESS}/32 (e.g. cidr 0.0.0.0/0, except [${IMDS_ADDRESS}/32]), plus DNS to kube-dns; allow the address only for pods that need it.`,
  check(index) {
    const hits: RuleHit[] = [];
    // Pods in no Egress policy, one finding per namespace; pods let through by a rule, one per rule.
    const unselected = new Map<string, Workload[]>();
    const byRule = new Map<
      string,
      { manifest: Manifest; field: FieldPath; why: string; workloads: Workload[] }
    >();
    for (const w of index.workloads) {
      // NetworkPolicy does not apply to host-network pods: nothing here can fix those.
      if (w.podSpec.hostNetwork) continue;
      const policies = egressPoliciesFor(index, w);
      if (!policies.length) {
        const list = unselected.get(w.namespace) ?? [];
        list.push(w);
        unselected.set(w.namespace, list);
        continue;
      }
      for (const { manifest, policy } of policies) {
        const allowed = imdsAllowedBy(policy);
        if (!allowed) continue;
        const key = `${manifest.source.display}\0${JSON.stringify(manifest.base)}\0${JSON.stringify(allowed.field)}`;
        const entry = byRule.get(key) ?? { manifest, ...allowed, workloads: [] };
        entry.workloads.push(w);
        byRule.set(key, entry);
        break;
      }
    }
    for (const [ns, workloads] of unselected) {
      const [first] = workloads as [Workload];
      hits.push({
        manifest: first.manifest,
        field: first.metaPath,
        message:
          `namespace ${ns}: no NetworkPolicy with policyTypes Egress selects the pods of ` +
          `${list(workloads.map((w) => `${w.kind} ${w.name}`))}, so they can reach ${IMDS_ADDRESS}`,
      });
    }
    for (const { manifest, field, why, workloads } of byRule.values()) {
      hits.push({
        manifest,
        field,
        message: `${describeObject(manifest)}: ${why}, so the pods of ${list(workloads.map((w) => `${w.kind} ${w.name}`))} can reach ${IMDS_ADDRESS}`,
      });
    }
    return hits;
  },
});
