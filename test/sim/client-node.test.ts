/** @kubernetes/client-node against the simulated API server: CRUD, informers across 410, eviction against a PDB. */
import {
  ApiException,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import {
  podManifest,
  runPod,
  served,
  setBudgetStatus,
  simClients,
  startTestSim,
  type TestSim,
} from '../support/sim.ts';

let t: TestSim | undefined;
afterEach(async () => {
  await t?.sim.stop();
  t = undefined;
});

async function clients(options: Parameters<typeof startTestSim>[0] = {}) {
  // The API server alone (no scheduler or kubelets): tests bind pods and report status themselves.
  t = await startTestSim({ apiOnly: true, ...options });
  return { t, ...simClients(t) };
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ApiException)
      return { code: error.code, body: JSON.parse(String(error.body)) as Record<string, unknown> };
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('client-node against the sim', () => {
  it('creates, reads, updates with optimistic concurrency, lists with selectors and pages, and deletes', async () => {
    const { core } = await clients();
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: podManifest('a', { app: 'x' }) as V1Pod,
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.spec?.restartPolicy).toBe('Always');
    expect(created.status?.phase).toBe('Pending');
    expect(created.status?.qosClass).toBe('BestEffort');
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        ...podManifest('b', { app: 'y' }),
        metadata: { generateName: 'b-', labels: { app: 'y' } },
      } as V1Pod,
    });

    const stale = structuredClone(created);
    created.metadata = { ...created.metadata, labels: { app: 'x', v: '2' } };
    const updated = await core.replaceNamespacedPod({ namespace: 'default', name: 'a', body: created });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(stale.metadata?.resourceVersion),
    );
    const conflict = await apiError(
      core.replaceNamespacedPod({ namespace: 'default', name: 'a', body: stale }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(conflict.body.message).toBe(
      'Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again',
    );

    const dup = await apiError(
      core.createNamespacedPod({ namespace: 'default', body: podManifest('a') as V1Pod }),
    );
    expect(dup).toMatchObject({
      code: 409,
      body: {
        reason: 'AlreadyExists',
        message: 'pods "a" already exists',
        details: { name: 'a', kind: 'pods' },
      },
    });

    const invalid = await apiError(
      core.createNamespacedPod({
        namespace: 'default',
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'Bad_Name' },
          spec: { containers: [] },
        } as V1Pod,
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.body.reason).toBe('Invalid');
    expect(String(invalid.body.message)).toMatch(/^Pod "Bad_Name" is invalid: \[/);

    const selected = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app in (y)' });
    expect(selected.items.map((p) => p.metadata?.generateName)).toEqual(['b-']);
    const page1 = await core.listNamespacedPod({ namespace: 'default', limit: 1 });
    expect(page1.items).toHaveLength(1);
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await core.listNamespacedPod({
      namespace: 'default',
      limit: 1,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items).toHaveLength(1);
    expect(page2.items[0]?.metadata?.name).not.toBe(page1.items[0]?.metadata?.name);
    expect(page2.metadata?._continue).toBeUndefined();

    await core.deleteNamespacedPod({ namespace: 'default', name: 'a' });
    expect((await apiError(core.readNamespacedPod({ namespace: 'default', name: 'a' }))).code).toBe(404);
  });

  it('an informer lists, watches, and relists after 410 Gone when its resourceVersion was compacted', async () => {
    const { t, kc, core } = await clients({ historySize: 5 });
    const seen = new Map<string, string>();
    const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    informer.on('add', (cm) => seen.set(cm.metadata?.name ?? '', 'add'));
    informer.on('update', (cm) => seen.set(cm.metadata?.name ?? '', 'update'));
    informer.on('delete', (cm) => seen.delete(cm.metadata?.name ?? ''));
    const errors: unknown[] = [];
    informer.on('error', (e) => {
      errors.push(e);
      // client-node stops on error; restarting is the documented pattern (a relist follows).
      setTimeout(() => void informer.start(), 50);
    });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'before' }, data: { a: '1' } },
    });
    await informer.start();
    await waitFor('the initial list', () => seen.has('before'));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'live' } } });
    await waitFor('a watched add', () => seen.has('live'));

    // Cut the watch, then make more changes than the history keeps: the informer's resourceVersion is gone.
    t.sim.dropConnections();
    for (let i = 0; i < 20; i++)
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `burst-${i}` } },
      });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'before' });
    await waitFor('the relist after 410', () => seen.has('burst-19') && !seen.has('before'), 20_000);
    await informer.stop();
  });

  it('evicts through policy/v1: 429 with Kubernetes message while the budget allows none, 201 when it allows one', async () => {
    const { t, core, policy } = await clients();
    for (const name of ['w1', 'w2']) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: podManifest(name, { app: 'web' }) as V1Pod,
      });
      runPod(t.sim, 'default', name, 'scars-worker');
    }
    await policy.createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: {
        metadata: { name: 'web-pdb' },
        spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
      },
    });
    const evict = (name: string) =>
      core.createNamespacedPodEviction({
        namespace: 'default',
        name,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
      });

    // No status yet: the budget has not been processed.
    const unprocessed = await apiError(evict('w1'));
    expect(unprocessed.code).toBe(429);
    expect(unprocessed.body.details).toMatchObject({
      causes: [
        {
          reason: 'DisruptionBudget',
          message: 'The disruption budget web-pdb is still being processed by the server.',
        },
      ],
      retryAfterSeconds: 10,
    });

    // What the disruption controller would write: 2 healthy, 2 needed.
    const setStatus = (currentHealthy: number, disruptionsAllowed: number) =>
      setBudgetStatus(t.sim, 'default', 'web-pdb', {
        currentHealthy,
        desiredHealthy: 2,
        expectedPods: 2,
        disruptionsAllowed,
      });
    setStatus(2, 0);
    const refused = await apiError(evict('w1'));
    expect(refused.code).toBe(429);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently',
          },
        ],
      },
      code: 429,
    });
    expect(
      (await core.readNamespacedPod({ namespace: 'default', name: 'w1' })).metadata?.deletionTimestamp,
    ).toBeUndefined();

    setStatus(3, 1);
    await evict('w1');
    const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: 'default', name: 'web-pdb' });
    expect(pdb.status?.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status?.disruptedPods ?? {})).toEqual(['w1']);
    await waitFor(
      'the evicted pod to go',
      () => t.sim.registry.find(served('v1', 'pods'), 'default', 'w1') === undefined,
    );

    // Two budgets over one pod: the eviction subresource refuses with 500.
    await policy.createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: {
        metadata: { name: 'second' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
      },
    });
    const ambiguous = await apiError(evict('w2'));
    expect(ambiguous.code).toBe(500);
    expect(ambiguous.body.message).toBe(
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  });

  it('deletes dependents by owner reference (background) and keeps them when orphaning', async () => {
    const { t, apps, core } = await clients();
    const rs = await apps.createNamespacedReplicaSet({
      namespace: 'default',
      body: {
        metadata: { name: 'rs' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'rs' } },
          template: {
            metadata: { labels: { app: 'rs' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    const owned = (name: string) =>
      ({
        ...podManifest(name, { app: 'rs' }),
        metadata: {
          name,
          labels: { app: 'rs' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'rs',
              uid: rs.metadata?.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
      }) as V1Pod;
    await core.createNamespacedPod({ namespace: 'default', body: owned('child') });
    await apps.deleteNamespacedReplicaSet({
      namespace: 'default',
      name: 'rs',
      body: { propagationPolicy: 'Orphan' },
    });
    await waitFor(
      'the orphaned owner to go',
      () => t.sim.registry.find(served('apps/v1', 'replicasets'), 'default', 'rs') === undefined,
    );
    const child = await core.readNamespacedPod({ namespace: 'default', name: 'child' });
    expect(child.metadata?.ownerReferences).toBeUndefined();

    const rs2 = await apps.createNamespacedReplicaSet({
      namespace: 'default',
      body: { ...rs, metadata: { name: 'rs2' } },
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        ...owned('child2'),
        metadata: {
          ...owned('child2').metadata,
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs2', uid: rs2.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await apps.deleteNamespacedReplicaSet({ namespace: 'default', name: 'rs2' });
    await waitFor(
      'the dependent to be collected',
      () => t.sim.registry.find(served('v1', 'pods'), 'default', 'child2') === undefined,
    );
  });

  it('deleting a namespace deletes its content, then the namespace; finalizers hold it until removed', async () => {
    const { t, core } = await clients();
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await waitFor(
      'the default service account',
      () => t.sim.registry.find(served('v1', 'serviceaccounts'), 'doomed', 'default') !== undefined,
    );
    await core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    await core.createNamespacedPod({ namespace: 'doomed', body: podManifest('p') as V1Pod });
    runPod(t.sim, 'doomed', 'p', 'scars-worker');
    const ns = await core.deleteNamespace({ name: 'doomed' });
    expect((ns as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const refused = await apiError(
      core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }),
    );
    expect(refused.code).toBe(403);
    expect(refused.body.message).toBe(
      'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await waitFor(
      'the pod to go',
      () => t.sim.registry.find(served('v1', 'pods'), 'doomed', 'p') === undefined,
    );
    const held = await core.readNamespacedConfigMap({ namespace: 'doomed', name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect(t.sim.registry.find(served('v1', 'namespaces'), undefined, 'doomed')).toBeDefined();
    await core.patchNamespacedConfigMap(
      { namespace: 'doomed', name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await waitFor(
      'the namespace to go',
      () => t.sim.registry.find(served('v1', 'namespaces'), undefined, 'doomed') === undefined,
    );
  });
});
