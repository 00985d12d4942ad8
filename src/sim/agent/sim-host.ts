/**
 * SimHost: the agent's Host port inside the simulator, for one container process.
 *
 * - clock: the sim clock (timers tracked, so a kill cancels every one of them);
 * - memory: a model — a fixed runtime baseline plus what the mode holds through `allocate`;
 *   every change makes the kubelet re-sample the container, so a memhog past its limit is
 *   OOM-killed by the kubelet's memory model exactly as an idle process would be;
 * - files: the kubelet-managed /etc/resolv.conf, /etc/hosts and /etc/hostname, and the pod's
 *   Secret and ConfigMap volumes mounted into this container;
 * - net: the sim network (pod-network.ts); a host name in `http` or `tlsConnect` is looked up
 *   first as a Node client's getaddrinfo would (name-lookup.ts: /etc/hosts, then the agent's stub
 *   resolver with the pod's resolv.conf, its queries going through the data plane's DNS), within
 *   the call's timeout, and the connection goes to the address found (TLS keeps the name for SNI
 *   and verification, HTTP for the Host header);
 * - stdout and stderr: the container's log (`kubectl logs` shows both streams);
 * - terminated: aborts on SIGTERM.
 *
 * After a kill (SIGKILL, OOM) or the process's exit nothing the mode does has an effect: output
 * is dropped, allocations are not counted, and every pending or later clock, network or file
 * call never settles, so the mode's code simply stops where it was, as a killed process does.
 */
import { isIP } from 'node:net'; // a pure address parser: the network is the data plane's
import { posix } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import {
  type Host,
  type HostClock,
  type HostFiles,
  type HostMemory,
  type HostNetwork,
  HostNetworkError,
  type HttpRequest,
  type HttpResponse,
  type Listener,
  type MemoryBlock,
  type TlsConnectOptions,
  type TlsPeer,
} from '../../agent/host.ts';
import { timeoutError, toHostNetworkError } from '../../agent/host/net-errors.ts';
import type { Registry } from '../api/rest/registry.ts';
import type { NetworkAttachment } from '../dataplane/pod-network.ts';
import type { SimPod } from '../kinds/pod.ts';
import { containerHostname, podHostsFile } from '../kubelet/etc-hosts.ts';
import { formatResolvConf, podDns } from '../kubelet/resolv-conf.ts';
import type { ProcessHost } from '../kubelet/runtime.ts';
import type { Timer } from '../kubelet/timers.ts';
import { ContainerVolumes } from '../kubelet/volume-files.ts';
import { ContainerNameLookup, getaddrinfoError } from './name-lookup.ts';

const MiB = 1024 * 1024;
const PAGE = 4096;

/**
 * The agent's working set before it allocates anything: Node 20 with the agent's modules loaded
 * and an HTTP server up measures about 50 MiB of RSS on Linux x64; 48 MiB is that, rounded.
 * memhog's target comes on top of it, as on a real host.
 */
export const AGENT_BASELINE_BYTES = 48 * MiB;

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export interface SimHostOptions {
  pod: SimPod;
  container: Container;
  process: ProcessHost;
  /** The pod's side of the sim network, owned by this process. */
  network: NetworkAttachment;
  /** Where Secrets and ConfigMaps are read from. */
  registry: Registry;
}

export class SimHost implements Host {
  readonly kind = 'sim' as const;
  readonly hostname: string;
  readonly clock: HostClock;
  readonly memory: HostMemory;
  readonly net: HostNetwork;
  readonly files: HostFiles;
  readonly terminated: AbortSignal;
  private readonly stop = new AbortController();
  private readonly timers = new Set<Timer>();
  private readonly volumes: ContainerVolumes;
  /** getaddrinfo for this process: /etc/hosts, then DNS through the pod's resolv.conf. */
  readonly names: ContainerNameLookup;
  private allocatedBytes = 0;
  private dead = false;

  constructor(private readonly options: SimHostOptions) {
    const { pod, process } = options;
    this.terminated = this.stop.signal;
    this.hostname = containerHostname(pod, this.identity);
    this.volumes = new ContainerVolumes(pod, options.container, options.registry);
    this.clock = { now: () => process.clock.now(), sleep: (ms, signal) => this.sleep(ms, signal) };
    this.memory = {
      allocate: (bytes) => this.allocate(bytes),
      workingSetBytes: () => this.workingSetBytes(),
    };
    this.files = { readText: (path) => this.guard(this.readText(path)) };
    const net = options.network;
    this.net = {
      dnsExchange: (server, query, o) => this.guard(net.dnsExchange(server, query, o)),
      http: (request) => this.guard(this.http(request)),
      tlsConnect: (o) => this.guard(this.tlsConnect(o)),
      listen: async (o, handler) => {
        const listener = await this.guard(net.listen(o, handler));
        const close = () => this.guard(listener.close());
        return {
          port: listener.port,
          tls: listener.tls,
          address: listener.address,
          close,
        } satisfies Listener;
      },
    };
    this.names = new ContainerNameLookup({
      net: this.net,
      clock: this.clock,
      readText: (path) => this.readText(path),
      hostname: this.hostname,
    });
  }

  private get identity() {
    const p = this.options.process;
    return { podIP: p.podIP, nodeName: p.nodeName, nodeIP: p.nodeIP };
  }

  /** Whether the process is gone (killed or exited). */
  get gone(): boolean {
    return this.dead;
  }

  stdout(line: string): void {
    if (!this.dead) this.options.process.log(line);
  }

  stderr(line: string): void {
    if (!this.dead) this.options.process.log(line);
  }

  /** SIGTERM: the mode sees `terminated` abort and winds down. */
  terminate(): void {
    if (!this.dead && !this.stop.signal.aborted) this.stop.abort(new Error('received SIGTERM'));
  }

  /** The process is gone (SIGKILL, OOM kill, or it exited): nothing it does has effect any more. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    for (const timer of this.timers) this.options.process.clock.clearTimeout(timer);
    this.timers.clear();
    this.allocatedBytes = 0;
  }

  workingSetBytes(): number {
    return this.dead ? 0 : AGENT_BASELINE_BYTES + this.allocatedBytes;
  }

  /** Settles as `work` does while the process lives; never once it is gone. */
  private guard<T>(work: Promise<T>): Promise<T> {
    if (this.dead) return never();
    return new Promise<T>((resolve, reject) => {
      work.then(
        (value) => {
          if (!this.dead) resolve(value);
        },
        (err: unknown) => {
          if (!this.dead) reject(err);
        },
      );
    });
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.dead) return never();
    if (signal?.aborted) return Promise.reject(signal.reason);
    const clock = this.options.process.clock;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        this.timers.delete(timer);
        if (!this.dead) reject(signal?.reason);
      };
      const timer = clock.setTimeout(
        () => {
          this.timers.delete(timer);
          signal?.removeEventListener('abort', onAbort);
          if (!this.dead) resolve();
        },
        Math.max(0, ms),
      );
      this.timers.add(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private http(request: HttpRequest): Promise<HttpResponse> {
    const net = this.options.network;
    const url = new URL(request.url);
    const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(name) !== 0) return net.http(request);
    const what = `${request.method ?? 'GET'} ${request.url}`;
    return this.viaName(what, name, request.timeoutMs, (address, timeoutMs) => {
      const target = new URL(request.url);
      target.hostname = isIP(address) === 6 ? `[${address}]` : address;
      const headers = { ...request.headers };
      // What a Node client sends: the authority it was given, not the address it connected to.
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) headers.host = url.host;
      const tls =
        url.protocol === 'https:'
          ? { ...request.tls, servername: request.tls?.servername ?? name }
          : request.tls;
      const sent: HttpRequest = { ...request, url: target.toString(), headers, timeoutMs, tls };
      return { what: `${sent.method ?? 'GET'} ${sent.url}`, run: net.http(sent) };
    });
  }

  private tlsConnect(options: TlsConnectOptions): Promise<TlsPeer> {
    const net = this.options.network;
    const name = options.host.replace(/^\[(.*)\]$/, '$1');
    if (isIP(name) !== 0) return net.tlsConnect(options);
    const what = `TLS handshake with ${options.host}:${options.port}`;
    return this.viaName(what, name, options.timeoutMs, (address, timeoutMs) => ({
      what: `TLS handshake with ${address}:${options.port}`,
      run: net.tlsConnect({
        ...options,
        host: address,
        servername: options.servername ?? name,
        timeoutMs,
      }),
    }));
  }

  /**
   * Looks `name` up, then connects to its address, all within `timeoutMs` as a Node client's
   * request timer (started before its lookup) allows; errors read as the caller's, with the name
   * it asked for, and a lookup still running at the deadline goes on sending its queries, as
   * getaddrinfo on libuv's thread pool does.
   */
  private async viaName<T>(
    what: string,
    name: string,
    timeoutMs: number,
    connect: (address: string, timeoutMs: number) => { what: string; run: Promise<T> },
  ): Promise<T> {
    const started = this.clock.now();
    const lookup = this.names.lookup(name);
    const deadline = new AbortController();
    const expired = this.sleep(timeoutMs, deadline.signal).then(
      () => 'expired' as const,
      () => 'cancelled' as const,
    );
    const first = await Promise.race([lookup.then((found) => ({ found })), expired]);
    deadline.abort();
    if (typeof first === 'string') throw timeoutError(what, timeoutMs);
    if (!first.found.ok) throw toHostNetworkError(getaddrinfoError(first.found.code, name), what);
    const left = timeoutMs - (this.clock.now() - started);
    if (left <= 0) throw timeoutError(what, timeoutMs);
    const attempt = connect(first.found.address, left);
    try {
      return await attempt.run;
    } catch (err) {
      if (!(err instanceof HostNetworkError)) throw err;
      if (err.code === 'ETIMEDOUT') throw timeoutError(what, timeoutMs);
      if (!err.message.startsWith(attempt.what)) throw err;
      throw new HostNetworkError(err.code, what + err.message.slice(attempt.what.length), err.detail, {
        cause: err,
      });
    }
  }

  private allocate(bytes: number): MemoryBlock {
    if (this.dead || bytes <= 0) return { bytes, release: () => {} };
    // Touched pages: the working set grows by whole pages.
    const charged = Math.ceil(bytes / PAGE) * PAGE;
    this.allocatedBytes += charged;
    let held = true;
    const block = {
      bytes,
      release: () => {
        if (!held || this.dead) return;
        held = false;
        this.allocatedBytes -= charged;
        this.options.process.usageChanged();
      },
    };
    // May OOM-kill this very process (the kubelet samples at once): then the block is moot.
    this.options.process.usageChanged();
    return block;
  }

  private async readText(path: string): Promise<string> {
    const fromVolume = this.volumes.read(path);
    if (fromVolume) {
      if ('content' in fromVolume) return fromVolume.content.toString('utf8');
      throw new Error(
        fromVolume.error === 'EISDIR'
          ? `cannot read ${path}: EISDIR: illegal operation on a directory, read`
          : `cannot read ${path}: no such file`,
      );
    }
    const { pod } = this.options;
    switch (posix.normalize(path)) {
      case '/etc/resolv.conf':
        return formatResolvConf(podDns(pod, undefined, [this.identity.nodeIP]).dns);
      case '/etc/hosts':
        return podHostsFile(pod, this.identity);
      case '/etc/hostname':
        return `${this.hostname}\n`;
      default:
        throw new Error(`cannot read ${path}: no such file`);
    }
  }
}
