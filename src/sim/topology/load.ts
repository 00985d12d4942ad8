/**
 * Simulated-cluster topologies (`clusters/sim/*.yaml`): parsed, checked and resolved into
 * per-node configuration, with kubelet defaults where a file is silent. Allocatable is derived
 * the way the kubelet derives it (capacity − system-reserved − kube-reserved − hard eviction
 * threshold), so a topology states the machine and the kubelet flags, not the arithmetic.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { z } from 'zod';
import { errorMessage, InputError } from '../../errors.ts';
import { isDuration, parseDuration } from '../../harness/duration.ts';
import { locateInYaml } from '../../harness/source-location.ts';
import { toInputError } from '../../harness/validation.ts';
import { canonicalQuantity, formatQuantity, parseQuantity, parseQuantityExact } from '../../kube/quantity.ts';
import type { EvictionThreshold, SimNodeConfig, SimTopology } from './types.ts';
import { parseYamlInput } from '../../harness/yaml-input.ts';

const quantity = z
  .union([z.string(), z.number()])
  .refine((v) => canonicalQuantity(String(v)) !== undefined, {
    message: 'expected a quantity such as "4", "500m" or "8Gi"',
  })
  .transform(String);

const resources = z.record(z.string(), quantity, { message: 'expected a map of resource name to quantity' });

const SIGNALS = [
  'memory.available',
  'allocatableMemory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'pid.available',
] as const;

const thresholdValue = z
  .string({ message: 'expected a quantity ("100Mi") or a percentage ("10%")' })
  .refine((v) => /^\d+(\.\d+)?%$/.test(v) || canonicalQuantity(v) !== undefined, {
    message: 'expected a quantity ("100Mi") or a percentage ("10%")',
  });

const thresholds = z.partialRecord(
  z.enum(SIGNALS, { message: `expected a signal: ${SIGNALS.join(', ')}` }),
  thresholdValue,
);

const duration = z.custom<string | number>(isDuration, {
  message: 'expected a duration like "5m", "30s" or "1m30s"',
});

const taint = z.strictObject({
  key: z.string({ message: 'expected a taint key' }).min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], {
    message: 'expected NoSchedule, PreferNoSchedule or NoExecute',
  }),
});

const kubelet = {
  capacity: resources.optional(),
  systemReserved: resources.optional(),
  kubeReserved: resources.optional(),
  systemMemoryUsage: quantity.optional(),
  evictionHard: thresholds.optional(),
  evictionSoft: thresholds.optional(),
  evictionSoftGracePeriod: z.partialRecord(z.enum(SIGNALS), duration).optional(),
  evictionPressureTransitionPeriod: duration.optional(),
  evictionMaxPodGracePeriod: z.number().int().min(0).optional(),
};

const nodeGroup = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
      message: 'expected a DNS subdomain name such as "worker-a"',
    })
    .optional(),
  role: z
    .enum(['control-plane', 'worker'], { message: 'expected control-plane or worker' })
    .default('worker'),
  count: z.number().int().min(1, { message: 'expected a count ≥ 1' }).max(5000).default(1),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z.array(taint).optional(),
  ...kubelet,
});

export const topologySchema = z.strictObject({
  apiVersion: z.literal('scars.dev/v1alpha1', { message: 'expected "scars.dev/v1alpha1"' }),
  kind: z.literal('SimTopology', { message: 'expected "SimTopology"' }),
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a lowercase name such as "scars"' })
    .optional(),
  nodeDefaults: z.strictObject(kubelet).optional(),
  nodes: z
    .array(nodeGroup, { message: 'expected a list of node groups' })
    .min(1, { message: 'expected at least one node group' }),
});

export type TopologyInput = z.input<typeof topologySchema>;

/** kubelet defaults (pkg/kubelet/apis/config/v1beta1/defaults.go, eviction/defaults_linux.go). */
const KUBELET_DEFAULTS = {
  capacity: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  systemReserved: {},
  kubeReserved: {},
  evictionHard: {
    'memory.available': '100Mi',
    'nodefs.available': '10%',
    'nodefs.inodesFree': '5%',
    'imagefs.available': '15%',
  },
  evictionSoft: {},
  evictionSoftGracePeriod: {},
  evictionPressureTransitionPeriod: '5m',
  evictionMaxPodGracePeriod: 0,
  // What a kind node's OS, containerd and kubelet use before any pod runs (measured order of magnitude).
  systemMemoryUsage: '600Mi',
};

/**
 * The built-in topology: one control plane and three workers, like scars' kind config, with the
 * kubelet's defaults except a 30s pressure transition period (clusters/sim/default.yaml says why).
 */
export const DEFAULT_TOPOLOGY: TopologyInput = {
  apiVersion: 'scars.dev/v1alpha1',
  kind: 'SimTopology',
  nodeDefaults: { evictionPressureTransitionPeriod: '30s' },
  nodes: [{ role: 'control-plane' }, { role: 'worker', count: 3 }],
};

function thresholdsOf(
  values: Record<string, string>,
  grace: Record<string, string | number> = {},
): EvictionThreshold[] {
  return Object.entries(values).map(([signal, text]) => {
    const g = grace[signal];
    const base = text.endsWith('%')
      ? { signal, text, fraction: Number(text.slice(0, -1)) / 100 }
      : { signal, text, quantity: parseQuantity(text) ?? 0 };
    return g === undefined ? base : { ...base, gracePeriodMs: parseDuration(g) };
  });
}

const loopback = (base: [number, number], index: number): string =>
  `127.${base[0] + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;

/** Node InternalIPs in 127.18.0.0/16 (kind puts nodes in 172.18.0.0/16); pods get a /24 each in 127.64.0.0/10. */
const nodeAddress = (index: number): string => loopback([18, 0], index + 2);
const podCidr = (index: number): string => `127.${64 + (index >> 8)}.${index & 255}.0/24`;

function allocatableOf(
  capacity: Record<string, string>,
  reserved: Record<string, string>[],
  hard: EvictionThreshold[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(capacity)) {
    const cap = parseQuantityExact(text);
    let value = parseQuantity(text) ?? 0;
    for (const r of reserved) value -= parseQuantity(r[name] ?? '0') ?? 0;
    // The hard eviction threshold is withheld from allocatable (kubelet ContainerManager.GetNodeAllocatableReservation).
    const signal =
      name === 'memory' ? 'memory.available' : name === 'ephemeral-storage' ? 'nodefs.available' : undefined;
    const t = hard.find((h) => h.signal === signal);
    if (t) value -= t.quantity ?? (t.fraction ?? 0) * (parseQuantity(text) ?? 0);
    value = Math.max(0, value);
    out[name] = formatAmount(name, value, cap.format);
  }
  return out;
}

function formatAmount(name: string, value: number, format: string): string {
  if (name === 'cpu') return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  if (format === 'BinarySI' && value % 1024 === 0)
    return formatQuantity(parseQuantityExact(`${value / 1024}Ki`));
  return String(Math.round(value));
}

/** Resolves a checked topology into per-node configuration. */
export function resolveTopology(input: TopologyInput, source = 'built-in default'): SimTopology {
  const t = topologySchema.parse(input);
  const name = t.name ?? 'scars';
  const hasWorkers = t.nodes.some((g) => g.role === 'worker');
  const counters = { 'control-plane': 0, worker: 0 };
  const nodes: SimNodeConfig[] = [];
  const seen = new Set<string>();
  for (const group of t.nodes) {
    const merged = { ...KUBELET_DEFAULTS, ...t.nodeDefaults, ...group };
    const capacity = { ...KUBELET_DEFAULTS.capacity, ...t.nodeDefaults?.capacity, ...group.capacity };
    // As the kubelet: once any hard threshold is set, the defaults for the others no longer apply.
    const evictionHard = thresholdsOf(
      (group.evictionHard ?? t.nodeDefaults?.evictionHard ?? KUBELET_DEFAULTS.evictionHard) as Record<
        string,
        string
      >,
    );
    const evictionSoft = thresholdsOf(
      { ...t.nodeDefaults?.evictionSoft, ...group.evictionSoft } as Record<string, string>,
      { ...t.nodeDefaults?.evictionSoftGracePeriod, ...group.evictionSoftGracePeriod } as Record<
        string,
        string
      >,
    );
    const systemReserved = { ...t.nodeDefaults?.systemReserved, ...group.systemReserved };
    const kubeReserved = { ...t.nodeDefaults?.kubeReserved, ...group.kubeReserved };
    for (let i = 0; i < group.count; i++) {
      const n = ++counters[group.role];
      const nodeName =
        group.name && group.count === 1
          ? group.name
          : group.name
            ? `${group.name}${i + 1}`
            : `${name}-${group.role}${n === 1 ? '' : n}`;
      if (seen.has(nodeName)) throw new RangeError(`node name "${nodeName}" is used twice`);
      seen.add(nodeName);
      const index = nodes.length;
      const controlPlane = group.role === 'control-plane';
      const taints: Taint[] = [
        ...(controlPlane && hasWorkers
          ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]
          : []),
        ...(group.taints ?? []),
      ];
      nodes.push({
        name: nodeName,
        index,
        role: group.role,
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/hostname': nodeName,
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
          ...group.labels,
        },
        taints,
        capacity,
        allocatable: allocatableOf(capacity, [systemReserved, kubeReserved], evictionHard),
        systemReserved,
        kubeReserved,
        systemMemoryUsage: parseQuantity(String(merged.systemMemoryUsage)) ?? 0,
        evictionHard,
        evictionSoft,
        evictionPressureTransitionPeriodMs: parseDuration(merged.evictionPressureTransitionPeriod),
        evictionMaxPodGracePeriodSeconds: merged.evictionMaxPodGracePeriod,
        internalIP: nodeAddress(index),
        podCIDR: podCidr(index),
      });
    }
  }
  return { name, source, nodes };
}

export const defaultTopology = (): SimTopology => resolveTopology(DEFAULT_TOPOLOGY);

/** Reads, checks and resolves a topology file; bad input is one InputError naming file, line and field. */
export function loadTopology(file: string, cwd = process.cwd()): SimTopology {
  const path = resolve(cwd, file);
  const shown = relative(cwd, path) || file;
  if (!existsSync(path)) throw new InputError({ file: shown, expected: 'topology file not found' });
  const text = readFileSync(path, 'utf8');
  const raw = parseYamlInput(text, shown);
  const parsed = topologySchema.safeParse(raw);
  if (!parsed.success)
    throw toInputError(topologySchema, parsed.error, raw, shown, (p) => locateInYaml(text, p));
  try {
    return resolveTopology(parsed.data, shown);
  } catch (err) {
    throw new InputError({ file: shown, field: 'nodes', expected: errorMessage(err) });
  }
}

/** The topologies shipped with scars (`clusters/sim/` of the package). */
const PACKAGED_DIR = fileURLToPath(new URL('../../../clusters/sim/', import.meta.url));

function topologyNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A `--topology` argument: a file path, or the name of a topology in the project's
 * `clusters/sim/` or in the ones scars ships (`memory-pressure`, `large`, …).
 */
export function loadTopologyArg(arg: string, cwd = process.cwd(), flag = '--topology'): SimTopology {
  if (existsSync(resolve(cwd, arg))) return loadTopology(arg, cwd);
  if (/^[a-z0-9][-a-z0-9]*$/.test(arg)) {
    for (const dir of [resolve(cwd, 'clusters/sim'), PACKAGED_DIR]) {
      const file = join(dir, `${arg}.yaml`);
      if (existsSync(file)) return loadTopology(file, cwd);
    }
  }
  const known = [
    ...new Set([...topologyNames(resolve(cwd, 'clusters/sim')), ...topologyNames(PACKAGED_DIR)]),
  ];
  throw new InputError({
    field: flag,
    expected: `no topology file or name "${arg}"; expected a path to a SimTopology YAML file${known.length ? ` or one of: ${known.join(', ')}` : ''}`,
  });
}
