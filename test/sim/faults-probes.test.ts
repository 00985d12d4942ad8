/**
 * The probe-family faults against the simulated cluster (default topology, time scale 20), through
 * the harness's journalled client as the runner gives it to them: inject does what it says through
 * the API, observe reports the fault only when it bit, and revert removes what inject created.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerCrash } from '../../src/faults/container-crash.ts';
import { livenessStorm, type StormLoad } from '../../src/faults/liveness-storm.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import { agentContainer, deployment, service } from '../../src/workloads/agent.ts';
import { type FaultSim, ready, startFaultSim, until } from '../support/fault-harness.ts';

let sim: FaultSim;

beforeAll(async () => {
  sim = await startFaultSim('faults-probes');
}, 60_000);

afterAll(() => sim?.dispose());

/** An agent `serve` Deployment behind a ClusterIP Service, all replicas Ready. */
async function deployServe(ctx: RunContext, name: string, replicas: number, args: string[]): Promise<void> {
  const d: V1Deployment = deployment({
    name,
    replicas,
    spec: {
      containers: [
        agentContainer(ctx, {
          name: 'serve',
          args: ['serve', '--stats-interval', '0s', ...args],
          ports: [{ containerPort: 8080, name: 'http' }],
        }),
      ],
    },
  });
  d.metadata = { ...d.metadata, namespace: ctx.namespace };
  const s: V1Service = service({ name });
  s.metadata = { ...s.metadata, namespace: ctx.namespace };
  await sim.api.create(d);
  await sim.api.create(s);
  await until(
    `${name} Ready`,
    () => sim.podsOf(ctx.namespace, `app=${name}`),
    (pods) => pods.length === replicas && pods.every(ready),
  );
}

describe('livenessStorm', () => {
  it('deploys httpprobe load at the Service ClusterIP; latency past the probe timeout is its evidence; revert deletes it', async () => {
    const { ctx, records, revert } = await sim.context('storm');
    // One worker, 250 ms per request: 4 requests/s before the queue grows.
    await deployServe(ctx, 'web', 1, ['--workers', '1', '--work', '250ms']);
    const fault = livenessStorm({ service: 'web', rate: 12, concurrency: 12, targetSelector: 'app=web' });
    expect((await fault.preflight!(ctx)).ok).toBe(true);
    await fault.inject(ctx);

    const svc = await sim.api.read<V1Service>({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'storm',
      name: 'web',
    });
    const load = await sim.api.read<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'storm',
      name: 'liveness-storm',
    });
    const args = load?.spec?.template.spec?.containers[0]?.args ?? [];
    expect(args.slice(0, 7)).toEqual([
      'httpprobe',
      '--url',
      `http://${svc?.spec?.clusterIP}:80/`,
      '--rate',
      '12/s',
      '--concurrency',
      '12',
    ]);
    expect(records.map((r) => r.event)).toEqual(['liveness-storm-started']);

    // Wall time, generously: on a busy machine the load pod may take a while to start.
    const effect = await until(
      'the storm to bite',
      () => fault.observe(ctx),
      (e) => e.observed,
      30_000,
    );
    expect(effect.summary).toMatch(/worst latency \d+ ms > probe timeout 1000 ms/);
    expect(effect.evidence[0]).toMatchObject({ ref: 'Deployment/liveness-storm' });
    expect(effect.evidence[0]?.what).toMatch(/^load: \d+ requests started/);

    await revert({ awaitGone: 'app=liveness-storm' });
  }, 60_000);

  it('is not observed when the load reaches no app (a Service without endpoints)', async () => {
    const { ctx, revert } = await sim.context('storm-nobody');
    const s = service({ name: 'nobody', selector: { app: 'nobody' } });
    s.metadata = { ...s.metadata, namespace: 'storm-nobody' };
    await sim.api.create(s);
    const fault = livenessStorm({ service: 'nobody', rate: 5, concurrency: 5, targetSelector: 'app=nobody' });
    await fault.inject(ctx);
    // Judged once the load has sent a good number of requests, however long its pod took to start.
    const effect = await until(
      'the load to send requests',
      () => fault.observe(ctx),
      (e) => ((e.evidence[0]?.data as StormLoad | undefined)?.started ?? 0) >= 10,
      30_000,
    );
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(
      /the load did not reach nobody: [1-9]\d* request\(s\) started, 0 answered, \d+ still waiting, no probe failed/,
    );
    await revert();
  }, 60_000);

  it('fails inject with a clear message when the Service does not exist', async () => {
    const { ctx } = await sim.context('storm-missing');
    await expect(livenessStorm({ service: 'ghost', rate: 1, concurrency: 1 }).inject(ctx)).rejects.toThrow(
      'liveness-storm: Service storm-missing/ghost not found',
    );
  });
});

describe('containerCrash', () => {
  it('a request to the crash path restarts the container in place: exit code 1 and restartCount are its evidence', async () => {
    const { ctx, records, revert } = await sim.context('crash');
    await deployServe(ctx, 'web', 2, ['--crash-path', '/crash']);
    const before = await sim.podsOf('crash', 'app=web');
    const fault = containerCrash({ selector: 'app=web' });
    await fault.inject(ctx);
    expect(records.map((r) => r.event)).toEqual(['crash-requested']);
    const victim = records[0]?.detail?.['pod'] as string;

    const after = await until(
      'the victim restarted',
      () => sim.podsOf('crash', 'app=web'),
      (pods) =>
        (pods.find((p) => p.metadata?.name === victim)?.status?.containerStatuses?.[0]?.restartCount ?? 0) >
        0,
    );
    // The pod stayed: same names, same uids; only the container was restarted.
    expect(after.map((p) => p.metadata?.uid).sort()).toEqual(before.map((p) => p.metadata?.uid).sort());
    const effect = await fault.observe(ctx);
    expect(effect.observed, effect.summary).toBe(true);
    expect(effect.summary).toBe('1/1 container(s) crashed and restarted in place');
    expect(effect.evidence[0]).toMatchObject({
      ref: `Pod/${victim}`,
      data: { exitCode: 1, reason: 'Error' },
    });
    expect(effect.evidence[0]?.what).toMatch(/exited with code 1 \(Error\); restartCount 0 → 1/);

    await revert({ awaitGone: 'app=container-crash' });
  }, 60_000);

  it('is not observed when the app has no crash path (the request is just answered)', async () => {
    const { ctx, revert } = await sim.context('crash-none');
    await deployServe(ctx, 'web', 1, []);
    const fault = containerCrash({ selector: 'app=web' });
    await fault.inject(ctx);
    await until(
      'the crash request sent',
      () => sim.podsOf('crash-none', 'app=container-crash'),
      (p) => p.length === 1 && p[0]?.status?.phase === 'Succeeded',
    );
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toBe('0/1 container(s) crashed and restarted in place');
    expect(effect.evidence[0]?.what).toMatch(/did not exit \(restartCount 0\)/);
    await revert();
  }, 60_000);

  it('is not observed when no pod matches', async () => {
    const { ctx } = await sim.context('crash-nothing');
    const fault = containerCrash({ selector: 'app=nothing' });
    await fault.inject(ctx);
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(/no running pod matching app=nothing/);
  });
});
