/**
 * The Ingress controller's proxy against a plain node:http upstream on 127.0.0.1: the headers
 * ingress-nginx sets, 502 after retries on refused connections, 504 on timeouts (read and
 * connect), 413 over the body limit, and the status written to the Ingress. The Service's ClusterIP
 * is translated to the upstream by a stand-in stage (kube-proxy's job in the cluster).
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import { IngressController } from '../../../../src/sim/dataplane/ingress.ts';
import { resourceAt, type ResourceType } from '../../../../src/sim/kinds/registry.ts';
import { ENDPOINT_SLICES, SERVICES } from '../../../../src/sim/kinds/resources.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';

const INGRESSES = resourceAt('networking.k8s.io/v1', 'ingresses') as ResourceType;
/** Simulated seconds per wall second: a 1 s proxy timeout is 100 ms of wall time. */
const SCALE = 10;

let ctx: SimContext;
let controller: IngressController;
let upstream: Server;
let upstreamPort = 0;
let closedPort = 0;
const seen: IncomingHttpHeaders[] = [];
/** Where each Service's ClusterIP goes: a real port, or dropped. */
const targets = new Map<string, number | 'dropped'>();

function service(name: string, target: number | 'dropped'): void {
  const svc = ctx.registry.create(SERVICES, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  }) as unknown as { spec: { clusterIP: string } };
  targets.set(svc.spec.clusterIP, target);
  ctx.registry.create(ENDPOINT_SLICES, 'default', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.64.9.9'], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
}

function ingressFor(name: string, annotations: Record<string, string> = {}): void {
  ctx.registry.create(INGRESSES, 'default', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      rules: [
        {
          host: `${name}.example`,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } },
            ],
          },
        },
      ],
    },
  });
}

function send(
  host: string,
  options: { path?: string; method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  const addr = controller.address().http;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: addr.host,
        port: addr.port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/slow') return; // never answers: the read timeout runs out
    res.writeHead(200, { 'content-type': 'text/plain', server: 'upstream/1.0' });
    res.end(`ok ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise<void>((r) => spare.close(() => r()));

  ctx = createSimCore({ topology: defaultTopology(), timeScale: SCALE });
  ctx.network.use({
    translate(dest) {
      const target = targets.get(dest.ip);
      if (target === undefined) return undefined;
      return target === 'dropped' ? 'dropped' : { ip: '127.0.0.1', port: target, transport: dest.transport };
    },
  });
  controller = new IngressController(ctx, { nodeIP: '127.0.0.1', ports: { http: 0, https: 0 } });
  controller.start();
  await controller.ready();
  service('app', upstreamPort);
  service('refusing', closedPort);
  service('blackhole', 'dropped');
  service('slow', upstreamPort);
  ingressFor('app');
  ingressFor('refusing');
  ingressFor('blackhole', { 'nginx.ingress.kubernetes.io/proxy-connect-timeout': '1' });
  ingressFor('slow', {
    'nginx.ingress.kubernetes.io/proxy-read-timeout': '1',
    'nginx.ingress.kubernetes.io/proxy-body-size': '1k',
  });
  // Let the controller see the Ingresses.
  await new Promise((r) => setImmediate(r));
});

afterAll(async () => {
  controller?.stop();
  await controller?.close();
  ctx?.clock.stop();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
});

describe('proxying', () => {
  it('forwards with the headers ingress-nginx sets, and hides the upstream Server header', async () => {
    const reply = await send('app.example', {
      path: '/x?y=1',
      headers: { 'x-forwarded-for': '203.0.113.7', proxy: 'http://evil' },
    });
    expect(reply).toMatchObject({ status: 200, body: 'ok GET /x?y=1' });
    expect(reply.headers.server).toBeUndefined();
    const h = seen.at(-1) ?? {};
    expect(h.host).toBe('app.example');
    expect(h['x-forwarded-host']).toBe('app.example');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-port']).toBe('80');
    expect(h['x-original-forwarded-for']).toBe('203.0.113.7');
    expect(h['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(h.proxy).toBeUndefined();
  });

  it('an upstream that refuses connections: three tries, then 502 Bad Gateway', async () => {
    const reply = await send('refusing.example');
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('<title>502 Bad Gateway</title>');
  });

  it('a read timeout (proxy-read-timeout 1s) and a dropped connect (proxy-connect-timeout 1s): 504', async () => {
    const started = Date.now();
    expect((await send('slow.example', { path: '/slow' })).status).toBe(504);
    const dropped = await send('blackhole.example');
    expect(dropped.status).toBe(504);
    expect(dropped.body).toContain('504 Gateway Time-out');
    // 3 tries × 1 s simulated, twice, at scale 10: about 0.6 s of wall time.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a body over proxy-body-size: 413 without reaching the upstream', async () => {
    const before = seen.length;
    const reply = await send('slow.example', { method: 'POST', body: 'x'.repeat(2048) });
    expect(reply.status).toBe(413);
    expect(seen.length).toBe(before);
    expect((await send('slow.example', { method: 'POST', body: 'small' })).status).toBe(200);
  });

  it('writes the listener address (with its ports) into the status of the Ingresses it serves', () => {
    const ing = ctx.registry.get(INGRESSES, 'default', 'app') as unknown as Ingress;
    const { http, https } = controller.address();
    expect(ing.status?.loadBalancer?.ingress).toEqual([
      {
        ip: '127.0.0.1',
        ports: [
          { port: http.port, protocol: 'TCP' },
          { port: https.port, protocol: 'TCP' },
        ],
      },
    ]);
    expect(controller.stats().byStatus).toMatchObject({ '200': expect.any(Number), '502': 1, '413': 1 });
  });
});
