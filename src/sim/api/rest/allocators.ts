/**
 * Service IP and NodePort allocation, like the apiserver's allocators: ClusterIPs from the
 * service CIDR (10.96.0.0/12 as kubeadm and kind default, .1 reserved for `kubernetes`), NodePorts
 * from 30000-32767. Addresses are handed out in order and returned on delete.
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

export class NodePortAllocator {
  private readonly used = new Set<number>();
  private next = 30000;

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
    for (let i = 0; i <= 2767; i++) {
      const port = this.next;
      this.next = this.next === 32767 ? 30000 : this.next + 1;
      if (!this.used.has(port)) {
        this.used.add(port);
        return port;
      }
    }
    throw badRequest('range is full');
  }

  release(port: number | undefined): void {
    if (port) this.used.delete(port);
  }
}
