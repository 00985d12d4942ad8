/**
 * The sim's data plane as containers see it (for now: pods' own servers and the rest of loopback).
 *
 * Pod and node IPs are real loopback addresses (pods 127.64.0.0/10, nodes 127.18.0.0/16), so a
 * pod's server is a real socket bound to its pod IP and port, and real clients (the prober, other
 * pods, the test process) reach it there. Where the bind is refused (another sim on this machine
 * holds the same pod IP and port, or a platform without 127.x aliases such as macOS), the server
 * listens on 127.0.0.1 with an ephemeral port instead and the sim routes `podIP:port` there.
 *
 * Every connection a sim container or the kubelet's prober makes is routed here:
 * - to the sim's own address space (pod and node IPs): through the listener table of this sim —
 *   a listener there gets the connection, anything else is refused without sending anything (so
 *   two sims on one machine never reach each other's pods);
 * - to any other loopback address (a test's server on 127.0.0.1): real;
 * - to anything else (ClusterIPs in 10.96.0.0/12, the metadata address 169.254.169.254, the
 *   internet) and to names other than `localhost`: nothing is sent. The packets are modelled as
 *   dropped (no route, blackholed): the caller's timeout expires on the sim clock (ETIMEDOUT).
 *   Services, cluster DNS, NetworkPolicy and a fake IMDS take over parts of this later; `route`
 *   is the one place that decides.
 *
 * Real operations get the caller's timeout converted to wall time (the sim clock may run faster),
 * HTTP requests and TCP connects as a deadline that does not charge an event-loop stall to the
 * server (clock-io.ts), and a real timeout is reported with the caller's simulated milliseconds,
 * like the real host's.
 */
import { BlockList, isIP, connect as tcpConnectSocket } from 'node:net';
import type {
  DnsExchangeOptions,
  Endpoint,
  HostNetwork,
  HttpRequest,
  HttpResponse,
  Listener,
  ListenOptions,
  RequestHandler,
  TlsConnectOptions,
  TlsPeer,
} from '../../agent/host.ts';
import { HostNetworkError } from '../../agent/host.ts';
import { isLoopbackAddress, loopbackOnly } from '../../agent/host/loopback-guard.ts';
import { timeoutError, toHostNetworkError } from '../../agent/host/net-errors.ts';
import { dnsExchange } from '../../agent/host/real-dns.ts';
import { httpRequestOnce, listenHttp, type RealListener, tlsHandshake } from '../../agent/host/real-http.ts';
import type { SimClock } from '../clock.ts';
import { withIoDeadline } from '../clock-io.ts';

/** Node InternalIPs (kind's 172.18.0.0/16, moved into loopback). */
export const SIM_NODE_NETWORK = { address: '127.18.0.0', prefix: 16 } as const;
/** Pod CIDRs, a /24 per node. */
export const SIM_POD_NETWORK = { address: '127.64.0.0', prefix: 10 } as const;

const simOwned = new BlockList();
simOwned.addSubnet(SIM_NODE_NETWORK.address, SIM_NODE_NETWORK.prefix, 'ipv4');
simOwned.addSubnet(SIM_POD_NETWORK.address, SIM_POD_NETWORK.prefix, 'ipv4');

const unmapped = (address: string): string =>
  address.replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** An address of the sim's own pods and nodes (whatever sim, on this machine). */
export function isSimAddress(address: string): boolean {
  const ip = unmapped(address);
  return isIP(ip) === 4 && simOwned.check(ip, 'ipv4');
}

/** Where a connection goes. */
export type Route =
  | { kind: 'real'; address: string; port: number; mapped: boolean }
  /** Nothing listens at this sim address: refused at once (a RST, an ICMP port unreachable). */
  | { kind: 'refused' }
  /** No route, or a policy drops it: nothing is sent; the caller times out. */
  | { kind: 'dropped' }
  /**
   * Answered in-process (the cluster DNS, a node's DNS cache): `exchange` returns the reply, or
   * undefined when the server drops the query (the caller then times out).
   */
  | { kind: 'dns'; exchange(query: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> };

/** A destination as the data plane sees it. */
export interface Destination {
  ip: string;
  port: number;
  transport: 'tcp' | 'udp';
}

/**
 * One stage of the data plane, in the order a packet meets them on a node:
 * - `intercept`: answered on the node before any NAT (NodeLocal DNSCache binds the kube-dns IP on
 *   every node it runs on);
 * - `translate`: kube-proxy's DNAT, a Service's ClusterIP:port to one ready endpoint's
 *   podIP:targetPort (`refused` when the Service has no endpoints, as kube-proxy's REJECT rule);
 * - `admit`: NetworkPolicy, on the translated destination (false: dropped);
 * - `deliver`: something in-process at that address (a CoreDNS pod's DNS server, the fake
 *   metadata service at 169.254.169.254).
 * Anything no stage claims goes to the listener table, real loopback, or nowhere.
 */
export interface RoutingStage {
  intercept?(dest: Destination, source: NetworkSource): Route | undefined;
  translate?(dest: Destination, source: NetworkSource): Destination | 'refused' | 'dropped' | undefined;
  admit?(dest: Destination, source: NetworkSource, original: Destination): boolean;
  deliver?(dest: Destination, source: NetworkSource): Route | undefined;
}

export interface SimNetworkStats {
  /** Listeners open now. */
  listeners: number;
  /** Listeners that could not bind their pod IP and sit on 127.0.0.1 instead. */
  fallbacks: number;
  /** Requests, handshakes, DNS exchanges and probes sent over real sockets (all to loopback). */
  real: number;
  /** Connections to a sim address nobody listens on. */
  refused: number;
  /** Sends to unrouted destinations, or dropped by a policy: nothing left the process. */
  dropped: number;
  /** DNS queries answered in-process (cluster DNS, node caches). */
  answered: number;
}

interface TableEntry {
  /** What the pod asked for: its IP and port. */
  podIP: string;
  port: number;
  /** Where the socket really is. */
  actual: { address: string; port: number };
  owner: NetworkAttachment;
}

/** Who is connecting: a pod (its containers), a node (the kubelet's prober), or the machine outside the sim. */
export interface NetworkSource {
  kind: 'pod' | 'node' | 'host';
  /** The pod IP (the node IP for hostNetwork pods and for the node itself). */
  ip: string;
  /** The node the source runs on (absent for the host). */
  nodeName?: string;
  /** The pod, for NetworkPolicy's selectors. */
  pod?: { namespace: string; name: string };
  /** Writes one line where the owner's output goes (the container log for pods). */
  log(line: string): void;
}

/** The data plane of one sim cluster: its listener table and its routing. */
export class SimNetwork {
  private readonly table = new Map<string, TableEntry>();
  private readonly attachments = new Set<NetworkAttachment>();
  private readonly realDestinations = new Set<string>();
  private readonly droppedDestinations = new Set<string>();
  private closing: Promise<void> | undefined;
  private readonly counters = { fallbacks: 0, real: 0, refused: 0, dropped: 0, answered: 0 };
  private readonly stages: RoutingStage[] = [];
  /** The real clients, behind the loopback guard: nothing else can ever be reached (servers: `bind`). */
  readonly real: HostNetwork = loopbackOnly({
    dnsExchange,
    http: httpRequestOnce,
    tlsConnect: tlsHandshake,
    listen: listenHttp,
  });

  constructor(readonly clock: SimClock) {}

  /** A real server on a loopback address (a pod IP, or 127.0.0.1), which a kill can reset. */
  bind(options: ListenOptions, handler: RequestHandler): Promise<RealListener> {
    const address = options.address ?? '';
    if (!isLoopbackAddress(address))
      return Promise.reject(new HostNetworkError('EACCES', `sim network: refusing to listen on ${address}`));
    return listenHttp(options, handler);
  }

  /** The network as one container process (or a prober) sees it; close it when the process ends. */
  attach(source: NetworkSource): NetworkAttachment {
    const attachment = new NetworkAttachment(this, source);
    if (this.closing) attachment.closeNow();
    else this.attachments.add(attachment);
    return attachment;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Adds a stage of the data plane (Services, DNS, NetworkPolicy, …); returns its removal. */
  use(stage: RoutingStage): () => void {
    this.stages.push(stage);
    return () => {
      const i = this.stages.indexOf(stage);
      if (i >= 0) this.stages.splice(i, 1);
    };
  }

  /** Decides where a connection (or a UDP datagram) goes, and counts it. */
  route(address: string, port: number, transport: 'tcp' | 'udp', source: NetworkSource): Route {
    const route = this.decide(unmapped(address), port, transport, source);
    if (route.kind === 'real') {
      this.counters.real++;
      this.realDestinations.add(route.address);
    } else if (route.kind === 'refused') this.counters.refused++;
    else if (route.kind === 'dns') this.counters.answered++;
    else {
      this.counters.dropped++;
      this.droppedDestinations.add(unmapped(address));
    }
    return route;
  }

  private decide(ip: string, port: number, transport: 'tcp' | 'udp', source: NetworkSource): Route {
    if (isIP(ip) === 0)
      return ip === 'localhost'
        ? { kind: 'real', address: '127.0.0.1', port, mapped: false }
        : { kind: 'dropped' };
    const original: Destination = { ip, port, transport };
    for (const stage of this.stages) {
      const intercepted = stage.intercept?.(original, source);
      if (intercepted) return intercepted;
    }
    let dest = original;
    for (const stage of this.stages) {
      const translated = stage.translate?.(original, source);
      if (translated === 'refused') return { kind: 'refused' };
      if (translated === 'dropped') return { kind: 'dropped' };
      if (translated) {
        dest = translated;
        break;
      }
    }
    for (const stage of this.stages)
      if (stage.admit && !stage.admit(dest, source, original)) return { kind: 'dropped' };
    for (const stage of this.stages) {
      const delivered = stage.deliver?.(dest, source);
      if (delivered) return delivered;
    }
    const route = this.lookup(dest);
    // After a translation (DNAT) the socket is never where the client aimed: callers must rewrite.
    return route.kind === 'real' && dest !== original ? { ...route, mapped: true } : route;
  }

  /** The listener table for the sim's own addresses, real loopback for the rest of 127/8, else nothing. */
  private lookup({ ip, port, transport }: Destination): Route {
    if (isSimAddress(ip)) {
      // The table holds TCP listeners only: no sim address serves UDP by itself.
      const entry = transport === 'tcp' ? this.table.get(`${ip}:${port}`) : undefined;
      return entry
        ? {
            kind: 'real',
            address: entry.actual.address,
            port: entry.actual.port,
            mapped: entry.actual.address !== ip || entry.actual.port !== port,
          }
        : { kind: 'refused' };
    }
    if (isLoopbackAddress(ip)) return { kind: 'real', address: ip, port, mapped: false };
    return { kind: 'dropped' };
  }

  stats(): SimNetworkStats {
    return { listeners: this.table.size, ...this.counters };
  }

  /** Addresses real traffic went to (all loopback) and addresses whose traffic was dropped. */
  destinations(): { real: string[]; dropped: string[] } {
    return { real: [...this.realDestinations], dropped: [...this.droppedDestinations] };
  }

  /** Who listens where: `podIP:port` → the real address. */
  listeners(): { podIP: string; port: number; actual: string }[] {
    return [...this.table.values()].map((e) => ({
      podIP: e.podIP,
      port: e.port,
      actual: `${e.actual.address}:${e.actual.port}`,
    }));
  }

  /** Closes every listener (the cluster stops); later attachments are closed from the start. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.attachments].map((a) => a.close())).then(() => {
      this.attachments.clear();
    });
    return this.closing;
  }

  // Used by attachments.

  /** @internal */
  claim(entry: TableEntry): boolean {
    const key = `${entry.podIP}:${entry.port}`;
    if (this.table.has(key)) return false;
    this.table.set(key, entry);
    return true;
  }

  /** @internal */
  isClaimed(podIP: string, port: number): boolean {
    return this.table.has(`${podIP}:${port}`);
  }

  /** @internal */
  unclaim(entry: TableEntry): void {
    const key = `${entry.podIP}:${entry.port}`;
    if (this.table.get(key) === entry) this.table.delete(key);
  }

  /** @internal */
  fellBack(): void {
    this.counters.fallbacks++;
  }

  /** @internal */
  detach(attachment: NetworkAttachment): void {
    this.attachments.delete(attachment);
  }
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost']);

/** Errors a listener falls back from: the pod IP is not ours to bind on this machine. */
const cannotBind = (err: unknown): boolean =>
  err instanceof HostNetworkError && (err.code === 'EADDRINUSE' || err.detail === 'EADDRNOTAVAIL');

interface Held {
  entry: TableEntry;
  listener: RealListener;
}

/** One process's (or prober's) view of the sim network; `HostNetwork` for SimHost. */
export class NetworkAttachment implements HostNetwork {
  private readonly entries = new Set<Held>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly source: NetworkSource,
  ) {}

  private get clock(): SimClock {
    return this.network.clock;
  }

  /** Wall milliseconds for a timeout given in simulated milliseconds. */
  private wall(ms: number): number {
    return Math.max(1, Math.ceil(this.clock.toWall(ms)));
  }

  /** No route: the caller hears nothing until its timeout, on the sim clock. */
  private dropped<T>(what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((_, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        reject(timeoutError(what, timeoutMs));
      }, timeoutMs);
      this.timers.add(timer);
    });
  }

  /**
   * A DNS query answered in-process: the reply when the server gives one within the caller's
   * timeout (sim clock), else the timeout, as for a lost datagram.
   */
  private answered(
    what: string,
    route: Extract<Route, { kind: 'dns' }>,
    query: Uint8Array,
    options: DnsExchangeOptions,
  ): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        if (settled) return;
        settled = true;
        reject(timeoutError(what, options.timeoutMs));
      }, options.timeoutMs);
      this.timers.add(timer);
      route.exchange(query, options.transport).then(
        (reply) => {
          if (settled || reply === undefined) return; // dropped: the timer answers
          settled = true;
          this.clock.clearTimeout(timer);
          this.timers.delete(timer);
          resolve(reply);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimeout(timer);
          this.timers.delete(timer);
          reject(toHostNetworkError(err, what));
        },
      );
    });
  }

  /**
   * Runs a real operation with the timeout in wall time and puts the caller's view back in its
   * errors: the destination it asked for, and its timeout in simulated milliseconds. An operation
   * that can be aborted (HTTP, TCP connect) gets the timeout as a stall-tolerant deadline on the
   * sim clock instead (clock-io.ts): a reply that sits in the socket when the event loop comes
   * back from a stall is read before the deadline is declared.
   */
  private async real<T>(
    what: string,
    timeoutMs: number,
    rewrite: [string, string] | undefined,
    run:
      | ((wallTimeoutMs: number) => Promise<T>)
      | { abortable: (wallTimeoutMs: number, signal: AbortSignal) => Promise<T> },
  ): Promise<T> {
    try {
      return await (typeof run === 'function'
        ? run(this.wall(timeoutMs))
        : withIoDeadline(this.clock, timeoutMs, run.abortable, () => timeoutError(what, timeoutMs)));
    } catch (err) {
      const e = toHostNetworkError(err, what);
      if (e.code === 'ETIMEDOUT') throw timeoutError(what, timeoutMs);
      if (!rewrite) throw e;
      throw new HostNetworkError(e.code, e.message.split(rewrite[0]).join(rewrite[1]), e.detail, {
        cause: err,
      });
    }
  }

  private refused(what: string, address: string, port: number): Promise<never> {
    return Promise.reject(
      new HostNetworkError('ECONNREFUSED', `${what}: connect ECONNREFUSED ${address}:${port}`),
    );
  }

  private gone(what: string): Promise<never> {
    return Promise.reject(new HostNetworkError('EOTHER', `${what}: the process's network is gone`));
  }

  async dnsExchange(server: Endpoint, query: Uint8Array, options: DnsExchangeOptions): Promise<Uint8Array> {
    const what = `DNS query to ${server.address}:${server.port}/${options.transport}`;
    if (this.closed) return this.gone(what);
    const route = this.network.route(server.address, server.port, options.transport, this.source);
    if (route.kind === 'dropped') return this.dropped(what, options.timeoutMs);
    if (route.kind === 'refused')
      return options.transport === 'udp'
        ? Promise.reject(new HostNetworkError('ECONNREFUSED', `${what}: recvmsg ECONNREFUSED`))
        : this.refused(what, server.address, server.port);
    if (route.kind === 'dns') return this.answered(what, route, query, options);
    return this.real(what, options.timeoutMs, this.rewriteFor(route, server.address, server.port), (wall) =>
      this.network.real.dnsExchange({ address: route.address, port: route.port }, query, {
        ...options,
        timeoutMs: wall,
      }),
    );
  }

  async http(request: HttpRequest): Promise<HttpResponse> {
    const what = `${request.method ?? 'GET'} ${request.url}`;
    if (this.closed) return this.gone(what);
    const url = new URL(request.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const route = this.network.route(host, port, 'tcp', this.source);
    if (route.kind === 'dropped') return this.dropped(what, request.timeoutMs);
    if (route.kind !== 'real') return this.refused(what, host, port);
    let target = request;
    if (route.mapped) {
      const actual = new URL(request.url);
      actual.hostname = route.address;
      actual.port = String(route.port);
      const headers = { ...request.headers };
      // The server still sees the authority the client asked for.
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) headers.host = url.host;
      target = { ...request, url: actual.toString(), headers };
    }
    return this.real(what, request.timeoutMs, this.rewriteFor(route, host, port), {
      abortable: (wall, signal) => this.network.real.http({ ...target, timeoutMs: wall, signal }),
    });
  }

  async tlsConnect(options: TlsConnectOptions): Promise<TlsPeer> {
    const what = `TLS handshake with ${options.host}:${options.port}`;
    if (this.closed) return this.gone(what);
    const route = this.network.route(options.host, options.port, 'tcp', this.source);
    if (route.kind === 'dropped') return this.dropped(what, options.timeoutMs);
    if (route.kind !== 'real') return this.refused(what, options.host, options.port);
    return this.real(what, options.timeoutMs, this.rewriteFor(route, options.host, options.port), (wall) =>
      this.network.real.tlsConnect({
        ...options,
        // SNI and the identity check keep the name the client asked for.
        servername: options.servername ?? (isIP(options.host) ? undefined : options.host),
        host: route.address,
        port: route.port,
        timeoutMs: wall,
      }),
    );
  }

  /** A bare TCP connect (the kubelet's tcpSocket probe): resolves once connected, then hangs up. */
  tcpConnect(address: string, port: number, timeoutMs: number): Promise<void> {
    const what = `dial tcp ${address}:${port}`;
    if (this.closed) return this.gone(what);
    const route = this.network.route(address, port, 'tcp', this.source);
    if (route.kind === 'dropped') return this.dropped(what, timeoutMs);
    if (route.kind !== 'real') return this.refused(what, address, port);
    return this.real(what, timeoutMs, this.rewriteFor(route, address, port), {
      abortable: (wall, signal) =>
        new Promise<void>((resolve, reject) => {
          const socket = tcpConnectSocket({ host: route.address, port: route.port });
          const giveUp = (): void => {
            clearTimeout(timer);
            socket.destroy();
            reject(toHostNetworkError(signal.reason, what));
          };
          const timer = setTimeout(() => {
            signal.removeEventListener('abort', giveUp);
            socket.destroy();
            reject(timeoutError(what, wall));
          }, wall);
          signal.addEventListener('abort', giveUp, { once: true });
          socket.once('connect', () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', giveUp);
            socket.destroy();
            resolve();
          });
          socket.once('error', (err) => {
            clearTimeout(timer);
            signal.removeEventListener('abort', giveUp);
            reject(toHostNetworkError(err, what));
          });
        }),
    });
  }

  private rewriteFor(route: Route, address: string, port: number): [string, string] | undefined {
    return route.kind === 'real' && route.mapped
      ? [`${route.address}:${route.port}`, `${address}:${port}`]
      : undefined;
  }

  /**
   * Binds a real server on the pod IP and port (all of the pod's addresses: the wildcard and the
   * pod's own loopback mean the pod IP here), or on 127.0.0.1 when that address cannot be had.
   */
  async listen(options: ListenOptions, handler: RequestHandler): Promise<Listener> {
    const podIP = this.source.ip;
    const asked = options.address ?? '0.0.0.0';
    const what = `listen on ${asked}:${options.port}${options.tls ? ' (TLS)' : ''}`;
    if (this.closed) return this.gone(what);
    if (!ANY_ADDRESS.has(asked) && asked !== podIP)
      throw new HostNetworkError(
        'EOTHER',
        `${what}: listen EADDRNOTAVAIL: address not available ${asked}:${options.port}`,
        'EADDRNOTAVAIL',
      );
    if (options.port !== 0 && this.network.isClaimed(podIP, options.port))
      throw new HostNetworkError(
        'EADDRINUSE',
        `${what}: listen EADDRINUSE: address already in use ${podIP}:${options.port}`,
      );
    let listener: RealListener;
    let actual: { address: string; port: number };
    try {
      listener = await this.network.bind({ ...options, address: podIP }, handler);
      actual = { address: podIP, port: listener.port };
    } catch (err) {
      if (!cannotBind(err)) throw err;
      listener = await this.network.bind({ ...options, address: '127.0.0.1', port: 0 }, handler);
      actual = { address: '127.0.0.1', port: listener.port };
      this.network.fellBack();
      const reason = err instanceof HostNetworkError ? (err.detail ?? err.code) : 'refused';
      this.source.log(
        `scars-sim: cannot bind ${podIP}:${options.port || listener.port} on this machine (${reason}); listening on ${actual.address}:${actual.port} instead, and the sim routes ${podIP}:${options.port || listener.port} there`,
      );
    }
    const entry: TableEntry = {
      podIP,
      port: options.port || listener.port,
      actual,
      owner: this,
    };
    if (this.closed || !this.network.claim(entry)) {
      await listener.abort();
      if (this.closed) return this.gone(what);
      throw new HostNetworkError(
        'EADDRINUSE',
        `${what}: listen EADDRINUSE: address already in use ${podIP}:${entry.port}`,
      );
    }
    const held: Held = { entry, listener };
    this.entries.add(held);
    return {
      port: entry.port,
      tls: listener.tls,
      address: podIP,
      close: () => this.release(held, 'close'),
    };
  }

  /** `close`: the process closes its server (open requests finish); `abort`: its sockets die with it. */
  private release(held: Held, how: 'close' | 'abort'): Promise<void> {
    if (!this.entries.delete(held)) return Promise.resolve();
    this.network.unclaim(held.entry);
    return how === 'close' ? held.listener.close() : held.listener.abort();
  }

  /**
   * The process is gone (it exited or was killed, or the cluster stops): its listeners are torn
   * down and open connections reset, as the kernel does for a dead process; pending drops never
   * answer.
   */
  close(): Promise<void> {
    this.closeNow();
    return Promise.all([...this.entries].map((held) => this.release(held, 'abort'))).then(() => undefined);
  }

  /** @internal Marks the attachment closed (timers cancelled); listeners are closed by `close`. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.network.detach(this);
  }
}
