/**
 * Memory on a real host: buffers outside the V8 heap, written page by page so the kernel backs
 * them at once (an untouched allocation is only address space and never shows in RSS or the
 * cgroup's working set, so it could not trigger an OOM kill).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HostMemory, MemoryBlock } from '../host.ts';

const PAGE = 4096;

let collect: (() => void) | undefined;
/** Released buffers are freed when V8 collects them; ask for that at once so RSS drops when told. */
function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export class RealMemory implements HostMemory {
  private readonly held = new Set<Buffer>();
  /** Blocks were released since the last collection: one full GC frees them all (one per block is slow). */
  private collectPending = false;

  allocate(bytes: number): MemoryBlock {
    let buffer: Buffer | undefined = Buffer.allocUnsafeSlow(bytes);
    // A non-zero byte per page: zero pages can be shared with the kernel's zero page.
    for (let i = 0; i < bytes; i += PAGE) buffer[i] = 0xa5;
    this.held.add(buffer);
    return {
      bytes,
      release: () => {
        if (!buffer) return;
        this.held.delete(buffer);
        // The block object may outlive its release (a caller's array); it must not keep the buffer alive.
        buffer = undefined;
        if (!this.collectPending) {
          this.collectPending = true;
          setImmediate(() => this.collect());
        }
      },
    };
  }

  workingSetBytes(): number {
    // A figure read right after a release must already show it.
    this.collect();
    return process.memoryUsage.rss();
  }

  private collect(): void {
    if (!this.collectPending) return;
    this.collectPending = false;
    collectGarbage();
  }
}
