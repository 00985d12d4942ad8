/**
 * Where a Service's ClusterIP shows up on this machine. ClusterIPs stay in the service CIDR
 * (10.96.0.0/12, as kubeadm and kind) inside the sim, but nothing outside the sim can route to
 * them; so each one is mirrored into loopback at the same offset in 127.32.0.0/12 (10.96.1.5 →
 * 127.32.1.5, 10.100.2.3 → 127.36.2.3), clear of the node (127.18.0.0/16) and pod (127.64.0.0/10)
 * networks, and the host frontends listen there.
 */

/** The service CIDR the API server allocates ClusterIPs from (src/sim/api/rest/allocators.ts). */
export const SERVICE_NETWORK = { address: '10.96.0.0', prefix: 12 } as const;
/** Its mirror in loopback. */
export const SERVICE_MIRROR_NETWORK = { address: '127.32.0.0', prefix: 12 } as const;

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

const toAddress = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function translate(
  ip: string,
  from: { address: string; prefix: number },
  to: { address: string; prefix: number },
): string | undefined {
  const value = toNumber(ip);
  const base = toNumber(from.address) as number;
  const size = 2 ** (32 - from.prefix);
  if (value === undefined || value < base || value >= base + size) return undefined;
  return toAddress((toNumber(to.address) as number) + (value - base));
}

/** The loopback mirror of a ClusterIP; undefined outside the service CIDR (or not IPv4). */
export const mirrorClusterIP = (clusterIP: string): string | undefined =>
  translate(clusterIP, SERVICE_NETWORK, SERVICE_MIRROR_NETWORK);

/** The ClusterIP a mirror address stands for; undefined outside 127.32.0.0/12. */
export const clusterIPOfMirror = (address: string): string | undefined =>
  translate(address, SERVICE_MIRROR_NETWORK, SERVICE_NETWORK);
