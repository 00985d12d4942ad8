/**
 * What the CoreDNS kubernetes plugin reads from the cluster (Services, EndpointSlices,
 * Namespaces), read straight from the registry at query time. CoreDNS reads the same objects
 * from its informers' caches, so a real replica lags the API by a watch round trip; here an
 * answer always reflects the store as it is (docs/sim-fidelity.md, "Cluster DNS").
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Registry } from '../../api/rest/registry.ts';
import { ENDPOINT_SLICES, NAMESPACES, SERVICES } from '../../kinds/resources.ts';
import type { KubeObject } from '../../object.ts';
import { labelSelectorFromSet } from '../../store/selectors.ts';

export type ZoneService = Service & KubeObject;

/** One ready address of a Service, as CoreDNS's EndpointSliceToEndpoints keeps it. */
export interface ZoneEndpoint {
  ip: string;
  /** endpoint.hostname (StatefulSet pods behind a headless Service with subdomain). */
  hostname: string | undefined;
  /** The slice's ports; empty when the slice has none (CoreDNS's port -1 sentinel). */
  ports: { name: string; port: number; protocol: string }[];
}

export interface ClusterView {
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): ZoneService | undefined;
  /** Ready endpoints of the Service's EndpointSlices (conditions.ready unset counts as ready). */
  endpoints(namespace: string, service: string): ZoneEndpoint[];
  /** Services whose clusterIPs include `ip` (reverse lookups). */
  servicesWithClusterIP(ip: string): ZoneService[];
  /** Services with a ready endpoint at `ip`, with that endpoint (reverse lookups). */
  endpointsWithIP(ip: string): { service: ZoneService; endpoint: ZoneEndpoint }[];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function endpointsOf(slice: EndpointSlice): ZoneEndpoint[] {
  const ports = (slice.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: p.port ?? -1,
    protocol: p.protocol ?? 'TCP',
  }));
  const out: ZoneEndpoint[] = [];
  for (const e of slice.endpoints ?? []) {
    // endpointsliceReady: nil counts as ready.
    if (e.conditions?.ready === false) continue;
    for (const ip of e.addresses) out.push({ ip, hostname: e.hostname ?? undefined, ports });
  }
  return out;
}

export class RegistryClusterView implements ClusterView {
  constructor(private readonly registry: Registry) {}

  namespaceExists(namespace: string): boolean {
    return this.registry.find(NAMESPACES, undefined, namespace) !== undefined;
  }

  service(namespace: string, name: string): ZoneService | undefined {
    return this.registry.find(SERVICES, namespace, name) as ZoneService | undefined;
  }

  private slices(namespace: string | undefined, service?: string): EndpointSlice[] {
    return this.registry.list(ENDPOINT_SLICES, {
      namespace,
      ...(service !== undefined ? { labels: labelSelectorFromSet({ [SERVICE_NAME_LABEL]: service }) } : {}),
    }).items as unknown as EndpointSlice[];
  }

  endpoints(namespace: string, service: string): ZoneEndpoint[] {
    return this.slices(namespace, service).flatMap(endpointsOf);
  }

  servicesWithClusterIP(ip: string): ZoneService[] {
    return (this.registry.list(SERVICES, {}).items as ZoneService[]).filter((s) =>
      (s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])).includes(ip),
    );
  }

  endpointsWithIP(ip: string): { service: ZoneService; endpoint: ZoneEndpoint }[] {
    const out: { service: ZoneService; endpoint: ZoneEndpoint }[] = [];
    for (const slice of this.slices(undefined)) {
      const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      const namespace = slice.metadata?.namespace;
      if (!name || !namespace) continue;
      for (const endpoint of endpointsOf(slice)) {
        if (endpoint.ip !== ip) continue;
        const service = this.service(namespace, name);
        if (service) out.push({ service, endpoint });
      }
    }
    return out;
  }
}
