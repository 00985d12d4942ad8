/**
 * The cluster DNS: CoreDNS as kubeadm installs it, run by the sim.
 *
 * - start() installs the addon's objects (coredns-objects.ts); the Deployment's pods are
 *   scheduled and run like any others (their container is the idle process, which answers the
 *   kubelet's probes).
 * - Every Running `k8s-app=kube-dns` pod in kube-system whose container runs is a replica: a
 *   ReplicaModel (its own cache, queue and counters) answering DNS at `<podIP>:53` over UDP and
 *   TCP (the `deliver` stage: kube-proxy DNATs the kube-dns ClusterIP to one of them) and serving
 *   its Prometheus metrics on a real listener at `<podIP>:9153/metrics`. A container that stops
 *   takes its replica with it: queries it held get no answer, and its restart starts a fresh one
 *   (empty cache, counters at zero), like a new CoreDNS process.
 * - Clients outside the sim use a real DNS server on the kube-dns ClusterIP's loopback mirror
 *   (127.32.0.10:53, or 127.0.0.1 on an ephemeral port when that cannot be bound): each query is
 *   routed from the host to 10.96.0.10:53, so it meets kube-proxy, NetworkPolicy and the replicas
 *   as any client does.
 *
 * The capacity model and its defaults are described in docs/sim-fidelity.md ("Cluster DNS").
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Listener } from '../../../agent/host.ts';
import type { SimContext } from '../../context.ts';
import { subscribe } from '../../controllers/controller.ts';
import { ENDPOINT_SLICES, NAMESPACES, PODS, SERVICES } from '../../kinds/resources.ts';
import type { KubeObject } from '../../object.ts';
import type { WatchEventType } from '../../store/object-store.ts';
import type { HostAddress, DataPlanePart } from '../part.ts';
import type { NetworkAttachment, NetworkSource, Route, RoutingStage } from '../pod-network.ts';
import { cacheSettings } from './cache.ts';
import { RegistryClusterView } from './cluster-view.ts';
import {
  COREDNS_NAMESPACE,
  DEFAULT_DOMAIN,
  DNS_PORT,
  installCoreDns,
  KUBE_DNS_IP,
  KUBE_DNS_LABEL,
  METRICS_PORT,
} from './coredns-objects.ts';
import { HostDnsServer } from './dns-server.ts';
import { ReplicaModel, type ReplicaOptions, type ReplicaStats } from './replica-model.ts';
import { StubUpstream } from './upstream.ts';
import { ClusterZone } from './zone.ts';

export interface ClusterDnsOptions {
  /**
   * Cache misses one replica answers per second at most (default 5: a CoreDNS scaled down with
   * the load the sim can carry; REAL_COREDNS_QPS_PER_REPLICA is a real replica's order).
   */
  qpsPerReplica: number;
  /** A cache hit's cost as a share of a miss's (default 0.2). */
  hitCost: number;
  /** Longest a query waits for its replica before it is dropped (default 2000 ms of sim time). */
  maxQueueDelayMs: number;
  /** `cache <n>`: cap on positive and negative TTLs (default 30). */
  cacheTtlCapSeconds: number;
  /** What the upstream resolver knows: name → addresses (default none: NXDOMAIN for all). */
  upstream: Record<string, string[]>;
  /** Time a forwarded query spends at the upstream (default 5 ms of sim time). */
  upstreamLatencyMs: number;
  /** forward's max_concurrent (default 1000, kubeadm's). */
  maxConcurrentForwards: number;
  /**
   * Whether the cache also stores cluster-domain answers (default false: kubeadm ≥ 1.32 writes
   * `disable success|denial cluster.local`; true is the Corefile of earlier kubeadm releases).
   */
  cacheClusterDomain: boolean;
  /** Where the DNS server for host clients listens (default 127.32.0.10:53). */
  hostAddress: HostAddress;
}

/** A real CoreDNS replica's order of capacity for misses (docs/sim-fidelity.md, "Capacity model"). */
export const REAL_COREDNS_QPS_PER_REPLICA = 5000;

/**
 * The sim's CoreDNS serves 5 misses/s per replica, 1/1000 of a real one, because the in-process
 * data plane carries a few thousand queries per wall second: at time scale 20 that is a few hundred
 * queries per sim second for everything. A flood must exceed what CoreDNS serves to show anything,
 * so CoreDNS is scaled down to what the sim can overload in seconds, the same way on every time
 * scale; the floods of the DNS scenarios are sized to it (tens of lookups/s, not thousands).
 */
export const SIM_COREDNS_QPS_PER_REPLICA = 5;

export const DEFAULT_CLUSTER_DNS_OPTIONS: ClusterDnsOptions = {
  qpsPerReplica: SIM_COREDNS_QPS_PER_REPLICA,
  hitCost: 0.2,
  maxQueueDelayMs: 2000,
  cacheTtlCapSeconds: 30,
  upstream: {},
  upstreamLatencyMs: 5,
  maxConcurrentForwards: 1000,
  cacheClusterDomain: false,
  hostAddress: { host: '127.32.0.10', port: DNS_PORT },
};

/** One replica as `stats()` reports it. */
export interface ClusterDnsReplicaStats extends ReplicaStats {
  pod: string;
  podIP: string;
  node: string | undefined;
  /** Where its metrics listener really is (`host:port`), once open. */
  metrics: string | undefined;
}

export interface ClusterDnsStats {
  replicas: ClusterDnsReplicaStats[];
  /** The host DNS server's address. */
  address: HostAddress | undefined;
}

interface Replica {
  uid: string;
  pod: string;
  podIP: string;
  node: string | undefined;
  restartCount: number;
  model: ReplicaModel;
  network: NetworkAttachment;
  metrics: Listener | undefined;
  actualMetrics: string | undefined;
}

type SimPod = Pod & KubeObject;

/** What a host client looks like to the data plane. */
const HOST_SOURCE: NetworkSource = { kind: 'host', ip: '127.0.0.1', log() {} };
/** How long the host server waits for a real DNS server behind the Service (wall ms). */
const REAL_EXCHANGE_TIMEOUT_MS = 5000;

const isDnsPod = (pod: SimPod): boolean =>
  pod.metadata.namespace === COREDNS_NAMESPACE &&
  pod.metadata.labels?.['k8s-app'] === KUBE_DNS_LABEL['k8s-app'];

/** Running with an address and its (first) container running: a CoreDNS process exists. */
function liveProcess(pod: SimPod): { podIP: string; restartCount: number } | undefined {
  const status = pod.status;
  if (status?.phase !== 'Running' || !status.podIP) return undefined;
  const first = pod.spec?.containers[0]?.name;
  const container = (status.containerStatuses ?? []).find((c) => c.name === first);
  if (container && !container.state?.running) return undefined;
  return { podIP: status.podIP, restartCount: container?.restartCount ?? 0 };
}

export class ClusterDns implements DataPlanePart {
  readonly name = 'cluster-dns';
  private options: ClusterDnsOptions;
  private readonly upstream: StubUpstream;
  private readonly zone: ClusterZone;
  private readonly replicas = new Map<string, Replica>();
  private readonly byIP = new Map<string, Replica>();
  private stops: (() => void)[] = [];
  private lastChange: number;
  private server: HostDnsServer | undefined;
  private serverStart: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly ctx: SimContext,
    options: Partial<ClusterDnsOptions> = {},
  ) {
    this.options = { ...DEFAULT_CLUSTER_DNS_OPTIONS, ...options };
    this.upstream = new StubUpstream(this.options.upstream);
    this.lastChange = ctx.clock.now();
    this.zone = new ClusterZone(new RegistryClusterView(ctx.registry), {
      domain: DEFAULT_DOMAIN,
      ttl: 30,
      nameservers: () => [KUBE_DNS_IP],
      serial: () => Math.floor(this.lastChange / 1000),
      upstream: (name, type) => this.upstream.resolve(name, type).answers,
    });
  }

  start(): void {
    const { registry, network } = this.ctx;
    installCoreDns(registry, {
      controlPlane: this.ctx.topology.nodes.some((n) => n.role === 'control-plane'),
      corefile: {
        domain: DEFAULT_DOMAIN,
        cacheTtlCapSeconds: this.options.cacheTtlCapSeconds,
        cacheClusterDomain: this.options.cacheClusterDomain,
      },
    });
    const changed = () => {
      this.lastChange = this.ctx.clock.now();
    };
    const stage: RoutingStage = { deliver: (dest) => this.deliver(dest.ip, dest.port) };
    this.stops.push(
      network.use(stage),
      subscribe(registry, PODS, (type, event) => this.onPod(type, event.object as SimPod)),
      subscribe(registry, SERVICES, changed),
      subscribe(registry, ENDPOINT_SLICES, changed),
      subscribe(registry, NAMESPACES, changed),
    );
    for (const pod of registry.list(PODS, { namespace: COREDNS_NAMESPACE }).items as SimPod[])
      this.onPod('ADDED', pod);
    this.serverStart ??= HostDnsServer.start(this.options.hostAddress, (query, transport) =>
      this.fromHost(query, transport),
    ).then((server) => {
      if (this.closing) return server.close();
      this.server = server;
    });
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  ready(): Promise<void> {
    return this.serverStart ?? Promise.resolve();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stop();
      await this.serverStart?.catch(() => undefined);
      const replicas = [...this.replicas.values()];
      for (const r of replicas) this.remove(r);
      await Promise.all([this.server?.close(), ...replicas.map((r) => r.network.close())]);
    })();
    return this.closing;
  }

  /** The real DNS server for clients outside the sim (dig, tests, k6). */
  address(): HostAddress {
    if (!this.server)
      throw new Error('cluster DNS: the host DNS server is not listening yet (await ready())');
    return this.server.address();
  }

  /** Why the host server is not on 127.32.0.10:53 (undefined when it is). */
  hostFallback(): string | undefined {
    return this.server?.fellBack;
  }

  /** Changes the model for the queries to come (cache TTL cap and cluster-domain caching: new replicas only). */
  configure(options: Partial<Omit<ClusterDnsOptions, 'hostAddress'>>): void {
    this.options = { ...this.options, ...options };
    if (options.upstream) this.upstream.set(options.upstream);
    for (const r of this.replicas.values()) r.model.configure(this.replicaOptions());
  }

  currentOptions(): Readonly<ClusterDnsOptions> {
    return this.options;
  }

  stats(): ClusterDnsStats {
    return {
      replicas: [...this.replicas.values()].map((r) => ({
        pod: r.pod,
        podIP: r.podIP,
        node: r.node,
        metrics: r.actualMetrics,
        ...r.model.stats(),
      })),
      address: this.server?.address(),
    };
  }

  /** The replica at `podIP`, for tests and the harness. */
  replicaAt(podIP: string): ReplicaModel | undefined {
    return this.byIP.get(podIP)?.model;
  }

  private replicaOptions(): ReplicaOptions {
    const o = this.options;
    return {
      qpsPerReplica: o.qpsPerReplica,
      hitCost: o.hitCost,
      maxQueueDelayMs: o.maxQueueDelayMs,
      upstreamLatencyMs: o.upstreamLatencyMs,
      maxConcurrentForwards: o.maxConcurrentForwards,
      // `cache <cap>`, and kubeadm ≥ 1.32's `disable success|denial cluster.local` unless told otherwise.
      cache: cacheSettings(o.cacheTtlCapSeconds, o.cacheClusterDomain ? [] : [DEFAULT_DOMAIN]),
    };
  }

  private deliver(ip: string, port: number): Route | undefined {
    if (port !== DNS_PORT) return undefined;
    const replica = this.byIP.get(ip);
    if (!replica) return undefined;
    const model = replica.model;
    return { kind: 'dns', exchange: (query, transport) => model.exchange(query, transport) };
  }

  private async fromHost(
    query: Uint8Array,
    transport: 'udp' | 'tcp',
  ): Promise<Uint8Array | 'refused' | undefined> {
    const route = this.ctx.network.route(KUBE_DNS_IP, DNS_PORT, transport, HOST_SOURCE);
    switch (route.kind) {
      case 'dns':
        return route.exchange(query, transport);
      case 'real':
        return this.ctx.network.real
          .dnsExchange({ address: route.address, port: route.port }, query, {
            transport,
            timeoutMs: REAL_EXCHANGE_TIMEOUT_MS,
          })
          .catch(() => undefined);
      case 'refused':
        return 'refused';
      case 'dropped':
        return undefined;
    }
  }

  private onPod(type: WatchEventType, pod: SimPod): void {
    const uid = pod.metadata.uid ?? '';
    const existing = this.replicas.get(uid);
    const live = type !== 'DELETED' && isDnsPod(pod) ? liveProcess(pod) : undefined;
    let released: Promise<void> = Promise.resolve();
    if (existing && (!live || live.podIP !== existing.podIP || live.restartCount !== existing.restartCount)) {
      this.remove(existing);
      released = existing.network.close();
    }
    if (live && !this.replicas.has(uid)) this.add(pod, uid, live, released);
  }

  /** A new replica; its metrics listener opens once the previous process's sockets are gone (`released`). */
  private add(
    pod: SimPod,
    uid: string,
    live: { podIP: string; restartCount: number },
    released: Promise<void>,
  ): void {
    const name = pod.metadata.name ?? '';
    const node = pod.spec?.nodeName;
    const container = pod.spec?.containers[0]?.name ?? 'coredns';
    const log = (line: string) => this.ctx.logs.append(uid, container, line, this.ctx.clock.now());
    const replica: Replica = {
      uid,
      pod: name,
      podIP: live.podIP,
      node,
      restartCount: live.restartCount,
      model: new ReplicaModel(name, this.ctx.clock, this.zone, this.upstream, this.replicaOptions()),
      network: this.ctx.network.attach({
        kind: 'pod',
        ip: live.podIP,
        ...(node !== undefined ? { nodeName: node } : {}),
        pod: { namespace: COREDNS_NAMESPACE, name },
        log,
      }),
      metrics: undefined,
      actualMetrics: undefined,
    };
    this.replicas.set(uid, replica);
    this.byIP.set(live.podIP, replica);
    log(
      `scars-sim: CoreDNS model answering on ${live.podIP}:${DNS_PORT} (udp, tcp); metrics on :${METRICS_PORT}`,
    );
    const model = replica.model;
    void released
      .then(() =>
        replica.network.listen({ port: METRICS_PORT }, async (req) =>
          req.method === 'GET' && req.path.split('?')[0] === '/metrics'
            ? {
                status: 200,
                headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
                body: model.metricsText(),
              }
            : { status: 404, body: '404 page not found\n' },
        ),
      )
      .then(
        (listener) => {
          replica.metrics = listener;
          const actual = this.ctx.network
            .listeners()
            .find((l) => l.podIP === live.podIP && l.port === METRICS_PORT)?.actual;
          replica.actualMetrics = actual;
        },
        (err: unknown) => {
          if (model.alive)
            log(`scars-sim: metrics listener on ${live.podIP}:${METRICS_PORT} failed: ${String(err)}`);
        },
      );
  }

  private remove(replica: Replica): void {
    replica.model.kill();
    this.replicas.delete(replica.uid);
    if (this.byIP.get(replica.podIP) === replica) this.byIP.delete(replica.podIP);
  }
}
