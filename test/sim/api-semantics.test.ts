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
  sim = (await startTestSim({ tls: false, bookmarkIntervalMs: 100, ...options })).sim;
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
