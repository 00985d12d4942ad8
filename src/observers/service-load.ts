/**
 * Load against a Service while the fault is in place, with the engine `--load` picks
 * (k6/engine.ts): the built-in generator (k6's constant-arrival-rate in-process) or the k6 CLI.
 * The target is found through the Kubernetes API only: the Service's NodePort on a node's
 * InternalIP, which kube-proxy answers on every node, on kind as on the sim (whose node IPs are
 * loopback addresses).
 *
 * Results are `load-sample` timeline events under the step they were measured in, so availability
 * assertions can look at the fault window alone and reports can chart errors over time; each says
 * which engine measured it. The built-in generator runs back-to-back slices. k6 runs once for the
 * whole observation (a k6 process per slice would leave gaps while it starts) with `--out json`,
 * and every slice the points it flushed since (k6 flushes every 200 ms) become one sample; at the
 * end its own summary is recorded as `load-summary`. Observation starts once k6's first requests
 * are seen, so the fault never lands before the load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import type { LoadEngineChoice, Observer, ObserverHandle, RunContext } from '../harness/scenario.ts';
import { readServicePort } from '../harness/service-port.ts';
import { type LoadEngine, k6MissingMessage, resolveLoadEngine } from './load/k6/engine.ts';
import { K6PointReader, type PointSlice } from './load/k6/points.ts';
import { K6RunError, startK6 } from './load/k6/run.ts';
import { runLoad } from './load/run-load.ts';
import type { LoadResult } from './load/summary.ts';

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
  /** k6 only: how long to wait for k6's first requests before giving up (wall ms). Default 20000. */
  k6StartupMs?: number;
}

/** The detail of a `load-sample` timeline event. */
export interface LoadSample {
  observer: 'service-load';
  /** Which engine measured this sample. */
  engine: LoadEngine;
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

/** The longest a k6 run may last: it is stopped when the observation ends, long before. */
const K6_MAX_RUN_MS = 60 * 60_000;

function engineLabel(choice: LoadEngineChoice): string {
  if (choice === 'k6') return 'k6';
  if (choice === 'builtin') return 'built-in load generator';
  return 'k6 if on PATH, else the built-in load generator';
}

/** A builtin slice's summary → sample. */
export function sampleOfResult(
  base: Omit<LoadSample, 'requests' | 'failed' | 'p95' | 'p99' | 'causes'>,
  r: LoadResult,
): LoadSample {
  const failedStatuses = Object.entries(r.scars.statuses).filter(([s]) => !/^[23]/.test(s));
  return {
    ...base,
    requests: r.metrics.http_reqs.values.count,
    failed: r.metrics.http_req_failed.values.passes,
    p95: r.metrics.http_req_duration.values['p(95)'],
    p99: r.metrics.http_req_duration.values['p(99)'],
    causes: Object.fromEntries([...failedStatuses, ...Object.entries(r.scars.errors)]),
  };
}

export function serviceLoad(options: ServiceLoadOptions): Observer {
  const rate = options.rate ?? 50;
  const slice = options.sliceMs ?? 500;
  const path = options.path ?? '/';
  return {
    name: 'service-load',
    describe: (ctx) =>
      `send ${rate} requests/s to Service ${options.service}${path} through its NodePort (${engineLabel(ctx.load ?? 'auto')})`,
    preflight: async (ctx) => {
      const engine = resolveLoadEngine(ctx.load ?? 'auto');
      if (!engine) return { ok: false, summary: k6MissingMessage() };
      return { ok: true, summary: engine.why };
    },
    async start(ctx) {
      const engine = resolveLoadEngine(ctx.load ?? 'auto');
      if (!engine) throw new K6RunError(k6MissingMessage());
      const url = await nodePortUrl(ctx, options.service, options.port, path);
      ctx.record('load-target', {
        observer: 'service-load',
        service: options.service,
        url,
        engine: engine.engine,
      });
      const base = {
        observer: 'service-load' as const,
        engine: engine.engine,
        service: options.service,
        url,
      };
      if (engine.engine === 'k6')
        return startK6Load(ctx, options, { ...base, engine: 'k6' }, engine.k6Path, rate, slice);
      return startBuiltinLoad(ctx, options, base, rate, slice);
    },
  };
}

type SampleBase = Omit<LoadSample, 'requests' | 'failed' | 'p95' | 'p99' | 'causes'>;

function startBuiltinLoad(
  ctx: RunContext,
  options: ServiceLoadOptions,
  base: SampleBase,
  rate: number,
  slice: number,
): ObserverHandle {
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      try {
        const r = await runLoad({
          url: base.url,
          rate,
          durationMs: slice,
          timeoutMs: options.timeoutMs ?? 2000,
          signal: stop.signal,
          allowNonLoopback: !ctx.simulated,
        });
        if (r.metrics.http_reqs.values.count === 0) continue;
        ctx.record('load-sample', { ...sampleOfResult(base, r) });
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
}

async function startK6Load(
  ctx: RunContext,
  options: ServiceLoadOptions,
  base: SampleBase & { engine: 'k6' },
  k6Path: string,
  rate: number,
  slice: number,
): Promise<ObserverHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'scars-k6-'));
  const stop = new AbortController();
  let run: ReturnType<typeof startK6>;
  try {
    run = startK6({
      url: base.url,
      rate,
      durationMs: K6_MAX_RUN_MS,
      timeoutMs: options.timeoutMs ?? 2000,
      signal: stop.signal,
      allowNonLoopback: !ctx.simulated,
      k6Path,
      pointsFile: join(dir, 'points.jsonl'),
      workDir: dir,
      comment: `scars run ${ctx.runId}, namespace ${ctx.namespace}: Service ${base.service}`,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const reader = new K6PointReader(join(dir, 'points.jsonl'));
  let exited = false;
  let failure: unknown;
  /** k6's early end was already recorded by the sampling loop. */
  let reported = false;
  const finished = run.result.then(
    (r) => ((exited = true), r),
    (err: unknown) => ((exited = true), (failure = err), undefined),
  );
  const emit = (s: PointSlice): number => {
    if (s.requests > 0) {
      const sample: LoadSample = {
        ...base,
        requests: s.requests,
        failed: s.failed,
        p95: s.p95,
        p99: s.p99,
        causes: s.causes,
      };
      ctx.record('load-sample', { ...sample });
    }
    return s.requests;
  };
  const end = async () => {
    stop.abort();
    const result = await finished;
    emit(reader.read());
    rmSync(dir, { recursive: true, force: true });
    return result;
  };

  // Wait for k6's first requests (bounded): a fault injected before the load would go unmeasured.
  const startupMs = options.k6StartupMs ?? 20_000;
  const deadline = performance.now() + startupMs;
  for (;;) {
    if (emit(reader.read()) > 0) break;
    if (exited || ctx.signal.aborted || performance.now() > deadline) {
      await end();
      if (failure) throw failure;
      if (ctx.signal.aborted)
        throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
      throw new K6RunError(
        exited
          ? `k6 ended before sending a request (${run.command})`
          : `k6 sent no request within ${startupMs} ms (${run.command})`,
      );
    }
    await sleep(50);
  }

  const loop = (async () => {
    while (!stop.signal.aborted && !exited) {
      await sleep(slice, undefined, { signal: stop.signal }).catch(() => {});
      emit(reader.read());
    }
    if (exited && !stop.signal.aborted) {
      await finished;
      reported = true;
      ctx.record('sample-error', {
        observer: 'service-load',
        engine: 'k6',
        error: failure ? errorMessage(failure) : `k6 ended before the observation did (${run.command})`,
      });
    }
  })();
  return {
    async stop() {
      stop.abort();
      await loop;
      const result = await end();
      if (result) {
        const m = result.metrics;
        ctx.record('load-summary', {
          observer: 'service-load',
          engine: 'k6',
          service: base.service,
          requests: m.http_reqs.values.count,
          failed: m.http_req_failed.values.passes,
          p95: m.http_req_duration.values['p(95)'],
          p99: m.http_req_duration.values['p(99)'],
          statuses: result.scars.statuses,
          errors: result.scars.errors,
          exitCode: result.scars.k6?.exitCode ?? null,
        });
      } else if (failure && !reported) {
        ctx.record('sample-error', { observer: 'service-load', engine: 'k6', error: errorMessage(failure) });
      }
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
