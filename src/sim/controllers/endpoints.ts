/**
 * The Endpoints controller (pkg/controller/endpoint, kube-controller-manager 1.32): for every
 * Service with a selector, an Endpoints object of the same name listing its pods — ready ones
 * in `addresses`, the others in `notReadyAddresses` (terminating pods left out, unless the
 * Service publishes not-ready addresses, in which case every pod is an address) — grouped into
 * subsets by the ports they serve. Endpoints of a deleted Service are deleted by this
 * controller (they carry no owner reference). More than 1000 addresses are truncated and
 * marked `endpoints.kubernetes.io/over-capacity: truncated`.
 *
 * Also holds what the EndpointSlice controller shares with it (k8s.io/endpointslice/util):
 * the index of Service selectors by namespace that maps a pod event to the Services it
 * concerns without listing pods, the pod filters, port resolution and the
 * `endpoints.kubernetes.io/last-change-trigger-time` tracker.
 */
import type {
  Container,
  EndpointAddress,
  EndpointPort,
  Endpoints,
  EndpointSubset,
  Pod,
  Service,
  ServicePort,
} from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import { isPodReady, isPodTerminal, type SimPod } from '../kinds/pod.ts';
import { ENDPOINTS, PODS, SERVICES } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual } from '../object.ts';
import type { WatchEventType } from '../store/object-store.ts';
import { type LabelSelector, labelSelectorFromSet } from '../store/selectors.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

export type SimService = Service & KubeObject;
type SimEndpoints = Endpoints & KubeObject;

const MANAGER = 'kube-controller-manager';
const SOURCE: EventSource = { component: 'endpoint-controller' };
/** maxCapacity: addresses an Endpoints object holds before it is truncated. */
const MAX_CAPACITY = 1000;
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Leader-election records live in Endpoints without a Service; the leftover sweep spares them. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

// ---------------------------------------------------------------------------------------------
// Shared with the EndpointSlice controller

/** A Service's selector, or undefined when it has none (no endpoints are managed for it). */
export function serviceSelector(svc: Service): LabelSelector | undefined {
  const selector = svc.spec?.selector;
  // An empty selector does not survive storage (omitempty), so it reads back as none.
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return labelSelectorFromSet(selector);
}

/** helper.IsServiceIPSet: not headless. */
export const isServiceIPSet = (svc: Service): boolean =>
  !!svc.spec?.clusterIP && svc.spec.clusterIP !== 'None';

/**
 * Selectors of the Services of each namespace, kept from Service events, so that a pod event
 * is mapped to its Services by evaluating selectors in memory (getServicesForPod).
 */
export class ServiceSelectorIndex {
  private readonly byNamespace = new Map<string, Map<string, LabelSelector>>();

  apply(type: WatchEventType, svc: SimService): void {
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    let inNamespace = this.byNamespace.get(namespace);
    const selector = type === 'DELETED' ? undefined : serviceSelector(svc);
    if (!selector) {
      inNamespace?.delete(name);
      if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
      return;
    }
    if (!inNamespace) this.byNamespace.set(namespace, (inNamespace = new Map()));
    inNamespace.set(name, selector);
  }

  /** Keys of the Services in `namespace` whose selector matches `labels`. */
  matching(namespace: string, labels: Record<string, string> | undefined): Set<string> {
    const out = new Set<string>();
    for (const [name, selector] of this.byNamespace.get(namespace) ?? []) {
      if (selector.matches(labels ?? {})) out.add(keyOf(namespace, name));
    }
    return out;
  }
}

function podIPsOf(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  // The apiserver fills podIPs from podIP; a writer that set only podIP still has an address.
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/** podEndpointsChanged: (anything an endpoint shows changed, labels or hostname/subdomain changed). */
function podEndpointsChanged(old: Pod & KubeObject, cur: Pod & KubeObject): [boolean, boolean] {
  const labelsChanged =
    !semanticEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {}) ||
    old.spec?.hostname !== cur.spec?.hostname ||
    old.spec?.subdomain !== cur.spec?.subdomain;
  const podChanged =
    old.metadata.deletionTimestamp !== cur.metadata.deletionTimestamp ||
    isPodReady(old) !== isPodReady(cur) ||
    podIPsOf(old).join(',') !== podIPsOf(cur).join(',');
  return [podChanged, labelsChanged];
}

/**
 * GetPodUpdateProjectionKey + GetServicesToUpdate: the Services a pod event concerns. Only
 * changes an endpoint can show count; when the labels changed, Services the pod left or joined
 * count too (all of them if the pod itself also changed).
 */
export function servicesForPodEvent(
  index: ServiceSelectorIndex,
  type: WatchEventType,
  pod: SimPod,
  previous: SimPod | undefined,
): Set<string> {
  const namespace = pod.metadata.namespace ?? '';
  if (type !== 'MODIFIED' || !previous) return index.matching(namespace, pod.metadata.labels);
  if (pod.metadata.resourceVersion === previous.metadata.resourceVersion) return new Set();
  const [podChanged, labelsChanged] = podEndpointsChanged(previous, pod);
  if (!podChanged && !labelsChanged) return new Set();
  const now = index.matching(namespace, pod.metadata.labels);
  if (!labelsChanged) return now;
  const before = index.matching(namespace, previous.metadata.labels);
  if (podChanged) return new Set([...now, ...before]);
  const out = new Set<string>();
  for (const k of now) if (!before.has(k)) out.add(k);
  for (const k of before) if (!now.has(k)) out.add(k);
  return out;
}

/** ShouldPodBeInEndpoints: not finished, has an address, and (unless allowed) not terminating. */
export function shouldPodBeInEndpoints(pod: SimPod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPsOf(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** ShouldSetHostname: the pod names this Service as its subdomain. */
export function shouldSetHostname(pod: SimPod, svc: SimService): boolean {
  return (
    !!pod.spec?.hostname &&
    pod.spec.subdomain === svc.metadata.name &&
    svc.metadata.namespace === pod.metadata.namespace
  );
}

const isIPv6 = (ip: string): boolean => ip.includes(':');

/** The pod's addresses of one family (getEndpointAddresses). */
export function podAddressesOfFamily(pod: Pod, ipv6: boolean): string[] {
  return podIPsOf(pod).filter((ip) => isIPv6(ip) === ipv6);
}

/** The Service's family: its first ipFamily, else its cluster IP's, else the pod's. */
export function serviceIsIPv6(svc: Service, pod: Pod): boolean {
  const families = svc.spec?.ipFamilies ?? [];
  if (families.length > 0) return families[0] === 'IPv6';
  if (isServiceIPSet(svc)) return isIPv6(svc.spec?.clusterIP ?? '');
  return isIPv6(pod.status?.podIP ?? '');
}

/**
 * FindPort: a numeric targetPort as is; a named one looked up among the containers' (and
 * sidecars') ports of the same protocol. Undefined when the pod has no such port.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  const search = (containers: readonly Container[]) => {
    for (const c of containers)
      for (const p of c.ports ?? [])
        if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    return undefined;
  };
  return (
    search(pod.spec?.containers ?? []) ??
    search((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'))
  );
}

/**
 * What both endpoints controllers watch: every Service (into `services`, each queued for sync)
 * and every pod event, queued for the Services it concerns. Returns the unsubscribers.
 */
export function watchServicesAndPods(
  registry: Registry,
  services: ServiceSelectorIndex,
  queue: WorkQueue,
): (() => void)[] {
  for (const svc of registry.list(SERVICES, {}).items) {
    services.apply('ADDED', svc as SimService);
    queue.add(keyOf(svc.metadata.namespace, svc.metadata.name ?? ''));
  }
  return [
    subscribe(registry, SERVICES, (type, event) => {
      const svc = event.object as SimService;
      services.apply(type, svc);
      queue.add(keyOf(svc.metadata.namespace, svc.metadata.name ?? ''));
    }),
    subscribe(registry, PODS, (type, event) => {
      const pod = event.object as SimPod;
      for (const key of servicesForPodEvent(services, type, pod, event.previous as SimPod | undefined))
        queue.add(key);
    }),
  ];
}

/**
 * TriggerTimeTracker: the time of the earliest change since the last sync that the endpoints
 * reflect — a pod's Ready transition or the Service's creation — exported as the
 * last-change-trigger-time annotation; for a Service seen the first time, its creation.
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, { service: number; pods: Map<string, number> }>();

  /** The trigger time to export (ms), or undefined to clear the annotation. */
  compute(svc: SimService, pods: readonly SimPod[]): number | undefined {
    const key = keyOf(svc.metadata.namespace, svc.metadata.name ?? '');
    const state = this.states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const at = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
      if (!Number.isFinite(at)) continue;
      const name = pod.metadata.name ?? '';
      podTimes.set(name, at);
      if (at > (state?.pods.get(name) ?? -Infinity)) min = min === undefined ? at : Math.min(min, at);
    }
    const serviceTime = Date.parse(svc.metadata.creationTimestamp ?? '');
    if (serviceTime > (state?.service ?? -Infinity))
      min = min === undefined ? serviceTime : Math.min(min, serviceTime);
    this.states.set(key, { service: serviceTime, pods: podTimes });
    if (!state) return Number.isFinite(serviceTime) ? serviceTime : undefined;
    return min;
  }

  forget(namespace: string | undefined, name: string): void {
    this.states.delete(keyOf(namespace, name));
  }
}

/** time.RFC3339Nano of a whole-second or millisecond instant, as Go prints it (no trailing zeros). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * Per-key exponential retry delays like the controllers' rate limiters (base × 2^n, at most
 * 1000s); after `maxRetries` failures the key is dropped until its next event.
 */
export class RetryDelays {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs: number,
    private readonly maxRetries = 15,
  ) {}

  /** The delay before the next attempt, or undefined when the retry budget is spent. */
  next(key: string): number | undefined {
    const n = this.failures.get(key) ?? 0;
    if (n >= this.maxRetries) {
      this.failures.delete(key);
      return undefined;
    }
    this.failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, 1_000_000);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoints

interface PortKey {
  port: EndpointPort;
  key: string;
}

const portKeyOf = (p: EndpointPort): string =>
  JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? '']);

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** LessEndpointAddress: by IP (bytes), then target uid. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareStrings(a.ip, b.ip) || compareStrings(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

/**
 * RepackSubsets: one (address, port) pair per pod and port in, the canonical layout out —
 * addresses de-duplicated by IP and uid, "not ready" winning over "ready" for the same port,
 * and ports that are served by exactly the same addresses sharing a subset.
 */
function repackSubsets(
  pairs: { address: EndpointAddress; ready: boolean; port: EndpointPort | undefined }[],
): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const { address, ready, port } of pairs) {
    const addrKey = `${address.ip}\u0000${address.targetRef?.uid ?? ''}`;
    if (!addresses.has(addrKey)) addresses.set(addrKey, address);
    const pKey = port ? portKeyOf(port) : '';
    let entry = byPort.get(pKey);
    if (!entry) byPort.set(pKey, (entry = { port, ready: new Map() }));
    const was = entry.ready.get(addrKey);
    if (was === undefined || was) entry.ready.set(addrKey, ready);
  }
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, boolean> }>();
  for (const { port, ready } of byPort.values()) {
    const setKey = [...ready]
      .map(([k, r]) => `${k}\u0001${r ? 1 : 0}`)
      .sort()
      .join('\u0002');
    let group = groups.get(setKey);
    if (!group) groups.set(setKey, (group = { ports: [], ready }));
    if (port) group.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { ports, ready } of groups.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of ready) (r ? readyAddrs : notReady).push(addresses.get(k) as EndpointAddress);
    readyAddrs.sort(compareAddresses);
    notReady.sort(compareAddresses);
    const sortedPorts: PortKey[] = ports.map((port) => ({ port, key: portKeyOf(port) }));
    sortedPorts.sort((a, b) => compareStrings(a.key, b.key));
    subsets.push({
      ...(readyAddrs.length > 0 ? { addresses: readyAddrs } : {}),
      ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
      ...(sortedPorts.length > 0 ? { ports: sortedPorts.map((p) => p.port) } : {}),
    });
  }
  // Upstream orders subsets by a hash of their content; any fixed order serves clients alike.
  const subsetKey = (s: EndpointSubset): string => (s.ports ?? []).map(portKeyOf).join('|');
  subsets.sort((a, b) => compareStrings(subsetKey(a), subsetKey(b)));
  return subsets;
}

/**
 * truncateEndpoints: at most MAX_CAPACITY addresses, ready ones first, each subset keeping its
 * proportional (rounded up) share.
 */
function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_CAPACITY) return false;
  const truncateReady = totalReady > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (let i = 0; i < subsets.length; i++) {
    const s = subsets[i] as EndpointSubset;
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      const addresses = (s.addresses ?? []).slice(0, toBeAdded);
      subsets[i] = {
        ...(addresses.length > 0 ? { addresses } : {}),
        ...(s.ports ? { ports: s.ports } : {}),
      };
      canBeAdded -= addresses.length;
    } else {
      const notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      subsets[i] = {
        ...(s.addresses ? { addresses: s.addresses } : {}),
        ...(notReadyAddresses.length > 0 ? { notReadyAddresses } : {}),
        ...(s.ports ? { ports: s.ports } : {}),
      };
      canBeAdded -= notReadyAddresses.length;
    }
  }
  return true;
}

function addressCount(subsets: readonly EndpointSubset[] | undefined): number {
  let n = 0;
  for (const s of subsets ?? []) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  return n;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoint';
  private readonly services = new ServiceSelectorIndex();
  private readonly triggerTimes = new TriggerTimeTracker();
  // 5ms, 10ms, … 82s: the default controller rate limiter, 15 retries.
  private readonly retries = new RetryDelays(5);
  private readonly queue: WorkQueue;
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('endpoint', ctx.clock, (key) => this.syncService(key));
  }

  start(): void {
    const { registry } = this.ctx;
    this.stops.push(...watchServicesAndPods(registry, this.services, this.queue));
    // checkLeftoverEndpoints: Endpoints whose Service is gone are deleted by the first sync.
    for (const ep of registry.list(ENDPOINTS, {}).items) {
      if (ep.metadata.annotations?.[LEADER_ANNOTATION] !== undefined) continue;
      this.queue.add(keyOf(ep.metadata.namespace, ep.metadata.name ?? ''));
    }
    this.stops.push(
      subscribe(registry, ENDPOINTS, (type, event) => {
        if (type !== 'DELETED') return;
        this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? ''));
      }),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    this.queue.stop();
  }

  private syncService(key: string): number | undefined {
    try {
      this.sync(key);
      this.retries.forget(key);
      return undefined;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return this.retries.next(key);
    }
  }

  private sync(key: string): void {
    const { registry } = this.ctx;
    const { namespace, name } = splitKey(key);
    const svc = registry.find(SERVICES, namespace, name) as SimService | undefined;
    if (!svc) {
      ignoreGone(() => registry.delete(ENDPOINTS, namespace, name));
      this.triggerTimes.forget(namespace, name);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    // Services without a selector get their Endpoints from whoever manages them.
    if (!selector) return;
    const pods = registry.list(PODS, { namespace, labels: selector }).items as SimPod[];
    const triggerTime = this.triggerTimes.compute(svc, pods);
    const subsets = this.desiredSubsets(svc, pods);

    const current = registry.find(ENDPOINTS, namespace, name) as SimEndpoints | undefined;
    const serviceLabels = svc.metadata.labels ?? {};
    if (current) {
      const { [HEADLESS_LABEL]: _headless, ...compareLabels } = current.metadata.labels ?? {};
      const annotations = current.metadata.annotations ?? {};
      const capacityAnnotationCorrect =
        addressCount(current.subsets) <= MAX_CAPACITY && annotations[OVER_CAPACITY_ANNOTATION] === undefined;
      if (
        semanticEqual(current.subsets ?? [], subsets) &&
        semanticEqual(compareLabels, serviceLabels) &&
        capacityAnnotationCorrect
      ) {
        return;
      }
    }
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[TRIGGER_TIME_ANNOTATION] = rfc3339Nano(triggerTime);
    else delete annotations[TRIGGER_TIME_ANNOTATION];
    if (truncateSubsets(subsets)) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const labels: Record<string, string> = { ...serviceLabels };
    if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];

    if (!current) {
      const body: SimEndpoints = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: {
          name,
          namespace,
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        ...(subsets.length > 0 ? { subsets } : {}),
      };
      try {
        registry.create(ENDPOINTS, namespace, body, { manager: MANAGER });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // A terminating namespace refuses new content for good: drop the item.
        if (error.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
        this.ctx.events.record(
          SOURCE,
          body,
          'Warning',
          'FailedToCreateEndpoint',
          `Failed to create endpoint for service ${namespace}/${name}: ${error.message}`,
        );
        throw error;
      }
      return;
    }
    const next = structuredClone(current);
    next.metadata.labels = labels;
    if (Object.keys(labels).length === 0) delete next.metadata.labels;
    next.metadata.annotations = annotations;
    if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
    if (subsets.length > 0) next.subsets = subsets;
    else delete (next as { subsets?: unknown }).subsets;
    try {
      registry.replace(ENDPOINTS, current, next, { manager: MANAGER });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code !== 404 && error.code !== 409) {
        this.ctx.events.record(
          SOURCE,
          next,
          'Warning',
          'FailedToUpdateEndpoint',
          `Failed to update endpoint ${namespace}/${name}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  private desiredSubsets(svc: SimService, pods: readonly SimPod[]): EndpointSubset[] {
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    const ports = svc.spec?.ports ?? [];
    const headless = svc.spec?.clusterIP === 'None';
    const pairs: { address: EndpointAddress; ready: boolean; port: EndpointPort | undefined }[] = [];
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
      const ip = podAddressesOfFamily(pod, serviceIsIPv6(svc, pod))[0];
      if (!ip) continue;
      const address: EndpointAddress = {
        ip,
        ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname } : {}),
        nodeName: pod.spec?.nodeName ?? '',
        targetRef: {
          kind: 'Pod',
          namespace: pod.metadata.namespace ?? '',
          name: pod.metadata.name ?? '',
          uid: pod.metadata.uid ?? '',
        },
      };
      const ready = publishNotReady || isPodReady(pod);
      if (ports.length === 0) {
        // A headless Service may have no ports; its addresses still get a subset.
        if (headless) pairs.push({ address, ready, port: undefined });
        continue;
      }
      for (const svcPort of ports) {
        const portNum = findPort(pod, svcPort);
        if (portNum === undefined) continue;
        pairs.push({
          address,
          ready,
          port: {
            ...(svcPort.name ? { name: svcPort.name } : {}),
            port: portNum,
            protocol: svcPort.protocol ?? 'TCP',
            ...(svcPort.appProtocol ? { appProtocol: svcPort.appProtocol } : {}),
          },
        });
      }
    }
    return repackSubsets(pairs);
  }
}
