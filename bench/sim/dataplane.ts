/**
 * The data plane's costs on this machine: HTTP load through a Service's host frontend (kube-proxy's
 * TCP proxy to agent serve pods), and DNS queries through the sim network (kube-proxy DNAT to a
 * CoreDNS replica model) — in-process, as agent pods send them, and over real UDP to the host DNS
 * server. Printed figures, never asserted.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import dnsPacket from 'dns-packet';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dnsExchange } from '../../src/agent/host/real-dns.ts';
import { runLoad } from '../../src/observers/load/index.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import type { Figures } from '../figures.ts';

function query(id: number, name: string): Uint8Array {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
}

export async function benchSimDataPlane(figures: Figures): Promise<void> {
  const sim = await startSimCluster({ nodes: 4, timeScale: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'scars-bench-dataplane-'));
  try {
    const plane = sim.dataPlane;
    if (!plane) throw new Error('the sim has no data plane');
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'scars-agent',
                  args: ['serve', '--stats-interval', '0'],
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: {
                    httpGet: { path: '/readyz', port: 8080 },
                    periodSeconds: 1,
                    timeoutSeconds: 5,
                  },
                },
              ],
            },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { selector: labels, ports: [{ port: 8080, targetPort: 8080 }] },
      },
    });
    const until = performance.now() + 60_000;
    for (;;) {
      if (plane.kubeProxy.endpoints('default', 'web', 8080).length >= 3) break;
      if (performance.now() > until) throw new Error('web endpoints not ready after 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await plane.kubeProxy.whenBound('default', 'web');
    const address = plane.kubeProxy.address('default', 'web', 8080);
    if (!address) throw new Error('no frontend for default/web');
    const rate = 500;
    const load = await runLoad({
      url: `http://${address.host}:${address.port}/`,
      rate,
      durationMs: 2000,
      timeoutMs: 5000,
    });
    const values = load.metrics.http_reqs.values;
    const duration = load.metrics.http_req_duration.values;
    const failed = load.metrics.http_req_failed.values;
    figures.add(
      `Service frontend: completed / target requests (${rate}/s, 2 s, 3 agent pods)`,
      values.count / (rate * 2),
      'ratio',
    );
    figures.add('Service frontend: failed share', failed.rate, 'ratio');
    figures.add('Service frontend: p99 (keep-alive, TCP proxy to a pod)', duration['p(99)'], 'ms');

    // In-process DNS through the sim network, as agent pods send it.
    const n = 20_000;
    const source = { kind: 'pod' as const, ip: '127.64.1.250', nodeName: sim.nodes[1], log: () => {} };
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const route = sim.network.route('10.96.0.10', 53, 'udp', source);
      if (route.kind !== 'dns') throw new Error(`10.96.0.10:53 routed as ${route.kind}`);
      pending.push(route.exchange(query(i & 0xffff, 'kubernetes.default.svc.cluster.local'), 'udp'));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    figures.add(
      'cluster DNS in-process: queries answered per wall second (route + model + encode)',
      n / ((performance.now() - t0) / 1000),
      'q/s',
    );

    // Real UDP to the host DNS server (dig's path).
    const server = plane.dns.address();
    const m = 2000;
    const t1 = performance.now();
    for (let i = 0; i < m; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          dnsExchange(
            { address: server.host, port: server.port },
            query((i + j) & 0xffff, 'web.default.svc.cluster.local'),
            {
              transport: 'udp',
              timeoutMs: 5000,
            },
          ),
        ),
      );
    }
    figures.add(
      'cluster DNS over real UDP from this machine (50 in flight)',
      m / ((performance.now() - t1) / 1000),
      'q/s',
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
