/**
 * Service IP and NodePort allocation, like the apiserver's allocators: ClusterIPs from the
 * service CIDR (10.96.0.0/12 as kubeadm and kind default, .1 reserved for `kubernetes`), handed
 * out in order; NodePorts from 30000-32767, at random as upstream does (see NodePortAllocator).
 * Both are returned on delete.
 */
import { badRequest } from './status.ts';

export class ClusterIpAllocator {
  private readonly used = new Set<number>();
  private next = 1;
  // 10.96.0.0/12 → 2^20 addresses; the network and broadcast addresses are never handed out.
  private readonly base = (10 << 24) | (96 << 16);
  private readonly size = 1 << 20;

  allocate(requested?: string): string {
    if (requested) {
      const n = this.offsetOf(requested);
      if (n === undefined)
        throw badRequest(
          `spec.clusterIP: Invalid value: "${requested}": provided IP is not in the valid range`,
        );
      if (this.used.has(n))
        throw badRequest(`spec.clusterIP: Invalid value: "${requested}": provided IP is already allocated`);
      this.used.add(n);
      return requested;
    }
    for (let tries = 0; tries < this.size; tries++) {
      const n = this.next;
      this.next = this.next + 1 >= this.size - 1 ? 1 : this.next + 1;
      if (!this.used.has(n)) {
        this.used.add(n);
        return this.format(n);
      }
    }
    throw badRequest('range is full');
  }

  release(ip: string | undefined): void {
    const n = ip ? this.offsetOf(ip) : undefined;
    if (n !== undefined) this.used.delete(n);
  }

  private offsetOf(ip: string): number | undefined {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    const value =
      (((parts[0] as number) << 24) |
        ((parts[1] as number) << 16) |
        ((parts[2] as number) << 8) |
        (parts[3] as number)) >>>
      0;
    const offset = value - (this.base >>> 0);
    return offset > 0 && offset < this.size - 1 ? offset : undefined;
  }

  private format(offset: number): string {
    const v = ((this.base >>> 0) + offset) >>> 0;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
}

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
/**
 * The bottom of the range kept for ports users ask for (KEP-3668): calculateRangeOffset in
 * pkg/registry/core/service/portallocator/allocator.go, size / 32 clamped to 16..128 (86 here).
 */
const NODE_PORT_STATIC_BAND = Math.min(
  Math.max(Math.floor((NODE_PORT_MAX - NODE_PORT_MIN + 1) / 32), 16),
  128,
);

/**
 * NodePorts as the apiserver allocates them (pkg/registry/core/service/allocator/bitmap.go,
 * randomScanStrategyWithOffset): a requested port if free; otherwise a random free port above the
 * static band, and only when that is full one in the band. Random, not in order, matters beyond
 * fidelity: two sims on one machine share node addresses (127.18.0.x), and if both handed out
 * 30000 first, a client of the second would reach the first one's NodePort frontend.
 */
export class NodePortAllocator {
  private readonly used = new Set<number>();

  constructor(private readonly random: () => number = Math.random) {}

  allocate(requested?: number): number {
    if (requested) {
      if (requested < 30000 || requested > 32767) {
        throw badRequest(
          `spec.ports[0].nodePort: Invalid value: ${requested}: provided port is not in the valid range. The range of valid ports is 30000-32767`,
        );
      }
      if (this.used.has(requested)) {
        throw badRequest(
          `spec.ports[0].nodePort: Invalid value: ${requested}: provided port is already allocated`,
        );
      }
      this.used.add(requested);
      return requested;
    }
    const port =
      this.randomFree(NODE_PORT_MIN + NODE_PORT_STATIC_BAND, NODE_PORT_MAX) ??
      this.randomFree(NODE_PORT_MIN, NODE_PORT_MIN + NODE_PORT_STATIC_BAND - 1);
    if (port === undefined) throw badRequest('range is full');
    this.used.add(port);
    return port;
  }

  /** A random free port in [from, to], scanning on from a random start as the bitmap does. */
  private randomFree(from: number, to: number): number | undefined {
    const size = to - from + 1;
    const start = Math.floor(this.random() * size);
    for (let i = 0; i < size; i++) {
      const port = from + ((start + i) % size);
      if (!this.used.has(port)) return port;
    }
    return undefined;
  }

  release(port: number | undefined): void {
    if (port) this.used.delete(port);
  }
}
