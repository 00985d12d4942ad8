/**
 * The sim's data plane, in the order a packet meets it: NodeLocal DNSCache on the node, kube-proxy's
 * DNAT, NetworkPolicy, then what answers in-process (CoreDNS replicas, the metadata service) or the
 * pods' own sockets (pod-network.ts). The Ingress controller fronts Services for clients outside.
 */
import type { SimContext } from '../context.ts';
import { ClusterDns, DEFAULT_CLUSTER_DNS_OPTIONS } from './dns/cluster-dns.ts';
import { NodeLocalDns } from './dns/node-local-dns.ts';
import { IngressController } from './ingress.ts';
import { KubeProxy } from './kube-proxy.ts';
import { FakeMetadataService } from './metadata-service.ts';
import { NetworkPolicies } from './network-policy.ts';
import type { DataPlanePart } from './part.ts';

export interface DataPlane {
  kubeProxy: KubeProxy;
  dns: ClusterDns;
  nodeLocalDns: NodeLocalDns;
  policies: NetworkPolicies;
  metadata: FakeMetadataService;
  ingress: IngressController;
  /** In start order (stopped in reverse). */
  parts: DataPlanePart[];
  /** Resolves once every part's real sockets are open. */
  ready(): Promise<void>;
  /** Closes every part's real sockets. */
  close(): Promise<void>;
}

export function createDataPlane(ctx: SimContext): DataPlane {
  // The cluster DNS serves host clients on the kube-dns mirror itself (UDP and TCP).
  const kubeProxy = new KubeProxy(ctx, { reservedHostAddresses: [DEFAULT_CLUSTER_DNS_OPTIONS.hostAddress] });
  const dns = new ClusterDns(ctx);
  // The nodes' resolver is the cluster DNS's upstream stub (what CoreDNS forwards to as well).
  const nodeLocalDns = new NodeLocalDns(ctx, { clusterDns: dns });
  const policies = new NetworkPolicies(ctx);
  const metadata = new FakeMetadataService(ctx);
  const ingress = new IngressController(ctx);
  const parts: DataPlanePart[] = [kubeProxy, dns, nodeLocalDns, policies, metadata, ingress];
  return {
    kubeProxy,
    dns,
    nodeLocalDns,
    policies,
    metadata,
    ingress,
    parts,
    ready: () => Promise.all(parts.map((p) => p.ready())).then(() => undefined),
    close: () => Promise.all(parts.map((p) => p.close())).then(() => undefined),
  };
}
