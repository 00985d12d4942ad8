/**
 * Services and traffic: printService, printEndpoints, printEndpointSlice, printIngress and
 * printNetworkPolicy in pkg/printers/internalversion/printers.go.
 */
import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressRule, NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { AGE, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';
import { formatLabelSelector, formatLabels, listWithMore } from './format.ts';

/**
 * loadBalancerStatusStringer: sorted, de-duplicated IPs (else hostnames). The server always renders
 * tables with Wide set (pkg/printers/storage TableConvertor), so the 16-character clipping never applies.
 */
function loadBalancerAddresses(ingress: { ip?: string; hostname?: string }[] | undefined): string {
  const result = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) result.add(i.ip);
    else if (i.hostname) result.add(i.hostname);
  }
  return [...result].sort().join(',');
}

function externalIP(svc: Service, type: string): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...externalIPs].join(',');
      return lb === '' ? '<pending>' : lb;
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** makePortString: "80/TCP", or "443:30443/TCP" when a node port is allocated. */
export function portString(ports: ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      // SetDefaults_Service: a port's protocol defaults to TCP.
      const protocol = p.protocol || 'TCP';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(',');
}

export const services = printer<Service>(
  [
    NAME,
    column('Type', 'string', DOC['ServiceSpec.type']),
    column('Cluster-IP', 'string', DOC['ServiceSpec.clusterIP']),
    column('External-IP', 'string', DOC['ServiceSpec.externalIPs']),
    column('Port(s)', 'string', DOC['ServiceSpec.ports']),
    AGE,
    wide('Selector', 'string', DOC['ServiceSpec.selector']),
  ],
  (obj, now) => {
    // SetDefaults_Service: type defaults to ClusterIP.
    const type = obj.spec?.type || 'ClusterIP';
    // Convert_v1_ServiceSpec_To_core_ServiceSpec: clusterIP is authoritative over clusterIPs[0].
    const clusterIP = obj.spec?.clusterIP || obj.spec?.clusterIPs?.[0] || '<none>';
    const ports = portString(obj.spec?.ports);
    return [
      obj.metadata?.name ?? '',
      type,
      clusterIP,
      externalIP(obj, type),
      ports === '' ? '<none>' : ports,
      since(obj.metadata?.creationTimestamp, now),
      formatLabels(obj.spec?.selector),
    ];
  },
);

/** net.JoinHostPort: IPv6 hosts get brackets. */
const hostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** formatEndpoints with all ports: the first three address:port pairs, then a count of the rest. */
export function formatEndpoints(endpoints: Endpoints): string {
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    // Headless services without ports list bare IPs.
    const ports = ss.ports && ss.ports.length > 0 ? ss.ports : undefined;
    for (const port of ports ?? [undefined]) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(port ? hostPort(a.ip, port.port) : a.ip);
      }
    }
  }
  const text = list.join(',');
  return count > max ? `${text} + ${count - max} more...` : text;
}

export const endpoints = printer<Endpoints>(
  [NAME, column('Endpoints', 'string', DOC['Endpoints.subsets']), AGE],
  (obj, now) => [obj.metadata?.name ?? '', formatEndpoints(obj), since(obj.metadata?.creationTimestamp, now)],
);

export const endpointSlices = printer<EndpointSlice>(
  [
    NAME,
    column('AddressType', 'string', DOC['EndpointSlice.addressType']),
    column('Ports', 'string', DOC['EndpointSlice.ports']),
    column('Endpoints', 'string', DOC['EndpointSlice.endpoints']),
    AGE,
  ],
  (obj, now) => [
    obj.metadata?.name ?? '',
    obj.addressType ?? '',
    // formatDiscoveryPorts: a nil port means "all ports" and prints as its name, else "*".
    listWithMore(
      (obj.ports ?? []).map((p) =>
        p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined ? p.name : '*',
      ),
    ),
    listWithMore((obj.endpoints ?? []).flatMap((e) => e.addresses ?? [])),
    since(obj.metadata?.creationTimestamp, now),
  ],
);

/** formatHosts: up to three rule hosts, "*" when none is set. */
function formatHosts(rules: IngressRule[] | undefined): string {
  const all = rules ?? [];
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const text = list.join(',');
  // Upstream counts the rest by rules, not by hosts.
  return more ? `${text} + ${all.length - max} more...` : text;
}

export const ingresses = printer<Ingress>(
  [
    NAME,
    column(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  (obj, now) => [
    obj.metadata?.name ?? '',
    obj.spec?.ingressClassName ?? '<none>',
    formatHosts(obj.spec?.rules),
    loadBalancerAddresses(obj.status?.loadBalancer?.ingress),
    (obj.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
    since(obj.metadata?.creationTimestamp, now),
  ],
);

export const networkPolicies = printer<NetworkPolicy>(
  [NAME, column('Pod-Selector', 'string', DOC['NetworkPolicySpec.podSelector']), AGE],
  (obj, now) => [
    obj.metadata?.name ?? '',
    // The selector is a struct, not a pointer, upstream: absent means empty, i.e. "<none>".
    formatLabelSelector(obj.spec?.podSelector ?? {}),
    since(obj.metadata?.creationTimestamp, now),
  ],
);
