/**
 * NodeLocal DNSCache (clusters/addons/nodelocaldns.yaml) in the sim's data plane.
 *
 * On a real node, the node-cache process of a node-local-dns pod (hostNetwork) puts the addresses
 * of its `-localip` flag (169.254.20.10 and the kube-dns ClusterIP, in kube-proxy iptables mode)
 * on a dummy interface and adds NOTRACK rules for them, so a query to either from anything on the
 * node — pods and hostNetwork pods alike — reaches the local cache before kube-proxy's DNAT sees
 * it. Pods keep `nameserver 10.96.0.10`. Here that is the `intercept` stage: a DNS query (UDP or
 * TCP, port 53) from a source on a node whose cache is up, to one of that cache's addresses, is
 * answered by the node's cache model (node-cache/); misses go on to the kube-dns-upstream Service
 * over TCP through the sim network, so they meet kube-proxy and the CoreDNS replicas like any
 * other client's queries.
 *
 * A node has its cache while a pod labelled `k8s-app=node-local-dns` in kube-system is Running and
 * Ready on it and not terminating. The cache belongs to that pod's container: a new pod, or a
 * restarted container, starts empty; a pod that is only not Ready for a while keeps its entries. Without a cache, 169.254.20.10 is nothing (queries to it are
 * dropped: the address is link-local and never routed), and the kube-dns IP goes through
 * kube-proxy as usual: pods fall back to CoreDNS by themselves.
 *
 * The Corefile is the node-local-dns ConfigMap's (the built-in one of the addon when it is missing
 * or cannot be read); a change to it restarts every node's cache (the `reload` plugin starts the
 * server over, caches included) — at once, where a real node waits for the kubelet's volume sync
 * and reload's check interval. See docs/sim-fidelity.md, "NodeLocal DNSCache".
 */
import type { ConfigMap, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { DnsExchangeOptions, Endpoint } from '../../../agent/host.ts';
import { timeoutError } from '../../../agent/host/net-errors.ts';
import type { SimContext } from '../../context.ts';
import { subscribe } from '../../controllers/controller.ts';
import { isPodReady, type SimPod } from '../../kinds/pod.ts';
import { resourceAt, type ResourceType } from '../../kinds/registry.ts';
import { PODS, SERVICES } from '../../kinds/resources.ts';
import { CLUSTER_DNS_IP, parseResolvConf, SIM_NODE_RESOLV_CONF } from '../../kubelet/resolv-conf.ts';
import type { KubeObject } from '../../object.ts';
import { parseLabelSelector } from '../../store/selectors.ts';
import type { DataPlanePart } from '../part.ts';
import type { Destination, NetworkAttachment, NetworkSource, Route, RoutingStage } from '../pod-network.ts';
import type { ClusterDnsOptions } from './cluster-dns.ts';
import { decodeQuery, encodeReply } from './dns-message.ts';
import {
  CorefileError,
  DEFAULT_NODE_CACHE_CONFIG,
  type ForwardTarget,
  type NodeCacheConfig,
  parseCorefile,
} from './node-cache/corefile.ts';
import {
  DEFAULT_NODE_CACHE_QPS,
  emptyNodeCacheStats,
  NodeCache,
  type NodeCacheStats,
} from './node-cache/node-cache.ts';
import type { ForwardNetwork } from './node-cache/forwarder.ts';
import { StubUpstream } from './upstream.ts';

export { DEFAULT_NODE_CACHE_QPS, type NodeCacheStats } from './node-cache/node-cache.ts';

/** __PILLAR__LOCAL__DNS__ of the addon: the link-local address every node cache binds. */
export const NODE_LOCAL_DNS_IP = '169.254.20.10';
export const NODE_LOCAL_DNS_NAMESPACE = 'kube-system';
export const NODE_LOCAL_DNS_SELECTOR = 'k8s-app=node-local-dns';
/** The ConfigMap with the Corefile (the DaemonSet's config-volume). */
export const NODE_LOCAL_DNS_CONFIG_MAP = 'node-local-dns';
/** node-cache's `-upstreamsvc` default in the addon. */
const DEFAULT_UPSTREAM_SERVICE = 'kube-dns-upstream';
const KUBE_DNS_SERVICE = 'kube-dns';
const DNS_PORT = 53;

const CONFIG_MAPS: ResourceType = (() => {
  const r = resourceAt('v1', 'configmaps');
  if (!r) throw new Error('sim: v1/configmaps is not in the kind table');
  return r;
})();

const selector = parseLabelSelector(NODE_LOCAL_DNS_SELECTOR);

/** __PILLAR__UPSTREAM__SERVERS__: the nameservers of the sim node's resolv.conf. */
const NODE_RESOLVERS: readonly Endpoint[] = parseResolvConf(SIM_NODE_RESOLV_CONF).servers.map((address) => ({
  address,
  port: DNS_PORT,
}));
const isNodeResolver = (server: Endpoint): boolean =>
  NODE_RESOLVERS.some((r) => r.address === server.address && r.port === server.port);

export interface NodeLocalDnsOptions {
  /** Queries per second each node's cache takes (DEFAULT_NODE_CACHE_QPS); Infinity for no limit. */
  capacityQps?: number;
  /**
   * The cluster DNS, whose upstream stub is also the nodes' resolver (CoreDNS forwards to the
   * node's resolv.conf too): the names it knows and its latency. Without it the node resolver
   * knows no name and answers after DEFAULT_RESOLVER_LATENCY_MS.
   */
  clusterDns?: { currentOptions(): Readonly<Pick<ClusterDnsOptions, 'upstream' | 'upstreamLatencyMs'>> };
}

/** The nodes' resolver's answer time without a cluster DNS to take it from (ms of sim time). */
const DEFAULT_RESOLVER_LATENCY_MS = 5;

/** What a node's cache is now, for tests and the harness. */
export interface NodeCacheState {
  node: string;
  pod: string;
  /** The addresses it answers on (its `-localip`). */
  addresses: string[];
  entries: { success: number; denial: number };
}

/** One running node-cache process. */
interface Instance {
  /** Pod uid and container ID: a new one is a new process with an empty cache. */
  identity: string;
  pod: string;
  /** Ready: queries to its addresses are intercepted. */
  serving: boolean;
  addresses: Set<string>;
  attachment: NetworkAttachment;
  cache: NodeCache;
}

/** `-name value`, `-name=value`, `--name value` (Go's flag package). */
function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(argv[i] ?? '');
    if (m?.[1] !== name) continue;
    return m[2] ?? argv[i + 1];
  }
  return undefined;
}

const podKey = (pod: KubeObject): string => `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;

/** Running and not terminating: its node-cache process exists (and holds its cache). */
function isAlive(pod: SimPod): boolean {
  return (
    !!pod.spec?.nodeName &&
    pod.status?.phase === 'Running' &&
    !pod.metadata.deletionTimestamp &&
    !!(pod.status.hostIP ?? pod.status.podIP)
  );
}

/** Alive and Ready: the node's queries go to it. */
const isServing = (pod: SimPod): boolean => isAlive(pod) && isPodReady(pod);

function cacheContainer(pod: Pod) {
  const containers = pod.spec?.containers ?? [];
  return containers.find((c) => c.name === 'node-cache') ?? containers[0];
}

function identityOf(pod: SimPod): string {
  const name = cacheContainer(pod)?.name;
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === name);
  return `${pod.metadata.uid ?? ''}/${status?.containerID ?? ''}/${status?.restartCount ?? 0}`;
}

export class NodeLocalDns implements DataPlanePart, RoutingStage {
  readonly name = 'node-local-dns';
  private readonly capacityQps: number;
  private readonly clusterDns: NodeLocalDnsOptions['clusterDns'];
  private resolver = { records: undefined as Record<string, string[]> | undefined, stub: new StubUpstream() };
  /** Matching pods, by namespace/name. */
  private readonly pods = new Map<string, SimPod>();
  private readonly instances = new Map<string, Instance>();
  private readonly counters = new Map<string, NodeCacheStats>();
  private config: NodeCacheConfig = DEFAULT_NODE_CACHE_CONFIG;
  private corefile: string | undefined;
  private configProblem: string | undefined;
  private stops: (() => void)[] = [];
  /** Attachments still closing (a removed cache's sockets). */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    readonly ctx: SimContext,
    options: NodeLocalDnsOptions = {},
  ) {
    this.capacityQps = options.capacityQps ?? DEFAULT_NODE_CACHE_QPS;
    this.clusterDns = options.clusterDns;
  }

  start(): void {
    const { registry } = this.ctx;
    this.stops.push(this.ctx.network.use(this));
    this.readConfig(registry.find(CONFIG_MAPS, NODE_LOCAL_DNS_NAMESPACE, NODE_LOCAL_DNS_CONFIG_MAP));
    const nodes = new Set<string>();
    for (const pod of registry.list(PODS, { namespace: NODE_LOCAL_DNS_NAMESPACE, labels: selector }).items) {
      this.pods.set(podKey(pod), pod as SimPod);
      const node = (pod as SimPod).spec?.nodeName;
      if (node) nodes.add(node);
    }
    for (const node of nodes) this.reconcile(node);
    this.stops.push(
      subscribe(registry, PODS, (type, event) => this.onPod(type, event.object as SimPod, event.previous)),
      subscribe(registry, CONFIG_MAPS, (type, event) => {
        const cm = event.object;
        if (
          cm.metadata.namespace !== NODE_LOCAL_DNS_NAMESPACE ||
          cm.metadata.name !== NODE_LOCAL_DNS_CONFIG_MAP
        )
          return;
        if (this.readConfig(type === 'DELETED' ? undefined : cm))
          for (const node of this.instances.keys()) this.restart(node);
      }),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    for (const node of [...this.instances.keys()]) this.remove(node);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.stop();
    return Promise.all([...this.closing]).then(() => undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // The routing stage

  intercept(dest: Destination, source: NetworkSource): Route | undefined {
    if (dest.port !== DNS_PORT || !source.nodeName) return undefined;
    const instance = this.instances.get(source.nodeName);
    if (instance?.serving && instance.addresses.has(dest.ip)) {
      const cache = instance.cache;
      return { kind: 'dns', exchange: (query, transport) => cache.exchange(query, transport) };
    }
    if (dest.ip === NODE_LOCAL_DNS_IP) {
      // Nothing listens on the link-local address without a cache, and it is never routed.
      this.statsOf(source.nodeName).queries++;
      this.statsOf(source.nodeName).dropped++;
      return { kind: 'dropped' };
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // For tests and the harness

  /** Per node (every node that has had a cache or a query to one): what its cache did. */
  stats(): Record<string, NodeCacheStats> {
    return Object.fromEntries([...this.counters].map(([node, s]) => [node, { ...s }]));
  }

  /** The nodes whose cache is up now (its pod Running and Ready). */
  caches(): NodeCacheState[] {
    return [...this.instances]
      .filter(([, i]) => i.serving)
      .map(([node, i]) => ({
        node,
        pod: i.pod,
        addresses: [...i.addresses],
        entries: i.cache.cacheSize(),
      }));
  }

  /** Why the node-local-dns ConfigMap's Corefile is not in use, if it is not. */
  corefileProblem(): string | undefined {
    return this.configProblem;
  }

  // ---------------------------------------------------------------------------------------------

  private onPod(type: string, pod: SimPod, previous: KubeObject | undefined): void {
    if (pod.metadata.namespace !== NODE_LOCAL_DNS_NAMESPACE) return;
    const key = podKey(pod);
    const matches = type !== 'DELETED' && selector.matches(pod.metadata.labels ?? {});
    if (!matches && !this.pods.has(key)) return;
    if (matches) this.pods.set(key, pod);
    else this.pods.delete(key);
    const nodes = new Set([pod.spec?.nodeName, (previous as SimPod | undefined)?.spec?.nodeName]);
    for (const node of nodes) if (node) this.reconcile(node);
  }

  /** Runs the cache of the node's serving pod (the current one while it still serves). */
  /**
   * Keeps the node's cache while its process lives (a readiness flap does not empty it, it only
   * stops the interception), or starts one for the node's live pod, a serving one first.
   */
  private reconcile(node: string): void {
    const alive = [...this.pods.values()].filter((p) => p.spec?.nodeName === node && isAlive(p));
    const current = this.instances.get(node);
    const same = current && alive.find((p) => identityOf(p) === current.identity);
    if (current && same) {
      current.serving = isServing(same);
      return;
    }
    if (current) this.remove(node);
    const pod = alive.find(isServing) ?? alive[0];
    if (pod) this.instances.set(node, this.instanceFor(node, pod));
  }

  /** The config changed: every cache starts over with it. */
  private restart(node: string): void {
    const pod = this.instances.get(node)?.pod;
    this.remove(node);
    const live = pod ? this.pods.get(pod) : undefined;
    if (live && isAlive(live)) this.instances.set(node, this.instanceFor(node, live));
  }

  private remove(node: string): void {
    const instance = this.instances.get(node);
    if (!instance) return;
    this.instances.delete(node);
    instance.cache.stop();
    const closed = instance.attachment.close().finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  private instanceFor(node: string, pod: SimPod): Instance {
    const container = cacheContainer(pod);
    const argv = [...(container?.command ?? []), ...(container?.args ?? [])];
    const localIPs = flagValue(argv, 'localip')
      ?.split(',')
      .map((ip) => ip.trim())
      .filter((ip) => ip !== '');
    const upstreamService = flagValue(argv, 'upstreamsvc') ?? DEFAULT_UPSTREAM_SERVICE;
    const addresses = new Set(localIPs?.length ? localIPs : [NODE_LOCAL_DNS_IP, this.kubeDnsIP()]);
    const hostIP = pod.status?.hostIP ?? pod.status?.podIP ?? '';
    // The cache's own traffic leaves from the node (it runs on the host network).
    const attachment = this.ctx.network.attach({ kind: 'node', ip: hostIP, nodeName: node, log() {} });
    const cache = new NodeCache({
      config: this.config,
      clock: this.ctx.clock,
      network: this.nodeNetwork(attachment),
      upstreams: (target) => this.upstreams(target, upstreamService),
      capacityQps: this.capacityQps,
      stats: this.statsOf(node),
    });
    return {
      identity: identityOf(pod),
      pod: podKey(pod),
      serving: isServing(pod),
      addresses,
      attachment,
      cache,
    };
  }

  private statsOf(node: string): NodeCacheStats {
    let stats = this.counters.get(node);
    if (!stats) this.counters.set(node, (stats = emptyNodeCacheStats()));
    return stats;
  }

  private serviceIP(name: string): string | undefined {
    const svc = this.ctx.registry.find(SERVICES, NODE_LOCAL_DNS_NAMESPACE, name) as
      (Service & KubeObject) | undefined;
    const ip = svc?.spec?.clusterIP;
    return ip && ip !== 'None' ? ip : undefined;
  }

  private kubeDnsIP(): string {
    return this.serviceIP(KUBE_DNS_SERVICE) ?? CLUSTER_DNS_IP;
  }

  /**
   * The pillars as node-cache fills them: __PILLAR__CLUSTER__DNS__ is the `-upstreamsvc`
   * Service's ClusterIP (read per query here; none while the Service is missing, and the forward
   * fails), __PILLAR__UPSTREAM__SERVERS__ the node's resolv.conf nameservers.
   */
  private upstreams(target: ForwardTarget, upstreamService: string): Endpoint[] {
    if (target.kind === 'address') return [{ address: target.ip, port: target.port }];
    if (target.kind === 'node-resolvers') return [...NODE_RESOLVERS];
    const ip = this.serviceIP(upstreamService);
    return ip ? [{ address: ip, port: DNS_PORT }] : [];
  }

  /**
   * The network as the node cache sends: its node's resolvers (the sim node's resolv.conf names
   * 127.18.0.1, where nothing may be sent) are the in-sim upstream stub; everything else goes
   * through the sim network from the node.
   */
  private nodeNetwork(attachment: NetworkAttachment): ForwardNetwork {
    return {
      dnsExchange: (server, query, options) =>
        isNodeResolver(server)
          ? this.askNodeResolver(server, query, options)
          : attachment.dnsExchange(server, query, options),
    };
  }

  private async askNodeResolver(
    server: Endpoint,
    bytes: Uint8Array,
    options: DnsExchangeOptions,
  ): Promise<Uint8Array> {
    const what = `DNS query to ${server.address}:${server.port}/${options.transport}`;
    const query = decodeQuery(bytes);
    const upstream = this.clusterDns?.currentOptions();
    const latencyMs = upstream?.upstreamLatencyMs ?? DEFAULT_RESOLVER_LATENCY_MS;
    // A resolver ignores what it cannot read, and one slower than the caller is a timeout.
    if (!query || latencyMs >= options.timeoutMs) {
      await this.ctx.clock.sleep(options.timeoutMs);
      throw timeoutError(what, options.timeoutMs);
    }
    if (upstream && upstream.upstream !== this.resolver.records)
      this.resolver = { records: upstream.upstream, stub: new StubUpstream(upstream.upstream) };
    await this.ctx.clock.sleep(latencyMs);
    return encodeReply(query, this.resolver.stub.resolve(query.name, query.type), options.transport);
  }

  /** Reads the ConfigMap's Corefile; true when the config in use changed. */
  private readConfig(cm: KubeObject | undefined): boolean {
    const text = (cm as (ConfigMap & KubeObject) | undefined)?.data?.Corefile;
    if (text === this.corefile) return false;
    this.corefile = text;
    let next = DEFAULT_NODE_CACHE_CONFIG;
    this.configProblem = undefined;
    if (text !== undefined) {
      try {
        next = parseCorefile(text);
      } catch (error) {
        if (!(error instanceof CorefileError)) throw error;
        this.configProblem = `${NODE_LOCAL_DNS_NAMESPACE}/${NODE_LOCAL_DNS_CONFIG_MAP}: ${error.message}; the addon's own Corefile is used`;
      }
    }
    this.config = next;
    return true;
  }
}
