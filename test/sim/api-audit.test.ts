/**
 * The sim API server's audit events (src/sim/api/audit.ts): the verb, objectRef and status code
 * kube-apiserver's audit log would record for each request, handed to in-process listeners.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent, MUTATING_VERBS } from '../../src/sim/api/audit.ts';
import { type SimCluster, startSimCluster } from '../../src/sim/cluster.ts';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ apiOnly: true, tls: false, nodes: 1 });
});
afterAll(() => sim.stop());

/** Sends one request and returns the audit event it produced. */
async function audited(method: string, path: string, body?: unknown): Promise<AuditEvent> {
  const seen: AuditEvent[] = [];
  const stop = sim.audit.onRequest((e) => seen.push(e));
  try {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'user-agent': 'audit-test/1.0', 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    await res.text();
    // The event goes out when the server side of the exchange closes.
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    stop();
  }
  expect(seen).toHaveLength(1);
  return seen[0]!;
}

describe('sim API audit events', () => {
  it('names a create by the object in its body, as objectRef.name', async () => {
    const e = await audited('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'audited' },
    });
    expect(e).toMatchObject({
      verb: 'create',
      userAgent: 'audit-test/1.0',
      code: 201,
      dryRun: false,
      objectRef: { resource: 'configmaps', apiVersion: 'v1', namespace: 'default', name: 'audited' },
    });
    expect(MUTATING_VERBS.has(e.verb)).toBe(true);
  });

  it('names a generateName create by the generated name, or by its prefix', async () => {
    const e = await audited('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'gen-' },
    });
    // The registry fills metadata.name into the decoded body it was given, which the audit holds.
    const named = e.objectRef?.name ?? e.objectRef?.generateName;
    expect(named).toMatch(/^gen-/);
  });

  it('maps methods to verbs like the apiserver, with subresources and status codes', async () => {
    expect(await audited('GET', '/api/v1/namespaces/default/configmaps/audited')).toMatchObject({
      verb: 'get',
      code: 200,
    });
    expect((await audited('GET', '/api/v1/namespaces/default/configmaps')).verb).toBe('list');
    expect(
      await audited('PATCH', '/api/v1/namespaces/default/configmaps/nothere?dryRun=All', { data: {} }),
    ).toMatchObject({ verb: 'patch', code: 415, dryRun: true });
    expect(await audited('PUT', `/api/v1/nodes/${sim.nodes[0]}/status`, {})).toMatchObject({
      verb: 'update',
      objectRef: { resource: 'nodes', name: sim.nodes[0], subresource: 'status' },
    });
    expect(await audited('DELETE', '/api/v1/namespaces/default/configmaps/audited')).toMatchObject({
      verb: 'delete',
      code: 200,
    });
    expect(await audited('DELETE', '/api/v1/namespaces/default/configmaps')).toMatchObject({
      verb: 'deletecollection',
      objectRef: { namespace: 'default' },
    });
    const cluster = await audited('DELETE', '/api/v1/namespaces/gone');
    expect(cluster).toMatchObject({
      verb: 'delete',
      code: 404,
      objectRef: { resource: 'namespaces', name: 'gone' },
    });
  });

  it('audits non-resource paths by HTTP method and a watch as watch', async () => {
    const version = await audited('GET', '/version');
    expect(version).toMatchObject({ verb: 'get', requestURI: '/version', code: 200 });
    expect(version.objectRef).toBeUndefined();
    const watch = await audited('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1');
    expect(watch).toMatchObject({ verb: 'watch', code: 200 });
  });

  it('stops calling a listener once unsubscribed, and survives a listener that throws', async () => {
    const stopThrowing = sim.audit.onRequest(() => {
      throw new Error('listener bug');
    });
    try {
      expect((await audited('GET', '/version')).code).toBe(200);
    } finally {
      stopThrowing();
    }
  });
});
