/**
 * The sim's Ingress controller and TLS from Secrets, end to end: agent `serve` pods behind a
 * Service behind an Ingress with a tls Secret, reached by the test process over the controller's
 * real HTTPS listener (the controller connects to the Service's ClusterIP through the sim's
 * kube-proxy, like any host client); the certificate swapped in the Secret is what the next
 * handshake presents (expired → CERT_HAS_EXPIRED for Node's TLS client and the agent's tlsprobe;
 * valid again → verified); unmatched hosts get the default backend's 404, a Service without
 * endpoints 503, plain HTTP to a TLS host a 308; the built-in load generator runs through it.
 * And the pod-served path: an agent `serve --tls-dir` pod mounting an expired Secret, probed by an
 * agent `tlsprobe` pod inside the sim. Loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsprobeEvent } from '../../src/agent/modes/tlsprobe.ts';
import { isLoopbackAddress } from '../../src/agent/host/loopback-guard.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { linesOf } from '../../src/observers/agent-log.ts';
import { runLoad } from '../../src/observers/load/index.ts';
import type { IngressController } from '../../src/sim/dataplane/ingress.ts';
import { createCa, expiredLeaf, type TestCa, type TestCertificate, validLeaf } from '../support/certs.ts';
import { runToEnd } from '../support/real-agent.ts';
import { agentPod, runAgentPod, terminated, untilPod } from '../support/agent-pods.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';
import { until } from '../support/wait.ts';

/** Simulated seconds per wall second. Real sockets run in wall time: their timeouts stay generous. */
const SCALE = 20;
const NS = 'default';
const HOST = 'app.example.com';

let t: TestSim;
let core: CoreV1Api;
let apps: AppsV1Api;
let networking: NetworkingV1Api;
let kube: KubeApi;
let ingress: IngressController;
let ca: TestCa;
let valid: TestCertificate;
let expired: TestCertificate;
let dir: string;
let caFile: string;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const tlsSecret = (name: string, cert: TestCertificate) => ({
  metadata: { name },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': b64(cert.cert), 'tls.key': b64(cert.key) },
});

async function putSecret(name: string, cert: TestCertificate): Promise<void> {
  const live = await core.readNamespacedSecret({ name, namespace: NS });
  await core.replaceNamespacedSecret({
    name,
    namespace: NS,
    body: { ...tlsSecret(name, cert), metadata: { name, resourceVersion: live.metadata?.resourceVersion } },
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the controller's listener, with the Host (and SNI) the client would send. */
function get(
  scheme: 'http' | 'https',
  host: string,
  path = '/',
  extra: { ca?: string } = {},
): Promise<Reply> {
  const addr = ingress.address()[scheme];
  const send = scheme === 'https' ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve, reject) => {
    const req = send(
      {
        host: addr.host,
        port: addr.port,
        path,
        headers: { host },
        agent: false,
        timeout: 10_000,
        ...(scheme === 'https' ? { servername: host, ca: extra.ca ?? ca.cert } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${scheme} request to ${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A TLS handshake with the HTTPS listener, verification reported rather than enforced. */
function handshake(servername: string): Promise<{ authorized: boolean; error?: string; subject: string }> {
  const addr = ingress.address().https;
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: addr.host, port: addr.port, servername, ca: ca.cert, rejectUnauthorized: false },
      () => {
        const peer = socket.getPeerCertificate();
        resolve({
          authorized: socket.authorized,
          error: socket.authorizationError ? String(socket.authorizationError) : undefined,
          subject: `${peer.subject?.O ?? ''}/${peer.subject?.CN ?? ''}`,
        });
        socket.end();
      },
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  t = await startTestSim({ timeScale: SCALE });
  ({ core, apps, networking, kube } = simClients(t));
  ingress = dataPlaneOf(t).ingress;

  ca = await createCa();
  valid = await validLeaf({ ca, dnsNames: [HOST] });
  expired = await expiredLeaf({ ca, dnsNames: [HOST] });
  dir = mkdtempSync(join(tmpdir(), 'scars-ingress-'));
  caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.cert);

  await core.createNamespacedSecret({ namespace: NS, body: tlsSecret('app-tls', valid) });
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'agent',
                image: 'scars-agent',
                args: ['serve', '--port', '8080'],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'http' },
                  periodSeconds: 2,
                  timeoutSeconds: 10,
                },
              },
            ],
          },
        },
      },
    },
  });
  for (const [name, app] of [
    ['web', 'web'],
    ['empty', 'nothing'],
  ] as const)
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name },
        spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    });
  await networking.createNamespacedIngress({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        tls: [{ hosts: [HOST], secretName: 'app-tls' }],
        rules: [
          {
            host: HOST,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
                {
                  path: '/empty',
                  pathType: 'Prefix',
                  backend: { service: { name: 'empty', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await t?.sim.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Ingress with TLS from a Secret', () => {
  it('the scars-sim IngressClass exists and is the default; the Ingress reports the listener address', async () => {
    const classes = await networking.listIngressClass();
    const cls = classes.items.find((c) => c.metadata?.name === 'scars-sim');
    expect(cls?.spec?.controller).toBe('scars.dev/sim-ingress');
    expect(cls?.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class']).toBe('true');

    const addr = ingress.address();
    expect(isLoopbackAddress(addr.http.host) && isLoopbackAddress(addr.https.host)).toBe(true);
    const lb = await until('the Ingress status', async () => {
      const ing = await networking.readNamespacedIngress({ name: 'web', namespace: NS });
      return ing.status?.loadBalancer?.ingress?.[0];
    });
    expect(lb.ip).toBe(addr.http.host);
    if (addr.http.port === 80 && addr.https.port === 443) expect(lb.ports).toBeUndefined();
    else expect(lb.ports?.map((p) => p.port)).toEqual([addr.http.port, addr.https.port]);
  });

  it('the test process reaches the serve pods over HTTPS, verified with the CA, by host and path', async () => {
    const reply = await until('an HTTPS answer from a serve pod', async () => {
      const r = await get('https', HOST, '/hello?x=1');
      return r.status === 200 ? r : undefined;
    });
    const served = JSON.parse(reply.body) as { hostname: string; path: string };
    expect(served.hostname).toMatch(/^web-/);
    expect(served.path).toBe('/hello?x=1');
    expect(reply.headers.server).toBeUndefined();
    // Both replicas answer through the Service.
    const hostnames = new Set<string>();
    for (let i = 0; i < 20 && hostnames.size < 2; i++)
      hostnames.add((JSON.parse((await get('https', HOST)).body) as { hostname: string }).hostname);
    expect(hostnames.size).toBe(2);
  }, 20_000);

  it('the built-in load generator drives the app through the HTTPS listener', async () => {
    const addr = ingress.address().https;
    const result = await runLoad({
      url: `https://${addr.host}:${addr.port}/load`,
      rate: 50,
      durationMs: 500,
      timeoutMs: 10_000,
      headers: { host: HOST },
      tls: { ca: ca.cert, servername: HOST },
    });
    expect(result.metrics.http_req_failed.values).toMatchObject({ rate: 0, passes: 0 });
    expect(result.metrics.http_reqs.values.count).toBeGreaterThanOrEqual(15);
    expect(result.scars.statuses).toEqual({ '200': result.metrics.http_reqs.values.count });
  }, 20_000);

  it('a host no rule names gets the default backend: 404', async () => {
    const reply = await get('http', 'nobody.example.com', '/');
    expect(reply.status).toBe(404);
    expect(reply.body).toContain('<title>404 Not Found</title>');
  });

  it('a Service without endpoints: 503; plain HTTP to the TLS host: 308 to HTTPS', async () => {
    const empty = await get('https', HOST, '/empty/x');
    expect(empty.status).toBe(503);
    expect(empty.body).toContain('503 Service Temporarily Unavailable');
    const plain = await get('http', HOST, '/a?b=c');
    expect(plain.status).toBe(308);
    const httpsPort = ingress.address().https.port;
    expect(plain.headers.location).toBe(`https://${HOST}${httpsPort === 443 ? '' : `:${httpsPort}`}/a?b=c`);
  });

  it('an expired certificate in the Secret is served from the next handshake: CERT_HAS_EXPIRED, then valid again', async () => {
    expect(await handshake(HOST)).toMatchObject({ authorized: true });
    await putSecret('app-tls', expired);
    expect(await handshake(HOST)).toMatchObject({ authorized: false, error: 'CERT_HAS_EXPIRED' });
    // Node's HTTPS client refuses it.
    await expect(get('https', HOST)).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });
    // The agent's tlsprobe, on the real host, reports it.
    const addr = ingress.address().https;
    const probe = await runToEnd([
      'tlsprobe',
      '--host',
      addr.host,
      '--port',
      String(addr.port),
      '--servername',
      HOST,
      '--ca',
      caFile,
      '--timeout',
      '10s',
    ]);
    const cert = probe.lines.find((l) => l.event === 'certificate') as
      Extract<TlsprobeEvent, { event: 'certificate' }> | undefined;
    expect(cert).toMatchObject({ verified: false, verifyError: 'CERT_HAS_EXPIRED', subject: `CN=${HOST}` });
    expect(cert?.daysLeft).toBeLessThan(0);
    expect(probe.code).not.toBe(0);

    await putSecret('app-tls', valid);
    expect(await handshake(HOST)).toMatchObject({ authorized: true });
    expect((await get('https', HOST)).status).toBe(200);
  }, 20_000);

  it('an SNI name no tls entry covers gets the default "Fake Certificate"', async () => {
    const other = await handshake('other.example.com');
    expect(other.authorized).toBe(false);
    expect(other.subject).toBe('Acme Co/Kubernetes Ingress Controller Fake Certificate');
    expect(ingress.stats().certificates.fallback).toBeGreaterThan(0);
  });
});

describe('TLS served by a pod from a mounted Secret', () => {
  it('an agent tlsprobe pod reports CERT_HAS_EXPIRED for a serve --tls-dir pod mounting an expired Secret', async () => {
    await core.createNamespacedSecret({ namespace: NS, body: tlsSecret('pod-tls', expired) });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'test-ca' }, data: { 'ca.crt': ca.cert } },
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: agentPod('tls-server', ['serve', '--tls-port', '8443', '--tls-dir', '/etc/tls'], {
        container: { volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }] },
        spec: { volumes: [{ name: 'tls', secret: { secretName: 'pod-tls' } }] },
      }),
    });
    const server = await untilPod(
      core,
      NS,
      'tls-server',
      'running with an IP',
      (p) => p.status?.phase === 'Running' && !!p.status.podIP,
    );
    const client = await runAgentPod(
      { core, kube },
      NS,
      'tls-client',
      [
        'tlsprobe',
        '--host',
        server.status?.podIP ?? '',
        '--port',
        '8443',
        '--servername',
        HOST,
        '--ca',
        '/etc/ca/ca.crt',
        '--timeout',
        '20s',
      ],
      {
        container: { volumeMounts: [{ name: 'ca', mountPath: '/etc/ca', readOnly: true }] },
        spec: { volumes: [{ name: 'ca', configMap: { name: 'test-ca' } }] },
      },
    );
    const done = await core.readNamespacedPod({ name: 'tls-client', namespace: NS });
    expect(terminated(done)?.exitCode).not.toBe(0);
    const lines = linesOf(client, 'tlsprobe');
    expect(lines.find((l) => l.event === 'certificate')).toMatchObject({
      verified: false,
      verifyError: 'CERT_HAS_EXPIRED',
      subject: `CN=${HOST}`,
    });
  }, 20_000);
});
