/**
 * The Ingress controller's proxy: one routed request to its backend Service, the way ingress-nginx
 * passes it upstream.
 *
 * - The backend is a Service port (by number or name). A Service that does not exist, has no such
 *   port, has no ready endpoint (its EndpointSlices, as ingress-nginx reads them), or cannot be
 *   reached through a ClusterIP (headless, ExternalName) gets 503 Service Temporarily Unavailable,
 *   as an upstream without endpoints does in ingress-nginx.
 * - The connection goes to the Service's ClusterIP and port through the sim network, whose
 *   kube-proxy stage picks an endpoint (ingress-nginx balances over the endpoints itself; the
 *   spread is kube-proxy's here). The request is forwarded with node:http over a keep-alive pool,
 *   as ingress-nginx keeps upstream connections alive.
 * - Errors and timeouts are retried like `proxy_next_upstream error timeout` with 3 tries:
 *   connection failures always, failures after the request was sent only for idempotent methods.
 *   After the last try: 504 Gateway Time-out for a timeout, else 502 Bad Gateway. A dropped
 *   connection (no route, a NetworkPolicy) times out after proxy-connect-timeout, on the sim clock.
 * - Headers as ingress-nginx sets them (use-forwarded-headers off): Host and X-Forwarded-Host
 *   are the client's Host, X-Forwarded-For and X-Real-IP the client address (a client's own
 *   X-Forwarded-For moves to X-Original-Forwarded-For), X-Forwarded-Proto/X-Scheme the scheme,
 *   X-Forwarded-Port 80 or 443, X-Request-ID the client's or a fresh one; hop-by-hop headers and
 *   the httpoxy `Proxy` header are dropped. The request body is buffered (proxy-request-buffering)
 *   up to proxy-body-size; the response is streamed.
 */
import { randomBytes } from 'node:crypto';
import { Agent, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Registry } from '../../api/rest/registry.ts';
import type { SimClock } from '../../clock.ts';
import { ENDPOINT_SLICES, SERVICES } from '../../kinds/resources.ts';
import type { KubeObject } from '../../object.ts';
import { labelSelectorFromSet } from '../../store/selectors.ts';
import type { NetworkSource, Route, SimNetwork } from '../pod-network.ts';
import type { ProxySettings } from './annotations.ts';
import { sendStatusPage } from './pages.ts';
import type { RoutedBackend } from './routes.ts';

/** Connections the controller makes come from the machine, not from a pod. */
const INGRESS_SOURCE: NetworkSource = { kind: 'host', ip: '127.0.0.1', log() {} };

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Headers the proxy sets itself (and the client's `Proxy`, dropped against httpoxy). */
const REPLACED = new Set([
  'host',
  'content-length',
  'proxy',
  'x-request-id',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-scheme',
  'x-original-forwarded-for',
]);
/** nginx hides the upstream's Server and Date and writes its own Date (ingress-nginx clears Server). */
const HIDDEN_RESPONSE = new Set(['server', 'date']);
/** Methods nginx retries after the request was sent (non_idempotent is off). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
/** Methods sent without a Content-Length when the client sent no body. */
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export interface ForwardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  target: RoutedBackend;
  scheme: 'http' | 'https';
  settings: ProxySettings;
}

interface Upstream {
  namespace: string;
  service: string;
  clusterIP: string;
  port: number;
}

type Attempt =
  { kind: 'response'; status: number } | { kind: 'failed'; timeout: boolean; retry: boolean; detail: string };

class UpstreamTimeout extends Error {}

export interface ProxyDeps {
  registry: Registry;
  network: SimNetwork;
  clock: SimClock;
  log(line: string): void;
}

/** nginx's status for a request whose client went away before the response. */
export const CLIENT_CLOSED = 499;

export class UpstreamProxy {
  private readonly agent = new Agent({ keepAlive: true });
  private readonly closing = new AbortController();

  constructor(private readonly deps: ProxyDeps) {}

  /** Forwards one request; resolves with the status the client got once the response is done. */
  async forward(f: ForwardRequest): Promise<number> {
    const upstream = this.resolve(f.target);
    if (typeof upstream === 'string') {
      this.deps.log(`${f.req.method} ${f.req.url}: ${upstream}: 503`);
      sendStatusPage(f.res, 503);
      return 503;
    }
    let lastTimedOut = false;
    let lastDetail = '';
    for (let attempt = 0; attempt < f.settings.tries; attempt++) {
      if (this.closing.signal.aborted || f.res.destroyed) return CLIENT_CLOSED;
      const route = this.deps.network.route(upstream.clusterIP, upstream.port, 'tcp', INGRESS_SOURCE);
      const result = await this.attempt(route, f, upstream);
      if (result.kind === 'response') return result.status;
      lastTimedOut = result.timeout;
      lastDetail = result.detail;
      if (!result.retry) break;
    }
    if (f.res.destroyed) return CLIENT_CLOSED;
    const status = lastTimedOut ? 504 : 502;
    this.deps.log(
      `${f.req.method} ${f.req.url}: upstream ${upstream.namespace}/${upstream.service}:${upstream.port}: ${lastDetail}: ${status}`,
    );
    sendStatusPage(f.res, status);
    return status;
  }

  /** Cuts upstream connections and ends pending waits. */
  close(): void {
    this.closing.abort(new Error('ingress controller stopped'));
    this.agent.destroy();
  }

  private resolve(target: RoutedBackend): Upstream | string {
    const ref = target.backend.service;
    if (!ref) return 'resource backends are not supported';
    const namespace = target.ingress.metadata?.namespace ?? 'default';
    const svc = this.deps.registry.find(SERVICES, namespace, ref.name) as Service | undefined;
    if (!svc) return `service ${namespace}/${ref.name} does not exist`;
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName')
      return `service ${namespace}/${ref.name} is ExternalName (not supported)`;
    if (!spec.clusterIP || spec.clusterIP === 'None')
      return `service ${namespace}/${ref.name} has no ClusterIP (headless services are not supported)`;
    const wanted = ref.port?.number ?? ref.port?.name;
    const port = (spec.ports ?? []).find((p) =>
      ref.port?.number !== undefined ? p.port === ref.port.number : p.name === ref.port?.name,
    );
    if (!port) return `service ${namespace}/${ref.name} has no port ${String(wanted)}`;
    if (!this.hasReadyEndpoints(namespace, ref.name))
      return `service ${namespace}/${ref.name} does not have any active endpoints`;
    return { namespace, service: ref.name, clusterIP: spec.clusterIP, port: port.port };
  }

  private hasReadyEndpoints(namespace: string, service: string): boolean {
    const slices = this.deps.registry.list(ENDPOINT_SLICES, {
      namespace,
      labels: labelSelectorFromSet({ 'kubernetes.io/service-name': service }),
    }).items as (KubeObject & EndpointSlice)[];
    return slices.some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready !== false));
  }

  private async attempt(route: Route, f: ForwardRequest, upstream: Upstream): Promise<Attempt> {
    const where = `${upstream.clusterIP}:${upstream.port}`;
    if (route.kind === 'dropped') {
      // Nothing answers the SYN: the connect timeout runs out, on the sim clock.
      try {
        await this.deps.clock.sleep(f.settings.connectTimeoutMs, this.closing.signal);
      } catch {
        return { kind: 'failed', timeout: true, retry: false, detail: 'controller stopped' };
      }
      return { kind: 'failed', timeout: true, retry: true, detail: `connect to ${where} timed out` };
    }
    if (route.kind === 'refused')
      return { kind: 'failed', timeout: false, retry: true, detail: `connect to ${where} refused` };
    if (route.kind !== 'real')
      return { kind: 'failed', timeout: false, retry: false, detail: `${where} does not speak HTTP` };
    return this.send(route, f);
  }

  private send(route: Extract<Route, { kind: 'real' }>, f: ForwardRequest): Promise<Attempt> {
    const { req, res, body, settings } = f;
    const method = req.method ?? 'GET';
    const wallTimeout = Math.max(1, Math.ceil(this.deps.clock.toWall(settings.readTimeoutMs)));
    return new Promise<Attempt>((resolve) => {
      let responded = false;
      const up = httpRequest({
        host: route.address,
        port: route.port,
        method,
        path: req.url ?? '/',
        headers: upstreamHeaders(req, body, f.scheme),
        agent: this.agent,
      });
      const onClientGone = () => {
        if (!res.writableFinished) up.destroy();
      };
      res.once('close', onClientGone);
      up.setTimeout(wallTimeout, () => up.destroy(new UpstreamTimeout('upstream timed out')));
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (responded) {
          // Mid-response: nginx can only cut the client's connection.
          res.destroy();
          return;
        }
        res.off('close', onClientGone);
        const timeout = err instanceof UpstreamTimeout;
        const connectFailed = err.code !== undefined && CONNECT_FAILURES.has(err.code);
        resolve({
          kind: 'failed',
          timeout,
          retry: !res.destroyed && (connectFailed || IDEMPOTENT.has(method)),
          detail: timeout
            ? `upstream timed out (${settings.readTimeoutMs / 1000}s) while reading response header`
            : `${err.code ?? 'error'}: ${err.message}`,
        });
      });
      up.on('response', (upRes) => {
        responded = true;
        const status = upRes.statusCode ?? 502;
        res.writeHead(status, upRes.statusMessage, responseHeaders(upRes.rawHeaders));
        pipeline(upRes, res, (err) => {
          res.off('close', onClientGone);
          if (err) up.destroy();
          resolve({ kind: 'response', status: err && !res.writableFinished ? CLIENT_CLOSED : status });
        });
      });
      up.end(body.length > 0 ? body : undefined);
    });
  }
}

function upstreamHeaders(req: IncomingMessage, body: Buffer, scheme: 'http' | 'https'): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || REPLACED.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  const host = req.headers.host ?? '';
  const client = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  const requestId = headerValue(req, 'x-request-id') ?? randomBytes(16).toString('hex');
  const originalFor = headerValue(req, 'x-forwarded-for');
  out.push(
    'Host',
    host,
    'X-Request-ID',
    requestId,
    'X-Real-IP',
    client,
    'X-Forwarded-For',
    client,
    'X-Forwarded-Host',
    host,
    'X-Forwarded-Port',
    scheme === 'https' ? '443' : '80',
    'X-Forwarded-Proto',
    scheme,
    'X-Forwarded-Scheme',
    scheme,
    'X-Scheme',
    scheme,
    'Connection',
    'keep-alive',
  );
  if (originalFor !== undefined) out.push('X-Original-Forwarded-For', originalFor);
  if (body.length > 0 || !BODYLESS.has(req.method ?? 'GET')) out.push('Content-Length', String(body.length));
  return out;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function responseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(lower) || HIDDEN_RESPONSE.has(lower)) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}
