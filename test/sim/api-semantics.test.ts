/** API semantics checked with raw HTTP: watch (bookmarks, initial events, 410, selector transitions), errors, subresources. */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../src/sim/cluster.ts';
import { podManifest, runPod, startTestSim } from '../support/sim.ts';

let sim: SimCluster | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(options: Parameters<typeof startTestSim>[0] = {}): Promise<SimCluster> {
  // The API server alone (no scheduler or kubelets): tests bind pods and report status themselves.
  sim = (await startTestSim({ tls: false, bookmarkIntervalMs: 100, apiOnly: true, ...options })).sim;
  return sim;
}

interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
    message?: string;
  };
}

/** Reads a watch stream until `until` says stop (or the server ends it). */
async function readWatch(
  url: string,
  until: (events: WatchEvent[]) => boolean,
  ms = 5000,
): Promise<WatchEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const events: WatchEvent[] = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as WatchEvent);
        buffer = buffer.slice(nl + 1);
      }
      if (until(events)) break;
    }
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

const post = (s: SimCluster, path: string, body: unknown) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('watch', () => {
  it('without a resourceVersion starts with ADDED for what exists, then streams changes', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' } });
    const watching = readWatch(`${s.url}/api/v1/namespaces/default/configmaps?watch=1`, (e) => e.length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'b' } });
    const events = await watching;
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED a', 'ADDED b']);
  });

  it('sends bookmarks when allowed, and ends with timeoutSeconds', async () => {
    const s = await start();
    const rv = s.store.resourceVersion;
    const t0 = Date.now();
    const events = await readWatch(
      `${s.url}/api/v1/pods?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
      () => false,
      5000,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThan(0);
    expect(bookmarks[0]?.object).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(rv) },
    });
  });

  it('streams a list with sendInitialEvents and marks its end with the initial-events-end bookmark', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' } });
    const events = await readWatch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      (e) => e.some((x) => x.type === 'BOOKMARK'),
    );
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    expect(events[1]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
    const refused = await fetch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true`,
    );
    expect(refused.status).toBe(422);
  });

  it('answers a compacted resourceVersion with one 410 Expired ERROR event and closes', async () => {
    const s = await start({ historySize: 3 });
    const rv = s.store.resourceVersion;
    for (let i = 0; i < 5; i++)
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: `c${i}` } });
    const events = await readWatch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`,
      () => false,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    expect(events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('a label-selector watch sees an object ADDED when it starts matching and DELETED when it stops', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'x', labels: { team: 'b' } },
    });
    const watching = readWatch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=1&labelSelector=team%3Da&resourceVersion=${s.store.resourceVersion}`,
      (e) => e.length >= 2,
    );
    await new Promise((r) => setTimeout(r, 100));
    const patch = (team: string) =>
      fetch(`${s.url}/api/v1/namespaces/default/configmaps/x`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { team } } }),
      });
    await patch('a');
    await patch('c');
    const events = await watching;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });
});

describe('discovery', () => {
  it('answers aggregated discovery when asked (client-go 1.30+), legacy otherwise, and lists pods/eviction', async () => {
    const s = await start();
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const aggregated = await fetch(`${s.url}/apis`, { headers: { Accept: accept } });
    expect(aggregated.headers.get('content-type')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const groups = (await aggregated.json()) as { kind: string; items: { metadata: { name: string } }[] };
    expect(groups.kind).toBe('APIGroupDiscoveryList');
    expect(groups.items.map((g) => g.metadata.name)).toContain('policy');
    const legacy = (await (await fetch(`${s.url}/api/v1`)).json()) as {
      resources: { name: string; group?: string; version?: string; kind: string }[];
    };
    expect(legacy.resources).toContainEqual(
      expect.objectContaining({ name: 'pods/eviction', group: 'policy', version: 'v1', kind: 'Eviction' }),
    );
  });
});

describe('errors and subresources', () => {
  it('unknown resources and groups are a Status 404; wrong methods 405', async () => {
    const s = await start();
    for (const path of [
      '/api/v1/widgets',
      '/apis/example.com/v1/things',
      '/apis/apps/v1/namespaces/default/deployments/x/frobnicate',
    ]) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      });
    }
    const res = await fetch(`${s.url}/api/v1/namespaces/default/pods`, { method: 'PUT', body: '{}' });
    expect(res.status).toBe(405);
  });

  it('field selectors on unsupported labels are a 400 with the apiserver text', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/api/v1/pods?fieldSelector=spec.colour%3Dred`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'field label not supported: spec.colour',
    );
  });

  it('binds a pod once; a second binding is a 409', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/pods', podManifest('p'));
    const bind = () =>
      post(s, '/api/v1/namespaces/default/pods/p/binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'p' },
        target: { kind: 'Node', name: 'scars-worker' },
      });
    const first = await bind();
    expect(first.status).toBe(201);
    const pod = (await (await fetch(`${s.url}/api/v1/namespaces/default/pods/p`)).json()) as {
      spec: { nodeName: string };
      status: { conditions: { type: string; status: string }[] };
    };
    expect(pod.spec.nodeName).toBe('scars-worker');
    expect(pod.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
    );
    const second = await bind();
    expect(second.status).toBe(409);
    expect(((await second.json()) as { message: string }).message).toMatch(
      /pod p is already assigned to node "scars-worker"/,
    );
  });

  it('pods/log: tailLines, and a pod that has not started says so', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/pods', podManifest('p'));
    const early = await fetch(`${s.url}/api/v1/namespaces/default/pods/p/log`);
    expect(early.status).toBe(400);
    expect(((await early.json()) as { message: string }).message).toBe(
      'container "main" in pod "p" is waiting to start: ContainerCreating',
    );
    const live = runPod(s, 'default', 'p', 'scars-worker');
    s.logs.append(live.metadata.uid ?? '', 'main', 'one\ntwo\nthree', s.clock.now());
    const tail = await fetch(`${s.url}/api/v1/namespaces/default/pods/p/log?tailLines=2`);
    expect(await tail.text()).toBe('two\nthree\n');
  });

  it('deletecollection removes what the selector picks and leaves the rest', async () => {
    const s = await start();
    for (const [name, tier] of [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y'],
    ])
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name, labels: { tier } } });
    const res = await fetch(`${s.url}/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dx`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(200);
    const left = (await (await fetch(`${s.url}/api/v1/namespaces/default/configmaps`)).json()) as {
      items: { metadata: { name: string } }[];
    };
    expect(left.items.map((i) => i.metadata.name)).toEqual(['c']);
  });
});

describe('semantics a real client notices', () => {
  const json = async (res: Response) =>
    (await res.json()) as Record<string, unknown> & { metadata: Record<string, unknown> };
  const send = (s: SimCluster, method: string, path: string, body?: unknown, type = 'application/json') =>
    fetch(`${s.url}${path}`, {
      method,
      headers: { 'Content-Type': type },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it('dryRun in a DeleteOptions body (kubectl delete --dry-run=server) changes nothing', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'keep' } });
    const res = await send(s, 'DELETE', '/api/v1/namespaces/default/configmaps/keep', { dryRun: ['All'] });
    expect(res.status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/namespaces/default/configmaps/keep`)).status).toBe(200);
  });

  it('an eviction with a resourceVersion precondition succeeds when it matches; a dry-run eviction changes nothing', async () => {
    const s = await start();
    for (const name of ['a', 'b']) {
      await post(s, '/api/v1/namespaces/default/pods', podManifest(name));
      runPod(s, 'default', name, 'scars-worker');
    }
    const evict = (name: string, deleteOptions: unknown) =>
      post(s, `/api/v1/namespaces/default/pods/${name}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name },
        deleteOptions,
      });
    const b = await json(await fetch(`${s.url}/api/v1/namespaces/default/pods/b`));
    expect((await evict('a', { dryRun: ['All'] })).status).toBe(201);
    expect((await fetch(`${s.url}/api/v1/namespaces/default/pods/a`)).status).toBe(200);
    expect(
      (await evict('b', { preconditions: { resourceVersion: b.metadata.resourceVersion } })).status,
    ).toBe(201);
    expect((await evict('a', { preconditions: { resourceVersion: '1' } })).status).toBe(409);
  });

  it('an unchanged PUT (keys in another order) is a no-op: same resourceVersion', async () => {
    const s = await start();
    const created = await json(
      await post(s, '/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'same' },
        data: { a: '1', b: '2' },
      }),
    );
    const reordered = {
      data: { b: '2', a: '1' },
      metadata: { ...created.metadata },
      kind: 'ConfigMap',
      apiVersion: 'v1',
    };
    const put = await json(await send(s, 'PUT', '/api/v1/namespaces/default/configmaps/same', reordered));
    expect(put.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('a PUT naming another uid is a precondition conflict', async () => {
    const s = await start();
    const created = await json(
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'u' } }),
    );
    const res = await send(s, 'PUT', '/api/v1/namespaces/default/configmaps/u', {
      ...created,
      metadata: { ...created.metadata, uid: '00000000-0000-0000-0000-000000000000' },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /Precondition failed: UID in precondition/,
    );
  });

  it('metadata.name field selectors work across all namespaces', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'findme' } });
    const list = (await (
      await fetch(`${s.url}/api/v1/configmaps?fieldSelector=metadata.name%3Dfindme`)
    ).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('a selector watch that loses an object sends its last matching state', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'x', labels: { team: 'a' } },
    });
    const watching = readWatch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=1&labelSelector=team%3Da&resourceVersion=${s.store.resourceVersion}`,
      (e) => e.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 100));
    await send(
      s,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/x',
      { metadata: { labels: { team: 'b' } } },
      'application/merge-patch+json',
    );
    const [event] = await watching;
    expect(event?.type).toBe('DELETED');
    expect((event?.object.metadata as { labels?: Record<string, string> }).labels).toEqual({ team: 'a' });
    expect(event?.object.metadata?.resourceVersion).toBe(String(s.store.resourceVersion));
  });

  it('pages of a list are one snapshot; a token whose history is gone is 410', async () => {
    const s = await start({ historySize: 20 });
    for (const name of ['a', 'c', 'e'])
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name } });
    const page1 = await json(await fetch(`${s.url}/api/v1/namespaces/default/configmaps?limit=1`));
    await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'b' } });
    await send(s, 'DELETE', '/api/v1/namespaces/default/configmaps/e');
    const token = encodeURIComponent(String(page1.metadata.continue));
    const page2 = (await (
      await fetch(`${s.url}/api/v1/namespaces/default/configmaps?limit=10&continue=${token}`)
    ).json()) as { items: { metadata: { name: string } }[]; metadata: { resourceVersion: string } };
    expect(page2.items.map((i) => i.metadata.name)).toEqual(['c', 'e']);
    expect(page2.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);
    for (let i = 0; i < 25; i++)
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: `z${i}` } });
    const stale = await fetch(`${s.url}/api/v1/namespaces/default/configmaps?limit=10&continue=${token}`);
    expect(stale.status).toBe(410);
  });

  it('foreground deletion spares a dependent that another live owner holds', async () => {
    const s = await start();
    const a = await json(
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner-a' } }),
    );
    const b = await json(
      await post(s, '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner-b' } }),
    );
    const ref = (o: typeof a, name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name,
      uid: o.metadata.uid,
      blockOwnerDeletion: true,
    });
    await post(s, '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'shared', ownerReferences: [ref(a, 'owner-a'), ref(b, 'owner-b')] },
    });
    await send(s, 'DELETE', '/api/v1/namespaces/default/configmaps/owner-a', {
      propagationPolicy: 'Foreground',
    });
    const until = Date.now() + 5000;
    while (
      (await fetch(`${s.url}/api/v1/namespaces/default/configmaps/owner-a`)).status !== 404 &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 20));
    const shared = await json(await fetch(`${s.url}/api/v1/namespaces/default/configmaps/shared`));
    expect((shared.metadata.ownerReferences as { name: string }[]).map((r) => r.name)).toEqual(['owner-b']);
  });

  it('namespaces: spec.finalizers change only through /finalize; deleting a terminating namespace is 409', async () => {
    const s = await start();
    await post(s, '/api/v1/namespaces', { metadata: { name: 'n1' } });
    const patched = await json(
      await send(
        s,
        'PATCH',
        '/api/v1/namespaces/n1',
        { spec: { finalizers: null } },
        'application/merge-patch+json',
      ),
    );
    expect(patched.spec).toEqual({ finalizers: ['kubernetes'] });
    await post(s, '/api/v1/namespaces/n1/configmaps', {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    expect((await send(s, 'DELETE', '/api/v1/namespaces/n1')).status).toBe(200);
    const again = await send(s, 'DELETE', '/api/v1/namespaces/n1');
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toMatch(
      /The system is ensuring all content is removed from this namespace/,
    );
  });

  it('a PUT on a node keeps its status (only /status changes it)', async () => {
    const s = await start();
    const node = await json(await fetch(`${s.url}/api/v1/nodes/scars-worker`));
    const res = await json(
      await send(s, 'PUT', '/api/v1/nodes/scars-worker', { ...node, status: { conditions: [] } }),
    );
    expect((res.status as { conditions: unknown[] }).conditions.length).toBeGreaterThan(0);
  });
});

describe('events.k8s.io/v1 is a view of core/v1 Events', () => {
  it('an event written through either API is read through both, with fields renamed', async () => {
    const s = await start();
    const created = await post(s, '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'e1' },
      eventTime: '2026-11-23T10:00:00.000000Z',
      reportingController: 'scars.dev/fault',
      reportingInstance: 'scars',
      action: 'Kill',
      reason: 'Killing',
      regarding: { kind: 'Pod', namespace: 'default', name: 'web-0', apiVersion: 'v1' },
      note: 'killed by scars',
      type: 'Warning',
    });
    expect(created.status).toBe(201);
    const core = (await (await fetch(`${s.url}/api/v1/namespaces/default/events/e1`)).json()) as Record<
      string,
      unknown
    >;
    expect(core).toMatchObject({
      apiVersion: 'v1',
      message: 'killed by scars',
      reportingComponent: 'scars.dev/fault',
      involvedObject: { name: 'web-0' },
    });
    expect(core.note).toBeUndefined();
    await post(s, '/api/v1/namespaces/default/events', {
      metadata: { name: 'e2' },
      involvedObject: { kind: 'Pod', name: 'web-1' },
      reason: 'Started',
      message: 'started',
      type: 'Normal',
    });
    const viaEvents = (await (
      await fetch(
        `${s.url}/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dweb-1`,
      )
    ).json()) as { kind: string; items: Record<string, unknown>[] };
    expect(viaEvents.kind).toBe('EventList');
    expect(viaEvents.items).toHaveLength(1);
    expect(viaEvents.items[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      note: 'started',
      regarding: { name: 'web-1' },
    });
    const watching = readWatch(
      `${s.url}/apis/events.k8s.io/v1/namespaces/default/events?watch=1&resourceVersion=${s.store.resourceVersion}`,
      (e) => e.length >= 1,
    );
    const coreWatch = readWatch(
      `${s.url}/api/v1/namespaces/default/events?watch=1&resourceVersion=${s.store.resourceVersion}`,
      (e) => e.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 100));
    await post(s, '/api/v1/namespaces/default/events', {
      metadata: { name: 'e3' },
      involvedObject: { kind: 'Pod', name: 'web-2' },
      reason: 'Pulled',
      message: 'pulled',
      type: 'Normal',
    });
    const [viewEvent] = await watching;
    const [coreEvent] = await coreWatch;
    expect(viewEvent?.object).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'pulled' });
    expect(coreEvent?.object).toMatchObject({ apiVersion: 'v1', message: 'pulled' });
  });
});

describe('autoscaling/v1 is a view of autoscaling/v2 HorizontalPodAutoscalers', () => {
  it('the CPU target round-trips; other metrics travel in the annotation upstream uses', async () => {
    const s = await start();
    const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
    const v1 = await post(s, '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers', {
      metadata: { name: 'a' },
      spec: { scaleTargetRef, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
    });
    expect(v1.status).toBe(201);
    const v2 = (await (
      await fetch(`${s.url}/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/a`)
    ).json()) as { spec: { metrics: unknown[] } };
    expect(v2.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    const memory = {
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } },
    };
    await post(s, '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      metadata: { name: 'b' },
      spec: { scaleTargetRef, maxReplicas: 4, metrics: [memory] },
    });
    const b = (await (
      await fetch(`${s.url}/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/b`)
    ).json()) as {
      apiVersion: string;
      metadata: { annotations: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(b.apiVersion).toBe('autoscaling/v1');
    expect(b.spec.targetCPUUtilizationPercentage).toBeUndefined();
    expect(JSON.parse(b.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics'] ?? '[]')).toEqual([
      memory,
    ]);
  });
});
