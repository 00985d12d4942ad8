/**
 * The Host port: everything an agent mode may ask of the world. Modes never import node:net,
 * node:dgram, node:http or node:fs themselves; they go through this, so the same mode code runs
 * on a real host (`RealHost`, Node's APIs) and inside the simulator (`SimHost`, the sim's memory
 * accounting, clock and data plane) and writes the same lines.
 *
 * The surface is deliberately low: DNS is a datagram exchange (the agent encodes and decodes the
 * packets, and does the search-path expansion itself, like a libc stub resolver), HTTP is one
 * request, TLS is one handshake. Anything a mode computes from those (retries, pacing, latency,
 * verdicts) is mode code and therefore identical on both hosts.
 */

/** Wall-clock time on a real host, simulated time in the sim. */
export interface HostClock {
  /** Milliseconds since the epoch, fractional where the host can (latencies are differences of this). */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Memory the agent holds; released memory leaves the working set. */
export interface MemoryBlock {
  readonly bytes: number;
  release(): void;
}

export interface HostMemory {
  /** Allocates `bytes` and writes to every page, so it counts in the working set at once. */
  allocate(bytes: number): MemoryBlock;
  /** The process's working set now (RSS on a real host, the modelled figure in the sim). */
  workingSetBytes(): number;
}

/** The network errors modes tell apart; hosts map their failures onto these codes. */
export type NetErrorCode =
  | 'ETIMEDOUT'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EADDRINUSE'
  | 'EACCES'
  | 'EPROTO'
  | 'ENOTFOUND'
  | 'EOTHER';

export class HostNetworkError extends Error {
  constructor(
    readonly code: NetErrorCode,
    message: string,
    /** The underlying code where there is one, e.g. CERT_HAS_EXPIRED for a refused HTTPS handshake. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostNetworkError';
  }
}

export interface Endpoint {
  /** An IP address (v4 or v6). Hosts do not resolve names here: the agent's resolver does. */
  address: string;
  port: number;
}

export interface DnsExchangeOptions {
  transport: 'udp' | 'tcp';
  timeoutMs: number;
}

/** TLS client settings shared by HTTPS requests and the TLS probe. */
export interface TlsClientOptions {
  /** SNI and the name the certificate is checked against. */
  servername?: string;
  /** PEM bundle to trust instead of the host's roots. */
  ca?: string;
  /** false: complete the handshake whatever the verification says (the outcome is still reported). */
  rejectUnauthorized?: boolean;
}

export interface HttpRequest {
  /** http:// or https:// with an IP literal or a name; hosts resolve names with the system resolver. */
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  tls?: TlsClientOptions;
  /** Stop reading the body after this many bytes (the rest is discarded). */
  maxBodyBytes?: number;
  /** Gives up on the request (the connection is destroyed); the sim's stall-tolerant deadlines use it. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface TlsConnectOptions extends TlsClientOptions {
  /** An IP literal or a name; hosts resolve names with the system resolver (the name stays the default SNI). */
  host: string;
  port: number;
  timeoutMs: number;
}

export interface TlsPeer {
  /** Verification result against `ca` (or the host's roots) and `servername`. */
  authorized: boolean;
  /** OpenSSL's code as Node reports it, e.g. CERT_HAS_EXPIRED, CERT_NOT_YET_VALID, DEPTH_ZERO_SELF_SIGNED_CERT. */
  authorizationError?: string;
  /** The presented chain in DER, leaf first. */
  chain: Uint8Array[];
  protocol?: string;
}

export interface IncomingRequest {
  method: string;
  /** Path and query, as on the request line. */
  path: string;
  headers: Record<string, string>;
  body: string;
  remoteAddress: string;
}

export interface OutgoingResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type RequestHandler = (request: IncomingRequest) => Promise<OutgoingResponse>;

export interface ListenOptions {
  port: number;
  /** Bind address; default all interfaces on a real host, the pod IP in the sim. */
  address?: string;
  /** PEM certificate chain and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
}

export interface Listener {
  readonly port: number;
  readonly tls: boolean;
  /** The address actually bound (`0.0.0.0`, `::`, `127.0.0.1`), where the host knows it. */
  readonly address?: string;
  /** Stops accepting; resolves when open connections are gone. */
  close(): Promise<void>;
}

export interface HostNetwork {
  /** Sends one DNS message and returns the first reply to it (raw wire format both ways). */
  dnsExchange(server: Endpoint, query: Uint8Array, options: DnsExchangeOptions): Promise<Uint8Array>;
  http(request: HttpRequest): Promise<HttpResponse>;
  tlsConnect(options: TlsConnectOptions): Promise<TlsPeer>;
  listen(options: ListenOptions, handler: RequestHandler): Promise<Listener>;
}

export interface HostFiles {
  /** Reads a text file (resolv.conf, a mounted certificate); rejects with a message naming the path. */
  readText(path: string): Promise<string>;
}

export interface Host {
  /** `real` or `sim`: printed in the start line so logs say where they came from. */
  readonly kind: 'real' | 'sim';
  readonly hostname: string;
  readonly clock: HostClock;
  readonly memory: HostMemory;
  readonly net: HostNetwork;
  readonly files: HostFiles;
  /** Aborts when the process is asked to stop (SIGTERM/SIGINT); modes wind down and return. */
  readonly terminated: AbortSignal;
  /** One line to stdout (the JSON lines observers read). */
  stdout(line: string): void;
  /** One line to stderr (usage errors, diagnostics). */
  stderr(line: string): void;
}
