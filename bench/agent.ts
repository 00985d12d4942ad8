/**
 * The agent's costs: how close dnsflood and httpprobe's load mode get to their target rate on this
 * machine (loopback only), and what an agent pod costs the sim (start to Ready, memory per pod).
 * Printed figures, never asserted.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RealHost } from '../src/agent/host/real.ts';
import { type AgentLine, parseAgentLine } from '../src/agent/output.ts';
import { runAgent } from '../src/agent/run.ts';
import { startSimCluster } from '../src/sim/cluster.ts';
import { startDnsServer } from '../test/support/dns-server.ts';
import type { Figures } from './figures.ts';

/** Runs a mode in this process on the loopback-only real host; resolves with its summary line. */
async function summaryOf(
  argv: string[],
  until?: Promise<void>,
): Promise<AgentLine & Record<string, unknown>> {
  const lines: AgentLine[] = [];
  const stop = new AbortController();
  const host = new RealHost({
    loopbackOnly: true,
    terminated: stop.signal,
    stdout: (l) => {
      const parsed = parseAgentLine(l);
      if (parsed) lines.push(parsed);
    },
    stderr: (l) => console.error(l),
  });
  const done = runAgent(argv, host);
  if (until) await until.then(() => stop.abort());
  await done;
  const summary = lines.findLast((l) => l.event === 'summary');
  if (!summary) throw new Error(`no summary from ${argv.join(' ')}`);
  return summary as AgentLine & Record<string, unknown>;
}

async function benchDnsflood(figures: Figures): Promise<void> {
  const server = await startDnsServer({ zone: { 'api.example.com': { A: ['127.0.0.9'] } } });
  try {
    const qps = Number(process.env.SCARS_BENCH_DNS_QPS ?? 1000);
    const s = await summaryOf([
      'dnsflood',
      '--name',
      'api.example.com',
      '--qps',
      String(qps),
      '--duration',
      '2s',
      '--resolv-conf',
      'none',
      '--nameserver',
      `127.0.0.1:${server.port}`,
      '--search',
      'ns.svc.cluster.local,svc.cluster.local,cluster.local',
      '--ndots',
      '5',
      '--timeout',
      '1s',
      '--report-interval',
      '10s',
    ]);
    figures.add(
      `dnsflood: achieved / target lookups per second (${qps}/s, ndots 5, 3 search domains)`,
      Number(s.achievedQps) / qps,
      'ratio',
    );
    figures.add('dnsflood: queries per lookup', Number(s.queriesPerLookup), 'queries');
    figures.add('dnsflood: queries per second sent', server.queries.length / 2, 'q/s');
    const latency = s.latency as { p99Ms?: number } | null;
    figures.add('dnsflood: lookup p99 (8 queries each)', latency?.p99Ms ?? NaN, 'ms');
  } finally {
    await server.close();
  }
}

async function benchHttpLoad(figures: Figures): Promise<void> {
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  let stopServe: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopServe = resolve));
  const stop = new AbortController();
  const serveHost = new RealHost({
    loopbackOnly: true,
    terminated: stop.signal,
    stdout: (l) => {
      const line = parseAgentLine(l) as (AgentLine & { port?: number }) | undefined;
      if (line?.event === 'listening' && line.port) listening(line.port);
    },
    stderr: () => undefined,
  });
  const serving = runAgent(
    ['serve', '--port', '0', '--address', '127.0.0.1', '--stats-interval', '0'],
    serveHost,
  );
  void stopped.then(() => stop.abort());
  try {
    const rate = 1000;
    const s = await summaryOf([
      'httpprobe',
      '--url',
      `http://127.0.0.1:${await port}/`,
      '--rate',
      String(rate),
      '--concurrency',
      '64',
      '--duration',
      '2s',
      '--report-interval',
      '10s',
    ]);
    const ok = (s.outcomes as Record<string, number>).ok ?? 0;
    figures.add(
      'httpprobe load: achieved / target request rate (1000/s, 2 s)',
      Number(s.achievedRate) / rate,
      'ratio',
    );
    figures.add('httpprobe load: ok / attempts', ok / Number(s.attempts), 'ratio');
    const latency = s.latency as { p99Ms?: number } | null;
    figures.add('httpprobe load: p99 (new connection per request)', latency?.p99Ms ?? NaN, 'ms');
  } finally {
    stopServe();
    await serving;
  }
}

async function benchSimAgentPods(figures: Figures): Promise<void> {
  const pods = Number(process.env.SCARS_BENCH_AGENT_PODS ?? 50);
  const sim = await startSimCluster({ nodes: 4, timeScale: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'scars-bench-agent-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const heap = () => {
      global.gc?.();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const heap0 = heap();
    const t0 = performance.now();
    for (let i = 0; i < pods; i++) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: `web-${i}` },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'scars-agent',
                args: ['serve', '--warmup', '5s'],
                readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
    }
    for (;;) {
      const list = await core.listNamespacedPod({ namespace: 'default' });
      const ready = list.items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      if (ready.length === pods) break;
      if (performance.now() - t0 > 120_000)
        throw new Error(`only ${ready.length}/${pods} agent pods Ready after 2 min`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const wall = performance.now() - t0;
    figures.add(
      `sim: ${pods} agent serve pods created to all Ready (5 s sim warm-up, time scale 10)`,
      wall / 1000,
      's',
    );
    figures.add(
      'sim: heap per Ready agent serve pod (API objects, kubelet, agent, listener)',
      (heap() - heap0) / pods / 2 ** 10,
      'KiB',
    );
    figures.add(
      'sim: real sockets used by the agents so far (probes, listeners)',
      sim.network.stats().real,
      'operations',
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchAgent(figures: Figures): Promise<void> {
  await benchDnsflood(figures);
  await benchHttpLoad(figures);
  await benchSimAgentPods(figures);
}
