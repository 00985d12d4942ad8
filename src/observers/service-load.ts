/**
 * Load against a Service while the fault is in place, with the built-in load generator (k6's
 * constant-arrival-rate, src/observers/load). The target is found through the Kubernetes API
 * only: the Service's NodePort on a node's InternalIP, which kube-proxy answers on every node,
 * on kind as on the sim (whose node IPs are loopback addresses).
 *
 * The load runs in back-to-back slices (wall time: it is real traffic), each recorded as a
 * `load-sample` timeline event under the step it ran in, so availability assertions can look at
 * the fault window alone and reports can chart errors over time.
 */
import type { V1Node } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import type { Observer, RunContext } from '../harness/scenario.ts';
import { readServicePort } from '../harness/service-port.ts';
import { runLoad } from './load/run-load.ts';

export interface ServiceLoadOptions {
  /** The Service's name in the run namespace; it must be of type NodePort. */
  service: string;
  /** Its port, by name or number (default: the first). */
  port?: string | number;
  path?: string;
  /** Requests started per second (wall time). Default 50. */
  rate?: number;
  /** Per-request timeout in ms (wall time). Default 2000. */
  timeoutMs?: number;
  /** Length of one sample in ms (wall time). Default 500. */
  sliceMs?: number;
}

/** The detail of a `load-sample` timeline event. */
export interface LoadSample {
  observer: 'service-load';
  service: string;
  url: string;
  requests: number;
  failed: number;
  /** Latency of all requests in the slice, ms. */
  p95: number;
  p99: number;
  /** Failures by cause: HTTP status (`503`) or transport error (`ECONNREFUSED`, `timeout`). */
  causes: Record<string, number>;
}

export function serviceLoad(options: ServiceLoadOptions): Observer {
  const rate = options.rate ?? 50;
  const slice = options.sliceMs ?? 500;
  const path = options.path ?? '/';
  return {
    name: 'service-load',
    describe: () =>
      `send ${rate} requests/s to Service ${options.service}${path} through its NodePort (built-in load generator)`,
    preflight: async () => ({
      ok: true,
      summary: 'built-in load generator (in-process, no tool to install)',
    }),
    async start(ctx) {
      const url = await nodePortUrl(ctx, options.service, options.port, path);
      ctx.record('load-target', { observer: 'service-load', service: options.service, url });
      const stop = new AbortController();
      const loop = (async () => {
        while (!stop.signal.aborted) {
          try {
            const r = await runLoad({
              url,
              rate,
              durationMs: slice,
              timeoutMs: options.timeoutMs ?? 2000,
              signal: stop.signal,
              allowNonLoopback: !ctx.simulated,
            });
            const requests = r.metrics.http_reqs.values.count;
            if (requests === 0) continue;
            const failedStatuses = Object.entries(r.scars.statuses).filter(([s]) => !/^[23]/.test(s));
            const sample: LoadSample = {
              observer: 'service-load',
              service: options.service,
              url,
              requests,
              failed: r.metrics.http_req_failed.values.passes,
              p95: r.metrics.http_req_duration.values['p(95)'],
              p99: r.metrics.http_req_duration.values['p(99)'],
              causes: Object.fromEntries([...failedStatuses, ...Object.entries(r.scars.errors)]),
            };
            ctx.record('load-sample', { ...sample });
          } catch (err) {
            ctx.record('sample-error', { observer: 'service-load', error: errorMessage(err) });
            await ctx.clock.sleep(100).catch(() => {});
          }
        }
      })();
      return {
        async stop() {
          stop.abort();
          await loop;
        },
      };
    },
  };
}

async function nodePortUrl(
  ctx: RunContext,
  name: string,
  port: string | number | undefined,
  path: string,
): Promise<string> {
  const { service: svc, port: p } = await readServicePort(ctx, 'service-load', name, port);
  if (svc.spec?.type !== 'NodePort' && svc.spec?.type !== 'LoadBalancer') {
    throw new Error(
      `service-load: Service ${name} is of type ${svc.spec?.type ?? 'ClusterIP'}; expected NodePort, so the load generator can reach it from outside the cluster`,
    );
  }
  if (!p.nodePort)
    throw new Error(`service-load: Service ${name} has no nodePort for port ${String(port ?? 0)}`);
  const nodes = await ctx.kube.list<V1Node>('v1', 'Node');
  const ips = nodes
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address));
  const ip = ips[0];
  if (!ip) throw new Error('service-load: no node has an InternalIP to reach the NodePort on');
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${p.nodePort}${path}`;
}
