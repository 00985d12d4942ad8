/**
 * A pod's hostname, /etc/hostname and the kubelet-managed /etc/hosts (pkg/kubelet/kubelet_pods.go:
 * GeneratePodHostNameAndDomain, managedHostsFileContent, nodeHostsFileContent).
 */
import type { SimPod } from '../kinds/pod.ts';
import { CLUSTER_DOMAIN } from './resolv-conf.ts';

const HOSTNAME_MAX = 63;

/** The pod's name, or spec.hostname; cut to 63 characters without a trailing `-` or `.`. */
export function podHostname(pod: SimPod): string {
  const name = pod.spec?.hostname || pod.metadata.name || '';
  return name.length > HOSTNAME_MAX ? name.slice(0, HOSTNAME_MAX).replace(/[-.]+$/, '') : name;
}

/** `<subdomain>.<namespace>.svc.<cluster domain>` when the pod has a subdomain, else ''. */
export function podDomain(pod: SimPod, clusterDomain = CLUSTER_DOMAIN): string {
  const sub = pod.spec?.subdomain;
  return sub ? `${sub}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : '';
}

export interface PodNetworkIdentity {
  /** The pod's IP (the node's IP for a hostNetwork pod). */
  podIP: string;
  nodeName: string;
  nodeIP: string;
}

/** The kernel hostname the container sees: the node's for hostNetwork, the FQDN with setHostnameAsFQDN. */
export function containerHostname(pod: SimPod, identity: PodNetworkIdentity): string {
  if (pod.spec?.hostNetwork) return identity.nodeName;
  const host = podHostname(pod);
  const domain = podDomain(pod);
  return pod.spec?.setHostnameAsFQDN && domain ? `${host}.${domain}` : host;
}

function hostAliasLines(pod: SimPod): string {
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length === 0) return '';
  let text = '\n# Entries added by HostAliases.\n';
  for (const alias of aliases) text += `${alias.ip}\t${(alias.hostnames ?? []).join('\t')}\n`;
  return text;
}

/**
 * The sim node's own /etc/hosts, which hostNetwork pods see: what Docker writes into a kind node
 * container (its loopback and IPv6 lines, then the node's address and name).
 */
export function nodeHostsFile(nodeName: string, nodeIP: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    `${nodeIP}\t${nodeName}`,
    '',
  ].join('\n');
}

/** /etc/hosts as the kubelet writes it for the pod (hostAliases appended). */
export function podHostsFile(pod: SimPod, identity: PodNetworkIdentity): string {
  if (pod.spec?.hostNetwork) return nodeHostsFile(identity.nodeName, identity.nodeIP) + hostAliasLines(pod);
  const host = podHostname(pod);
  const domain = podDomain(pod);
  let text =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  if (identity.podIP)
    text += domain ? `${identity.podIP}\t${host}.${domain}\t${host}\n` : `${identity.podIP}\t${host}\n`;
  return text + hostAliasLines(pod);
}
