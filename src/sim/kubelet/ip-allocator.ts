/**
 * Pod IPs from the node's podCIDR, handed out like the host-local IPAM plugin kind's CNI uses:
 * round-robin after the last address given (not lowest-free), skipping the network address and
 * the gateway (.1) and the broadcast address, so a deleted pod's IP is not reused at once.
 */
export class PodIpAllocator {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Map<string, number>();
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(cidr: string) {
    const [address = '', bits = '32'] = cidr.split('/');
    const prefix = Number(bits);
    const octets = address.split('.').map(Number);
    const base =
      (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>>
      0;
    const size = 2 ** (32 - prefix);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const network = (base & mask) >>> 0;
    this.first = size > 4 ? network + 2 : network;
    this.last = size > 4 ? network + size - 2 : network + size - 1;
    this.cursor = this.first - 1;
  }

  /** The IP for a pod (the same one again if it already has one); undefined when the range is exhausted. */
  allocate(podUid: string): string | undefined {
    const existing = this.used.get(podUid);
    if (existing !== undefined) return toText(existing);
    const count = this.last - this.first + 1;
    for (let i = 0; i < count; i++) {
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1;
      if (!this.taken.has(this.cursor)) {
        this.taken.add(this.cursor);
        this.used.set(podUid, this.cursor);
        return toText(this.cursor);
      }
    }
    return undefined;
  }

  release(podUid: string): void {
    const ip = this.used.get(podUid);
    if (ip === undefined) return;
    this.used.delete(podUid);
    this.taken.delete(ip);
  }

  get inUse(): number {
    return this.used.size;
  }
}

const toText = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
