/**
 * A whole simulated cluster in this process: store, registry, controllers, the API server on
 * loopback, and a kubeconfig for it. `scars sim serve` and the `sim` provider both start one here.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { ApiFaults } from './api/faults.ts';
import { ApiAudit } from './api/audit.ts';
import { startApiServer, type RunningApiServer } from './api/server.ts';
import { servedVersion } from './api/served-version.ts';
import { createServingCertificate } from './api/tls.ts';
import type { SimClock } from './clock.ts';
import { createSimCore } from './context.ts';
import { simComponents, type SimStats } from './components.ts';
import { resourceAt, type ResourceType } from './kinds/registry.ts';
import type { DataPlane } from './dataplane/index.ts';
import type { SimNetwork } from './dataplane/pod-network.ts';
import type { PodLogStore } from './kubelet/pod-logs.ts';
import { ENDPOINT_SLICES, ENDPOINTS } from './kinds/resources.ts';
import { registerNodes } from './nodes.ts';
import type { ObjectStore } from './store/object-store.ts';
import type { Registry } from './api/rest/registry.ts';
import { DEFAULT_TOPOLOGY, resolveTopology } from './topology/load.ts';
import type { SimTopology } from './topology/types.ts';

import { SIM_CONTEXT } from './names.ts';

export { SIM_CONTEXT };

export interface SimClusterOptions {
  /** Cluster name, used for node names (`<name>-control-plane`, `<name>-worker`). */
  name?: string;
  /** Node count for a kind-like shape (one control plane, the rest workers); ignored with `topology`. */
  nodes?: number;
  /** Nodes and their kubelets (clusters/sim/*.yaml); default: 1 control plane + 3 workers. */
  topology?: SimTopology;
  host?: string;
  port?: number;
  /** Simulated seconds per wall second. */
  timeScale?: number;
  /** HTTPS with a fresh CA (default) or plain HTTP. */
  tls?: boolean;
  /** Wall milliseconds between watch bookmarks. */
  bookmarkIntervalMs?: number;
  /** Watch history retained for resumption (events). */
  historySize?: number;
  /** Only the API server (with namespace lifecycle and garbage collection): no scheduler, controllers or kubelets. */
  apiOnly?: boolean;
  /**
   * The Kubernetes release (`1.31`) the cluster presents: /version, node versions, and no API
   * version that release stopped serving. Default 1.32; behaviour stays the sim's either way.
   */
  kubernetesVersion?: string;
}

export interface KubeconfigDocument {
  apiVersion: 'v1';
  kind: 'Config';
  'current-context': string;
  clusters: { name: string; cluster: Record<string, string | boolean> }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  users: { name: string; user: Record<string, string> }[];
  preferences: Record<string, never>;
}

export interface SimCluster {
  name: string;
  url: string;
  caPem: string | undefined;
  clock: SimClock;
  store: ObjectStore;
  registry: Registry;
  logs: PodLogStore;
  /** The data plane: containers' listeners and where their connections went. */
  network: SimNetwork;
  /** Services, cluster DNS, NetworkPolicy, the metadata service and Ingress; absent with `apiOnly`. */
  dataPlane: DataPlane | undefined;
  nodes: string[];
  /** The Kubernetes release it presents (`1.32`). */
  kubernetesVersion: string;
  /** Whether pods get scheduled and run (scheduler, workload controllers, kubelets): false with `apiOnly`. */
  runsWorkloads: boolean;
  /** Counters of the scheduler and kubelets (for benchmarks and reports). */
  stats(): SimStats;
  kubeconfig(): KubeconfigDocument;
  writeKubeconfig(path: string): Promise<void>;
  /** Cuts every client connection, watches included (clients reconnect, as after an apiserver restart). */
  dropConnections(): void;
  /** The API server failing on purpose for a while: 500/503/429 answers, hung requests, a restart (api/faults.ts). */
  apiFaults: ApiFaults;
  /** Every HTTP request the API server answers, as audit events (api/audit.ts); in-process writes are not seen. */
  audit: ApiAudit;
  stop(): Promise<void>;
}

const need = (apiVersion: string, plural: string): ResourceType => {
  const r = resourceAt(apiVersion, plural);
  if (!r) throw new Error(`sim: ${apiVersion}/${plural} is not served`);
  return r;
};

export async function startSimCluster(options: SimClusterOptions = {}): Promise<SimCluster> {
  const served = servedVersion(options.kubernetesVersion);
  const nodeCount = options.nodes ?? 4;
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new RangeError(`nodes must be a whole number ≥ 1, got ${nodeCount}`);
  const topology =
    options.topology ??
    resolveTopology({
      ...DEFAULT_TOPOLOGY,
      name: options.name ?? 'scars',
      nodes: [
        { role: 'control-plane' },
        ...(nodeCount > 1 ? [{ role: 'worker' as const, count: nodeCount - 1 }] : []),
      ],
    });
  const name = topology.name;
  const ctx = createSimCore({
    topology,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
  });
  const {
    registry,
    clock,
    logs,
    registry: { store },
  } = ctx;
  const host = options.host ?? '127.0.0.1';
  const useTls = options.tls ?? true;
  const cert = useTls
    ? await createServingCertificate({
        ips: [host, '10.96.0.1'],
        dns: [
          'localhost',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
          'kubernetes.default.svc.cluster.local',
        ],
      })
    : undefined;

  const manager = { manager: 'kube-apiserver' };
  registerNodes(ctx, served.gitVersion);
  const nodes = topology.nodes.map((n) => n.name);
  const components = simComponents(ctx, { apiOnly: options.apiOnly ?? false });
  const controllers = components.all;
  for (const c of controllers) c.start();
  const dataPlane = components.dataPlane;

  const apiFaults = new ApiFaults(clock);
  const audit = new ApiAudit();
  let server: RunningApiServer;
  try {
    server = await startApiServer(
      {
        registry,
        clock,
        logs,
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
        ...(options.apiOnly ? {} : { network: ctx.network }),
      },
      {
        host,
        served,
        faults: apiFaults,
        audit,
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(cert ? { tls: { key: cert.keyPem, cert: cert.certPem } } : {}),
      },
    );
  } catch (error) {
    for (const c of [...controllers].reverse()) c.stop();
    clock.stop();
    await Promise.all([ctx.network.close(), dataPlane?.close()]);
    throw error;
  }
  try {
    await dataPlane?.ready();
  } catch (error) {
    for (const c of [...controllers].reverse()) c.stop();
    clock.stop();
    await Promise.all([server.close(), ctx.network.close(), dataPlane?.close()]);
    throw error;
  }
  registry.create(
    need('v1', 'services'),
    'default',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        clusterIP: '10.96.0.1',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: server.port }],
      },
    },
    manager,
  );
  // The apiserver's endpoint reconciler publishes its own address for the selector-less
  // `kubernetes` Service, so pods reach the API at 10.96.0.1:443 through kube-proxy.
  if (!(options.apiOnly ?? false)) publishApiServerEndpoints(registry, host, server.port);
  apiFaults.bindServer(server);

  const kubeconfig = (): KubeconfigDocument => ({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': SIM_CONTEXT,
    clusters: [
      {
        name: SIM_CONTEXT,
        cluster: {
          server: server.url,
          // client-node refuses http:// servers unless TLS verification is marked off (there is no TLS to verify).
          ...(cert
            ? { 'certificate-authority-data': Buffer.from(cert.caPem).toString('base64') }
            : { 'insecure-skip-tls-verify': true }),
        },
      },
    ],
    contexts: [{ name: SIM_CONTEXT, context: { cluster: SIM_CONTEXT, user: SIM_CONTEXT } }],
    // The sim does not authenticate (it only listens on loopback); a token keeps clients from prompting.
    users: [{ name: SIM_CONTEXT, user: { token: 'scars-sim' } }],
    preferences: {},
  });

  let stopped = false;
  return {
    name,
    url: server.url,
    caPem: cert?.caPem,
    clock,
    store,
    registry,
    logs,
    network: ctx.network,
    dataPlane,
    nodes,
    kubernetesVersion: served.release,
    runsWorkloads: !(options.apiOnly ?? false),
    stats: () => components.stats(),
    kubeconfig,
    dropConnections: () => server.dropConnections(),
    apiFaults,
    audit,
    writeKubeconfig: (path) => writeFile(path, stringify(kubeconfig()), { mode: 0o600 }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const c of [...controllers].reverse()) c.stop();
      apiFaults.stop();
      clock.stop();
      await Promise.all([server.close(), ctx.network.close(), dataPlane?.close()]);
    },
  };
}

function publishApiServerEndpoints(registry: SimCluster['registry'], host: string, port: number): void {
  const manager = { manager: 'kube-apiserver' };
  const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
  registry.create(
    ENDPOINTS,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', labels },
      subsets: [{ addresses: [{ ip: host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    },
    manager,
  );
  registry.create(
    ENDPOINT_SLICES,
    'default',
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [host], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
    manager,
  );
}
