import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MemoryApiServer, startMemoryApiServer } from './support/memory-apiserver.ts';

let server: MemoryApiServer;
let api: KubernetesObjectApi;
let dir: string;

beforeEach(async () => {
  server = await startMemoryApiServer();
  dir = mkdtempSync(join(tmpdir(), 'memory-apiserver-'));
  const kc = new KubeConfig();
  kc.loadFromFile(server.writeKubeconfig(dir));
  api = KubernetesObjectApi.makeApiClient(kc);
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function apiError(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const U = undefined;
const patch = <T extends KubernetesObject>(obj: object, strategy: PatchStrategy) =>
  api.patch(obj as T, U, U, U, U, strategy);
const configMaps = (namespace: string | undefined, labelSelector: string) =>
  api.list<V1ConfigMap>('v1', 'ConfigMap', namespace, U, U, U, U, labelSelector);
const names = (list: { items: KubernetesObject[] }) => list.items.map((i) => i.metadata?.name);

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } };
const cmRef = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'demo' },
});
const cm = (name: string, app: string): V1ConfigMap => ({
  ...cmRef(name),
  metadata: { name, namespace: 'demo', labels: { app } },
  data: { a: '1', b: '2' },
});
const containers = [
  { name: 'app', image: 'app:v1' },
  { name: 'sidecar', image: 'side:v1' },
];
const deployment: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers } } },
};

describe('memory apiserver with @kubernetes/client-node', () => {
  it('creates, reads, lists by label, patches and deletes', async () => {
    await api.create(ns);
    await api.create(cm('web-config', 'web'));
    await api.create(cm('db-config', 'db'));
    const created = await api.create(deployment);
    expect(created.metadata?.generation).toBe(1);
    expect(created.status).toMatchObject({ readyReplicas: 2, observedGeneration: 1 });

    expect((await api.read<V1ConfigMap>(cmRef('web-config'))).data).toEqual({ a: '1', b: '2' });
    expect(names(await configMaps('demo', 'app=web'))).toEqual(['web-config']);
    expect(names(await configMaps(U, 'app in (web,db)'))).toEqual(['db-config', 'web-config']);

    const merged = await patch<V1ConfigMap>(
      { ...cmRef('web-config'), data: { a: null, c: '3' } },
      PatchStrategy.MergePatch,
    );
    expect(merged.data).toEqual({ b: '2', c: '3' });

    // Default strategy (strategic merge): containers merge by name, so the sidecar survives.
    const rolled = await patch<V1Deployment>(
      { ...deployment, spec: { template: { spec: { containers: [{ name: 'app', image: 'app:v2' }] } } } },
      PatchStrategy.StrategicMergePatch,
    );
    expect(rolled.metadata?.generation).toBe(2);
    expect(rolled.status?.observedGeneration).toBe(2);
    expect(rolled.spec?.template.spec?.containers.map((c) => c.image)).toEqual(['app:v2', 'side:v1']);

    await api.delete(cmRef('web-config'));
    expect(
      server.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'web-config' }),
    ).toBeUndefined();
    expect(server.list('v1', 'ConfigMap', 'demo')).toHaveLength(1);
  });

  it('strategic-merge-patches a Node', async () => {
    await api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {} });
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      spec: { unschedulable: true },
    };
    await patch(node, PatchStrategy.StrategicMergePatch);
    expect(server.get({ apiVersion: 'v1', kind: 'Node', name: 'node-1' })?.spec).toEqual({
      unschedulable: true,
    });
    expect(server.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/nodes/node-1',
      contentType: PatchStrategy.StrategicMergePatch,
      status: 200,
    });
  });

  it('answers errors as Kubernetes Status bodies', async () => {
    expect((await apiError(api.read(cmRef('nope')))).code).toBe(404);
    expect((await apiError(api.create(cm('x', 'web')))).code).toBe(404); // namespace does not exist yet
    await api.create(ns);
    await api.create(cm('x', 'web'));
    const duplicate = await apiError(api.create(cm('x', 'web')));
    expect(duplicate.code).toBe(409);
    // client-node hands the Status body over as the raw response text.
    expect(JSON.parse(String(duplicate.body))).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'configmaps "x" already exists',
    });
    expect((await fetch(`${server.url}/api/v1/pods?watch=1`)).status).toBe(405);
    const unknown = await fetch(`${server.url}/apis/example.com/v1/widgets`);
    expect(await unknown.json()).toMatchObject({
      code: 404,
      message: 'the server could not find the requested resource',
    });
  });

  it('keeps snapshot() unchanged after create + delete, and counts mutations', async () => {
    await api.create(ns);
    await api.create(deployment);
    const before = server.snapshot();
    const mutationsBefore = server.mutations();
    await api.create(cm('temp', 'web'));
    expect(server.snapshot()).not.toBe(before);
    await api.delete(cmRef('temp'));
    expect(server.snapshot()).toBe(before);
    expect(server.mutations()).toBe(mutationsBefore + 2);
  });

  it('evicts pods and cascades namespace deletion', async () => {
    await api.create(ns);
    await api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'demo' },
      spec: { containers },
    });
    expect(
      server.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'p1' })?.status,
    ).toMatchObject({
      phase: 'Running',
    });
    const evict = async () =>
      (
        await fetch(`${server.url}/api/v1/namespaces/demo/pods/p1/eviction`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: 'p1', namespace: 'demo' },
          }),
        })
      ).status;
    expect(await evict()).toBe(201);
    expect(await evict()).toBe(404);
    await api.create(cm('c', 'web'));
    await api.delete(ns);
    expect(JSON.parse(server.snapshot())).toEqual([]);
  });
});
