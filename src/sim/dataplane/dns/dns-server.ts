/**
 * A real DNS server (UDP and TCP on one address and port) for clients outside the sim: `dig`,
 * a test's DNS client, k6. Every query is handed to `answer`, which routes it into the sim; the
 * server only moves bytes. TCP follows RFC 1035 4.2.2 (two-byte length prefix, several queries
 * per connection, replies as they are ready, RFC 7766).
 *
 * It binds the preferred address (the kube-dns ClusterIP's loopback mirror, port 53); where that
 * cannot be had — port 53 needs root, another sim on this machine may hold it — it falls back to
 * 127.0.0.1 and one ephemeral port for both transports, and says so through `fellBack`.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { HostAddress } from '../part.ts';

/** What to do with one query: a reply, nothing (dropped), or reset the TCP connection (refused). */
export type HostDnsHandler = (
  query: Uint8Array,
  transport: 'udp' | 'tcp',
) => Promise<Uint8Array | 'refused' | undefined>;

const FALLBACK_HOST = '127.0.0.1';
/** Largest TCP message (the length prefix is 16 bits). */
const MAX_TCP_MESSAGE = 65_535;

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export class HostDnsServer {
  private readonly connections = new Set<Socket>();
  private closed = false;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly host: string,
    readonly port: number,
    /** Why the preferred address could not be had (undefined: it was). */
    readonly fellBack: string | undefined,
  ) {}

  static async start(preferred: HostAddress, answer: HostDnsHandler): Promise<HostDnsServer> {
    let bound: { udp: UdpSocket; tcp: Server; host: string; port: number } | undefined;
    let reason: string | undefined;
    try {
      bound = await HostDnsServer.bindBoth(preferred.host, preferred.port);
    } catch (err) {
      reason = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    if (!bound) {
      // UDP picks the ephemeral port and TCP takes the same number; another process may hold it.
      let lastError: unknown;
      for (let tries = 0; tries < 10 && !bound; tries++) {
        try {
          bound = await HostDnsServer.bindBoth(FALLBACK_HOST, 0);
        } catch (err) {
          lastError = err;
        }
      }
      if (!bound)
        throw new Error(
          `cluster DNS: cannot listen on ${preferred.host}:${preferred.port} (${reason}) nor on ${FALLBACK_HOST}: ${String(lastError)}`,
        );
    }
    const server = new HostDnsServer(bound.udp, bound.tcp, bound.host, bound.port, reason);
    server.serve(answer);
    return server;
  }

  private static async bindBoth(host: string, port: number) {
    const udp = await bindUdp(host, port);
    const actual = udp.address().port;
    const tcp = createServer();
    try {
      await listenTcp(tcp, host, actual);
    } catch (err) {
      udp.close();
      throw err;
    }
    return { udp, tcp, host, port: actual };
  }

  address(): HostAddress {
    return { host: this.host, port: this.port };
  }

  private serve(answer: HostDnsHandler): void {
    this.udp.on('message', (message, remote) => {
      answer(new Uint8Array(message), 'udp').then(
        (reply) => {
          // Over UDP a refusal would be an ICMP error, which a server cannot send: nothing is.
          if (reply instanceof Uint8Array && !this.closed) this.udp.send(reply, remote.port, remote.address);
        },
        () => undefined,
      );
    });
    this.udp.on('error', () => undefined);
    this.tcp.on('connection', (conn) => this.serveConnection(conn, answer));
    this.tcp.on('error', () => undefined);
  }

  private serveConnection(conn: Socket, answer: HostDnsHandler): void {
    this.connections.add(conn);
    conn.on('close', () => this.connections.delete(conn));
    conn.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = new Uint8Array(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        answer(message, 'tcp').then(
          (reply) => {
            if (conn.destroyed) return;
            if (reply === 'refused') {
              conn.resetAndDestroy();
              return;
            }
            if (!reply || reply.length > MAX_TCP_MESSAGE) return;
            const framed = Buffer.alloc(2 + reply.length);
            framed.writeUInt16BE(reply.length, 0);
            framed.set(reply, 2);
            conn.write(framed);
          },
          () => undefined,
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const conn of this.connections) conn.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }
}
