/**
 * DNS exchanges over real sockets: UDP (a connected socket, so an ICMP port-unreachable surfaces
 * as ECONNREFUSED the way it does for libc) and TCP with the two-byte length prefix of RFC 1035
 * 4.2.2. The reply is matched to the query by its ID, as a stub resolver does.
 */
import { createSocket } from 'node:dgram';
import { isIPv6, connect as tcpConnect } from 'node:net';
import type { DnsExchangeOptions, Endpoint } from '../host.ts';
import { timeoutError, toHostNetworkError } from './net-errors.ts';

const idOf = (msg: Uint8Array) => ((msg[0] ?? 0) << 8) | (msg[1] ?? 0);

export function dnsExchange(
  server: Endpoint,
  query: Uint8Array,
  options: DnsExchangeOptions,
): Promise<Uint8Array> {
  return options.transport === 'tcp'
    ? overTcp(server, query, options.timeoutMs)
    : overUdp(server, query, options.timeoutMs);
}

function overUdp(server: Endpoint, query: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  const what = `DNS query to ${server.address}:${server.port}/udp`;
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.close();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(timeoutError(what, timeoutMs))), timeoutMs);
    socket.on('error', (err) => done(() => reject(toHostNetworkError(err, what))));
    socket.on('message', (msg) => {
      if (msg.length >= 2 && idOf(msg) === idOf(query)) done(() => resolve(new Uint8Array(msg)));
    });
    socket.connect(server.port, server.address, () => {
      socket.send(query, (err) => {
        if (err) done(() => reject(toHostNetworkError(err, what)));
      });
    });
  });
}

function overTcp(server: Endpoint, query: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  const what = `DNS query to ${server.address}:${server.port}/tcp`;
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: server.address, port: server.port });
    let buffered = Buffer.alloc(0);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(timeoutError(what, timeoutMs))), timeoutMs);
    socket.on('error', (err) => done(() => reject(toHostNetworkError(err, what))));
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length)
        done(() => resolve(new Uint8Array(buffered.subarray(2, 2 + length))));
    });
    socket.on('end', () =>
      done(() =>
        reject(
          toHostNetworkError(
            Object.assign(new Error('connection closed before a reply'), { code: 'ECONNRESET' }),
            what,
          ),
        ),
      ),
    );
  });
}
