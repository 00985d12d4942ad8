/**
 * The simulated cluster behaving like a cluster, seen only through the Kubernetes API (client-node
 * and real kubectl): each mitigation is shown to work, and each has a control arm — the same
 * workload without the mitigation — that shows the opposite outcome.
 */
import { type KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimClusterOptions } from '../../src/sim/cluster.ts';
import { resolveTopology } from '../../src/sim/topology/load.ts';
import { findKubectl, kubectlRunner } from '../support/kubectl.ts';
import { simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { untilHolds, waitFor } from '../support/wait.ts';

let t: TestSim | undefined;
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) s();
  await t?.sim.stop();
  t = undefined;
});

async function cluster(options: SimClusterOptions) {
  t = await startTestSim(options);
  return { t, ...simClients(t) };
}

/** Polls an API read until `check` holds (wall time; the sim clock runs faster). */
/** Cluster behaviour takes longer than a fault: 30 s before giving up. */
const until = <T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = 30_000) =>
  untilHolds(what, read, check, ms);

const sleepSim = (scale: number, simSeconds: number) =>
  new Promise((r) => setTimeout(r, (simSeconds * 1000) / scale));

const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function deployment(
  name: string,
  replicas: number,
  extra: { annotations?: Record<string, string>; spec?: object } = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.27',
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
            },
          ],
          ...extra.spec,
        },
      },
    },
  };
}

/** Watches pods with `label` and records the fewest ready, non-terminating ones ever seen. */
function watchReady(kc: KubeConfig, label: string) {
  const ready = new Map<string, boolean>();
  let min = Infinity;
  let seen = false;
  const count = () => [...ready.values()].filter(Boolean).length;
  const watch = new Watch(kc);
  let abort: (() => void) | undefined;
  void watch
    .watch(
      '/api/v1/namespaces/default/pods',
      { labelSelector: label },
      (type: string, pod: V1Pod) => {
        const name = pod.metadata?.name ?? '';
        if (type === 'DELETED') ready.delete(name);
        else ready.set(name, isReady(pod));
        if (seen) min = Math.min(min, count());
      },
      () => {},
    )
    .then((req) => {
      abort = () => req.abort();
      stops.push(abort);
    });
  return {
    /** Starts recording the minimum (after the workload is up). */
    arm: () => {
      seen = true;
      min = count();
    },
    get min() {
      return min;
    },
    get current() {
      return count();
    },
  };
}

describe('workloads', () => {
  it('a Deployment rolls out and replaces a deleted pod; control: a bare pod deleted stays gone', async () => {
    const { core, apps } = await cluster({ timeScale: 20 });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 3) });
    const rolled = await until(
      'the rollout',
      () => apps.readNamespacedDeployment({ name: 'web', namespace: 'default' }),
      (d) => d.status?.availableReplicas === 3 && d.status.updatedReplicas === 3,
    );
    expect(rolled.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    const before = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
    expect(new Set(before.items.map((p) => p.spec?.nodeName)).has('scars-control-plane')).toBe(false);
    const victim = before.items[0]?.metadata?.name ?? '';
    await core.deleteNamespacedPod({ name: victim, namespace: 'default' });
    const after = await until(
      'a replacement pod',
      () => core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' }),
      (l) => l.items.filter(isReady).length === 3 && !l.items.some((p) => p.metadata?.name === victim),
    );
    expect(after.items.filter(isReady)).toHaveLength(3);

    // Control: nothing owns a bare pod, so nothing brings it back.
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'lonely', labels: { app: 'lonely' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    await until(
      'the bare pod',
      () => core.readNamespacedPod({ name: 'lonely', namespace: 'default' }),
      isReady,
    );
    await core.deleteNamespacedPod({ name: 'lonely', namespace: 'default' });
    await sleepSim(20, 60);
    const lonely = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=lonely' });
    expect(lonely.items).toHaveLength(0);
  });
});

describe('kubectl drain with a PodDisruptionBudget', () => {
  const kubectl = findKubectl('default');

  /** Three replicas, all on scars-worker (the others cordoned while they start), then drain it. */
  async function drainWithBudget(withBudget: boolean) {
    const c = await cluster({ timeScale: 10, nodes: 4 });
    if (!kubectl) throw new Error('kubectl not found on PATH (needed for the drain test)');
    const k = kubectlRunner(kubectl, c.t.kubeconfigPath);
    await k.ok(['cordon', 'scars-worker2', 'scars-worker3']);
    await c.apps.createNamespacedDeployment({ namespace: 'default', body: deployment('api', 3) });
    if (withBudget) {
      await c.policy.createNamespacedPodDisruptionBudget({
        namespace: 'default',
        body: {
          metadata: { name: 'api' },
          spec: { minAvailable: 2, selector: { matchLabels: { app: 'api' } } },
        },
      });
      await until(
        'the budget to allow one disruption',
        () => c.policy.readNamespacedPodDisruptionBudget({ name: 'api', namespace: 'default' }),
        (p) => p.status?.currentHealthy === 3 && p.status.disruptionsAllowed === 1,
      );
    }
    const ready = watchReady(c.kc, 'app=api');
    await until(
      'three ready pods on scars-worker',
      () => c.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' }),
      (l) =>
        l.items.filter(isReady).length === 3 && l.items.every((p) => p.spec?.nodeName === 'scars-worker'),
    );
    await waitFor('the watch to see three ready pods', () => ready.current === 3);
    ready.arm();
    await k.ok(['uncordon', 'scars-worker2', 'scars-worker3']);
    const drain = await k.run([
      'drain',
      'scars-worker',
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=120s',
    ]);
    const pods = await c.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' });
    return { drain, min: ready.min, pods: pods.items };
  }

  it.skipIf(!kubectl)(
    'evictions get 429 until replacements are Ready elsewhere; the budget holds and drain completes',
    async () => {
      const { drain, min, pods } = await drainWithBudget(true);
      expect(drain.exitCode, drain.stderr).toBe(0);
      expect(drain.stdout).toContain('node/scars-worker drained');
      expect(drain.stderr + drain.stdout).toMatch(
        /error when evicting pods\/"api-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
      );
      expect(min).toBeGreaterThanOrEqual(2);
      expect(pods.filter(isReady).every((p) => p.spec?.nodeName !== 'scars-worker')).toBe(true);
    },
    120_000,
  );

  it.skipIf(!kubectl)(
    'control: without the budget, drain evicts every replica at once and availability drops below 2',
    async () => {
      const { drain, min } = await drainWithBudget(false);
      expect(drain.exitCode, drain.stderr).toBe(0);
      expect(drain.stderr + drain.stdout).not.toMatch(/disruption budget/);
      expect(min).toBeLessThan(2);
    },
    120_000,
  );
});

describe('memory', () => {
  const oomPod = (name: string, limit: string) => ({
    metadata: { name, annotations: { 'sim.scars.dev/memory': '200Mi' } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': 'scars-worker' },
      containers: [
        { name: 'app', image: 'nginx:1.27', resources: { limits: { memory: limit, cpu: '100m' } } },
      ],
    },
  });

  it('a container over its limit is OOMKilled (137) and restarts backing off; control: a higher limit keeps it running', async () => {
    const { core } = await cluster({ timeScale: 30 });
    await core.createNamespacedPod({ namespace: 'default', body: oomPod('hungry', '128Mi') });
    await core.createNamespacedPod({ namespace: 'default', body: oomPod('fed', '256Mi') });
    const hungry = await until(
      'restarts backing off',
      () => core.readNamespacedPod({ name: 'hungry', namespace: 'default' }),
      (p) =>
        (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 &&
        p.status?.containerStatuses?.[0]?.state?.waiting !== undefined,
      60_000,
    );
    const status = hungry.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(status?.state?.waiting?.message).toMatch(
      new RegExp(
        `^back-off (20|40)s restarting failed container=app pod=hungry_default\\(${hungry.metadata?.uid}\\)$`,
      ),
    );
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=hungry',
    });
    expect(
      events.items.some(
        (e) =>
          e.reason === 'BackOff' &&
          e.type === 'Warning' &&
          e.message ===
            `Back-off restarting failed container app in pod hungry_default(${hungry.metadata?.uid})`,
      ),
    ).toBe(true);

    const fed = await core.readNamespacedPod({ name: 'fed', namespace: 'default' });
    expect(fed.status?.phase).toBe('Running');
    expect(fed.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(fed.status?.containerStatuses?.[0]?.lastState?.terminated).toBeUndefined();
  }, 90_000);

  /** One 3Gi worker with a 300Mi hard threshold; a Guaranteed cache grows until two pods must go. */
  const pressureTopology = () =>
    resolveTopology({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodeDefaults: {
        capacity: { cpu: '4', memory: '3Gi', pods: '110' },
        systemMemoryUsage: '300Mi',
        evictionHard: { 'memory.available': '300Mi' },
        evictionPressureTransitionPeriod: '30s',
      },
      nodes: [{ role: 'control-plane' }, { role: 'worker' }],
    });

  const memPod = (name: string, usage: string, resources: object, extra: Record<string, string> = {}) => ({
    metadata: { name, annotations: { 'sim.scars.dev/memory': usage, ...extra } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': 'scars-worker' },
      containers: [{ name: 'app', image: 'nginx:1.27', resources }],
    },
  });

  async function pressure(criticalResources: object) {
    const { core } = await cluster({ timeScale: 30, topology: pressureTopology() });
    const create = (body: object) => core.createNamespacedPod({ namespace: 'default', body });
    await create(memPod('besteffort', '200Mi', {}));
    await create(memPod('burstable', '250Mi', { requests: { memory: '100Mi', cpu: '50m' } }));
    await create(memPod('critical', '200Mi', criticalResources));
    for (const name of ['besteffort', 'burstable', 'critical'])
      await until(`${name} running`, () => core.readNamespacedPod({ name, namespace: 'default' }), isReady);
    await create(
      memPod(
        'cache',
        '2080Mi',
        { requests: { memory: '2100Mi', cpu: '100m' }, limits: { memory: '2100Mi', cpu: '100m' } },
        {
          'sim.scars.dev/memory-ramp': '60s',
        },
      ),
    );
    const phases = async () =>
      Object.fromEntries(
        (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => [p.metadata?.name, p]),
      ) as Record<string, V1Pod>;
    const done = await until(
      'two evictions and relief',
      phases,
      (all) => Object.values(all).filter((p) => p.status?.reason === 'Evicted').length >= 2,
      60_000,
    );
    const underPressure = await core.readNode({ name: 'scars-worker' });
    // Settle: no third eviction follows once memory.available is back over the threshold, and
    // MemoryPressure clears once the transition period (30 s) has passed without pressure.
    await sleepSim(30, 45);
    const settled = await phases();
    const events = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=Evicted' });
    const order = events.items
      .sort(
        (a, b) =>
          String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)) ||
          String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
      )
      .map((e) => e.involvedObject.name);
    const node = await core.readNode({ name: 'scars-worker' });
    return { done, settled, order, underPressure, node, core };
  }

  it('node memory pressure evicts BestEffort, then Burstable; the Guaranteed pod (requests == limits) survives', async () => {
    const guaranteed = {
      requests: { memory: '300Mi', cpu: '100m' },
      limits: { memory: '300Mi', cpu: '100m' },
    };
    const { settled, order, underPressure, node, core } = await pressure(guaranteed);
    expect(order).toEqual(['besteffort', 'burstable']);
    expect(settled.critical?.status?.qosClass).toBe('Guaranteed');
    expect(settled.critical?.status?.phase).toBe('Running');
    expect(settled.cache?.status?.phase).toBe('Running');
    const evicted = settled.besteffort;
    expect(evicted?.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(evicted?.status?.message).toMatch(
      /^The node was low on resource: memory\. Threshold quantity: 300Mi, available: \d+(Ki|Mi)\. Container app was using \d+(Ki|Mi), request is 0, has larger consumption of memory\. $/,
    );
    expect(evicted?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
    });
    expect(underPressure.status?.conditions?.find((c) => c.type === 'MemoryPressure')).toMatchObject({
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
    });
    expect(node.status?.conditions?.find((c) => c.type === 'MemoryPressure')).toMatchObject({
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
    });
    const nodeEvents = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.kind=Node,reason=EvictionThresholdMet',
    });
    expect(nodeEvents.items[0]?.message).toBe('Attempting to reclaim memory');
  }, 120_000);

  it('control: the same critical pod as BestEffort is evicted', async () => {
    const { settled, order } = await pressure({});
    expect(settled.critical?.status?.qosClass).toBe('BestEffort');
    expect(settled.critical?.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(order).toContain('critical');
  }, 120_000);
});

describe('probes', () => {
  const probed = (name: string, timeoutSeconds: number) => ({
    metadata: { name, labels: { app: name } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          ports: [{ containerPort: 8080 }],
          livenessProbe: {
            httpGet: { path: '/healthz', port: 8080 },
            periodSeconds: 5,
            timeoutSeconds,
            failureThreshold: 3,
          },
        },
      ],
    },
  });

  it('a liveness probe that times out under load restarts the container; control: a generous timeout rides it out', async () => {
    const { core } = await cluster({ timeScale: 20 });
    await core.createNamespacedPod({ namespace: 'default', body: probed('strict', 1) });
    await core.createNamespacedPod({ namespace: 'default', body: probed('tolerant', 5) });
    for (const name of ['strict', 'tolerant'])
      await until(`${name} ready`, () => core.readNamespacedPod({ name, namespace: 'default' }), isReady);
    // The load arrives: every answer now takes 2 s.
    for (const name of ['strict', 'tolerant'])
      await core.patchNamespacedPod(
        {
          name,
          namespace: 'default',
          body: { metadata: { annotations: { 'sim.scars.dev/probe-latency': '2s' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const strict = await until(
      'the liveness restart',
      () => core.readNamespacedPod({ name: 'strict', namespace: 'default' }),
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      60_000,
    );
    expect(strict.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBeDefined();
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=strict',
    });
    const unhealthy = events.items.find((e) => e.reason === 'Unhealthy');
    expect(unhealthy?.message).toMatch(
      /^Liveness probe failed: Get "http:\/\/127\.[\d.]+:8080\/healthz": context deadline exceeded \(Client\.Timeout exceeded while awaiting headers\)$/,
    );
    expect(events.items.find((e) => e.reason === 'Killing')?.message).toBe(
      'Container app failed liveness probe, will be restarted',
    );
    const tolerant = await core.readNamespacedPod({ name: 'tolerant', namespace: 'default' });
    expect(tolerant.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }, 90_000);

  it('readiness gates endpoints; control: without a readiness probe the failing pod keeps receiving traffic', async () => {
    const { core, apps, discovery } = await cluster({ timeScale: 20 });
    const readiness = { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 2, failureThreshold: 1 };
    const withProbe = deployment('gated', 2);
    (withProbe.spec.template.spec.containers[0] as Record<string, unknown>).readinessProbe = readiness;
    for (const d of [withProbe, deployment('ungated', 2)]) {
      await apps.createNamespacedDeployment({ namespace: 'default', body: d });
      const name = d.metadata.name;
      await core.createNamespacedService({
        namespace: 'default',
        body: {
          metadata: { name },
          spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] },
        },
      });
    }
    const endpoints = (name: string) => core.readNamespacedEndpoints({ name, namespace: 'default' });
    for (const name of ['gated', 'ungated'])
      await until(
        `${name} endpoints`,
        () => endpoints(name),
        (e) => (e.subsets?.[0]?.addresses ?? []).length === 2,
      );
    // The app in one pod of each starts failing its readiness checks.
    const sick: Record<string, string> = {};
    for (const name of ['gated', 'ungated']) {
      const pod = (await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${name}` }))
        .items[0] as V1Pod;
      sick[name] = pod.status?.podIP ?? '';
      await core.patchNamespacedPod(
        {
          name: pod.metadata?.name ?? '',
          namespace: 'default',
          body: { metadata: { annotations: { 'sim.scars.dev/probe-fail': 'readiness' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const gated = await until(
      'the sick pod out of the endpoints',
      () => endpoints('gated'),
      (e) => (e.subsets?.[0]?.notReadyAddresses ?? []).some((a) => a.ip === sick.gated),
    );
    expect(gated.subsets?.[0]?.addresses?.map((a) => a.ip)).not.toContain(sick.gated);
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace: 'default',
      labelSelector: 'kubernetes.io/service-name=gated',
    });
    const endpoint = slices.items
      .flatMap((s) => s.endpoints)
      .find((e) => e.addresses.includes(sick.gated ?? ''));
    expect(endpoint?.conditions?.ready).toBe(false);

    await sleepSim(20, 10);
    const ungated = await endpoints('ungated');
    expect(ungated.subsets?.[0]?.addresses?.map((a) => a.ip)).toContain(sick.ungated);
  }, 90_000);
});
