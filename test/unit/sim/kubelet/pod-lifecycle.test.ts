/**
 * The kubelet model starting, finishing and deleting pods: what `kubectl get/describe pod`,
 * `kubectl get events` and `kubectl logs` show at each step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PODS } from '../../../../src/sim/kinds/resources.ts';
import { imageRef } from '../../../../src/sim/kubelet/images.ts';
import { registerProcessFactory } from '../../../../src/sim/kubelet/runtime.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { waitFor } from '../../../support/wait.ts';
import {
  condition,
  container,
  createPod,
  eventLines,
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

const running = (p: TestPod) => p.status?.phase === 'Running';

describe('kubelet: pod start', () => {
  it('reports Pending/ContainerCreating, then Running and Ready with container status and events', async () => {
    sim = startKubeletSim({ timeScale: 20 });
    const seen: string[] = [];
    const unwatch = sim.ctx.registry.store.watch({
      resource: sim.ctx.registry.storeKey(PODS),
      deliver: (_type, _event, obj) => {
        const p = obj as TestPod;
        const c = p.status?.containerStatuses?.[0];
        seen.push(
          `${p.status?.phase}/${Object.keys(c?.state ?? {})[0] ?? '-'}/${c?.state?.waiting?.reason ?? ''}`,
        );
      },
    });
    createPod(sim, {
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
    });
    const pod = await waitForPod(
      sim,
      'web',
      'Running and Ready',
      (p) => running(p) && condition(p, 'Ready')?.status === 'True',
    );
    unwatch();
    expect(seen).toContain('Pending/waiting/ContainerCreating');
    const status = pod.status ?? {};
    expect(status.hostIP).toBe('127.18.0.2');
    expect(status.hostIPs).toEqual([{ ip: '127.18.0.2' }]);
    expect(status.podIP).toMatch(/^127\.64\.0\.\d+$/);
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    expect(status.startTime).toBeTruthy();
    expect(status.qosClass).toBe('BestEffort');
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    const c = container(pod);
    expect(c).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'docker.io/library/nginx:1.25',
      lastState: {},
    });
    expect(c?.state?.running?.startedAt).toBeTruthy();
    expect(c?.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(c?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);

    const ev = events(sim, { name: 'web' });
    const lines = ev.map((e) => [
      e.type,
      e.reason,
      e.message,
      e.involvedObject.fieldPath,
      e.source?.component,
      e.source?.host,
    ]);
    expect(lines).toEqual([
      [
        'Normal',
        'Pulled',
        'Container image "nginx:1.25" already present on machine',
        'spec.containers{app}',
        'kubelet',
        sim.node,
      ],
      ['Normal', 'Created', 'Created container: app', 'spec.containers{app}', 'kubelet', sim.node],
      ['Normal', 'Started', 'Started container app', 'spec.containers{app}', 'kubelet', sim.node],
    ]);
    const log = sim.ctx.logs.read(pod.metadata.uid ?? '', 'app', false) ?? [];
    expect(log.length).toBeGreaterThan(0);
  });

  it('runs init containers in order before the app, keeping a sidecar running', async () => {
    sim = startKubeletSim();
    createPod(sim, {
      metadata: { name: 'init' },
      spec: {
        initContainers: [
          { name: 'setup', image: 'busybox:1.36' },
          { name: 'proxy', image: 'envoyproxy/envoy:v1.30', restartPolicy: 'Always' },
        ],
        containers: [{ name: 'app', image: 'nginx' }],
      },
    });
    const pod = await waitForPod(
      sim,
      'init',
      'Running and Ready',
      (p) => running(p) && condition(p, 'Ready')?.status === 'True',
    );
    const setup = container(pod, 'setup');
    expect(setup?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(setup?.ready).toBe(true);
    expect(container(pod, 'proxy')).toMatchObject({
      ready: true,
      started: true,
      image: 'docker.io/envoyproxy/envoy:v1.30',
    });
    expect(container(pod, 'proxy')?.state?.running).toBeTruthy();
    expect(container(pod, 'app')?.image).toBe('docker.io/library/nginx:latest');
    const started = events(sim, { name: 'init', reason: 'Started' }).map((e) => e.involvedObject.fieldPath);
    expect(started).toEqual([
      'spec.initContainers{setup}',
      'spec.initContainers{proxy}',
      'spec.containers{app}',
    ]);
  });

  it('shows the pod Pending while an init container runs, with the upstream Initialized reason', async () => {
    sim = startKubeletSim();
    createPod(sim, {
      metadata: { name: 'slow-init', annotations: { 'sim.scars.dev/exit-after': 'setup=5m' } },
      spec: {
        initContainers: [{ name: 'setup', image: 'busybox' }],
        containers: [{ name: 'app', image: 'nginx' }],
      },
    });
    const pod = await waitForPod(
      sim,
      'slow-init',
      'init container running',
      (p) => !!container(p, 'setup')?.state?.running,
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(condition(pod, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [setup]',
    });
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect(container(pod, 'app')?.state?.waiting?.reason).toBe('PodInitializing');
  });

  it('completes a restartPolicy Never pod: Succeeded on exit 0, Failed on exit 1', async () => {
    sim = startKubeletSim();
    const job = (name: string, code: string) =>
      createPod(sim as KubeletSim, {
        metadata: {
          name,
          annotations: { 'sim.scars.dev/exit-after': '3s', 'sim.scars.dev/exit-code': code },
        },
        spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] },
      });
    job('ok', '0');
    job('bad', '1');
    const ok = await waitForPod(sim, 'ok', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(container(ok)?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(ok, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(ok, 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
    expect(condition(ok, 'PodReadyToStartContainers')?.status).toBe('False');
    const bad = await waitForPod(sim, 'bad', 'Failed', (p) => p.status?.phase === 'Failed');
    expect(container(bad)?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(condition(bad, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(container(bad)?.restartCount).toBe(0);
    expect(bad.status?.podIP).toBeTruthy();
  });

  it('runs a registered program for matching images instead of the idle process', async () => {
    sim = startKubeletSim();
    const started: string[] = [];
    const unregister = registerProcessFactory({
      matches: (image) => imageRef(image).shortName === 'scars-agent',
      create: (c, _pod, host) => {
        started.push(c.name);
        host.log('agent up');
        return {
          workingSetBytes: () => 42 * 4096,
          probe: () => ({ type: 'http', statusCode: 200 }),
          signal: (sig) => {
            if (sig === 'SIGTERM') host.exit(0);
          },
          podUpdated: () => {},
        };
      },
    });
    try {
      createPod(sim, {
        metadata: { name: 'agent' },
        spec: {
          containers: [
            { name: 'agent', image: 'ghcr.io/scars/scars-agent:0.1' },
            { name: 'idle', image: 'nginx' },
          ],
        },
      });
      const pod = await waitForPod(sim, 'agent', 'Running', running);
      expect(started).toEqual(['agent']);
      expect(sim.kubelets.nodeMemory(sim.node)?.pods.get(pod.metadata.uid ?? '')).toBe(
        42 * 4096 + 8 * 1024 * 1024,
      );
      expect(sim.ctx.logs.read(pod.metadata.uid ?? '', 'agent', false)?.map((l) => l.text)).toEqual([
        'agent up',
      ]);
    } finally {
      unregister();
    }
  });

  it('reports an unparseable sim annotation once and runs with the default', async () => {
    sim = startKubeletSim();
    createPod(sim, {
      metadata: {
        name: 'typo',
        annotations: { 'sim.scars.dev/memory': 'lots', 'sim.scars.dev/exit-after': '2s' },
      },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    await waitForPod(sim, 'typo', 'restarted twice', (p) => (container(p)?.restartCount ?? 0) >= 2, 20_000);
    const warnings = events(sim, { name: 'typo', reason: 'InvalidSimAnnotation' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning', count: 1 });
    expect(warnings[0]?.message).toContain('sim.scars.dev/memory');
  });

  it('fails a pod past its activeDeadlineSeconds with DeadlineExceeded', async () => {
    sim = startKubeletSim();
    createPod(sim, {
      metadata: { name: 'bounded' },
      spec: { activeDeadlineSeconds: 20, containers: [{ name: 'app', image: 'busybox' }] },
    });
    const pod = await waitForPod(sim, 'bounded', 'Failed', (p) => p.status?.phase === 'Failed');
    const message = 'Pod was active on the node longer than the specified deadline';
    expect(pod.status).toMatchObject({ reason: 'DeadlineExceeded', message });
    expect(container(pod)?.state?.terminated).toMatchObject({ exitCode: 143 });
    expect(
      events(sim, { name: 'bounded', reason: 'DeadlineExceeded' }).map((e) => [e.type, e.message]),
    ).toEqual([['Normal', message]]);
    const lived =
      Date.parse(container(pod)?.state?.terminated?.finishedAt ?? '') -
      Date.parse(pod.status?.startTime ?? '');
    expect(lived).toBeGreaterThanOrEqual(19_000);
  });

  it('deletes gracefully: Stopping events, SIGTERM, terminal status, then confirms and frees the IP', async () => {
    sim = startKubeletSim();
    const finals = new Map<string, TestPod>();
    const unwatch = sim.ctx.registry.store.watch({
      resource: sim.ctx.registry.storeKey(PODS),
      deliver: (type, _event, obj) => {
        if (type !== 'DELETED') finals.set(obj.metadata.name ?? '', obj as TestPod);
      },
    });
    const mk = (name: string, delay: string, grace: number) =>
      createPod(sim as KubeletSim, {
        metadata: { name, annotations: { 'sim.scars.dev/shutdown-delay': delay } },
        spec: { terminationGracePeriodSeconds: grace, containers: [{ name: 'app', image: 'nginx' }] },
      });
    mk('polite', '5s', 30);
    mk('stubborn', '10m', 3);
    const a = await waitForPod(sim, 'polite', 'Running', running);
    await waitForPod(sim, 'stubborn', 'Running', running);
    expect(sim.kubelets.kubelet(sim.node)?.stats().podIPs).toBe(2);
    let followEnded = false;
    sim.ctx.logs.follow(a.metadata.uid ?? '', 'app', (line) => {
      if (Number.isNaN(line.time)) followEnded = true;
    });
    const start = sim.ctx.clock.now();
    sim.ctx.registry.delete(PODS, 'default', 'polite', {});
    sim.ctx.registry.delete(PODS, 'default', 'stubborn', {});
    await waitFor(
      'both pods gone and forgotten by the kubelet',
      () =>
        !getPod(sim as KubeletSim, 'polite') &&
        !getPod(sim as KubeletSim, 'stubborn') &&
        (sim as KubeletSim).kubelets.stats().pods === 0,
      15_000,
      () => eventLines(sim as KubeletSim),
    );
    unwatch();
    expect(sim.ctx.clock.now() - start).toBeGreaterThanOrEqual(4_500);
    const polite = finals.get('polite');
    const stubborn = finals.get('stubborn');
    expect(container(polite as TestPod)?.state?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(polite?.status?.phase).toBe('Failed');
    expect(container(stubborn as TestPod)?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
    expect(events(sim, { name: 'polite', reason: 'Killing' }).map((e) => e.message)).toEqual([
      'Stopping container app',
    ]);
    expect(sim.kubelets.stats().pods).toBe(0);
    expect(followEnded).toBe(true);
    expect(sim.ctx.logs.read(a.metadata.uid ?? '', 'app', false)).toEqual([]);
    expect(sim.kubelets.kubelet(sim.node)?.stats().podIPs).toBe(0);
  });

  it('gives a pod deleted before it was admitted no work and confirms at once', async () => {
    sim = startKubeletSim();
    sim.kubelets.kubelet(sim.node)?.onNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: sim.node, annotations: { 'sim.scars.dev/kubelet': 'stopped' } },
    } as never);
    createPod(sim, { metadata: { name: 'early' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    sim.ctx.registry.delete(PODS, 'default', 'early', {});
    expect(getPod(sim, 'early')?.metadata.deletionTimestamp).toBeTruthy();
    sim.kubelets.kubelet(sim.node)?.onNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: sim.node, annotations: {} },
    } as KubeObject as never);
    await waitFor('pod gone', () => !getPod(sim as KubeletSim, 'early'));
    expect(events(sim, { name: 'early', reason: 'Started' })).toHaveLength(0);
  });
});
