/**
 * Resource arithmetic as the scheduler does it (framework.Resource): cpu in integer millicores,
 * memory and ephemeral-storage in bytes, extended resources (hugepages, `vendor/name`) by value,
 * all rounded up like Quantity.MilliValue()/Value(). A pod's requests follow resource.PodRequests:
 * regular containers and sidecars add up, an init container counts with the sidecars started
 * before it, the largest wins, overhead is added.
 */
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../kube/quantity.ts';

export interface Resources {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages-*, attachable-volumes-* (schedutil.IsScalarResourceName). */
  scalar: Map<string, number>;
}

/** What scoring uses for containers that request nothing (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export const emptyResources = (): Resources => ({
  milliCpu: 0,
  memory: 0,
  ephemeralStorage: 0,
  scalar: new Map(),
});

export function isScalarResource(name: string): boolean {
  return (
    name.startsWith('hugepages-') ||
    name.startsWith('attachable-volumes-') ||
    // Extended resources and kubernetes.io/-prefixed native ones carry a domain.
    name.includes('/')
  );
}

// Quantities as float: round up like MilliValue()/Value(), forgiving float noise (0.1+0.2).
const ceilish = (x: number): number => Math.ceil(x - 1e-6);

type Amounts = Map<string, number>;

function containerAmounts(c: Container, fill: boolean): Amounts {
  const out: Amounts = new Map();
  for (const [name, text] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) {
    const v = parseQuantity(String(text));
    if (v !== undefined) out.set(name, v);
  }
  if (fill) {
    // NonMissingContainerRequests: only absent entries are filled; an explicit 0 stays 0.
    if (!out.has('cpu')) out.set('cpu', DEFAULT_MILLI_CPU_REQUEST / 1000);
    if (!out.has('memory')) out.set('memory', DEFAULT_MEMORY_REQUEST);
  }
  return out;
}

function add(into: Amounts, more: Amounts): void {
  for (const [k, v] of more) into.set(k, (into.get(k) ?? 0) + v);
}

function max(into: Amounts, other: Amounts): void {
  for (const [k, v] of other) into.set(k, Math.max(into.get(k) ?? 0, v));
}

/** resource.PodRequests; `fill` gives containers without a cpu/memory request the scoring defaults. */
export function podRequestAmounts(pod: Pod, fill = false): Amounts {
  const total: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) add(total, containerAmounts(c, fill));
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerAmounts(c, fill);
    if (c.restartPolicy === 'Always') {
      add(total, own);
      add(sidecars, own);
      max(initPeak, sidecars);
    } else {
      const during = new Map(own);
      add(during, sidecars);
      max(initPeak, during);
    }
  }
  max(total, initPeak);
  const overhead: Amounts = new Map();
  for (const [name, text] of Object.entries((pod.spec?.overhead ?? {}) as Record<string, string>)) {
    const v = parseQuantity(String(text));
    if (v !== undefined) overhead.set(name, v);
  }
  add(total, overhead);
  return total;
}

// Pods rarely request extended resources: they share one (never mutated) empty map.
const NO_SCALARS: Map<string, number> = new Map();

export function resourcesOf(amounts: Amounts): Resources {
  const r: Resources = { milliCpu: 0, memory: 0, ephemeralStorage: 0, scalar: NO_SCALARS };
  for (const [name, v] of amounts) {
    if (name === 'cpu') r.milliCpu = ceilish(v * 1000);
    else if (name === 'memory') r.memory = ceilish(v);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = ceilish(v);
    else if (isScalarResource(name)) {
      if (r.scalar === NO_SCALARS) r.scalar = new Map();
      r.scalar.set(name, ceilish(v));
    }
  }
  return r;
}

export interface PodResourceFacts {
  requests: Resources;
  /** cpu/memory with the scoring defaults for containers that request nothing. */
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
}

export function podResourceFacts(pod: Pod): PodResourceFacts {
  const requests = resourcesOf(podRequestAmounts(pod));
  const nonZero = podRequestAmounts(pod, true);
  return {
    requests,
    nonZeroMilliCpu: ceilish((nonZero.get('cpu') ?? 0) * 1000),
    nonZeroMemory: ceilish(nonZero.get('memory') ?? 0),
  };
}

export interface Allocatable extends Resources {
  pods: number;
}

/** node.status.allocatable as the scheduler reads it (NodeInfo.Allocatable). */
export function nodeAllocatable(node: Node): Allocatable {
  const amounts: Amounts = new Map();
  for (const [name, text] of Object.entries((node.status?.allocatable ?? {}) as Record<string, string>)) {
    const v = parseQuantity(String(text));
    if (v !== undefined) amounts.set(name, v);
  }
  return { ...resourcesOf(amounts), pods: Math.floor(amounts.get('pods') ?? 0) };
}

/** `into` += sign × `r`. */
export function addResources(into: Resources, r: Resources, sign: 1 | -1): void {
  into.milliCpu += sign * r.milliCpu;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) {
    const next = (into.scalar.get(k) ?? 0) + sign * v;
    if (next === 0) into.scalar.delete(k);
    else into.scalar.set(k, next);
  }
}

export function sameResources(a: Resources, b: Resources): boolean {
  if (a.milliCpu !== b.milliCpu || a.memory !== b.memory || a.ephemeralStorage !== b.ephemeralStorage)
    return false;
  if (a.scalar.size !== b.scalar.size) return false;
  for (const [k, v] of a.scalar) if (b.scalar.get(k) !== v) return false;
  return true;
}
