/**
 * NetworkPolicy for every connection the sim's data plane carries, as a policy-enforcing CNI
 * (Calico, Cilium) does on the nodes: the `admit` stage of the sim network, run on the
 * destination after kube-proxy's DNAT (iptables-based CNIs filter the translated packet), so a
 * Service's traffic is judged by the endpoint pod it lands on. A default-deny egress therefore
 * also cuts pods off from CoreDNS unless a rule lets UDP/TCP 53 to the kube-dns pods through.
 *
 * Who is subject (see netpol/evaluate.ts): a source of kind `pod` for egress, the pod holding the
 * destination IP for ingress. Nodes (the kubelet's probes, hostNetwork pods) and the host outside
 * the sim have no egress policy; as ingress peers they match ipBlocks by their IP as is, and a
 * pod's own node is always let in (so readiness probes keep working under a default deny).
 * ipBlocks match pod IPs too (as Calico does; upstream leaves it to the CNI).
 *
 * Evaluation is in-memory from watch-fed indexes (netpol/cluster-index.ts); with no policy in the
 * cluster `admit` is a single check.
 */
import type { Namespace, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { SimContext } from '../context.ts';
import { subscribe } from '../controllers/controller.ts';
import { NAMESPACES, NETWORK_POLICIES, NODES, PODS } from '../kinds/resources.ts';
import type { ResourceType } from '../kinds/registry.ts';
import type { WatchEventType } from '../store/object-store.ts';
import { PolicyClusterIndex, podInfo } from './netpol/cluster-index.ts';
import { protocolOf } from './netpol/compile.ts';
import { evaluate, type Party, type Verdict } from './netpol/evaluate.ts';
import type { DataPlanePart } from './part.ts';
import type { Destination, NetworkSource, RoutingStage } from './pod-network.ts';

export interface NetworkPolicyStats {
  /** Policies in the cluster now. */
  policies: number;
  /** Connections (and datagrams) judged while at least one policy existed. */
  evaluated: number;
  /** Of those, dropped because the source pod's egress allowed nothing that matched. */
  deniedEgress: number;
  /** Of those, dropped because the destination pod's ingress allowed nothing that matched. */
  deniedIngress: number;
}

export class NetworkPolicies implements DataPlanePart, RoutingStage {
  readonly name = 'network-policy';
  private readonly index = new PolicyClusterIndex();
  private stops: (() => void)[] = [];
  private readonly counters = { evaluated: 0, deniedEgress: 0, deniedIngress: 0 };

  constructor(readonly ctx: SimContext) {}

  start(): void {
    if (this.stops.length > 0) return;
    const { registry } = this.ctx;
    const feed = <T>(resource: ResourceType, apply: (type: WatchEventType, obj: T) => void) => {
      for (const obj of registry.list(resource, {}).items) apply('ADDED', obj as T);
      this.stops.push(subscribe(registry, resource, (type, event) => apply(type, event.object as T)));
    };
    feed<Namespace>(NAMESPACES, (t, o) => this.index.applyNamespace(t, o));
    feed<Node>(NODES, (t, o) => this.index.applyNode(t, o));
    feed<Pod>(PODS, (t, o) => this.index.applyPod(t, o));
    feed<NetworkPolicy>(NETWORK_POLICIES, (t, o) => this.index.applyPolicy(t, o));
    this.stops.push(this.ctx.network.use(this));
  }

  stop(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The routing stage: false drops the connection (the client hears nothing and times out). */
  admit(dest: Destination, source: NetworkSource): boolean {
    if (this.index.empty) return true;
    const verdict = this.evaluate(dest, source);
    this.counters.evaluated++;
    if (verdict.egress.outcome === 'denied') this.counters.deniedEgress++;
    else if (verdict.ingress.outcome === 'denied') this.counters.deniedIngress++;
    return verdict.allowed;
  }

  /** The verdict for one connection, with which pod's policies decided and why (no counting). */
  evaluate(dest: Destination, source: NetworkSource): Verdict {
    const destinationPod = this.index.podAt(dest.ip);
    const destination: Party = {
      kind: destinationPod ? 'pod' : 'host',
      ip: dest.ip,
      ...(destinationPod ? { pod: destinationPod, nodeName: destinationPod.nodeName } : {}),
    };
    return evaluate(
      {
        source: this.sourceParty(source),
        destination,
        port: dest.port,
        protocol: protocolOf(dest.transport.toUpperCase()),
      },
      this.index,
    );
  }

  stats(): NetworkPolicyStats {
    return { policies: this.index.allPolicies().length, ...this.counters };
  }

  private sourceParty(source: NetworkSource): Party {
    const party: Party = {
      kind: source.kind,
      ip: source.ip,
      ...(source.nodeName !== undefined ? { nodeName: source.nodeName } : {}),
    };
    if (source.kind !== 'pod' || !source.pod) return party;
    const { namespace, name } = source.pod;
    // A pod's first connection can beat its watch event by a tick: read it from the registry then.
    let pod = this.index.pod(namespace, name);
    if (!pod) {
      const live = this.ctx.registry.find(PODS, namespace, name) as Pod | undefined;
      if (live) pod = podInfo(live);
    }
    return pod ? { ...party, pod } : party;
  }
}
