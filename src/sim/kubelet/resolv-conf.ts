/**
 * A pod's /etc/resolv.conf as the kubelet forms it (pkg/kubelet/network/dns/dns.go, GetPodDNS)
 * and containerd writes it (`search …`, one `nameserver` line each, `options …`):
 * - dnsPolicy ClusterFirst (and ClusterFirstWithHostNet): the cluster DNS is the only nameserver,
 *   the search path is `<ns>.svc.<domain> svc.<domain> <domain>` followed by the node's own
 *   search domains, and options are `ndots:5`; a hostNetwork pod with ClusterFirst falls back to
 *   Default;
 * - Default: the node's resolv.conf (nameservers, search, options);
 * - None: nothing but what the pod's dnsConfig says;
 * - dnsConfig is then merged in: nameservers and searches appended (duplicates dropped), options
 *   merged by name with the pod's value winning;
 * - limits, as the kubelet applies them: 3 nameservers, 32 search domains, search domains over
 *   253 characters dropped, a search line of at most 2048 characters (cut from the end); each cut
 *   is reported with upstream's DNSConfigForming message.
 *
 * One difference: upstream merges options through a Go map, so their order is random; here the
 * node's (or ndots:5) come first in their order, the pod's new ones after in theirs.
 */
import type { PodDNSConfigOption } from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../kinds/pod.ts';

/** What a runtime is given for the pod sandbox (CRI DNSConfig). */
export interface DnsSettings {
  servers: string[];
  searches: string[];
  options: string[];
}

/** The kubelet flags this depends on (--cluster-dns, --cluster-domain, --resolv-conf). */
export interface KubeletDnsConfig {
  clusterDNS: readonly string[];
  clusterDomain: string;
  /**
   * The node's resolv.conf text (what --resolv-conf points at); undefined is `--resolv-conf=""`:
   * Default pods then get `nameserver 127.0.0.1` and `search .` (DNS lookups effectively off).
   */
  hostResolvConf: string | undefined;
}

/** kind's and kubeadm's defaults: the kube-dns Service at .10 of 10.96.0.0/12. */
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

/**
 * The sim node's own resolv.conf. A kind node resolves through the gateway of its docker network
 * (172.18.0.1); sim nodes live in 127.18.0.0/16, so their resolver is that network's gateway,
 * 127.18.0.1. Nothing answers there (the sim network refuses it, nothing is sent) until the sim
 * has an upstream resolver.
 */
export const SIM_NODE_RESOLVER = '127.18.0.1';
export const SIM_NODE_RESOLV_CONF = `nameserver ${SIM_NODE_RESOLVER}\n`;

export const SIM_KUBELET_DNS: KubeletDnsConfig = {
  clusterDNS: [CLUSTER_DNS_IP],
  clusterDomain: CLUSTER_DOMAIN,
  hostResolvConf: SIM_NODE_RESOLV_CONF,
};

// pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPathsExpanded, MaxDNSSearchListCharsExpanded
// (ExpandedDNSConfig is GA since 1.28), and DNS1123SubdomainMaxLength.
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_LINE_CHARS = 2048;
const MAX_SEARCH_PATH_CHARS = 253;

const DEFAULT_OPTIONS = ['ndots:5'];

/** parseResolvConf: nameservers accumulate; the last search and the last options line win. */
export function parseResolvConf(text: string): DnsSettings {
  const out: DnsSettings = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== '');
    const [keyword, ...rest] = fields;
    if (keyword === 'nameserver' && rest[0] !== undefined) out.servers.push(rest[0]);
    // The same domain with and without its trailing dot counts once.
    if (keyword === 'search') out.searches = rest.map((s) => s.replace(/\.$/, ''));
    if (keyword === 'options') out.options = rest;
  }
  return out;
}

/** containerd's rendering of the sandbox's DNS config; an empty config is an empty file. */
export function formatResolvConf(dns: DnsSettings): string {
  let text = '';
  if (dns.searches.length > 0) text += `search ${dns.searches.join(' ')}\n`;
  for (const server of dns.servers) text += `nameserver ${server}\n`;
  if (dns.options.length > 0) text += `options ${dns.options.join(' ')}\n`;
  return text;
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

type DnsType = 'cluster' | 'host' | 'none';

function dnsTypeOf(pod: SimPod): DnsType {
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
    case 'Default':
      return 'host';
    default:
      // The API server rejects other values; the kubelet would log and use ClusterFirst.
      return 'cluster';
  }
}

/** mergeDNSOptions: by option name, the pod's dnsConfig value replacing the existing one. */
export function mergeDnsOptions(
  existing: readonly string[],
  fromPod: readonly PodDNSConfigOption[],
): string[] {
  const merged = new Map<string, string>();
  for (const option of existing) {
    const colon = option.indexOf(':');
    if (colon >= 0) merged.set(option.slice(0, colon), option.slice(colon + 1));
    else merged.set(option, '');
  }
  for (const option of fromPod) merged.set(option.name ?? '', option.value ?? '');
  return [...merged].map(([name, value]) => (value !== '' ? `${name}:${value}` : name));
}

function hostSettings(config: KubeletDnsConfig, nodeIPs: readonly string[]): DnsSettings {
  if (config.hostResolvConf !== undefined) return parseResolvConf(config.hostResolvConf);
  const servers = nodeIPs.map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
  return { servers: servers.length > 0 ? servers : ['127.0.0.1'], searches: ['.'], options: [] };
}

function fitNameservers(servers: string[], warnings: string[]): string[] {
  if (servers.length <= MAX_NAMESERVERS) return servers;
  const applied = servers.slice(0, MAX_NAMESERVERS);
  warnings.push(
    `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${applied.join(' ')}`,
  );
  return applied;
}

function fitSearches(searches: string[], warnings: string[]): string[] {
  let exceeded = false;
  let applied = searches;
  if (applied.length > MAX_SEARCH_PATHS) {
    applied = applied.slice(0, MAX_SEARCH_PATHS);
    exceeded = true;
  }
  // glibc 2.28 aborts on a search path over 255 characters: such paths are left out.
  const short = applied.filter((s) => s.length <= MAX_SEARCH_PATH_CHARS);
  if (short.length !== applied.length) exceeded = true;
  applied = short;
  const lineLength = applied.join(' ').length;
  if (lineLength > MAX_SEARCH_LINE_CHARS) {
    let cut = 0;
    let cutLength = 0;
    for (let i = applied.length - 1; i >= 0; i--) {
      cutLength += (applied[i] as string).length + 1;
      cut++;
      if (lineLength - cutLength <= MAX_SEARCH_LINE_CHARS) break;
    }
    applied = applied.slice(0, applied.length - cut);
    exceeded = true;
  }
  if (exceeded)
    warnings.push(
      `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${applied.join(' ')}`,
    );
  return applied;
}

export interface PodDns {
  dns: DnsSettings;
  /** DNSConfigForming messages: the kubelet records each as a Warning event on the pod. */
  warnings: string[];
}

/** GetPodDNS: the pod's DNS settings on a node with these kubelet flags. */
export function podDns(
  pod: SimPod,
  config: KubeletDnsConfig = SIM_KUBELET_DNS,
  nodeIPs: readonly string[] = [],
): PodDns {
  let dns: DnsSettings;
  const type = dnsTypeOf(pod);
  if (type === 'none') dns = { servers: [], searches: [], options: [] };
  else if (type === 'cluster' && config.clusterDNS.length > 0) {
    const host = hostSettings(config, nodeIPs);
    const namespace = pod.metadata.namespace ?? 'default';
    const domain = config.clusterDomain;
    dns = {
      servers: [...config.clusterDNS],
      searches: domain
        ? unique([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches])
        : host.searches,
      options: [...DEFAULT_OPTIONS],
    };
  } else {
    // Default, a hostNetwork pod with ClusterFirst, or ClusterFirst on a kubelet without --cluster-dns.
    dns = hostSettings(config, nodeIPs);
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    dns = {
      servers: unique([...dns.servers, ...(extra.nameservers ?? [])]),
      searches: unique([...dns.searches, ...(extra.searches ?? [])]),
      options: mergeDnsOptions(dns.options, extra.options ?? []),
    };
  }
  const warnings: string[] = [];
  return {
    dns: {
      servers: fitNameservers(dns.servers, warnings),
      searches: fitSearches(dns.searches, warnings),
      options: dns.options,
    },
    warnings,
  };
}

/** The pod's /etc/resolv.conf text. */
export function podResolvConf(pod: SimPod, config: KubeletDnsConfig = SIM_KUBELET_DNS): string {
  return formatResolvConf(podDns(pod, config).dns);
}
