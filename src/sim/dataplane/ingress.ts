/**
 * A minimal Ingress controller, modelled on ingress-nginx as kind runs it: real HTTP and HTTPS
 * listeners on the control-plane node's address (ports 80/443, else 127.0.0.1 with ephemeral
 * ports), routing by host and path to Service ports (ingress/routes.ts), TLS certificates read
 * from the Ingresses' Secrets at every handshake (ingress/certificates.ts), and the proxy with
 * ingress-nginx's headers, timeouts, retries and error pages (ingress/proxy.ts, pages.ts).
 *
 * It serves the Ingresses of its IngressClass `scars-sim` (controller `scars.dev/sim-ingress`,
 * created at start and marked default; ingress/classes.ts) and writes their
 * status.loadBalancer.ingress: the listeners' address, with the ports when they are not 80/443.
 * Pods reach it like kind's hostPorts: the node's InternalIP on 80/443 is routed to the listeners.
 */
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Ingress, IngressLoadBalancerIngress } from 'kubernetes-types/networking/v1.js';
import type { SimContext } from '../context.ts';
import { ignoreGone, subscribe } from '../controllers/controller.ts';
import type { EventSource } from '../controllers/events.ts';
import type { WatchEventType, StoreEvent } from '../store/object-store.ts';
import { resourceAt, type ResourceType } from '../kinds/registry.ts';
import { type KubeObject, semanticEqual } from '../object.ts';
import { DEFAULT_PROXY_SETTINGS, proxySettings, type ProxySettings } from './ingress/annotations.ts';
import { CertificateStore, type CertificateCounts, createFakeCertificate } from './ingress/certificates.ts';
import { ensureIngressClass, INGRESS_CLASSES, IngressClassFilter } from './ingress/classes.ts';
import { bindListeners, type BoundListeners, closeQuietly } from './ingress/listeners.ts';
import { sendStatusPage } from './ingress/pages.ts';
import { CLIENT_CLOSED, UpstreamProxy } from './ingress/proxy.ts';
import { normalizeHost, RouteTable } from './ingress/routes.ts';
import type { DataPlanePart, HostAddress } from './part.ts';
import type { Destination, Route } from './pod-network.ts';

const INGRESSES = resourceAt('networking.k8s.io/v1', 'ingresses') as ResourceType;
const MANAGER = 'scars-sim-ingress-controller';
const SOURCE: EventSource = { component: 'scars-sim-ingress-controller' };
const MAX_LOG_LINES = 200;

export interface IngressControllerOptions {
  /** The address to listen on first (default: the first node's InternalIP, the control plane). */
  nodeIP?: string;
  /** Ports to listen on there (default 80 and 443, kind's hostPorts; 0: any free port). */
  ports?: { http: number; https: number };
  /** Proxy defaults (ingress-nginx's ConfigMap defaults unless given); annotations override them per Ingress. */
  proxy?: Partial<ProxySettings>;
}

export interface IngressStats {
  /** Requests answered, by status (499: the client went away first). */
  requests: number;
  byStatus: Record<string, number>;
  certificates: CertificateCounts;
}

interface Routing {
  table: RouteTable;
  filter: IngressClassFilter;
}

export class IngressController implements DataPlanePart {
  readonly name = 'ingress-controller';
  private readonly defaults: ProxySettings;
  private readonly proxy: UpstreamProxy;
  private readonly recent: string[] = [];
  private readonly byStatus = new Map<number, number>();
  private requests = 0;
  private routing: Routing | undefined;
  private unsubscribe: (() => void)[] = [];
  private removeStage: (() => void) | undefined;
  private opening: Promise<void> | undefined;
  private bound: BoundListeners | undefined;
  private certificates: CertificateStore | undefined;
  private http: HttpServer | undefined;
  private https: HttpsServer | undefined;
  private stopped = false;

  constructor(
    readonly ctx: SimContext,
    private readonly options: IngressControllerOptions = {},
  ) {
    this.defaults = { ...DEFAULT_PROXY_SETTINGS, ...options.proxy };
    this.proxy = new UpstreamProxy({
      registry: ctx.registry,
      network: ctx.network,
      clock: ctx.clock,
      log: (line) => this.log(line),
    });
  }

  /** The control-plane node's InternalIP, where kind's ingress-nginx has its hostPorts. */
  get nodeIP(): string | undefined {
    return this.options.nodeIP ?? this.ctx.topology.nodes[0]?.internalIP;
  }

  start(): void {
    if (this.opening) return;
    this.stopped = false;
    const { registry } = this.ctx;
    ensureIngressClass(registry, MANAGER);
    this.unsubscribe = [
      subscribe(registry, INGRESSES, (type, event) => this.onIngress(type, event)),
      subscribe(registry, INGRESS_CLASSES, () => this.onClasses()),
    ];
    this.removeStage = this.ctx.network.use({ deliver: (dest) => this.deliver(dest) });
    this.opening = this.open();
    // ready() reports a failure; keep it from being an unhandled rejection meanwhile.
    this.opening.catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.removeStage?.();
    this.removeStage = undefined;
  }

  ready(): Promise<void> {
    return this.opening ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.opening?.catch(() => undefined);
    this.proxy.close();
    await Promise.all([this.http, this.https].map((s) => (s ? closeQuietly(s) : undefined)));
  }

  /** Where the listeners are (real addresses on this machine); throws before ready(). */
  address(): { http: HostAddress; https: HostAddress } {
    if (!this.bound) throw new Error('ingress controller: the listeners are not open yet (await ready())');
    return { http: { ...this.bound.http }, https: { ...this.bound.https } };
  }

  stats(): IngressStats {
    return {
      requests: this.requests,
      byStatus: Object.fromEntries([...this.byStatus].map(([k, v]) => [String(k), v])),
      certificates: this.certificates?.stats() ?? { fromSecret: 0, fallback: 0 },
    };
  }

  /** The controller's recent log lines (listener fallbacks, unusable Secrets, upstream errors). */
  logLines(): string[] {
    return [...this.recent];
  }

  private log(line: string): void {
    this.recent.push(`${this.ctx.clock.timestamp()} ${line}`);
    if (this.recent.length > MAX_LOG_LINES) this.recent.splice(0, this.recent.length - MAX_LOG_LINES);
  }

  private async open(): Promise<void> {
    const fake = await createFakeCertificate();
    const certificates = new CertificateStore(this.ctx.registry, fake, (line) => this.log(line));
    this.certificates = certificates;
    this.http = createServer((req, res) => void this.handle(req, res, 'http'));
    this.https = createHttpsServer(
      {
        cert: fake.certPem,
        key: fake.keyPem,
        SNICallback: (servername, cb) => cb(null, this.contextFor(servername)),
      },
      (req, res) => void this.handle(req, res, 'https'),
    );
    // A client that gives up mid-handshake (or rejects our certificate) is not the server's error.
    this.https.on('tlsClientError', () => undefined);
    this.bound = await bindListeners(this.http, this.https, this.nodeIP, this.options.ports);
    if (this.bound.fallbackReason)
      this.log(
        `cannot listen on ${this.nodeIP ?? 'the node'}:${this.options.ports?.http ?? 80}/${this.options.ports?.https ?? 443} (${this.bound.fallbackReason}); listening on ${this.bound.http.host}:${this.bound.http.port} (HTTP) and :${this.bound.https.port} (HTTPS) instead`,
      );
    if (this.stopped) return;
    for (const ing of this.ctx.registry.list(INGRESSES, {}).items) this.syncStatus(ing);
  }

  private contextFor(servername: string): SecureContext | undefined {
    try {
      return this.certificates?.contextFor(servername, this.routes().table);
    } catch (err) {
      this.log(`TLS handshake for ${servername}: ${err instanceof Error ? err.message : String(err)}`);
      return this.certificates?.fallback;
    }
  }

  /** The routing table, rebuilt after any Ingress or IngressClass change. */
  private routes(): Routing {
    if (this.routing) return this.routing;
    const filter = IngressClassFilter.fromRegistry(this.ctx.registry);
    const ours = (this.ctx.registry.list(INGRESSES, {}).items as Ingress[]).filter((i) => filter.serves(i));
    this.routing = { table: new RouteTable(ours), filter };
    return this.routing;
  }

  private onIngress(type: WatchEventType, event: StoreEvent): void {
    this.routing = undefined;
    if (type === 'DELETED' || this.stopped) return;
    const ing = event.object as KubeObject & Ingress;
    if (!this.routes().filter.serves(ing)) {
      this.syncStatus(ing);
      return;
    }
    const changed = type === 'ADDED' || event.previous?.metadata.generation !== ing.metadata.generation;
    if (changed) this.ctx.events.record(SOURCE, ing, 'Normal', 'Sync', 'Scheduled for sync');
    this.syncStatus(ing);
  }

  private onClasses(): void {
    this.routing = undefined;
    if (this.stopped) return;
    for (const ing of this.ctx.registry.list(INGRESSES, {}).items) this.syncStatus(ing);
  }

  /** What kind + ingress-nginx would report: the node address (ports only when not 80/443). */
  private loadBalancer(): IngressLoadBalancerIngress[] | undefined {
    const b = this.bound;
    if (!b) return undefined;
    const entry: IngressLoadBalancerIngress = { ip: b.http.host };
    if (b.http.port !== 80 || b.https.port !== 443)
      entry.ports = [
        { port: b.http.port, protocol: 'TCP' },
        { port: b.https.port, protocol: 'TCP' },
      ];
    return [entry];
  }

  /** Writes our address into an Ingress we serve; takes it back from one we no longer serve. */
  private syncStatus(obj: KubeObject): void {
    const desired = this.loadBalancer();
    if (!desired) return;
    const ing = obj as KubeObject & Ingress;
    const current = ing.status?.loadBalancer?.ingress ?? [];
    const ours = this.routes().filter.serves(ing);
    let next: IngressLoadBalancerIngress[];
    if (ours) {
      if (semanticEqual(current, desired)) return;
      next = desired;
    } else {
      if (current.length === 0 || !semanticEqual(current, desired)) return;
      next = [];
    }
    const { registry } = this.ctx;
    const ns = ing.metadata.namespace;
    const name = ing.metadata.name ?? '';
    ignoreGone(() => {
      const live = registry.get(INGRESSES, ns, name);
      const updated = structuredClone(live) as KubeObject & Ingress;
      updated.status = { loadBalancer: next.length > 0 ? { ingress: next } : {} };
      registry.replace(INGRESSES, live, updated, { subresource: 'status', manager: MANAGER });
    });
  }

  /** kind's hostPorts: pods (and nodes) connecting to the node's address on 80/443 reach the listeners. */
  private deliver(dest: Destination): Route | undefined {
    const b = this.bound;
    if (!b || dest.transport !== 'tcp' || dest.ip !== this.nodeIP) return undefined;
    const nominal = { http: this.options.ports?.http ?? 80, https: this.options.ports?.https ?? 443 };
    const actual = dest.port === nominal.http ? b.http : dest.port === nominal.https ? b.https : undefined;
    if (!actual) return undefined;
    return {
      kind: 'real',
      address: actual.host,
      port: actual.port,
      mapped: actual.host !== dest.ip || actual.port !== dest.port,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https'): Promise<void> {
    let status: number;
    try {
      status = await this.answer(req, res, scheme);
    } catch (err) {
      this.log(`${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      sendStatusPage(res, 502);
      status = 502;
    }
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  private async answer(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https'): Promise<number> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const match = this.routes().table.match(req.headers.host, path);
    if (match.kind === 'none') {
      sendStatusPage(res, 404);
      return 404;
    }
    const settings = proxySettings(match.ingress, this.defaults);
    if (scheme === 'http' && match.server?.tls && settings.sslRedirect) {
      const httpsPort = this.bound?.https.port ?? 443;
      const host = normalizeHost(req.headers.host);
      const location = `https://${host.includes(':') ? `[${host}]` : host}${httpsPort === 443 ? '' : `:${httpsPort}`}${url}`;
      sendStatusPage(res, 308, { location });
      return 308;
    }
    const body = await readBody(req, settings.maxBodyBytes);
    if (body === 'too-large') {
      sendStatusPage(res, 413, {}, true);
      return 413;
    }
    if (body === 'gone') return CLIENT_CLOSED;
    return this.proxy.forward({ req, res, body, target: match, scheme, settings });
  }
}

/** The request body, buffered like proxy-request-buffering, up to proxy-body-size (0: no limit). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'gone'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (limit > 0 && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (limit > 0 && size > limit) {
        done = true;
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.once('close', () => {
      if (done) return;
      done = true;
      resolve(req.complete ? Buffer.concat(chunks) : 'gone');
    });
    req.once('error', () => {
      if (done) return;
      done = true;
      resolve('gone');
    });
  });
}
