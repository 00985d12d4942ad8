/**
 * The simulator at the scale it is designed for: 1,000 nodes (clusters/sim/large.yaml) and
 * 100,000 pods created through 1,000 Deployments of 100 replicas, sent over HTTPS by client-node.
 * Figures: wall time until every pod is Running and Ready, scheduler bindings per second,
 * resident memory, and the CPU an idle 100k-pod cluster costs per wall second.
 *
 * SCARS_BENCH_SCALE_PODS scales it down (e.g. 10000) for a quick look.
 */
import { performance } from 'node:perf_hooks';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { KeepAliveKubeConfig } from '../../src/cluster/keep-alive.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import { PODS } from '../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../src/sim/object.ts';
import { loadTopology } from '../../src/sim/topology/load.ts';
import type { Figures } from '../figures.ts';

const REPLICAS = 100;

const deployment = (i: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `web-${i}`, labels: { app: `web-${i}` } },
  spec: {
    replicas: REPLICAS,
    selector: { matchLabels: { app: `web-${i}` } },
    template: {
      metadata: { labels: { app: `web-${i}` } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.k8s.io/pause:3.9',
            resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
          },
        ],
      },
    },
  },
});

const mib = (bytes: number) => bytes / 1024 / 1024;

export async function benchSimScale(figures: Figures): Promise<void> {
  const pods = Number(process.env.SCARS_BENCH_SCALE_PODS ?? 100_000);
  const deployments = Math.max(1, Math.round(pods / REPLICAS));
  const topology = loadTopology('clusters/sim/large.yaml');
  const sim = await startSimCluster({ topology, historySize: 20_000 });
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify(sim.kubeconfig()));
  const keepAlive = KeepAliveKubeConfig.from(kc);
  const apps = keepAlive.makeApiClient(AppsV1Api);
  // Counted from a watch, as a client would, rather than by listing 100k pods every second.
  const readyPods = new Set<string>();
  const unwatch = sim.store.watch({
    resource: sim.registry.storeKey(PODS),
    deliver: (type, _event, object) => {
      const pod = object as Pod & KubeObject;
      const key = pod.metadata.name ?? '';
      const ok =
        type !== 'DELETED' &&
        pod.status?.phase === 'Running' &&
        (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      if (ok) readyPods.add(key);
      else readyPods.delete(key);
    },
  });
  try {
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < deployments) {
          const i = next++;
          await apps.createNamespacedDeployment({ namespace: 'default', body: deployment(i) });
        }
      }),
    );
    const target = deployments * REPLICAS;
    const running = () => readyPods.size;
    let last = -1;
    let ready = 0;
    const deadline = start + 600_000;
    while ((ready = running()) < target && performance.now() < deadline) {
      if (ready !== last && Math.floor(ready / 10_000) !== Math.floor(last / 10_000))
        console.log(
          `    ${ready}/${target} pods running after ${((performance.now() - start) / 1000).toFixed(1)} s`,
        );
      last = ready;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const wall = (performance.now() - start) / 1000;
    const stats = sim.stats();
    figures.add(
      `sim scale: ${target} pods via ${deployments} Deployments on ${topology.nodes.length} nodes, all Running+Ready`,
      wall,
      's',
      ready >= target ? '< 60' : `< 60 (only ${ready} ready)`,
    );
    figures.add(
      'sim scale: scheduler bindings per second (whole rollout)',
      stats.scheduled / wall,
      '/s',
      null,
    );
    global.gc?.();
    figures.add(
      'sim scale: resident memory with the cluster running',
      mib(process.memoryUsage().rss),
      'MiB',
      '< 2048',
    );

    // Idle: nothing changes but leases, heartbeats and timers.
    await new Promise((r) => setTimeout(r, 5_000));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const cpu = process.cpuUsage(cpu0);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    figures.add('sim scale: CPU of the idle cluster (share of one core)', share * 100, '%', '< 5');
  } finally {
    unwatch();
    keepAlive.close();
    await sim.stop();
  }
}
