/**
 * One connection accepted by a host frontend, carried where the sim routed it:
 * - real: a TCP connection to the endpoint's actual socket, bytes piped both ways; a FIN from
 *   either side is passed on (half-close), an error or reset on either side resets the other;
 * - refused (kube-proxy's REJECT): the client is reset at once. The frontend has already
 *   accepted, so a host client reads ECONNRESET where a pod reads ECONNREFUSED;
 * - dropped (no rule, or a DROP rule): nothing answers; what the client sends (its FIN included)
 *   is discarded and the connection is reset after `holdDroppedMs` — about when Linux gives up on
 *   an unanswered SYN — unless the client resets it first;
 * - dns (an in-process DNS server behind the Service): DNS over TCP, each two-byte
 *   length-prefixed query answered in order; a query the server drops gets no answer.
 */
import { connect, type Socket } from 'node:net';
import { isLoopbackAddress } from '../../../agent/host/loopback-guard.ts';
import type { Route } from '../pod-network.ts';

export interface ConnectionHooks {
  /** Wall milliseconds a dropped connection is held before it is reset. */
  holdDroppedMs: number;
  /** Every socket this connection opens, so closing the proxy can destroy it. */
  track(socket: Socket): void;
}

/** Sends a RST (Node ≥ 16.17) and destroys the socket. */
export function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export function carryConnection(client: Socket, route: Route, hooks: ConnectionHooks): void {
  client.on('error', () => reset(client));
  switch (route.kind) {
    case 'real':
      pipeTo(client, route.address, route.port, hooks);
      return;
    case 'refused':
      reset(client);
      return;
    case 'dropped':
      hold(client, hooks.holdDroppedMs);
      return;
    case 'dns':
      answerDns(client, route.exchange);
      return;
  }
}

function pipeTo(client: Socket, address: string, port: number, hooks: ConnectionHooks): void {
  // The sim only ever routes to loopback; anything else is a bug, and nothing is sent.
  if (!isLoopbackAddress(address)) {
    reset(client);
    return;
  }
  const upstream = connect({ host: address, port, allowHalfOpen: true });
  hooks.track(upstream);
  upstream.on('error', () => {
    reset(upstream);
    reset(client);
  });
  client.on('error', () => reset(upstream));
  // Once one side is closed, nothing more can reach it: the other goes too, after what it still
  // has to write to its own peer is flushed.
  client.on('close', () => closeAfterFlush(upstream));
  upstream.on('close', () => closeAfterFlush(client));
  // pipe() ends the other side on 'end': a FIN travels on and the reverse direction keeps going.
  client.pipe(upstream);
  upstream.pipe(client);
}

function closeAfterFlush(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded && !socket.writableFinished) socket.once('finish', () => socket.destroy());
  else socket.destroy();
}

function hold(client: Socket, holdMs: number): void {
  const timer = setTimeout(() => reset(client), holdMs);
  timer.unref();
  client.on('close', () => clearTimeout(timer));
  // The client's FIN is dropped like the rest: no reply, the socket stays until the hold ends.
  client.resume();
}

function answerDns(
  client: Socket,
  exchange: (query: Uint8Array, transport: 'udp' | 'tcp') => Promise<Uint8Array | undefined>,
): void {
  let buffered = Buffer.alloc(0);
  let chain = Promise.resolve();
  client.on('end', () => void chain.then(() => client.end()));
  client.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const query = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      chain = chain.then(async () => {
        const reply = await exchange(query, 'tcp').catch(() => undefined);
        if (!reply || client.destroyed || client.writableEnded) return;
        const header = Buffer.alloc(2);
        header.writeUInt16BE(reply.length);
        client.write(Buffer.concat([header, reply]));
      });
    }
  });
}
