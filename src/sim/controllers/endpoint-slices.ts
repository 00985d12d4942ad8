/**
 * The EndpointSlice controller (pkg/controller/endpointslice + k8s.io/endpointslice reconciler,
 * kube-controller-manager 1.32): for every Service with a selector, discovery.k8s.io/v1
 * EndpointSlices named `<service>-<random>` and owned by the Service, holding at most 100
 * endpoints each, one slice group per distinct set of ports. Every non-terminal pod with an
 * address is an endpoint, terminating ones included, with conditions ready (Ready and not
 * terminating, or the Service publishes not-ready addresses), serving (Ready) and terminating.
 * A Service with no endpoints keeps one empty placeholder slice.
 *
 * Reconciling keeps existing slices and the position of endpoints in them where it can: changed
 * endpoints are updated in place, removed ones dropped, new ones fill the slices being updated
 * first, then the unchanged slice closest to full, then new slices. Slices are deleted with
 * their Service by the garbage collector (owner reference).
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiError } from '../api/rest/status.ts';
import type { SimContext } from '../context.ts';
import { isPodReady, type SimPod } from '../kinds/pod.ts';
import { ENDPOINT_SLICES, NODES, PODS, SERVICES } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual } from '../object.ts';
import { isDNS1123Subdomain, labelSelectorFromSet } from '../store/selectors.ts';
import { type Controller, subscribe } from './controller.ts';
import {
  findPort,
  HEADLESS_LABEL,
  isServiceIPSet,
  podAddressesOfFamily,
  RetryDelays,
  rfc3339Nano,
  serviceSelector,
  ServiceSelectorIndex,
  watchServicesAndPods,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type SimService,
  TRIGGER_TIME_ANNOTATION,
  TriggerTimeTracker,
} from './endpoints.ts';
import type { EventSource } from './events.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type SimSlice = EndpointSlice & KubeObject;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** --max-endpoints-per-slice default. */
const MAX_ENDPOINTS_PER_SLICE = 100;
const MANAGER = 'kube-controller-manager';
const SOURCE: EventSource = { component: 'endpoint-slice-controller' };
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** A slice being built: the stored slice it will replace (if any) and its new content. */
interface Draft {
  existing: SimSlice | undefined;
  ports: EndpointPort[];
  endpoints: Endpoint[];
  labels: Record<string, string>;
}

/** hashEndpoint: what identifies an endpoint across syncs (its addresses, hostname and pod). */
const endpointKey = (e: Endpoint): string =>
  JSON.stringify([
    [...e.addresses].sort(),
    e.hostname ?? '',
    e.targetRef?.namespace ?? '',
    e.targetRef?.name ?? '',
  ]);

/** NewPortMapKey: the set of ports, whatever their order. */
const portsKey = (ports: readonly EndpointPort[] | null | undefined): string =>
  (ports ?? [])
    .map((p) => JSON.stringify([p.name ?? '', p.port ?? null, p.protocol ?? '', p.appProtocol ?? '']))
    .sort()
    .join('|');

/** EndpointsEqualBeyondHash: the fields the key does not cover (target uid included). */
function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  return (
    (a.nodeName ?? null) === (b.nodeName ?? null) &&
    (a.zone ?? null) === (b.zone ?? null) &&
    (a.conditions?.ready ?? null) === (b.conditions?.ready ?? null) &&
    (a.conditions?.serving ?? null) === (b.conditions?.serving ?? null) &&
    (a.conditions?.terminating ?? null) === (b.conditions?.terminating ?? null) &&
    semanticEqual(
      { ...a.targetRef, resourceVersion: undefined },
      { ...b.targetRef, resourceVersion: undefined },
    )
  );
}

const ownedBy = (slice: SimSlice, svc: SimService): boolean =>
  (slice.metadata.ownerReferences ?? []).some(
    (o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1',
  );

function withoutReserved(labels: Record<string, string>): Record<string, string> {
  const {
    [SERVICE_NAME_LABEL]: _name,
    [MANAGED_BY_LABEL]: _by,
    [HEADLESS_LABEL]: _headless,
    ...rest
  } = labels;
  return rest;
}

/** getEndpointSlicePrefix: `<service>-`, or the bare name when the dash would not be valid. */
function slicePrefix(serviceName: string): string {
  const prefix = `${serviceName}-`;
  // NameIsDNSSubdomain(prefix, true) checks the prefix with a generated suffix in mind.
  return isDNS1123Subdomain(`${prefix}a`).length === 0 ? prefix : serviceName;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly services = new ServiceSelectorIndex();
  private readonly triggerTimes = new TriggerTimeTracker();
  // 1s, 2s, 4s … 1000s (defaultSyncBackOff / maxSyncBackOff), 15 retries.
  private readonly retries = new RetryDelays(1_000);
  /** Slices as this controller last wrote them (name → resourceVersion), and deletions it made. */
  private readonly written = new Map<string, string>();
  private readonly queue: WorkQueue;
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('endpoint_slice', ctx.clock, (key) => this.syncService(key));
  }

  start(): void {
    const { registry } = this.ctx;
    this.stops.push(
      ...watchServicesAndPods(registry, this.services, this.queue),
      subscribe(registry, ENDPOINT_SLICES, (type, event) =>
        this.onSliceEvent(type, event.object as SimSlice),
      ),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    this.queue.stop();
  }

  /**
   * A managed slice changed by someone else (or deleted) brings its Service back in sync, like
   * the controller's EndpointSliceTracker: its own writes are recognised by resourceVersion.
   */
  private onSliceEvent(type: string, slice: SimSlice): void {
    const labels = slice.metadata.labels ?? {};
    const service = labels[SERVICE_NAME_LABEL];
    if (labels[MANAGED_BY_LABEL] !== CONTROLLER_NAME || !service) return;
    const sliceKey = keyOf(slice.metadata.namespace, slice.metadata.name ?? '');
    const ours = this.written.get(sliceKey);
    if (type === 'DELETED') {
      this.written.delete(sliceKey);
      if (ours === 'deleted') return;
    } else if (ours === slice.metadata.resourceVersion) {
      return;
    }
    this.queue.add(keyOf(slice.metadata.namespace, service));
  }

  private syncService(key: string): number | undefined {
    try {
      this.sync(key);
      this.retries.forget(key);
      return undefined;
    } catch (error) {
      if (!(error instanceof SliceSyncError)) throw error;
      const svc = this.ctx.registry.find(SERVICES, splitKey(key).namespace, splitKey(key).name);
      if (svc) {
        const { namespace, name } = splitKey(key);
        this.ctx.events.record(
          SOURCE,
          svc,
          'Warning',
          'FailedToUpdateEndpointSlices',
          `Error updating Endpoint Slices for Service ${namespace ?? ''}/${name}: ${error.message}`,
        );
      }
      return this.retries.next(key);
    }
  }

  private sync(key: string): void {
    const { registry } = this.ctx;
    const { namespace, name } = splitKey(key);
    const svc = registry.find(SERVICES, namespace, name) as SimService | undefined;
    if (!svc) {
      // The garbage collector removes the slices with their owner.
      this.triggerTimes.forget(namespace, name);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = registry.list(PODS, { namespace, labels: selector }).items as SimPod[];
    const existing = (
      registry.list(ENDPOINT_SLICES, {
        namespace,
        labels: labelSelectorFromSet({ [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: CONTROLLER_NAME }),
      }).items as SimSlice[]
    ).filter((s) => !s.metadata.deletionTimestamp);
    const triggerTime = this.triggerTimes.compute(svc, pods);
    const errors = this.reconcile(svc, pods, existing, triggerTime);
    if (errors.length > 0) {
      throw new SliceSyncError(errors.length === 1 ? (errors[0] as string) : `[${errors.join(', ')}]`);
    }
  }

  /** Returns what went wrong (pods skipped because their node is gone, failed writes), as upstream's errors. */
  private reconcile(
    svc: SimService,
    pods: SimPod[],
    existing: SimSlice[],
    triggerTime: number | undefined,
  ): string[] {
    const errors: string[] = [];
    const namespace = svc.metadata.namespace ?? '';
    const ipv6 = (svc.spec?.ipFamilies ?? [])[0] === 'IPv6';
    const addressType = ipv6 ? 'IPv6' : 'IPv4';
    const toDelete: SimSlice[] = [];
    const existingByPorts = new Map<string, SimSlice[]>();
    for (const slice of existing) {
      if (!ownedBy(slice, svc) || slice.addressType !== addressType) {
        toDelete.push(slice);
        continue;
      }
      const k = portsKey(slice.ports);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), slice]);
    }

    // Desired endpoints, grouped by port set (insertion order keeps pod order).
    const desired = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = this.endpointPorts(svc, pod);
      const k = portsKey(ports);
      let group = desired.get(k);
      if (!group) desired.set(k, (group = { ports, endpoints: new Map() }));
      const nodeName = pod.spec?.nodeName ?? '';
      const node = nodeName
        ? (this.ctx.registry.find(NODES, undefined, nodeName) as (Node & KubeObject) | undefined)
        : undefined;
      if (!node && !publishNotReady) {
        // The pod outlived its node: leave it out now and retry until pod GC removes it.
        errors.push(
          `skipping Pod ${pod.metadata.name ?? ''} for Service ${namespace}/${svc.metadata.name ?? ''}: Node ${nodeName} Not Found`,
        );
        continue;
      }
      const endpoint = this.podToEndpoint(pod, node, svc, ipv6);
      if (endpoint.addresses.length > 0) group.endpoints.set(endpointKey(endpoint), endpoint);
    }

    const toCreate: Draft[] = [];
    const toUpdate: Draft[] = [];
    for (const [k, group] of desired) {
      const result = this.reconcileByPorts(svc, existingByPorts.get(k) ?? [], group.endpoints, group.ports);
      toCreate.push(...result.create);
      toUpdate.push(...result.update);
      toDelete.push(...result.delete);
    }
    for (const [k, slices] of existingByPorts) if (!desired.has(k)) toDelete.push(...slices);

    // No endpoints at all: keep (or make) one empty placeholder slice.
    if (existing.length === toDelete.length && toCreate.length === 0) {
      const placeholderLabels = this.sliceLabels(svc);
      const reusable =
        toDelete.length === 1 &&
        ownedBy(toDelete[0] as SimSlice, svc) &&
        (toDelete[0]?.endpoints ?? []).length === 0 &&
        (toDelete[0]?.ports ?? []).length === 0 &&
        semanticEqual(toDelete[0]?.metadata.labels ?? {}, placeholderLabels) &&
        toDelete[0]?.addressType === addressType;
      if (reusable) toDelete.length = 0;
      else toCreate.push({ existing: undefined, ports: [], endpoints: [], labels: placeholderLabels });
    }
    const failure = this.finalize(svc, addressType, toCreate, toUpdate, toDelete, triggerTime);
    if (failure) errors.push(failure);
    return errors;
  }

  private endpointPorts(svc: SimService, pod: SimPod): EndpointPort[] {
    const out: EndpointPort[] = [];
    const ports = svc.spec?.ports ?? [];
    if (ports.length === 0 && svc.spec?.clusterIP === 'None') return out;
    for (const svcPort of ports) {
      const port = findPort(pod, svcPort);
      if (port === undefined) continue;
      out.push({
        name: svcPort.name ?? '',
        port,
        protocol: svcPort.protocol ?? 'TCP',
        ...(svcPort.appProtocol ? { appProtocol: svcPort.appProtocol } : {}),
      });
    }
    return out;
  }

  private podToEndpoint(
    pod: SimPod,
    node: (Node & KubeObject) | undefined,
    svc: SimService,
    ipv6: boolean,
  ): Endpoint {
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    // For compatibility, ready is never true for a terminating pod unless not-ready addresses are published.
    const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
    const zone = node?.metadata.labels?.[ZONE_LABEL];
    return {
      addresses: podAddressesOfFamily(pod, ipv6),
      conditions: { ready, serving, terminating },
      ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname } : {}),
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      ...(zone ? { zone } : {}),
    };
  }

  /**
   * setEndpointSliceLabels: the Service's labels (without the reserved keys), the headless
   * label for headless Services, and the service-name and managed-by labels.
   */
  private sliceLabels(svc: SimService): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
      if (k === SERVICE_NAME_LABEL || k === MANAGED_BY_LABEL || k === HEADLESS_LABEL) continue;
      labels[k] = v;
    }
    if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
    labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
    return labels;
  }

  /** reconcileByPortMapping. */
  private reconcileByPorts(
    svc: SimService,
    existing: SimSlice[],
    desired: Map<string, Endpoint>,
    ports: EndpointPort[],
  ): { create: Draft[]; update: Draft[]; delete: SimSlice[] } {
    const labels = this.sliceLabels(svc);
    const update: Draft[] = [];
    const unchanged: Draft[] = [];
    const deleted: SimSlice[] = [];
    // 1. Keep desired endpoints where they are, refresh changed ones, drop the rest.
    for (const slice of existing) {
      const kept: Endpoint[] = [];
      let changed = false;
      for (const endpoint of slice.endpoints ?? []) {
        const k = endpointKey(endpoint);
        const want = desired.get(k);
        if (!want) continue;
        kept.push(want);
        if (!endpointsEqual(want, endpoint)) changed = true;
        desired.delete(k);
      }
      const ownLabels = { ...(slice.metadata.labels ?? {}) };
      // Only the Service's own labels count; the reserved ones are rewritten with any update.
      const labelsChanged = !semanticEqual(withoutReserved(ownLabels), withoutReserved(labels));
      if (changed || kept.length !== (slice.endpoints ?? []).length) {
        if (kept.length === 0) deleted.push(slice);
        else update.push({ existing: slice, ports: slice.ports ?? [], endpoints: kept, labels });
      } else if (labelsChanged) {
        update.push({ existing: slice, ports: slice.ports ?? [], endpoints: kept, labels });
      } else {
        unchanged.push({ existing: slice, ports: slice.ports ?? [], endpoints: kept, labels: ownLabels });
      }
    }
    const remaining = [...desired.values()];
    // 2. Fill the slices being updated anyway, fullest first.
    if (remaining.length > 0 && update.length > 0) {
      const byFullness = [...update].sort((a, b) => b.endpoints.length - a.endpoints.length);
      for (const draft of byFullness) {
        while (remaining.length > 0 && draft.endpoints.length < MAX_ENDPOINTS_PER_SLICE)
          draft.endpoints.push(remaining.shift() as Endpoint);
      }
    }
    // 3. Then the unchanged slice that ends closest to full, then new slices.
    const create: Draft[] = [];
    while (remaining.length > 0) {
      let target: Draft | undefined;
      if (remaining.length < MAX_ENDPOINTS_PER_SLICE && unchanged.length > 0) {
        let closest = MAX_ENDPOINTS_PER_SLICE;
        for (const draft of unchanged) {
          const diff = MAX_ENDPOINTS_PER_SLICE - (remaining.length + draft.endpoints.length);
          if (diff >= 0 && diff < closest) {
            closest = diff;
            target = draft;
          }
        }
      }
      if (target) {
        unchanged.splice(unchanged.indexOf(target), 1);
        update.push(target);
      } else {
        target = { existing: undefined, ports, endpoints: [], labels };
        create.push(target);
      }
      while (remaining.length > 0 && target.endpoints.length < MAX_ENDPOINTS_PER_SLICE)
        target.endpoints.push(remaining.shift() as Endpoint);
    }
    return { create, update, delete: deleted };
  }

  /**
   * finalize: creates become updates of slices that would be deleted; then everything is
   * written. Returns upstream's error text for the first write that failed.
   */
  private finalize(
    svc: SimService,
    addressType: string,
    toCreate: Draft[],
    toUpdate: Draft[],
    toDelete: SimSlice[],
    triggerTime: number | undefined,
  ): string | undefined {
    const { registry } = this.ctx;
    const namespace = svc.metadata.namespace ?? '';
    const serviceName = `${namespace}/${svc.metadata.name ?? ''}`;
    for (let i = 0; i < toDelete.length && toCreate.length > 0;) {
      const victim = toDelete[i] as SimSlice;
      if (victim.addressType === addressType && ownedBy(victim, svc)) {
        const draft = toCreate.pop() as Draft;
        toUpdate.push({ ...draft, existing: victim });
        toDelete.splice(i, 1);
      } else {
        i++;
      }
    }
    const annotate = (annotations: Record<string, string> | undefined): Record<string, string> => {
      const out = { ...(annotations ?? {}) };
      if (triggerTime !== undefined) out[TRIGGER_TIME_ANNOTATION] = rfc3339Nano(triggerTime);
      else delete out[TRIGGER_TIME_ANNOTATION];
      return out;
    };
    // Empty lists do not survive storage: clients read null.
    const orNull = <T>(list: T[]): T[] => (list.length > 0 ? list : (null as unknown as T[]));
    // Don't create slices for a Service being deleted: the garbage collector would race them.
    if (!svc.metadata.deletionTimestamp) {
      for (const draft of toCreate) {
        const annotations = annotate(undefined);
        const body: SimSlice = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: slicePrefix(svc.metadata.name ?? ''),
            namespace,
            labels: draft.labels,
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'Service',
                name: svc.metadata.name ?? '',
                uid: svc.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          addressType,
          endpoints: orNull(draft.endpoints),
          ports: orNull(draft.ports),
        };
        try {
          const created = registry.create(ENDPOINT_SLICES, namespace, body, { manager: MANAGER });
          this.written.set(
            keyOf(namespace, created.metadata.name ?? ''),
            created.metadata.resourceVersion ?? '',
          );
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          // A terminating namespace refuses new content for good: drop the work.
          if (error.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return undefined;
          return `failed to create EndpointSlice for Service ${serviceName}: ${error.message}`;
        }
      }
    }
    for (const draft of toUpdate) {
      const live = draft.existing as SimSlice;
      const next = structuredClone(live);
      next.metadata.labels = draft.labels;
      const annotations = annotate(live.metadata.annotations);
      if (Object.keys(annotations).length > 0) next.metadata.annotations = annotations;
      else delete next.metadata.annotations;
      (next as { endpoints: Endpoint[] }).endpoints = orNull(draft.endpoints);
      (next as { ports: EndpointPort[] }).ports = orNull(draft.ports);
      try {
        const stored = registry.replace(ENDPOINT_SLICES, live, next, { manager: MANAGER });
        this.written.set(keyOf(namespace, stored.metadata.name ?? ''), stored.metadata.resourceVersion ?? '');
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return `failed to update ${live.metadata.name ?? ''} EndpointSlice for Service ${serviceName}: ${error.message}`;
      }
    }
    for (const slice of toDelete) {
      const sliceKey = keyOf(namespace, slice.metadata.name ?? '');
      this.written.set(sliceKey, 'deleted');
      try {
        registry.delete(ENDPOINT_SLICES, namespace, slice.metadata.name ?? '');
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === 404) continue;
        return `failed to delete ${slice.metadata.name ?? ''} EndpointSlice for Service ${serviceName}: ${error.message}`;
      }
    }
    return undefined;
  }
}

/** The sync could not do everything (a pod's node is gone, a write failed): retried, and reported on the Service. */
class SliceSyncError extends Error {}
