/**
 * Probes as the kubelet's prober runs them: a liveness probe slower than its timeout fails with
 * the HTTP client's timeout output and gets the container restarted; readiness gates Ready
 * without restarts; startup gates the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Probe } from 'kubernetes-types/core/v1.js';
import {
  condition,
  container,
  createPod,
  events,
  getPod,
  type KubeletSim,
  startKubeletSim,
  type TestPod,
  waitForPod,
} from './support.ts';

let sim: KubeletSim | undefined;
afterEach(() => {
  sim?.stop();
  sim = undefined;
});

const http = (extra: Partial<Probe> = {}): Probe => ({
  httpGet: { path: '/healthz', port: 8080 },
  periodSeconds: 5,
  ...extra,
});

function probed(name: string, annotations: Record<string, string>, probes: Record<string, Probe>) {
  return {
    metadata: { name, annotations },
    spec: {
      containers: [
        { name: 'app', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }], ...probes },
      ],
    },
  };
}

describe('kubelet: liveness', () => {
  it('restarts a container whose probe answers slower than timeoutSeconds', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(
      sim,
      probed('slow', { 'sim.scars.dev/probe-latency': '2s' }, { livenessProbe: http({ timeoutSeconds: 1 }) }),
    );
    const pod = await waitForPod(
      sim,
      'slow',
      'restarted',
      (p) => (container(p)?.restartCount ?? 0) >= 1,
      20_000,
    );
    const ip = pod.status?.podIP;
    const unhealthy = events(sim, { name: 'slow', reason: 'Unhealthy' });
    expect(unhealthy).toHaveLength(1);
    expect(unhealthy[0]).toMatchObject({
      type: 'Warning',
      message: `Liveness probe failed: Get "http://${ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      involvedObject: { fieldPath: 'spec.containers{app}' },
    });
    expect(unhealthy[0]?.count).toBeGreaterThanOrEqual(3);
    const killing = events(sim, { name: 'slow', reason: 'Killing' });
    expect(killing.map((e) => [e.type, e.message])).toEqual([
      ['Normal', 'Container app failed liveness probe, will be restarted'],
    ]);
    expect(container(pod)?.lastState?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    // failureThreshold 3 × period 5s: the kill comes ≥ 10s after start (first probe at start, then every 5s).
    const t = container(pod)?.lastState?.terminated;
    expect(Date.parse(t?.finishedAt ?? '') - Date.parse(t?.startedAt ?? '')).toBeGreaterThanOrEqual(10_000);
    expect(sim.kubelets.stats().probeKills).toBeGreaterThanOrEqual(1);
  });

  it('control: the same latency under timeoutSeconds 5 never fails', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(
      sim,
      probed(
        'patient',
        { 'sim.scars.dev/probe-latency': '2s' },
        { livenessProbe: http({ timeoutSeconds: 5 }) },
      ),
    );
    await waitForPod(sim, 'patient', 'Running', (p) => !!container(p)?.state?.running);
    await sim.ctx.clock.sleep(90_000);
    const pod = getPod(sim, 'patient') as TestPod;
    expect(container(pod)?.restartCount).toBe(0);
    expect(events(sim, { name: 'patient', reason: 'Unhealthy' })).toHaveLength(0);
  });

  it('kills on SIGKILL after the probe-level grace period when the process ignores SIGTERM', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(
      sim,
      probed(
        'stuck',
        { 'sim.scars.dev/probe-fail': 'liveness', 'sim.scars.dev/shutdown-delay': '10m' },
        {
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            periodSeconds: 5,
            terminationGracePeriodSeconds: 3,
            failureThreshold: 1,
          },
        },
      ),
    );
    const pod = await waitForPod(
      sim,
      'stuck',
      'restarted',
      (p) => (container(p)?.restartCount ?? 0) >= 1,
      20_000,
    );
    expect(container(pod)?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(events(sim, { name: 'stuck', reason: 'Unhealthy' })[0]?.message).toBe(
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
    );
  });
});

describe('kubelet: readiness', () => {
  it('keeps Ready False during warmup, then True, without restarting', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, probed('warm', { 'sim.scars.dev/warmup': '30s' }, { readinessProbe: http() }));
    const cold = await waitForPod(sim, 'warm', 'Running', (p) => p.status?.phase === 'Running');
    expect(condition(cold, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect(condition(cold, 'ContainersReady')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    expect(container(cold)).toMatchObject({ ready: false, started: true });
    const warm = await waitForPod(
      sim,
      'warm',
      'Ready',
      (p) => condition(p, 'Ready')?.status === 'True',
      20_000,
    );
    expect(container(warm)?.ready).toBe(true);
    expect(container(warm)?.restartCount).toBe(0);
    expect(condition(warm, 'ContainersReady')?.status).toBe('True');
    const unhealthy = events(sim, { name: 'warm', reason: 'Unhealthy' });
    expect(unhealthy[0]?.message).toBe('Readiness probe failed: HTTP probe failed with statuscode: 503');
    // Ready no sooner than the warmup allows.
    const readyAt = Date.parse(condition(warm, 'Ready')?.lastTransitionTime ?? '');
    expect(readyAt - Date.parse(warm.status?.startTime ?? '')).toBeGreaterThanOrEqual(30_000);
  });

  it('probes readiness as soon as the container starts, not one period later', async () => {
    sim = startKubeletSim({ timeScale: 50 });
    createPod(sim, probed('quick', {}, { readinessProbe: http({ periodSeconds: 60 }) }));
    const pod = await waitForPod(sim, 'quick', 'Ready', (p) => condition(p, 'Ready')?.status === 'True');
    const startedAt = Date.parse(container(pod)?.state?.running?.startedAt ?? '');
    expect(Date.parse(condition(pod, 'Ready')?.lastTransitionTime ?? '') - startedAt).toBeLessThan(10_000);
  });

  it('a failing readiness probe keeps the pod unready and is never restarted', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(
      sim,
      probed(
        'sick',
        { 'sim.scars.dev/probe-fail': 'readiness' },
        { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 } },
      ),
    );
    await waitForPod(sim, 'sick', 'Running', (p) => p.status?.phase === 'Running');
    await sim.ctx.clock.sleep(60_000);
    const pod = getPod(sim, 'sick') as TestPod;
    expect(condition(pod, 'Ready')?.status).toBe('False');
    expect(container(pod)?.restartCount).toBe(0);
    const unhealthy = events(sim, { name: 'sick', reason: 'Unhealthy' });
    expect(unhealthy[0]?.message).toBe(
      `Readiness probe failed: dial tcp ${pod.status?.podIP}:8080: connect: connection refused`,
    );
    expect(unhealthy[0]?.count).toBeGreaterThanOrEqual(10);
    expect(events(sim, { name: 'sick', reason: 'Killing' })).toHaveLength(0);
  });

  it('a failing readiness probe that recovers after a fault is lifted makes the pod Ready', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(sim, probed('flaky', { 'sim.scars.dev/probe-fail': 'readiness' }, { readinessProbe: http() }));
    const pod = await waitForPod(sim, 'flaky', 'Running', (p) => p.status?.phase === 'Running');
    const next = structuredClone(pod);
    next.metadata.annotations = {};
    const { PODS } = await import('../../../../src/sim/kinds/resources.ts');
    sim.ctx.registry.replace(PODS, pod, next, { manager: 'fault' });
    await waitForPod(sim, 'flaky', 'Ready', (p) => condition(p, 'Ready')?.status === 'True', 20_000);
  });
});

describe('kubelet: startup', () => {
  it('holds liveness and readiness until the startup probe passes; a failing one restarts the container', async () => {
    sim = startKubeletSim({ timeScale: 100 });
    createPod(
      sim,
      probed(
        'booting',
        { 'sim.scars.dev/warmup': '20s' },
        {
          startupProbe: http({ failureThreshold: 30 }),
          livenessProbe: http({ failureThreshold: 1 }),
          readinessProbe: http(),
        },
      ),
    );
    const early = await waitForPod(sim, 'booting', 'Running', (p) => p.status?.phase === 'Running');
    expect(container(early)).toMatchObject({ started: false, ready: false });
    const up = await waitForPod(
      sim,
      'booting',
      'Ready',
      (p) => condition(p, 'Ready')?.status === 'True',
      20_000,
    );
    expect(container(up)).toMatchObject({ started: true, ready: true, restartCount: 0 });
    const messages = events(sim, { name: 'booting', reason: 'Unhealthy' }).map((e) => e.message);
    expect(messages).toEqual(['Startup probe failed: HTTP probe failed with statuscode: 503']);

    createPod(
      sim,
      probed(
        'never',
        { 'sim.scars.dev/probe-fail': 'startup' },
        { startupProbe: { exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 2, failureThreshold: 3 } },
      ),
    );
    const restarted = await waitForPod(
      sim,
      'never',
      'restarted',
      (p) => (container(p)?.restartCount ?? 0) >= 1,
      20_000,
    );
    expect(events(sim, { name: 'never', reason: 'Killing' })[0]?.message).toBe(
      'Container app failed startup probe, will be restarted',
    );
    expect(events(sim, { name: 'never', reason: 'Unhealthy' })[0]?.message).toBe('Startup probe failed: ');
    expect(container(restarted)?.lastState?.terminated?.exitCode).toBe(143);
  });
});
