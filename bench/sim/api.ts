/**
 * The simulated API server's figures:
 * - pod creates per second through HTTPS with client-node at concurrency 32 (server in its own process);
 * - list latency with a label selector at 10k and 100k stored pods;
 * - watch delivery: events per second fanned out to 100 watchers, and per-event latency;
 * - resident memory with 100k pods stored.
 */
import { spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { KeepAliveKubeConfig } from '../../src/cluster/keep-alive.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import { resourceAt } from '../../src/sim/kinds/registry.ts';
import type { Figures } from '../figures.ts';

const pod = (name: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app, tier: 'bench' } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'registry.k8s.io/pause:3.9',
        resources: { requests: { cpu: '10m', memory: '16Mi' } },
      },
    ],
  },
});

function startServerChild(http: boolean): Promise<{ path: string; stop: () => void }> {
  const profile = process.env.SCARS_BENCH_PROFILE;
  const child = spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      '--import',
      'tsx',
      'bench/sim/serve-child.ts',
      ...(http ? ['--http'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) =>
      resolve({ path: d.toString().trim(), stop: () => child.kill('SIGTERM') }),
    );
    child.once('exit', (code) => reject(new Error(`sim child exited ${code}`)));
  });
}

async function clientNodeRate(
  kc: KubeConfig,
  prefix: string,
  total: number,
  concurrency: number,
): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  // Warm up connections and JIT before timing.
  await Promise.all(
    Array.from({ length: concurrency }, (_, i) =>
      core.createNamespacedPod({ namespace: 'default', body: pod(`${prefix}-warm-${i}`, 'warm') as V1Pod }),
    ),
  );
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await core.createNamespacedPod({
          namespace: 'default',
          body: pod(`${prefix}-${i}`, `app-${i % 100}`) as V1Pod,
        });
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** The server runs in its own process, so client and server each have a core of the two. */
async function createRate(figures: Figures): Promise<void> {
  const concurrency = 32;
  const https = await startServerChild(false);
  try {
    const plain = new KubeConfig();
    plain.loadFromFile(https.path);
    if (!process.env.SCARS_BENCH_ONLY_CREATE) {
      figures.add(
        'sim: pod creates/s, client-node as shipped (new TLS connection per call)',
        await clientNodeRate(plain, 'plain', 2000, concurrency),
        'creates/s',
      );
    }
    const pooled = KeepAliveKubeConfig.from(plain);
    figures.add(
      'sim: pod creates/s, HTTPS, client-node + keep-alive, concurrency 32',
      await clientNodeRate(pooled, 'pooled', 8000, concurrency),
      'creates/s',
      '≥ 2000',
    );
    pooled.close();
    figures.add(
      'sim: pod creates/s, HTTPS, minimal keep-alive client (server capacity), concurrency 32',
      await rawCreateRate(plain, 8000, concurrency),
      'creates/s',
    );
  } finally {
    https.stop();
  }
  const http = await startServerChild(true);
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(http.path);
    const pooled = KeepAliveKubeConfig.from(kc);
    figures.add(
      'sim: pod creates/s, plain HTTP, client-node + keep-alive, concurrency 32',
      await clientNodeRate(pooled, 'http', 8000, concurrency),
      'creates/s',
      '≥ 2000',
    );
    pooled.close();
  } finally {
    http.stop();
  }
}

/** The same creates from a client that costs almost nothing, so the figure is the server's. */
async function rawCreateRate(kc: KubeConfig, total: number, concurrency: number): Promise<number> {
  const cluster = kc.getCurrentCluster();
  if (!cluster?.caData) throw new Error('expected an HTTPS sim with a CA');
  const ca = Buffer.from(cluster.caData, 'base64').toString();
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: concurrency, ca });
  const url = new URL('/api/v1/namespaces/default/pods', cluster.server);
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        url,
        { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await post(JSON.stringify(pod(`raw-${i}`, `app-${i % 100}`)));
      }
    }),
  );
  const rate = total / ((performance.now() - t0) / 1000);
  agent.destroy();
  return rate;
}

async function median(n: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function openWatch(url: string, onLine: (line: string) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, (res) => {
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      });
      resolve(() => req.destroy());
    });
    req.on('error', reject);
  });
}

async function scale(figures: Figures): Promise<void> {
  const baseline = process.memoryUsage().rss;
  const sim = await startSimCluster({ nodes: 3, tls: false, historySize: 10_000, apiOnly: true });
  const pods = resourceAt('v1', 'pods');
  if (!pods) throw new Error('pods not served');
  try {
    const fill = (from: number, to: number) => {
      for (let i = from; i < to; i++) sim.registry.create(pods, 'default', pod(`p-${i}`, `app-${i % 1000}`));
    };
    // 10 pods per app label out of every 10k, so the selected set stays small as the cluster grows.
    const list = async () => {
      const res = await fetch(`${sim.url}/api/v1/namespaces/default/pods?labelSelector=app%3Dapp-7`);
      await res.arrayBuffer();
    };
    fill(0, 10_000);
    figures.add('sim: list 10 pods by label among 10k (median)', await median(50, list), 'ms');
    let t0 = performance.now();
    fill(10_000, 100_000);
    const perCreate = (performance.now() - t0) / 90_000;
    figures.add('sim: in-process create (registry, no HTTP)', perCreate * 1000, 'µs/pod');
    figures.add('sim: list 100 pods by label among 100k (median)', await median(50, list), 'ms');
    global.gc?.();
    figures.add(
      'sim: RSS with 100k pods stored',
      (process.memoryUsage().rss - baseline) / 2 ** 20,
      'MiB',
      '< 1536',
    );

    const watchers = 100;
    const events = 1000;
    const received = new Array<number>(watchers).fill(0);
    let onEvent: (() => void) | undefined;
    const closers = await Promise.all(
      Array.from({ length: watchers }, (_, w) =>
        openWatch(
          `${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${sim.store.resourceVersion}`,
          () => {
            received[w]! += 1;
            onEvent?.();
          },
        ),
      ),
    );
    const configmaps = resourceAt('v1', 'configmaps');
    if (!configmaps) throw new Error('configmaps not served');
    const create = (name: string) =>
      sim.registry.create(configmaps, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { a: name },
      });
    const total = () => received.reduce((a, b) => a + b, 0);

    // Throughput: a burst of writes, fanned out to every watcher.
    t0 = performance.now();
    for (let i = 0; i < events; i++) {
      create(`burst-${i}`);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    while (total() < watchers * events) await new Promise((r) => setTimeout(r, 5));
    figures.add(
      'sim: watch deliveries/s (1000-event burst × 100 watchers)',
      (watchers * events) / ((performance.now() - t0) / 1000),
      'events/s',
    );

    // Latency: one write at a time, timed until the last of the 100 watchers has read it.
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const target = total() + watchers;
      const start = performance.now();
      await new Promise<void>((resolve) => {
        onEvent = () => {
          if (total() >= target) resolve();
        };
        create(`single-${i}`);
      });
      latencies.push(performance.now() - start);
    }
    onEvent = undefined;
    for (const close of closers) close();
    latencies.sort((a, b) => a - b);
    figures.add(
      'sim: one write seen by all 100 watchers, p50',
      latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      'ms',
    );
    figures.add(
      'sim: one write seen by all 100 watchers, p99',
      latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      'ms',
    );
  } finally {
    await sim.stop();
  }
}

export async function benchSimApi(figures: Figures): Promise<void> {
  await createRate(figures);
  if (!process.env.SCARS_BENCH_ONLY_CREATE) await scale(figures);
}
