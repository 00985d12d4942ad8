/**
 * A real DNS server for tests, on 127.0.0.1 over UDP and TCP on one ephemeral port: a zone of A
 * and AAAA records, NXDOMAIN for every other name, and a log of every query it receives (name,
 * type, transport) so tests can count what a resolver sent. Per-name behaviours make the faults:
 * a delay, no answer at all, SERVFAIL, REFUSED, or a truncated UDP reply (TC bit, no records) that
 * sends the client to TCP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import dnsPacket from 'dns-packet';

export interface ZoneRecords {
  A?: string[];
  AAAA?: string[];
}

export interface NameBehaviour {
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer. */
  drop?: boolean;
  /** Answer with this rcode and no records. */
  rcode?: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN';
  /** Over UDP, answer with the TC bit and no records (TCP gets the real answer). */
  truncate?: boolean;
  /** Only for these query types (default: all). */
  types?: ('A' | 'AAAA')[];
}

export interface LoggedQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** Date.now() when it arrived. */
  at: number;
}

export interface TestDnsServerOptions {
  /** name → records; names are matched without a trailing dot, case-insensitively. */
  zone?: Record<string, ZoneRecords>;
  behaviour?: Record<string, NameBehaviour>;
}

export interface TestDnsServer {
  port: number;
  /** Every query received, in arrival order. */
  queries: LoggedQuery[];
  close(): Promise<void>;
}

const norm = (name: string) => name.replace(/\.$/, '').toLowerCase();

type Decoded = ReturnType<typeof dnsPacket.decode>;

/** The reply to `query` over `transport`, or undefined to stay silent. */
function replyFor(
  query: Decoded,
  transport: 'udp' | 'tcp',
  zone: Map<string, ZoneRecords>,
  behaviour: Map<string, NameBehaviour>,
): { bytes: Buffer | undefined; delayMs: number } {
  const question = query.questions?.[0];
  const base = {
    type: 'response' as const,
    id: query.id ?? 0,
    questions: query.questions ?? [],
  };
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED;
  if (!question) return { bytes: dnsPacket.encode({ ...base, flags: flags | 1 }), delayMs: 0 }; // FORMERR
  const name = norm(question.name);
  const b = behaviour.get(name);
  const applies = b && (!b.types || b.types.includes(question.type as 'A' | 'AAAA'));
  const delayMs = applies ? (b.delayMs ?? 0) : 0;
  if (applies && b.drop) return { bytes: undefined, delayMs };
  if (applies && b.rcode) {
    const rcode = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 }[b.rcode];
    return { bytes: dnsPacket.encode({ ...base, flags: flags | rcode }), delayMs };
  }
  if (applies && b.truncate && transport === 'udp')
    return { bytes: dnsPacket.encode({ ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE }), delayMs };
  const records = zone.get(name);
  if (!records) return { bytes: dnsPacket.encode({ ...base, flags: flags | 3 }), delayMs }; // NXDOMAIN
  const data = question.type === 'A' ? records.A : question.type === 'AAAA' ? records.AAAA : undefined;
  const answers = (data ?? []).map((address) => ({
    type: question.type as 'A' | 'AAAA',
    name: question.name,
    ttl: 30,
    class: 'IN' as const,
    data: address,
  }));
  return { bytes: dnsPacket.encode({ ...base, flags, answers }), delayMs }; // NOERROR, maybe NODATA
}

function listenUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startDnsServer(options: TestDnsServerOptions = {}): Promise<TestDnsServer> {
  const zone = new Map(Object.entries(options.zone ?? {}).map(([k, v]) => [norm(k), v]));
  const behaviour = new Map(Object.entries(options.behaviour ?? {}).map(([k, v]) => [norm(k), v]));
  const queries: LoggedQuery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const handle = (message: Buffer, transport: 'udp' | 'tcp', send: (reply: Buffer) => void) => {
    let query: Decoded;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    queries.push({ name: q ? norm(q.name) : '', type: q?.type ?? '', transport, at: Date.now() });
    const { bytes, delayMs } = replyFor(query, transport, zone, behaviour);
    if (bytes) later(delayMs, () => send(bytes));
  };

  const connections = new Set<TcpSocket>();
  const tcp = createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        handle(message, 'tcp', (reply) => {
          if (conn.destroyed) return;
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          conn.write(framed);
        });
      }
    });
  });

  // UDP picks the ephemeral port, TCP takes the same number; another process can hold that TCP
  // port, so try a few times.
  let udp: Socket | undefined;
  for (let tries = 0; ; tries++) {
    const socket = await listenUdp(0);
    const port = socket.address().port;
    try {
      await listenTcp(tcp, port);
      udp = socket;
      break;
    } catch (err) {
      socket.close();
      if (tries >= 10) throw err;
    }
  }
  const udpSocket = udp;
  udpSocket.on('message', (message, remote) =>
    handle(message, 'udp', (reply) => {
      try {
        udpSocket.send(reply, remote.port, remote.address);
      } catch {
        // closed meanwhile
      }
    }),
  );

  return {
    port: udpSocket.address().port,
    queries,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const conn of connections) conn.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udpSocket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
