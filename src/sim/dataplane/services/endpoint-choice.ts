/**
 * Which endpoint a new connection to a Service port gets, as kube-proxy's iptables mode decides:
 *
 * - the usable endpoints (pkg/proxy/topology.go CategorizeEndpoints): the ready ones; when none
 *   is ready anywhere, the ones still serving while terminating (ProxyTerminatingEndpoints, GA in
 *   1.28). With a Local traffic policy, the same choice among the endpoints on the node
 *   (ready local ones, else serving-and-terminating local ones);
 * - no usable endpoint anywhere: the Service "has no endpoints" and kube-proxy installs a REJECT
 *   rule (ICMP port unreachable: connection refused, for UDP as for TCP);
 * - endpoints elsewhere but none on the node under a Local policy: "has no local endpoints",
 *   a DROP rule (the client times out);
 * - sessionAffinity ClientIP: a client whose last connection went to a still-usable endpoint
 *   within the timeout goes there again (the `recent` match, `--rcheck --seconds T --reap`, and
 *   every use refreshes it);
 * - otherwise one endpoint at random, by the chain of `statistic --mode random --probability
 *   1/(n-i)` rules (uniform over the usable endpoints).
 */
import type { EndpointEntry } from './service-table.ts';

export type EndpointVerdict = EndpointEntry | 'refused' | 'dropped';

/** The endpoints a connection may use under the policy (`node` set: Local, on that node). */
export function usableEndpoints(
  all: readonly EndpointEntry[],
  node: string | undefined,
): { usable: EndpointEntry[]; anyUsable: boolean } {
  const ready = (e: EndpointEntry) => e.ready;
  const fallback = (e: EndpointEntry) => e.serving && e.terminating;
  const anyUsable = all.some((e) => ready(e) || fallback(e));
  const scope = node === undefined ? all : all.filter((e) => e.nodeName === node);
  const usable = scope.filter(ready);
  return { usable: usable.length > 0 ? usable : scope.filter(fallback), anyUsable };
}

/** iptables' probability rules: rule i of n matches with 1/(n-i), the last one always. */
export function pickLikeIptables<T>(candidates: readonly T[], random: () => number = Math.random): T {
  const n = candidates.length;
  if (n === 0) throw new Error('pickLikeIptables: no candidates');
  for (let i = 0; i < n - 1; i++) if (random() < 1 / (n - i)) return candidates[i] as T;
  return candidates[n - 1] as T;
}

const endpointKey = (e: EndpointEntry): string => `${e.ip}:${e.port}`;

/**
 * ClientIP affinity, per Service port and client address, timed on the sim clock. Entries expire
 * `timeoutMs` after their last use; expired ones are swept as the table grows.
 */
export class AffinityTable {
  private readonly entries = new Map<string, { endpoint: string; lastUsed: number; timeoutMs: number }>();
  private sweepAt = 1024;

  constructor(private readonly now: () => number) {}

  /** The remembered endpoint, when it is still usable and the entry has not expired. */
  lookup(
    servicePort: string,
    client: string,
    usable: readonly EndpointEntry[],
    timeoutMs: number,
  ): EndpointEntry | undefined {
    const key = `${servicePort}|${client}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.lastUsed > timeoutMs) {
      this.entries.delete(key);
      return undefined;
    }
    return usable.find((e) => endpointKey(e) === entry.endpoint);
  }

  remember(servicePort: string, client: string, endpoint: EndpointEntry, timeoutMs: number): void {
    this.entries.set(`${servicePort}|${client}`, {
      endpoint: endpointKey(endpoint),
      lastUsed: this.now(),
      timeoutMs,
    });
    if (this.entries.size >= this.sweepAt) {
      const now = this.now();
      for (const [key, e] of this.entries) if (now - e.lastUsed > e.timeoutMs) this.entries.delete(key);
      this.sweepAt = Math.max(1024, this.entries.size * 2);
    }
  }

  /** Drops a Service port's entries (the Service is gone). */
  forget(servicePortPrefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(servicePortPrefix)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface ChoiceInput {
  /** The Service port's endpoints (all conditions). */
  endpoints: readonly EndpointEntry[];
  /** Local traffic policy on this node; undefined: Cluster. */
  localNode: string | undefined;
  /** ClientIP affinity: the Service port, the client, the timeout; undefined: none. */
  affinity: { table: AffinityTable; servicePort: string; client: string; timeoutMs: number } | undefined;
  random?: () => number;
}

/** The endpoint for one new connection, or the rule kube-proxy would have applied instead. */
export function chooseEndpoint(input: ChoiceInput): EndpointVerdict {
  const { usable, anyUsable } = usableEndpoints(input.endpoints, input.localNode);
  if (usable.length === 0) return anyUsable ? 'dropped' : 'refused';
  const a = input.affinity;
  const sticky = a && a.table.lookup(a.servicePort, a.client, usable, a.timeoutMs);
  const chosen = sticky ?? pickLikeIptables(usable, input.random);
  if (a) a.table.remember(a.servicePort, a.client, chosen, a.timeoutMs);
  return chosen;
}
