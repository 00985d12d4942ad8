/**
 * What kube-proxy knows about Services: its ServiceChangeTracker and EndpointSliceCache
 * (pkg/proxy/servicechangetracker.go, endpointslicecache.go) in one table. A Service contributes
 * one entry per spec.ports item (a ServicePortName: namespace/name:portName plus protocol);
 * EndpointSlices (discovery.k8s.io/v1, labelled kubernetes.io/service-name) contribute endpoints
 * to the entry whose port name and protocol match the slice's port, with that slice port's number
 * as the target — which is how a named or numeric targetPort is resolved.
 *
 * Like kube-proxy's informers, it ignores Services and slices labelled
 * service.kubernetes.io/service-proxy-name (another proxy's) and slices labelled
 * service.kubernetes.io/headless; headless Services (clusterIP None) and ExternalName Services
 * have no virtual IP and nothing to proxy.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../object.ts';
import type { WatchEventType } from '../../store/object-store.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** sessionAffinityConfig.clientIP.timeoutSeconds default (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

export type SimService = Service & KubeObject;
export type SimEndpointSlice = EndpointSlice & KubeObject;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One port of one Service, as kube-proxy's ServicePort. */
export interface ServicePortEntry {
  /** `namespace/name:portName` (portName may be empty) and `/protocol`: unique per Service port. */
  id: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: Protocol;
  port: number;
  /** Absent for ClusterIP Services. */
  nodePort: number | undefined;
  clusterIP: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** sessionAffinity ClientIP: how long a client sticks to its endpoint (ms); undefined: none. */
  affinityMs: number | undefined;
  /** internalTrafficPolicy Local. */
  internalLocal: boolean;
  /** externalTrafficPolicy Local (NodePort and LoadBalancer only). */
  externalLocal: boolean;
}

/** One endpoint of one Service port (kube-proxy's BaseEndpointInfo). */
export interface EndpointEntry {
  ip: string;
  port: number;
  nodeName: string | undefined;
  /** Conditions as kube-proxy reads them: ready and serving default to true, terminating to false. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The pod behind it (targetRef), when the slice names one. */
  pod: { namespace: string; name: string } | undefined;
}

/** What one slice says, per port. */
interface SliceContent {
  service: string;
  /** `portName/protocol` → target port and the endpoints (without the port). */
  ports: Map<string, { port: number; endpoints: Omit<EndpointEntry, 'port'>[] }>;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
const portKey = (name: string, protocol: string): string => `${name}/${protocol}`;
const addressKey = (port: number, protocol: Protocol): string => `${port}/${protocol}`;

function protocolOf(value: string | undefined): Protocol {
  return value === 'UDP' || value === 'SCTP' ? value : 'TCP';
}

/** The Service ports kube-proxy would program, or none (headless, ExternalName, another proxy's). */
export function servicePorts(svc: SimService): ServicePortEntry[] {
  const spec = svc.spec ?? {};
  const namespace = svc.metadata.namespace ?? '';
  const name = svc.metadata.name ?? '';
  const clusterIP = spec.clusterIP;
  if (svc.metadata.labels?.[SERVICE_PROXY_NAME_LABEL] !== undefined) return [];
  if (spec.type === 'ExternalName' || !clusterIP || clusterIP === 'None') return [];
  const type = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? spec.type : 'ClusterIP';
  const affinityMs =
    spec.sessionAffinity === 'ClientIP'
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS) * 1000
      : undefined;
  const external = type === 'NodePort' || type === 'LoadBalancer';
  return (spec.ports ?? []).map((p) => {
    const protocol = protocolOf(p.protocol);
    const portName = p.name ?? '';
    return {
      id: `${keyOf(namespace, name)}:${portName}/${protocol}`,
      namespace,
      service: name,
      portName,
      protocol,
      port: p.port,
      nodePort: external && p.nodePort ? p.nodePort : undefined,
      clusterIP,
      type,
      affinityMs,
      internalLocal: spec.internalTrafficPolicy === 'Local',
      externalLocal: external && spec.externalTrafficPolicy === 'Local',
    };
  });
}

/** What a slice contributes; undefined when kube-proxy would not read it. */
function sliceContent(slice: SimEndpointSlice): SliceContent | undefined {
  const labels = slice.metadata.labels ?? {};
  const service = labels[SERVICE_NAME_LABEL];
  if (!service || labels[SERVICE_PROXY_NAME_LABEL] !== undefined || labels[HEADLESS_LABEL] !== undefined)
    return undefined;
  // An IPv4 proxier reads IPv4 slices only (FQDN slices are for DNS).
  if (slice.addressType !== 'IPv4') return undefined;
  const endpoints = (slice.endpoints ?? []).flatMap((e) => {
    const ip = e.addresses[0];
    if (!ip) return [];
    const c = e.conditions ?? {};
    const ref = e.targetRef;
    return [
      {
        ip,
        nodeName: e.nodeName ?? undefined,
        ready: c.ready ?? true,
        serving: c.serving ?? c.ready ?? true,
        terminating: c.terminating ?? false,
        pod:
          ref?.kind === 'Pod' && ref.name
            ? { namespace: ref.namespace ?? slice.metadata.namespace ?? '', name: ref.name }
            : undefined,
      },
    ];
  });
  const ports = new Map<string, { port: number; endpoints: Omit<EndpointEntry, 'port'>[] }>();
  for (const p of slice.ports ?? []) {
    // A port without a number ("all ports") is not proxied by kube-proxy.
    if (p.port === undefined || p.port === null) continue;
    ports.set(portKey(p.name ?? '', protocolOf(p.protocol ?? undefined)), { port: p.port, endpoints });
  }
  return { service, ports };
}

/** Which resourceVersion came later (the store's are decimal counters). */
const newer = (a: string | undefined, b: string | undefined): boolean =>
  a === undefined || b === undefined || Number(a) >= Number(b);

export class ServiceTable {
  /** Service key → its ports and the resourceVersion they were read at. */
  private readonly services = new Map<string, { rv: string | undefined; ports: ServicePortEntry[] }>();
  /** ClusterIP → `port/protocol` → entry. */
  private readonly byClusterIP = new Map<string, Map<string, ServicePortEntry>>();
  /** `nodePort/protocol` → entry. */
  private readonly byNodePort = new Map<string, ServicePortEntry>();
  /** Service key → slice name → content. */
  private readonly slices = new Map<string, Map<string, SliceContent>>();
  /** Slice key → the Service key it last counted for (the label may change). */
  private readonly sliceOwner = new Map<string, string>();
  /** Service key → port id → merged endpoints, built on demand. */
  private readonly endpointCache = new Map<string, Map<string, EndpointEntry[]>>();

  /** Applies a Service event; returns the Service's key (its ports may have changed). */
  applyService(type: WatchEventType, svc: SimService): string {
    const key = keyOf(svc.metadata.namespace ?? '', svc.metadata.name ?? '');
    const current = this.services.get(key);
    const rv = svc.metadata.resourceVersion;
    // An event older than what the table holds (a direct sync got ahead of the watch) is stale.
    if (type !== 'DELETED' && current && !newer(rv, current.rv)) return key;
    if (current) this.unindex(current.ports);
    if (type === 'DELETED') {
      this.services.delete(key);
    } else {
      const ports = servicePorts(svc);
      this.services.set(key, { rv, ports });
      this.index(ports);
    }
    this.invalidate(key);
    return key;
  }

  /** Applies an EndpointSlice event; returns the keys of the Services whose endpoints changed. */
  applySlice(type: WatchEventType, slice: SimEndpointSlice): string[] {
    const namespace = slice.metadata.namespace ?? '';
    const name = slice.metadata.name ?? '';
    const sliceKey = keyOf(namespace, name);
    const touched: string[] = [];
    const before = this.sliceOwner.get(sliceKey);
    if (before) {
      this.slices.get(before)?.delete(name);
      if (this.slices.get(before)?.size === 0) this.slices.delete(before);
      this.sliceOwner.delete(sliceKey);
      touched.push(before);
    }
    const content = type === 'DELETED' ? undefined : sliceContent(slice);
    if (content) {
      const owner = keyOf(namespace, content.service);
      let bySlice = this.slices.get(owner);
      if (!bySlice) this.slices.set(owner, (bySlice = new Map()));
      bySlice.set(name, content);
      this.sliceOwner.set(sliceKey, owner);
      if (owner !== before) touched.push(owner);
    }
    for (const key of touched) this.invalidate(key);
    return touched;
  }

  /** The resourceVersion of the Service as last applied (undefined: not known). */
  seen(namespace: string, name: string): string | undefined {
    return this.services.get(keyOf(namespace, name))?.rv;
  }

  /** Whether the table holds the Service at all. */
  has(namespace: string, name: string): boolean {
    return this.services.has(keyOf(namespace, name));
  }

  portsOf(namespace: string, name: string): readonly ServicePortEntry[] {
    return this.services.get(keyOf(namespace, name))?.ports ?? [];
  }

  allPorts(): ServicePortEntry[] {
    return [...this.services.values()].flatMap((s) => s.ports);
  }

  serviceKeys(): string[] {
    return [...this.services.keys()];
  }

  /** The ports served on a ClusterIP, or undefined when no Service has that ClusterIP. */
  atClusterIP(ip: string): ReadonlyMap<string, ServicePortEntry> | undefined {
    return this.byClusterIP.get(ip);
  }

  static addressKey(port: number, protocol: Protocol): string {
    return addressKey(port, protocol);
  }

  atNodePort(nodePort: number, protocol: Protocol): ServicePortEntry | undefined {
    return this.byNodePort.get(addressKey(nodePort, protocol));
  }

  /**
   * A Service port's endpoints, merged over its slices: the slice port of the same name and
   * protocol gives the target port; an endpoint in several slices counts once, ready preferred
   * (endpointslicecache's addEndpoints). Sorted by address, as kube-proxy's endpoint chains.
   */
  endpointsOf(entry: ServicePortEntry): readonly EndpointEntry[] {
    const serviceKey = keyOf(entry.namespace, entry.service);
    let byPort = this.endpointCache.get(serviceKey);
    const cached = byPort?.get(entry.id);
    if (cached) return cached;
    const merged = new Map<string, EndpointEntry>();
    const want = portKey(entry.portName, entry.protocol);
    for (const slice of this.slices.get(serviceKey)?.values() ?? []) {
      const port = slice.ports.get(want);
      if (!port) continue;
      for (const e of port.endpoints) {
        const at = `${e.ip}:${port.port}`;
        const existing = merged.get(at);
        if (!existing || (!existing.ready && e.ready)) merged.set(at, { ...e, port: port.port });
      }
    }
    const list = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    if (!byPort) this.endpointCache.set(serviceKey, (byPort = new Map()));
    byPort.set(entry.id, list);
    return list;
  }

  private index(ports: readonly ServicePortEntry[]): void {
    for (const p of ports) {
      let byPort = this.byClusterIP.get(p.clusterIP);
      if (!byPort) this.byClusterIP.set(p.clusterIP, (byPort = new Map()));
      byPort.set(addressKey(p.port, p.protocol), p);
      if (p.nodePort !== undefined) this.byNodePort.set(addressKey(p.nodePort, p.protocol), p);
    }
  }

  private unindex(ports: readonly ServicePortEntry[]): void {
    for (const p of ports) {
      const byPort = this.byClusterIP.get(p.clusterIP);
      const key = addressKey(p.port, p.protocol);
      if (byPort?.get(key) === p) byPort.delete(key);
      if (byPort?.size === 0) this.byClusterIP.delete(p.clusterIP);
      if (p.nodePort !== undefined) {
        const nodeKey = addressKey(p.nodePort, p.protocol);
        if (this.byNodePort.get(nodeKey) === p) this.byNodePort.delete(nodeKey);
      }
    }
  }

  private invalidate(serviceKey: string): void {
    this.endpointCache.delete(serviceKey);
  }
}
