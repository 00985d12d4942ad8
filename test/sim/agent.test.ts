/**
 * The scars agent inside the simulator: containers whose image is `scars-agent` run the very mode
 * code of `src/agent` through SimHost, and the cluster reacts to it as to a real program — its
 * memory is OOM-killed at the limit, its servers answer the kubelet's probes over real loopback
 * sockets, its lines are the pod's log. Seen through the API only (client-node), plus the sim
 * network's counters for what was (not) sent.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentLine } from '../../src/agent/output.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { linesOf as modeLines, summaryOf } from '../../src/observers/agent-log.ts';
import { isLoopbackAddress } from '../../src/agent/host/loopback-guard.ts';
import { startSimCluster } from '../../src/sim/cluster.ts';
import { PODS } from '../../src/sim/kinds/resources.ts';
import {
  agentLines,
  agentLog,
  type AgentPodOptions,
  agentPod as agentPodSpec,
  eventsOf,
  isReady,
  terminated,
  untilPod,
  WORKER,
} from '../support/agent-pods.ts';
import { simClients, startTestSim, type TestSim } from '../support/sim.ts';

/** Simulated seconds per wall second: a 20 s warm-up is a wall second. */
const SCALE = 20;
const NS = 'default';

let t: TestSim;
let core: CoreV1Api;
let kube: KubeApi;
beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, kube } = simClients(t));
});
afterAll(async () => {
  await t?.sim.stop();
});

/** An agent pod on the worker with its server port named `http`, under a registry-qualified image name. */
const agentPod = (
  name: string,
  args: string[] | undefined,
  extra: Pick<AgentPodOptions, 'container' | 'spec'> = {},
) =>
  agentPodSpec(name, args, {
    node: WORKER,
    image: 'ghcr.io/acme/scars-agent:dev',
    container: { ports: [{ name: 'http', containerPort: 8080 }], ...extra.container },
    spec: extra.spec,
  });

/** Through the harness's observer, as scenarios read agent pods. */
const linesOf = (name: string, previous = false): Promise<AgentLine[]> =>
  agentLines(kube, NS, name, previous);

const status = (p: V1Pod) => p.status?.containerStatuses?.[0];

describe('memhog', () => {
  it('past its 200Mi limit the agent is OOMKilled (137) and restarted; control: a 512Mi limit holds the 300Mi target', async () => {
    const args = ['memhog', '--target', '300Mi', '--rate', '100Mi/s'];
    const limits = (memory: string) => ({ container: { resources: { limits: { memory, cpu: '100m' } } } });
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('hog-small', args, limits('200Mi')),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('hog-big', args, limits('512Mi')),
    });

    const killed = await untilPod(
      core,
      NS,
      'hog-small',
      'an OOM kill and a restart',
      (p) => (status(p)?.restartCount ?? 0) >= 1,
    );
    expect(status(killed)?.lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    // The killed instance wrote its progress and never a summary: SIGKILL leaves no last words.
    const previous = await linesOf('hog-small', true);
    expect(previous.map((l) => l.event)).toContain('start-hog');
    expect(previous.some((l) => l.event === 'target-reached' || l.event === 'summary')).toBe(false);
    expect(previous[0]).toMatchObject({ event: 'start', host: 'sim', hostname: 'hog-small' });

    await expect
      .poll(async () => (await linesOf('hog-big')).map((l) => l.event), { timeout: 10_000, interval: 50 })
      .toContain('target-reached');
    const big = await core.readNamespacedPod({ name: 'hog-big', namespace: NS });
    expect(big.status?.phase).toBe('Running');
    expect(status(big)?.restartCount).toBe(0);
    expect(status(big)?.lastState?.terminated).toBeUndefined();
    const reached = (await linesOf('hog-big')).find((l) => l.event === 'target-reached') as AgentLine & {
      allocatedBytes: number;
      workingSetBytes: number;
    };
    expect(reached.allocatedBytes).toBe(300 * 1024 * 1024);
    expect(reached.workingSetBytes).toBeGreaterThan(300 * 1024 * 1024);
  }, 20_000);
});

describe('serve and the kubelet probes', () => {
  // Real sockets run in wall time: at time scale 20 the default 1 s probe timeout is 50 ms of wall
  // time, which a busy CI machine can miss. 10 s (half a wall second) keeps the test about warm-up.
  const readiness = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, timeoutSeconds: 10 };

  it('a readiness probe on /readyz passes only after the 20s warm-up; control: without one it is Ready at once', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('warm', ['serve', '--warmup', '20s'], { container: { readinessProbe: readiness } }),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('cold', ['serve'], { container: { readinessProbe: readiness } }),
    });
    const cold = await untilPod(core, NS, 'cold', 'Ready', isReady);
    const warm = await untilPod(core, NS, 'warm', 'Ready', isReady, 15_000);
    const readyAfter = (p: V1Pod) => {
      const ready = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
      const started = status(p)?.state?.running?.startedAt;
      return (new Date(ready?.lastTransitionTime ?? 0).getTime() - new Date(started ?? 0).getTime()) / 1000;
    };
    expect(readyAfter(warm)).toBeGreaterThanOrEqual(19);
    expect(readyAfter(cold)).toBeLessThanOrEqual(5);
    // Not ready meanwhile: the kubelet saw /readyz answer 503 during the warm-up.
    const unhealthy = (await eventsOf(core, NS, 'warm')).filter((e) => e.reason === 'Unhealthy');
    expect(
      unhealthy.some((e) =>
        /^Readiness probe failed: HTTP probe failed with statuscode: 503$/.test(e.message ?? ''),
      ),
    ).toBe(true);
  }, 20_000);

  it('a liveness probe on a port nothing listens on restarts the container', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('deaf', ['serve'], {
        container: {
          livenessProbe: { httpGet: { path: '/healthz', port: 9999 }, periodSeconds: 2, failureThreshold: 2 },
        },
      }),
    });
    const restarted = await untilPod(
      core,
      NS,
      'deaf',
      'a restart',
      (p) => (status(p)?.restartCount ?? 0) >= 1,
      15_000,
    );
    const ip = restarted.status?.podIP ?? '';
    const events = await eventsOf(core, NS, 'deaf');
    expect(
      events.some(
        (e) =>
          e.reason === 'Unhealthy' &&
          e.message ===
            `Liveness probe failed: Get "http://${ip}:9999/healthz": dial tcp ${ip}:9999: connect: connection refused`,
      ),
    ).toBe(true);
    expect(
      events.some(
        (e) =>
          e.reason === 'Killing' && e.message === 'Container agent failed liveness probe, will be restarted',
      ),
    ).toBe(true);
    // SIGTERM: serve wound down and exited by itself.
    expect(status(restarted)?.lastState?.terminated?.exitCode).toBe(0);
  }, 20_000);
});

describe('httpprobe', () => {
  it('three requests to a serve pod succeed, and the probe pod completes', async () => {
    await core.createNamespacedPod({ namespace: NS, body: agentPod('target', undefined) });
    const target = await untilPod(
      core,
      NS,
      'target',
      'running with an IP',
      (p) => p.status?.phase === 'Running' && !!p.status.podIP,
    );
    const url = `http://${target.status?.podIP}:8080/`;
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('client', ['httpprobe', '--url', url, '--count', '3', '--timeout', '20s'], {
        spec: { restartPolicy: 'Never' },
      }),
    });
    const done = await untilPod(core, NS, 'client', 'completed', (p) => terminated(p) !== undefined);
    expect(terminated(done)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(done.status?.phase).toBe('Succeeded');
    const lines = await linesOf('client');
    const attempts = modeLines(lines, 'httpprobe').filter((l) => l.event === 'attempt');
    expect(attempts).toHaveLength(3);
    expect(attempts.every((l) => l.event === 'attempt' && l.outcome === 'ok')).toBe(true);
    expect(summaryOf(lines, 'httpprobe')).toMatchObject({ exitCode: 0, stoppedBy: 'count' });
  }, 20_000);
});

describe('nothing leaves the machine', () => {
  it('imdsprobe against the default 169.254.169.254 gets the sim’s fake metadata service; nothing was sent there', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('imds', ['imdsprobe', '--timeout', '20s'], { spec: { restartPolicy: 'Never' } }),
    });
    const done = await untilPod(core, NS, 'imds', 'finished', (p) => terminated(p) !== undefined);
    expect(terminated(done)?.exitCode).toBe(0);
    const lines = await linesOf('imds');
    const result = lines.find((l) => l.event === 'result');
    expect(result).toMatchObject({ outcome: 'reachable', credentialsReturned: true });
    // Answered in the sim (127.0.0.1), never routed to the link-local address.
    const { real } = t.sim.network.destinations();
    expect(real).not.toContain('169.254.169.254');
    expect(real.every(isLoopbackAddress)).toBe(true);
  }, 20_000);

  it('dnsprobe with the default resolv.conf is answered by the sim’s cluster DNS; nothing was sent to 10.96.0.10', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod(
        'dns',
        ['dnsprobe', '--name', 'kubernetes.default', '--count', '1', '--timeout', '20s'],
        {
          spec: { restartPolicy: 'Never' },
        },
      ),
    });
    const done = await untilPod(core, NS, 'dns', 'finished', (p) => terminated(p) !== undefined, 15_000);
    expect(terminated(done)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const attempts = (await linesOf('dns')).filter((l) => l.event === 'attempt');
    expect(attempts).toHaveLength(1);
    // The search list: kubernetes.default.default.svc.cluster.local (NXDOMAIN), then the Service.
    expect(attempts[0]).toMatchObject({
      outcome: 'ok',
      addresses: ['10.96.0.1'],
      answeredName: 'kubernetes.default.svc.cluster.local',
    });
    const { real } = t.sim.network.destinations();
    expect(real).not.toContain('10.96.0.10');
    expect(real.every(isLoopbackAddress)).toBe(true);
  }, 20_000);
});

describe('the image', () => {
  it('an executable the image does not hold cannot start: StartError (128), as containerd reports it', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('bash', ['-c', 'scars-agent serve'], {
        container: { command: ['bash'] },
        spec: { restartPolicy: 'Never' },
      }),
    });
    const failed = await untilPod(core, NS, 'bash', 'failed', (p) => p.status?.phase === 'Failed');
    expect(terminated(failed)).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      startedAt: new Date(0),
      message:
        'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "bash": executable file not found in $PATH: unknown',
    });
    const reasons = (await eventsOf(core, NS, 'bash')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Created', 'Failed']));
    expect(reasons).not.toContain('Started');
  });

  it('the agent runs as `scars-agent` by path and under `sh -c`', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('versioned', ['--version'], {
        container: { command: ['/usr/local/bin/scars-agent'] },
        spec: { restartPolicy: 'Never' },
      }),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('shelled', ['exec scars-agent --version'], {
        container: { command: ['/bin/sh', '-c'] },
        spec: { restartPolicy: 'Never' },
      }),
    });
    for (const name of ['versioned', 'shelled']) {
      const done = await untilPod(core, NS, name, 'completed', (p) => terminated(p) !== undefined);
      expect(terminated(done)).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect((await agentLog(core, NS, name)).trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
});

describe('stopping the cluster', () => {
  it('closes every agent socket', async () => {
    const sim = await startSimCluster({ timeScale: SCALE, tls: false, nodes: 2 });
    try {
      sim.registry.create(
        PODS,
        'default',
        { apiVersion: 'v1', kind: 'Pod', ...agentPod('srv', undefined) } as never,
        {
          manager: 'test',
        },
      );
      // The agent's server on 8080 (the CoreDNS replicas' metrics listeners on 9153 are there too).
      const agentListeners = () => sim.network.listeners().filter((l) => l.port === 8080);
      const end = Date.now() + 10_000;
      while (agentListeners().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(agentListeners()).toEqual([
        expect.objectContaining({ podIP: expect.stringMatching(/^127\.64\./), port: 8080 }),
      ]);
    } finally {
      await sim.stop();
    }
    expect(sim.network.stats().listeners).toBe(0);
  });
});
