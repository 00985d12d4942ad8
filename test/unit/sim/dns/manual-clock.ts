/**
 * A clock that moves only when told to: timers fire in time order (then in the order they were
 * set) as `advance` passes them, so a model's timeline can be checked to the millisecond.
 */
import type { ModelClock } from '../../../../src/sim/dataplane/dns/replica-model.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements ModelClock {
  private time: number;
  private seq = 0;
  private readonly heap: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.push(timer);
    return timer;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > end) break;
      this.pop();
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
  }

  /** Like `advance`, letting promise callbacks run after each instant, so they see its time. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > end) break;
      const at = next.at;
      while (this.heap[0] && (this.heap[0] as Timer).at === at) {
        const t = this.heap[0] as Timer;
        this.pop();
        this.time = Math.max(this.time, at);
        t.fn();
      }
      await Promise.resolve();
      await Promise.resolve();
    }
    this.time = end;
  }

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i] as Timer, h[parent] as Timer)) break;
      [h[i], h[parent]] = [h[parent] as Timer, h[i] as Timer];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Timer;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l] as Timer, h[m] as Timer)) m = l;
      if (r < h.length && this.before(h[r] as Timer, h[m] as Timer)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
      i = m;
    }
  }
}
