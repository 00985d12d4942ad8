/**
 * kube-proxy for the sim, in iptables mode (kind's and kubeadm's default). It watches Services and
 * EndpointSlices as kube-proxy's informers do (services/service-table.ts) and does two jobs:
 *
 * - DNAT inside the sim (a `translate` stage of the sim network): a connection or datagram to a
 *   ClusterIP:port, or to a node InternalIP:nodePort, goes to one endpoint's podIP:targetPort,
 *   chosen as the iptables rules choose (services/endpoint-choice.ts); a Service port with no
 *   usable endpoint is refused (REJECT); a Local traffic policy with endpoints elsewhere only is
 *   dropped; a port no Service has on a ClusterIP is dropped (iptables mode has no rule for it, so
 *   the packet leaves for the default route and is never answered — nftables mode would reject);
 * - host frontends (services/host-frontends.ts): real TCP proxies on loopback, so clients outside
 *   the sim reach Services — the ClusterIP mirrored into 127.32.0.0/12 at the Service port, and
 *   each node's InternalIP at each nodePort — and every connection they accept is routed through
 *   the same sim network as a pod's (from source kind `host`).
 *
 * Not modelled: conntrack (each connection is decided anew; deleting a Service does not cut the
 * connections already carried by a frontend), externalIPs, LoadBalancer ingress addresses (a
 * LoadBalancer Service is served on its ClusterIP and nodePorts and its status stays pending, as
 * on kind without a cloud provider), topology-aware routing, SCTP.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Socket } from 'node:net';
import type { SimContext } from '../context.ts';
import { subscribe } from '../controllers/controller.ts';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../kinds/resources.ts';
import type { KubeObject } from '../object.ts';
import type { DataPlanePart, HostAddress } from './part.ts';
import type { Destination, NetworkSource } from './pod-network.ts';
import { mirrorClusterIP } from './services/cluster-ip-mirror.ts';
import { AffinityTable, chooseEndpoint, type EndpointVerdict } from './services/endpoint-choice.ts';
import { type FrontendSpec, type FrontendState, HostFrontends } from './services/host-frontends.ts';
import {
  type EndpointEntry,
  type Protocol,
  ServiceTable,
  type ServicePortEntry,
  type SimEndpointSlice,
  type SimService,
} from './services/service-table.ts';
import { carryConnection } from './services/tcp-proxy.ts';

export interface KubeProxyOptions {
  /** The random source for endpoint choice (tests pass a seeded one). */
  random?: () => number;
  /**
   * Wall milliseconds a host connection to a dropped destination is held before it is reset:
   * 127 s by default, when Linux gives up on an unanswered SYN (6 retries from 1 s, doubling).
   */
  holdDroppedMs?: number;
  /**
   * NodePort frontends open on at most this many nodes (in topology order), so a 1,000-node
   * topology does not open a socket per node and Service port. In-sim NodePort traffic reaches
   * every node regardless. Default 64.
   */
  nodePortFrontendNodes?: number;
  /**
   * Addresses another part serves host clients on itself (the cluster DNS's server on the
   * kube-dns mirror, UDP and TCP): no frontend is opened there.
   */
  reservedHostAddresses?: HostAddress[];
}

export interface KubeProxyServiceStats {
  translations: number;
  refused: number;
  dropped: number;
}

export interface KubeProxyStats extends KubeProxyServiceStats {
  /** Connections accepted by host frontends. */
  connections: number;
  /** Host frontends listening now, and how many of them on 127.0.0.1 instead of their address. */
  frontends: number;
  fallbacks: number;
  /** Per Service (`namespace/name`). */
  byService: Record<string, KubeProxyServiceStats>;
}

/** A host frontend as `frontends()` lists it. */
export interface FrontendInfo {
  kind: FrontendState['kind'];
  namespace: string;
  service: string;
  portName: string;
  /** The address inside the sim it stands for: `clusterIP:port` or `nodeIP:nodePort`. */
  target: string;
  node?: string;
  /** Where it listens (undefined until bound, or when even the fallback failed). */
  address: HostAddress | undefined;
  /** The address it wanted, when it did not get it, and why. */
  fallback?: { wanted: HostAddress | undefined; reason: string };
}

const HOLD_DROPPED_MS = 127_000;
const NODE_PORT_FRONTEND_NODES = 64;

const protocolOf = (transport: 'tcp' | 'udp'): Protocol => (transport === 'udp' ? 'UDP' : 'TCP');
const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;
const unmapped = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

interface Waiter {
  namespace: string;
  name: string;
  resolve(): void;
  reject(err: Error): void;
}

export class KubeProxy implements DataPlanePart {
  readonly name = 'kube-proxy';
  private readonly table = new ServiceTable();
  private readonly affinity: AffinityTable;
  private readonly frontendSet: HostFrontends;
  /** Service key → keys of its frontends. */
  private readonly serviceFrontends = new Map<string, Set<string>>();
  /** Node InternalIP → node name, and the nodes in topology order. */
  private readonly nodeByIP = new Map<string, string>();
  private nodes: { name: string; ip: string }[] = [];
  private readonly random: () => number;
  private readonly holdDroppedMs: number;
  private readonly nodePortFrontendNodes: number;
  private stops: (() => void)[] = [];
  private initial: Promise<void> = Promise.resolve();
  private waiters: Waiter[] = [];
  private closing: Promise<void> | undefined;
  private readonly counters = { connections: 0, translations: 0, refused: 0, dropped: 0 };
  private readonly perService = new Map<string, KubeProxyServiceStats>();
  /** `host:port` of addresses other parts serve (see `reserveHostAddress`). */
  private readonly reserved = new Set<string>();

  constructor(
    readonly ctx: SimContext,
    options: KubeProxyOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.holdDroppedMs = options.holdDroppedMs ?? HOLD_DROPPED_MS;
    this.nodePortFrontendNodes = options.nodePortFrontendNodes ?? NODE_PORT_FRONTEND_NODES;
    for (const a of options.reservedHostAddresses ?? []) this.reserved.add(`${a.host}:${a.port}`);
    this.affinity = new AffinityTable(() => ctx.clock.now());
    this.frontendSet = new HostFrontends((state, client) => this.accept(state, client));
  }

  start(): void {
    const { registry, network } = this.ctx;
    // Nodes are registered before the components start and never come or go while the sim runs.
    for (const node of registry.list(NODES, {}).items as (Node & KubeObject)[]) {
      const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      if (!ip || !node.metadata.name) continue;
      this.nodes.push({ name: node.metadata.name, ip });
      this.nodeByIP.set(ip, node.metadata.name);
    }
    for (const svc of registry.list(SERVICES, {}).items) this.table.applyService('ADDED', svc as SimService);
    for (const slice of registry.list(ENDPOINT_SLICES, {}).items)
      this.table.applySlice('ADDED', slice as SimEndpointSlice);
    this.initial = Promise.all(this.table.serviceKeys().map((key) => this.syncFrontends(key))).then(
      () => undefined,
    );
    this.stops.push(
      subscribe(registry, SERVICES, (type, event) => {
        const key = this.table.applyService(type, event.object as SimService);
        if (type === 'DELETED') this.affinity.forget(`${key}:`);
        void this.syncFrontends(key);
        this.checkWaiters();
      }),
      subscribe(registry, ENDPOINT_SLICES, (type, event) => {
        this.table.applySlice(type, event.object as SimEndpointSlice);
      }),
      network.use({ translate: (dest, source) => this.translate(dest, source) }),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
  }

  ready(): Promise<void> {
    return this.initial;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const w of this.waiters.splice(0)) w.reject(new Error('kube-proxy: the cluster is stopping'));
      await this.frontendSet.closeAll();
    })();
    return this.closing;
  }

  // ---- DNAT (the translate stage) ----

  /** A new connection's destination after kube-proxy's rules, or undefined when no rule matches. */
  translate(dest: Destination, source: NetworkSource): Destination | 'refused' | 'dropped' | undefined {
    const protocol = protocolOf(dest.transport);
    const atClusterIP = this.table.atClusterIP(dest.ip);
    if (atClusterIP) {
      const entry = atClusterIP.get(ServiceTable.addressKey(dest.port, protocol));
      if (!entry) {
        this.counters.dropped++;
        return 'dropped';
      }
      // Local: the endpoints on the client's node (the kube-proxy that DNATs is the client's). A
      // host client has no node: it gets the cluster-wide choice.
      const local = entry.internalLocal ? source.nodeName : undefined;
      return this.resolve(entry, local, source, dest.transport);
    }
    const node = this.nodeByIP.get(dest.ip);
    if (node !== undefined) {
      const entry = this.table.atNodePort(dest.port, protocol);
      if (!entry) return undefined; // the node's own sockets (hostNetwork pods), or refused
      // Traffic from the cluster's pods and from the node itself short-circuits to the Service's
      // internal chain (detect-local and `--src-type LOCAL` in KUBE-EXT-*); anything else is
      // external and follows externalTrafficPolicy. Either way "local" is the receiving node.
      const external = source.kind === 'host' || (source.kind === 'node' && source.nodeName !== node);
      const local = (external ? entry.externalLocal : entry.internalLocal) ? node : undefined;
      return this.resolve(entry, local, source, dest.transport);
    }
    return undefined;
  }

  private resolve(
    entry: ServicePortEntry,
    localNode: string | undefined,
    source: NetworkSource,
    transport: 'tcp' | 'udp',
  ): Destination | 'refused' | 'dropped' {
    const verdict: EndpointVerdict = chooseEndpoint({
      endpoints: this.table.endpointsOf(entry),
      localNode,
      affinity:
        entry.affinityMs !== undefined
          ? { table: this.affinity, servicePort: entry.id, client: source.ip, timeoutMs: entry.affinityMs }
          : undefined,
      random: this.random,
    });
    const stats = this.statsOf(serviceKey(entry.namespace, entry.service));
    if (verdict === 'refused' || verdict === 'dropped') {
      this.counters[verdict]++;
      stats[verdict]++;
      return verdict;
    }
    this.counters.translations++;
    stats.translations++;
    return { ip: verdict.ip, port: verdict.port, transport };
  }

  private statsOf(key: string): KubeProxyServiceStats {
    let stats = this.perService.get(key);
    if (!stats) this.perService.set(key, (stats = { translations: 0, refused: 0, dropped: 0 }));
    return stats;
  }

  // ---- Host frontends ----

  /** The frontends a Service should have now (TCP ports only: UDP Services are reached in the sim). */
  private desiredFrontends(key: string): FrontendSpec[] {
    const [namespace = '', name = ''] = key.split('/');
    const specs: FrontendSpec[] = [];
    for (const p of this.table.portsOf(namespace, name)) {
      if (p.protocol !== 'TCP') continue;
      const mirror = mirrorClusterIP(p.clusterIP);
      if (!(mirror && this.reserved.has(`${mirror}:${p.port}`)))
        specs.push({
          key: `cluster-ip|${p.clusterIP}:${p.port}|${p.id}`,
          kind: 'cluster-ip',
          namespace,
          service: name,
          portName: p.portName,
          target: { ip: p.clusterIP, port: p.port },
          wanted: mirror ? { host: mirror, port: p.port } : undefined,
        });
      if (p.nodePort === undefined) continue;
      for (const node of this.nodes.slice(0, this.nodePortFrontendNodes))
        specs.push({
          key: `node-port|${node.ip}:${p.nodePort}|${p.id}`,
          kind: 'node-port',
          namespace,
          service: name,
          portName: p.portName,
          target: { ip: node.ip, port: p.nodePort },
          node: node.name,
          wanted: { host: node.ip, port: p.nodePort },
        });
    }
    return specs;
  }

  /** Opens and closes a Service's frontends to match its spec; resolves once they are bound. */
  private syncFrontends(key: string): Promise<void> {
    if (this.closing) return Promise.resolve();
    const desired = this.desiredFrontends(key);
    const want = new Set(desired.map((s) => s.key));
    const have = this.serviceFrontends.get(key) ?? new Set<string>();
    for (const k of have) if (!want.has(k)) void this.frontendSet.close(k);
    if (want.size === 0) this.serviceFrontends.delete(key);
    else this.serviceFrontends.set(key, want);
    return Promise.all(desired.map((spec) => this.frontendSet.open(spec))).then(() => undefined);
  }

  private accept(state: FrontendState, client: Socket): void {
    this.counters.connections++;
    const source: NetworkSource = {
      kind: 'host',
      ip: unmapped(client.remoteAddress ?? '127.0.0.1'),
      log() {},
    };
    const route = this.ctx.network.route(state.target.ip, state.target.port, 'tcp', source);
    carryConnection(client, route, {
      holdDroppedMs: this.holdDroppedMs,
      track: (socket) => this.frontendSet.track(socket),
    });
  }

  /**
   * The host frontend of a Service port, by port number or name: where the test process, k6 or
   * curl connect. Undefined while it is not bound (see `whenBound`), when the Service has no such
   * TCP port, or when its address is reserved by another part (the cluster DNS: ask it).
   */
  address(namespace: string, name: string, port: number | string): HostAddress | undefined {
    for (const k of this.serviceFrontends.get(serviceKey(namespace, name)) ?? []) {
      const f = this.frontendSet.get(k);
      if (f?.kind !== 'cluster-ip') continue;
      if (typeof port === 'number' ? f.target.port === port : f.portName === port) return f.address;
    }
    return undefined;
  }

  /**
   * Leaves a host address to another part that serves host clients there itself: the frontend
   * that would bind it is closed (or never opened).
   */
  reserveHostAddress(address: HostAddress): void {
    this.reserved.add(`${address.host}:${address.port}`);
    for (const key of this.table.serviceKeys()) void this.syncFrontends(key);
  }

  /**
   * A Service port's endpoints as kube-proxy holds them now (by port number or name), with their
   * conditions: what the next connection chooses from.
   */
  endpoints(namespace: string, name: string, port: number | string): readonly EndpointEntry[] {
    const entry = this.table
      .portsOf(namespace, name)
      .find((p) => (typeof port === 'number' ? p.port === port : p.portName === port));
    return entry ? this.table.endpointsOf(entry) : [];
  }

  /** The host frontend of a nodePort on one node. */
  nodePortAddress(nodeName: string, nodePort: number): HostAddress | undefined {
    return this.frontendSet
      .list()
      .find((f) => f.kind === 'node-port' && f.node === nodeName && f.target.port === nodePort)?.address;
  }

  /** Every host frontend. */
  frontends(): FrontendInfo[] {
    return this.frontendSet.list().map((f) => ({
      kind: f.kind,
      namespace: f.namespace,
      service: f.service,
      portName: f.portName,
      target: `${f.target.ip}:${f.target.port}`,
      ...(f.node !== undefined ? { node: f.node } : {}),
      address: f.address,
      ...(f.fallbackReason !== undefined ? { fallback: { wanted: f.wanted, reason: f.fallbackReason } } : {}),
    }));
  }

  /**
   * Resolves once kube-proxy has seen the Service as the API has it now and its frontends are
   * bound (a Service created a moment ago is picked up from its watch event). Rejects when the
   * cluster stops first.
   */
  whenBound(namespace: string, name: string): Promise<void> {
    if (this.closing) return Promise.reject(new Error('kube-proxy: the cluster is stopping'));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ namespace, name, resolve, reject });
      this.checkWaiters();
    });
  }

  private checkWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      const live = this.ctx.registry.find(SERVICES, w.namespace, w.name);
      const seen = this.table.seen(w.namespace, w.name);
      const caughtUp = live
        ? seen !== undefined && Number(seen) >= Number(live.metadata.resourceVersion)
        : !this.table.has(w.namespace, w.name);
      if (!caughtUp) return true;
      const keys = [...(this.serviceFrontends.get(serviceKey(w.namespace, w.name)) ?? [])];
      void Promise.all(keys.map((k) => this.frontendSet.bound(k))).then(() => w.resolve());
      return false;
    });
  }

  stats(): KubeProxyStats {
    const frontends = this.frontendSet.list();
    return {
      ...this.counters,
      frontends: frontends.filter((f) => f.address).length,
      fallbacks: frontends.filter((f) => f.address && f.fallbackReason !== undefined).length,
      byService: Object.fromEntries([...this.perService].map(([k, v]) => [k, { ...v }])),
    };
  }
}
