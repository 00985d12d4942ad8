/**
 * Every object in a simulated cluster, read from its store (all kinds, not only those scars
 * writes), reduced to what a run could leave behind or change, so two inventories compare equal
 * when the cluster is as it was.
 *
 * What is compared, and what Kubernetes itself is allowed to change between two looks:
 * - Most objects: everything but `status` and the server's bookkeeping (resourceVersion,
 *   managedFields, generation). The uid stays in: an object deleted and re-created is a change.
 * - Events (core and events.k8s.io): not compared in namespaces that exist in the baseline.
 *   Kubernetes keeps Events for the apiserver's --event-ttl (1 h) after what they describe, so
 *   Events about nodes in `default` and `kube-system` accumulate by design. An Event in a
 *   namespace that no longer exists is a leak (namespace deletion removes them).
 * - Leases: only that they exist. Kubelets renew their node Lease every 10 s (spec.renewTime).
 * - Pods: counted per namespace and controller (the owner's kind and name, or the pod's own name
 *   when it has none). A controller replaces the pods it owns under new names; what must hold is
 *   the same workloads with the same number of pods. Terminating pods count apart.
 * - Endpoints and EndpointSlices: which exist, by Service, and their ports; the addresses follow
 *   the pods (new pod IPs after a replacement are the cluster's doing). EndpointSlices are keyed
 *   by their Service label, since the controller names them with a random suffix.
 * - Nodes: spec (unschedulable, taints), labels, annotations, and each condition's status, which
 *   is how a fault's after-effect (MemoryPressure still True) shows; heartbeat times are not.
 * - ConfigMap kube-public/scars-sim-clock: only that it exists; the sim republishes its clock there.
 */
import type { SimCluster } from '../../src/sim/cluster.ts';
import { RESOURCES } from '../../src/sim/kinds/registry.ts';
import type { KubeObject } from '../../src/sim/object.ts';
import { SIM_CLOCK_CONFIG_MAP } from '../../src/sim/names.ts';

/** Identity (`Kind namespace/name`, or a grouping key) → canonical JSON of what is compared. */
export type Inventory = Map<string, string>;

export interface InventoryDifference {
  kind: 'left behind' | 'missing' | 'changed';
  key: string;
  /** For `changed`: the canonical forms before and after. */
  before?: string;
  after?: string;
}

const EVENT_KINDS = new Set(['Event']);

/** The objects a sim holds now, one entry per identity. */
export function takeInventory(sim: Pick<SimCluster, 'registry'>): Inventory {
  const raw: KubeObject[] = [];
  for (const r of RESOURCES) {
    // Binding has no storage; a view (e.g. another API version) shares its storage's objects.
    if (r.kind === 'Binding' || r.storage) continue;
    raw.push(...sim.registry.store.list(sim.registry.storeKey(r)).items);
  }
  const namespaces = new Set(raw.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name ?? ''));
  const inventory: Inventory = new Map();
  const counted = new Map<string, number>();
  for (const o of raw) {
    const ns = o.metadata.namespace;
    const where = ns ? `${ns}/` : '';
    const name = o.metadata.name ?? '';
    if (EVENT_KINDS.has(o.kind)) {
      // Orphaned Events (their namespace is gone) are entered one by one: a leak.
      if (ns && !namespaces.has(ns)) inventory.set(`${o.kind} ${where}${name}`, 'orphaned');
      else countInto(counted, `Events in ${ns ?? '(cluster)'}`);
      continue;
    }
    switch (o.kind) {
      case 'Pod': {
        const owner =
          o.metadata.ownerReferences?.find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];
        const by = owner ? `${owner.kind}/${owner.name}` : `Pod/${name}`;
        const terminating = o.metadata.deletionTimestamp ? ' (terminating)' : '';
        countInto(counted, `Pods ${where}${by}${terminating}`);
        break;
      }
      case 'Lease':
        inventory.set(`Lease ${where}${name}`, 'exists');
        break;
      case 'Endpoints':
        inventory.set(`Endpoints ${where}${name}`, JSON.stringify(endpointPorts(o)));
        break;
      case 'EndpointSlice': {
        const service = o.metadata.labels?.['kubernetes.io/service-name'] ?? `(no service) ${name}`;
        const shape = JSON.stringify({ addressType: o.addressType, ports: o.ports ?? [] });
        countInto(counted, `EndpointSlices ${where}${service} ${shape}`);
        break;
      }
      case 'Node':
        inventory.set(`Node ${name}`, JSON.stringify(nodeShape(o)));
        break;
      default:
        if (
          o.kind === 'ConfigMap' &&
          ns === SIM_CLOCK_CONFIG_MAP.namespace &&
          name === SIM_CLOCK_CONFIG_MAP.name
        )
          inventory.set(`ConfigMap ${where}${name}`, 'exists');
        else inventory.set(`${o.kind} ${where}${name}`, JSON.stringify(canonical(o)));
    }
  }
  // Event counts are reported (they grow) but never compared: see the header.
  for (const [key, n] of counted) if (!key.startsWith('Events in ')) inventory.set(key, `count ${n}`);
  return inventory;
}

/** How many Events the cluster holds (for the soak's table: they may grow, within their TTL). */
export function eventCount(sim: Pick<SimCluster, 'registry'>): number {
  let n = 0;
  for (const r of RESOURCES) {
    if (r.kind !== 'Event' || r.storage) continue;
    n += sim.registry.store.count(sim.registry.storeKey(r));
  }
  return n;
}

/** The inventory once it has not changed for `quietMs` of cluster time (or at `limitMs`). */
export async function quietInventory(
  sim: Pick<SimCluster, 'registry' | 'clock'>,
  quietMs: number,
  limitMs: number,
): Promise<Inventory> {
  const start = sim.clock.now();
  let last = takeInventory(sim);
  let since = start;
  while (sim.clock.now() - since < quietMs && sim.clock.now() - start < limitMs) {
    await sim.clock.sleep(1000);
    const now = takeInventory(sim);
    if (diffInventory(last, now).length) since = sim.clock.now();
    last = now;
  }
  return last;
}

export function diffInventory(before: Inventory, after: Inventory): InventoryDifference[] {
  const out: InventoryDifference[] = [];
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now === undefined) out.push({ kind: 'missing', key });
    else if (now !== was) out.push({ kind: 'changed', key, before: was, after: now });
  }
  for (const key of after.keys()) if (!before.has(key)) out.push({ kind: 'left behind', key });
  return out;
}

/** One line per difference, for the soak's output. */
export function formatDifference(d: InventoryDifference): string {
  if (d.kind !== 'changed') return `${d.kind}: ${d.key}`;
  return `changed: ${d.key}\n    before ${d.before}\n    after  ${d.after}`;
}

function countInto(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function canonical(o: KubeObject): unknown {
  const { status: _status, metadata, ...rest } = o;
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata;
  return { ...rest, metadata: meta };
}

function nodeShape(o: KubeObject) {
  const status = (o.status ?? {}) as { conditions?: { type: string; status: string }[] };
  return {
    uid: o.metadata.uid,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    spec: o.spec ?? {},
    conditions: Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.status])),
  };
}

function endpointPorts(o: KubeObject) {
  const subsets = (o.subsets ?? []) as { ports?: unknown[] }[];
  return subsets.map((s) => s.ports ?? []);
}
