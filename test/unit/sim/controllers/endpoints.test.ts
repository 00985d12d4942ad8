/** Endpoints and EndpointSlices follow a Service's pods as the two kube-controller-manager controllers do. */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { EndpointSliceController } from '../../../../src/sim/controllers/endpoint-slices.ts';
import { EndpointsController } from '../../../../src/sim/controllers/endpoints.ts';
import { GarbageCollector } from '../../../../src/sim/controllers/garbage-collector.ts';
import {
  ENDPOINT_SLICES,
  ENDPOINTS,
  EVENTS,
  NODES,
  PODS,
  SERVICES,
} from '../../../../src/sim/kinds/resources.ts';
import { registerNodes } from '../../../../src/sim/nodes.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { labelSelectorFromSet } from '../../../../src/sim/store/selectors.ts';
import { defaultTopology, resolveTopology } from '../../../../src/sim/topology/load.ts';
import { FakeKubelet } from '../../../support/fake-kubelet.ts';
import { waitFor } from '../../../support/wait.ts';

type SimEndpoints = Endpoints & KubeObject;
type SimSlice = EndpointSlice & KubeObject;

const WORKERS = ['scars-worker', 'scars-worker2', 'scars-worker3'];
const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

interface Harness {
  ctx: SimContext;
  kubelet: FakeKubelet;
  notReady: Set<string>;
}

function start(ctx = createSimCore({ topology: defaultTopology(), timeScale: 50 })): Harness {
  registerNodes(ctx);
  const notReady = new Set<string>();
  const kubelet = new FakeKubelet(ctx, {
    nodes: WORKERS,
    notReady: (p) => notReady.has(p.metadata.name ?? ''),
  });
  const endpoints = new EndpointsController(ctx);
  const slices = new EndpointSliceController(ctx);
  const gc = new GarbageCollector(ctx.registry);
  for (const c of [kubelet, endpoints, slices, gc]) c.start();
  cleanups.push(() => {
    for (const c of [kubelet, endpoints, slices, gc]) c.stop();
    ctx.clock.stop();
  });
  return { ctx, kubelet, notReady };
}

function createPod(
  ctx: SimContext,
  name: string,
  extra: Partial<Pod['metadata']> = {},
  spec: Partial<NonNullable<Pod['spec']>> = {},
): void {
  ctx.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' }, ...extra },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'registry.k8s.io/pause:3.9',
          ports: [{ name: 'http', containerPort: 8080 }],
        },
      ],
      ...spec,
    },
  } satisfies Pod);
}

function createService(
  ctx: SimContext,
  name: string,
  spec: NonNullable<Service['spec']>,
  labels: Record<string, string> = { team: 'a' },
): void {
  // The registry defaults the body in place (cluster IP included): hand it a copy.
  const body: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: structuredClone(spec),
  };
  ctx.registry.create(SERVICES, 'default', body, { manager: 'kubectl-create' });
}

const WEB: NonNullable<Service['spec']> = {
  selector: { app: 'web' },
  ports: [
    { name: 'http', port: 80, targetPort: 'http' },
    { name: 'metrics', port: 9090, targetPort: 9090 },
  ],
};

const endpointsOf = (ctx: SimContext, name: string) =>
  ctx.registry.find(ENDPOINTS, 'default', name) as SimEndpoints | undefined;

const slicesOf = (ctx: SimContext, service: string): SimSlice[] =>
  ctx.registry.list(ENDPOINT_SLICES, {
    namespace: 'default',
    labels: labelSelectorFromSet({ 'kubernetes.io/service-name': service }),
  }).items as SimSlice[];

const ipOf = (ctx: SimContext, pod: string): string =>
  ((ctx.registry.get(PODS, 'default', pod) as Pod & KubeObject).status?.podIP ?? '') as string;

const readyIps = (ep: SimEndpoints | undefined): string[] =>
  (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReadyIps = (ep: SimEndpoints | undefined): string[] =>
  (ep?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();

function runningPods(ctx: SimContext, n: number): boolean {
  return (
    (ctx.registry.list(PODS, { namespace: 'default' }).items as Pod[]).filter((p) => p.status?.podIP)
      .length === n
  );
}

describe('endpoints controller', () => {
  it('lists ready pods as addresses with resolved ports, and moves a pod that turns unready', async () => {
    const { ctx, kubelet, notReady } = start();
    createPod(ctx, 'web-a');
    createPod(ctx, 'web-b');
    createPod(ctx, 'other', { labels: { app: 'other' } });
    await waitFor('pods running', () => runningPods(ctx, 3));
    createService(ctx, 'web', WEB);
    await waitFor('endpoints', () => readyIps(endpointsOf(ctx, 'web')).length === 2);
    const ep = endpointsOf(ctx, 'web') as SimEndpoints;
    expect(ep.metadata.labels).toEqual({ team: 'a' });
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(ep.metadata.ownerReferences).toBeUndefined();
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets?.[0]?.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    const podA = ctx.registry.get(PODS, 'default', 'web-a') as Pod & KubeObject;
    expect(ep.subsets?.[0]?.addresses).toContainEqual({
      ip: podA.status?.podIP,
      nodeName: podA.spec?.nodeName,
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: podA.metadata.uid },
    });
    expect(ep.metadata.managedFields?.[0]?.manager).toBe('kube-controller-manager');

    notReady.add('web-b');
    kubelet.refresh('default', 'web-b');
    await waitFor('web-b not ready', () => notReadyIps(endpointsOf(ctx, 'web')).length === 1);
    expect(readyIps(endpointsOf(ctx, 'web'))).toEqual([ipOf(ctx, 'web-a')]);
    expect(notReadyIps(endpointsOf(ctx, 'web'))).toEqual([ipOf(ctx, 'web-b')]);

    notReady.delete('web-b');
    kubelet.refresh('default', 'web-b');
    await waitFor('web-b ready again', () => readyIps(endpointsOf(ctx, 'web')).length === 2);
    expect(notReadyIps(endpointsOf(ctx, 'web'))).toEqual([]);
  });

  it('leaves terminating pods out, unless the Service publishes not-ready addresses', async () => {
    const { ctx } = start();
    createPod(ctx, 'web-a');
    createPod(ctx, 'web-b', { finalizers: ['example.com/hold'] });
    createService(ctx, 'web', WEB);
    createService(ctx, 'web-all', { ...WEB, publishNotReadyAddresses: true });
    await waitFor('endpoints', () => readyIps(endpointsOf(ctx, 'web')).length === 2);
    ctx.registry.delete(PODS, 'default', 'web-b');
    await waitFor('web-b gone from web', () => readyIps(endpointsOf(ctx, 'web')).length === 1);
    expect(notReadyIps(endpointsOf(ctx, 'web'))).toEqual([]);
    await waitFor('web-all keeps it', () => readyIps(endpointsOf(ctx, 'web-all')).length === 2);
  });

  it('sets hostname for pods in the Service subdomain, and the headless label', async () => {
    const { ctx } = start();
    createPod(ctx, 'db-0', {}, { hostname: 'db-0', subdomain: 'db' });
    createService(ctx, 'db', { ...WEB, clusterIP: 'None' }, {});
    await waitFor('endpoints', () => readyIps(endpointsOf(ctx, 'db')).length === 1);
    const ep = endpointsOf(ctx, 'db') as SimEndpoints;
    expect(ep.subsets?.[0]?.addresses?.[0]?.hostname).toBe('db-0');
    expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  });

  it('leaves Services without a selector alone, and deletes Endpoints with their Service', async () => {
    const { ctx } = start();
    createService(ctx, 'external', { ports: [{ port: 80 }] });
    ctx.registry.create(ENDPOINTS, 'default', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external' },
      subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 80 }] }],
    });
    createPod(ctx, 'web-a');
    createService(ctx, 'web', WEB);
    await waitFor('web endpoints', () => readyIps(endpointsOf(ctx, 'web')).length === 1);
    expect(readyIps(endpointsOf(ctx, 'external'))).toEqual(['192.0.2.10']);
    ctx.registry.delete(SERVICES, 'default', 'web');
    await waitFor('web endpoints deleted', () => endpointsOf(ctx, 'web') === undefined);
    await waitFor('web slices collected', () => slicesOf(ctx, 'web').length === 0);
    expect(endpointsOf(ctx, 'external')).toBeDefined();
  });
});

describe('endpointslice controller', () => {
  it('publishes pods with ready/serving/terminating conditions, flipping ready as the pod does', async () => {
    const ctx = createSimCore({
      topology: resolveTopology({
        apiVersion: 'scars.dev/v1alpha1',
        kind: 'SimTopology',
        nodes: [
          { role: 'control-plane' },
          { role: 'worker', count: 3, labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
        ],
      }),
      timeScale: 50,
    });
    const { kubelet, notReady } = start(ctx);
    createPod(ctx, 'web-a');
    createService(ctx, 'web', WEB);
    await waitFor('slice', () => (slicesOf(ctx, 'web')[0]?.endpoints ?? []).length === 1);
    const [slice] = slicesOf(ctx, 'web') as [SimSlice];
    const svc = ctx.registry.get(SERVICES, 'default', 'web');
    const pod = ctx.registry.get(PODS, 'default', 'web-a') as Pod & KubeObject;
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.generateName).toBe('web-');
    expect(slice.metadata.labels).toEqual({
      team: 'a',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    expect(slice.endpoints).toEqual([
      {
        addresses: [pod.status?.podIP],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: pod.metadata.uid },
        nodeName: pod.spec?.nodeName,
        zone: 'zone-a',
      },
    ]);

    notReady.add('web-a');
    kubelet.refresh('default', 'web-a');
    await waitFor('not ready', () => slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions?.ready === false);
    expect(slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
    // Updated in place: still one slice, same name.
    expect(slicesOf(ctx, 'web').map((s) => s.metadata.name)).toEqual([slice.metadata.name]);

    notReady.delete('web-a');
    kubelet.refresh('default', 'web-a');
    await waitFor('ready again', () => slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions?.ready === true);
  });

  it('keeps terminating pods as serving but not ready endpoints', async () => {
    const { ctx } = start();
    createPod(ctx, 'web-a', { finalizers: ['example.com/hold'] });
    createService(ctx, 'web', WEB);
    await waitFor('slice', () => slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions?.ready === true);
    ctx.registry.delete(PODS, 'default', 'web-a');
    await waitFor(
      'terminating',
      () => slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions?.terminating === true,
    );
    expect(slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.conditions).toEqual({
      ready: false,
      serving: true,
      terminating: true,
    });
  });

  it('keeps an empty placeholder slice for a Service without endpoints', async () => {
    const { ctx } = start();
    createService(ctx, 'web', WEB);
    await waitFor('placeholder', () => slicesOf(ctx, 'web').length === 1);
    const [slice] = slicesOf(ctx, 'web');
    expect(slice?.endpoints).toBeNull();
    expect(slice?.ports).toBeNull();
    createPod(ctx, 'web-a');
    await waitFor('filled', () => (slicesOf(ctx, 'web')[0]?.endpoints ?? []).length === 1);
    // The placeholder is reused rather than replaced.
    expect(slicesOf(ctx, 'web').map((s) => s.metadata.name)).toEqual([slice?.metadata.name]);
  });

  it('spreads more than 100 endpoints over several slices', async () => {
    const { ctx } = start();
    createService(ctx, 'web', WEB);
    for (let i = 0; i < 150; i++) createPod(ctx, `web-${i}`);
    const count = () => slicesOf(ctx, 'web').reduce((n, s) => n + (s.endpoints ?? []).length, 0);
    await waitFor('150 endpoints', () => count() === 150 && runningPods(ctx, 150), 20_000);
    await waitFor('all ready', () =>
      slicesOf(ctx, 'web').every((s) => (s.endpoints ?? []).every((e) => e.conditions?.ready)),
    );
    const sizes = slicesOf(ctx, 'web')
      .map((s) => (s.endpoints ?? []).length)
      .sort((a, b) => b - a);
    expect(sizes).toEqual([100, 50]);
  });

  it('leaves out pods whose node is gone, with a warning on the Service', async () => {
    const { ctx, kubelet, notReady } = start();
    createPod(ctx, 'web-a');
    createPod(ctx, 'web-b');
    createService(ctx, 'web', WEB);
    await waitFor('2 endpoints', () => (slicesOf(ctx, 'web')[0]?.endpoints ?? []).length === 2);
    const node = (ctx.registry.get(PODS, 'default', 'web-b') as Pod & KubeObject).spec?.nodeName ?? '';
    ctx.registry.delete(NODES, undefined, node);
    // A change an endpoint shows re-syncs the Service (a label change within the selector would not).
    notReady.add('web-a');
    kubelet.refresh('default', 'web-a');
    await waitFor('1 endpoint', () => (slicesOf(ctx, 'web')[0]?.endpoints ?? []).length === 1);
    expect(slicesOf(ctx, 'web')[0]?.endpoints?.[0]?.targetRef?.name).toBe('web-a');
    const warning = (
      ctx.registry.list(EVENTS, { namespace: 'default' }).items as { reason?: string; message?: string }[]
    ).find((e) => e.reason === 'FailedToUpdateEndpointSlices');
    expect(warning?.message).toBe(
      `Error updating Endpoint Slices for Service default/web: skipping Pod web-b for Service default/web: Node ${node} Not Found`,
    );
  });
});
