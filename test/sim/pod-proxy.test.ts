/**
 * The pods/proxy subresource of the simulated API server, end to end: a CoreDNS replica's
 * Prometheus metrics read through the API server (client-node, and `kubectl get --raw` when
 * kubectl is installed), an agent `serve` pod's own answers passed on as they are, and the
 * apiserver's errors for what cannot be reached: 503 "error trying to reach service" for a port
 * nothing listens on, 400 for a pod without an address or a malformed id, 404 for a missing pod.
 */
import { ApiException, type CoreV1Api, type V1Status } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { agentPod, isReady, untilPod, WORKER } from '../support/agent-pods.ts';
import { findKubectl, kubectlRunner } from '../support/kubectl.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { until } from '../support/wait.ts';

const kubectl = findKubectl('default');

let t: TestSim;
let core: CoreV1Api;
let kube: KubeApi;
let corednsPod: string;
beforeAll(async () => {
  t = await startTestSim({ timeScale: 10 });
  ({ core, kube } = simClients(t));
  const dns = dataPlaneOf(t).dns;
  corednsPod = await until(
    'a CoreDNS replica with its metrics listener',
    () => dns.stats().replicas.find((r) => r.metrics !== undefined)?.pod,
  );
}, 30_000);
afterAll(async () => {
  await t?.sim.stop();
});

/** A failed client-node call: its HTTP code, and its body (a Status, unless a pod wrote it). */
async function failure(p: Promise<unknown>): Promise<{ http: number; status: V1Status; raw: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const raw = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    let status: V1Status = {};
    try {
      status = JSON.parse(raw) as V1Status;
    } catch {
      // Not JSON: the pod's own text.
    }
    return { http: err.code, status, raw };
  }
  throw new Error('the request succeeded');
}

describe('pods/proxy', () => {
  it('is listed in discovery as upstream lists it', async () => {
    const list = await core.getAPIResources();
    expect(list.resources).toContainEqual(
      expect.objectContaining({ name: 'pods/proxy', kind: 'PodProxyOptions', namespaced: true }),
    );
  });

  it("reads a CoreDNS replica's metrics on 9153 through the API server", async () => {
    const text = await kube.proxyGet('kube-system', corednsPod, 'metrics', 9153);
    expect(text).toMatch(/^# HELP coredns_/m);
    expect(text).toContain('coredns_dns_requests_total');
  });

  it.runIf(kubectl)(
    `kubectl get --raw reads the same (kubectl ${kubectl?.version ?? 'absent'})`,
    async () => {
      const run = kubectlRunner(kubectl!, t.kubeconfigPath);
      const out = await run.ok([
        'get',
        '--raw',
        `/api/v1/namespaces/kube-system/pods/${corednsPod}:9153/proxy/metrics`,
      ]);
      expect(out).toContain('# TYPE coredns_dns_requests_total counter');
      const refused = await run.run([
        'get',
        '--raw',
        `/api/v1/namespaces/kube-system/pods/${corednsPod}:9999/proxy/metrics`,
      ]);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('Error from server (ServiceUnavailable)');
      expect(refused.stderr).toContain('error trying to reach service');
    },
  );

  it("passes a pod's own status and body on", async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: agentPod('web', ['serve', '--fail-liveness'], {
        node: WORKER,
        container: { ports: [{ containerPort: 8080, name: 'http' }] },
      }),
    });
    await untilPod(core, 'default', 'web', 'Ready', isReady, 15_000);
    // No port in the id: the first declared container port.
    const ok = await kube.proxyGet('default', 'web', 'readyz');
    expect(ok.length).toBeGreaterThan(0);
    // The pod's own error comes back as the pod wrote it (here /healthz's 500), not as a Status.
    const failing = await failure(
      core.connectGetNamespacedPodProxyWithPath({ name: 'web:8080', namespace: 'default', path: 'healthz' }),
    );
    expect(failing.http).toBe(500);
    expect(failing.status.kind).toBeUndefined();
    expect(failing.raw).toContain('unhealthy');
  }, 30_000);

  it('answers 503 ServiceUnavailable for a port nothing listens on, as the proxy transport does', async () => {
    const podIP = (await core.readNamespacedPod({ name: corednsPod, namespace: 'kube-system' })).status
      ?.podIP;
    // The harness's client reports it as a KubeApiError with the Status's code and message.
    await expect(kube.proxyGet('kube-system', corednsPod, 'metrics', 9999)).rejects.toMatchObject({
      code: 503,
    });
    const direct = await failure(
      core.connectGetNamespacedPodProxyWithPath({
        name: `${corednsPod}:9999`,
        namespace: 'kube-system',
        path: 'metrics',
      }),
    );
    expect(direct.http).toBe(503);
    expect(direct.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'ServiceUnavailable',
      code: 503,
      message: `error trying to reach service: dial tcp ${podIP}:9999: connect: connection refused`,
    });
  });

  it('answers 404 for a missing pod, 400 for a malformed id and for a pod without an address', async () => {
    const gone = await failure(
      core.connectGetNamespacedPodProxyWithPath({ name: 'nope:80', namespace: 'default', path: 'x' }),
    );
    expect(gone.http).toBe(404);
    expect(gone.status).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });

    const bad = await failure(
      core.connectGetNamespacedPodProxyWithPath({ name: 'ftp:web:80', namespace: 'default', path: 'x' }),
    );
    expect(bad.http).toBe(400);
    expect(bad.status).toMatchObject({ reason: 'BadRequest', message: 'invalid pod request "ftp:web:80"' });

    // Unschedulable (a node that does not exist): never gets an IP.
    await core.createNamespacedPod({
      namespace: 'default',
      body: agentPod('nowhere', ['serve'], { node: 'no-such-node' }),
    });
    const pending = await failure(
      core.connectGetNamespacedPodProxyWithPath({ name: 'nowhere:8080', namespace: 'default', path: 'x' }),
    );
    expect(pending.http).toBe(400);
    expect(pending.status).toMatchObject({ reason: 'BadRequest', message: 'address not allowed' });
  });
});
