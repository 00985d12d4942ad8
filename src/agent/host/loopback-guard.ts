/**
 * A network that refuses every destination but loopback. Tests run the agent's real host behind
 * it (and the CLI with SCARS_AGENT_LOOPBACK_ONLY=1), so a default such as the metadata address
 * 169.254.169.254 can never leave the test machine, whatever a mode does.
 */
import { BlockList, isIP } from 'node:net';
import { type Endpoint, type HostNetwork, HostNetworkError } from '../host.ts';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopbackAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return loopback.check(mapped[1] as string, 'ipv4');
  const family = isIP(address);
  if (family === 4) return loopback.check(address, 'ipv4');
  if (family === 6) return loopback.check(address, 'ipv6');
  return false;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return url;
  }
}

function check(target: string): void {
  if (target === 'localhost' || isLoopbackAddress(target)) return;
  throw new HostNetworkError('EACCES', `loopback-only host: refusing to send anything to ${target}`);
}

export function loopbackOnly(inner: HostNetwork): HostNetwork {
  return {
    dnsExchange(server: Endpoint, query, options) {
      check(server.address);
      return inner.dnsExchange(server, query, options);
    },
    http(request) {
      check(hostOf(request.url));
      return inner.http(request);
    },
    tlsConnect(options) {
      check(options.host);
      return inner.tlsConnect(options);
    },
    listen(options, handler) {
      if (options.address !== undefined) check(options.address);
      return inner.listen({ ...options, address: options.address ?? '127.0.0.1' }, handler);
    },
  };
}
