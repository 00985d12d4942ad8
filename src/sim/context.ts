/**
 * What every simulated component (controllers, scheduler, kubelets) is built from: the registry
 * it reads and writes through (the same code path API clients take, minus HTTP), the one clock,
 * the event recorder, the container logs, the topology, the programs containers run and the
 * data plane they talk through.
 */
import { Registry } from './api/rest/registry.ts';
import { SimClock } from './clock.ts';
import { EventRecorder } from './controllers/events.ts';
import { SimNetwork } from './dataplane/pod-network.ts';
import { PodLogStore } from './kubelet/pod-logs.ts';
import { ProcessFactories } from './kubelet/runtime.ts';
import { CONFIG_MAPS, NAMESPACES } from './kinds/resources.ts';
import { SIM_CLOCK_CONFIG_MAP } from './names.ts';
import { ObjectStore } from './store/object-store.ts';
import type { SimTopology } from './topology/types.ts';

export interface SimContext {
  registry: Registry;
  clock: SimClock;
  events: EventRecorder;
  logs: PodLogStore;
  topology: SimTopology;
  /** Programs for container images in this cluster (the agent for `scars-agent`); the idle process otherwise. */
  processes: ProcessFactories;
  /** Pods' sockets and where their connections go. */
  network: SimNetwork;
}

export interface SimCoreOptions {
  topology: SimTopology;
  /** Simulated seconds per wall second. */
  timeScale?: number;
  /** Watch history retained for resumption (events). */
  historySize?: number;
}

/** Store, registry, clock and the namespaces every cluster has; no components started. */
export function createSimCore(options: SimCoreOptions): SimContext {
  const clock = new SimClock(options.timeScale ?? 1);
  const store = new ObjectStore({
    ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
    // Compaction runs on cluster time, like every other interval in the sim.
    now: () => clock.now(),
  });
  const registry = new Registry(store, clock);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    registry.create(
      NAMESPACES,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { manager: 'kube-apiserver' },
    );
  }
  const anchor = clock.anchor();
  registry.create(
    CONFIG_MAPS,
    SIM_CLOCK_CONFIG_MAP.namespace,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: SIM_CLOCK_CONFIG_MAP.name, labels: { 'app.kubernetes.io/managed-by': 'scars-sim' } },
      data: {
        timeScale: String(anchor.timeScale),
        wallMs: String(anchor.wallMs),
        simMs: String(anchor.simMs),
      },
    },
    { manager: 'kube-apiserver' },
  );
  return {
    registry,
    clock,
    events: new EventRecorder(registry),
    logs: new PodLogStore(),
    topology: options.topology,
    processes: new ProcessFactories(),
    network: new SimNetwork(clock),
  };
}
