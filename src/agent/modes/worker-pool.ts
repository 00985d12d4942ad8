/**
 * A fixed number of workers and a first-come queue in front of them: the shape of a busy app
 * (a thread pool, a single event loop doing CPU work). Under load every request, health checks
 * included, waits its turn, which is how an aggressive liveness probe starts failing on a healthy
 * but busy container.
 */
export class WorkerPool {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Requests waiting for a worker. */
  get queueDepth(): number {
    return this.waiting.length;
  }

  get busyWorkers(): number {
    return this.busy;
  }

  /** Resolves when a worker is free for the caller; pair every acquire with one release. */
  acquire(): Promise<void> {
    if (this.busy < this.size) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // Hand the worker straight to the next in line (busy stays as it is), so nobody overtakes the queue.
    if (next) next();
    else this.busy--;
  }
}
