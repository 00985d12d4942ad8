/**
 * HTTP(S) requests, TLS handshakes and servers on a real host, with node:http, node:https and
 * node:tls. Requests use no connection pool (agent: false): each probe measures a whole
 * connection, as the kubelet's HTTP prober does.
 */
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type DetailedPeerCertificate, type TLSSocket, connect as tlsConnectSocket } from 'node:tls';
import type {
  HttpRequest,
  HttpResponse,
  IncomingRequest,
  Listener,
  ListenOptions,
  RequestHandler,
  TlsConnectOptions,
  TlsPeer,
} from '../host.ts';
import { timeoutError, toHostNetworkError } from './net-errors.ts';

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** SNI must be a name: Node warns on an IP (DEP0123) and servers ignore it. */
const sniFor = (servername: string | undefined, host: string) => {
  const name = servername ?? host;
  return isIP(name) ? undefined : name;
};

export function httpRequestOnce(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const secure = url.protocol === 'https:';
  const what = `${req.method ?? 'GET'} ${req.url}`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const send = secure ? httpsRequest : httpRequest;
    const cr = send({
      protocol: url.protocol,
      host,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: req.method ?? 'GET',
      headers: req.headers,
      agent: false,
      signal: req.signal,
      ...(secure
        ? {
            servername: sniFor(req.tls?.servername, host),
            ca: req.tls?.ca,
            rejectUnauthorized: req.tls?.rejectUnauthorized ?? true,
          }
        : {}),
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      finish(() => reject(timeoutError(what, req.timeoutMs)));
      cr.destroy();
    }, req.timeoutMs);
    cr.on('error', (err) => finish(() => reject(toHostNetworkError(err, what))));
    cr.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const limit = req.maxBodyBytes ?? Number.POSITIVE_INFINITY;
      res.on('data', (chunk: Buffer) => {
        if (size < limit) chunks.push(chunk.subarray(0, Math.max(0, limit - size)));
        size += chunk.length;
      });
      res.on('error', (err) => finish(() => reject(toHostNetworkError(err, what))));
      res.on('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: flatHeaders(res.headers),
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        ),
      );
    });
    cr.end(req.body);
  });
}

function chainOf(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new Uint8Array(cert.raw));
    const next: DetailedPeerCertificate | undefined = cert.issuerCertificate;
    cert = next && next !== cert ? next : undefined;
  }
  return chain;
}

export function tlsHandshake(options: TlsConnectOptions): Promise<TlsPeer> {
  const what = `TLS handshake with ${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const socket = tlsConnectSocket({
      host: options.host,
      port: options.port,
      servername: sniFor(options.servername, options.host),
      ca: options.ca,
      // Always finish the handshake: the probe's job is to report what verification said. Node
      // still runs the chain check and tls.checkServerIdentity and reports them as
      // `authorized`/`authorizationError` (passing `checkServerIdentity: undefined` would override
      // that default and make tls.connect throw).
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError(what, options.timeoutMs));
    }, options.timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(toHostNetworkError(err, what));
    });
    socket.on('secureConnect', () => {
      clearTimeout(timer);
      const error = socket.authorizationError;
      const peer: TlsPeer = {
        authorized: socket.authorized,
        chain: chainOf(socket),
        protocol: socket.getProtocol() ?? undefined,
        ...(error
          ? {
              authorizationError:
                typeof error === 'string' ? error : ((error as NodeJS.ErrnoException).code ?? error.message),
            }
          : {}),
      };
      socket.end();
      resolve(peer);
    });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A real listener that can also be torn down at once, as a killed process's sockets are (the sim's kills). */
export interface RealListener extends Listener {
  /** Stops accepting and resets every open connection. */
  abort(): Promise<void>;
}

export function listenHttp(options: ListenOptions, handler: RequestHandler): Promise<RealListener> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const incoming: IncomingRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: flatHeaders(req.headers),
          body: await readBody(req),
          remoteAddress: req.socket.remoteAddress ?? '',
        };
        const out = await handler(incoming);
        res.writeHead(out.status, out.headers);
        res.end(out.body);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : String(err));
      }
    })();
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createServer(onRequest);
  const what = `listen on ${options.address ?? '*'}:${options.port}${options.tls ? ' (TLS)' : ''}`;
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(toHostNetworkError(err, what)));
    server.listen(options.port, options.address, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        port,
        tls: options.tls !== undefined,
        address: typeof address === 'object' && address ? address.address : options.address,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
        abort: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
