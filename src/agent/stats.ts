/**
 * Latency figures for the probes' ticks and summaries. Runs are bounded in count and time, so the
 * samples are kept and ranked exactly (nearest-rank percentiles) rather than sketched.
 */
export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export class LatencySamples {
  private samples: number[] = [];
  private sorted = true;

  add(ms: number): void {
    if (this.samples.length > 0 && ms < (this.samples[this.samples.length - 1] as number))
      this.sorted = false;
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentile (p in 0..100); undefined with no samples. */
  percentile(p: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    if (!this.sorted) {
      this.samples.sort((a, b) => a - b);
      this.sorted = true;
    }
    const rank = Math.max(1, Math.ceil((p / 100) * this.samples.length));
    return this.samples[rank - 1];
  }

  summary(): LatencySummary | undefined {
    if (this.samples.length === 0) return undefined;
    const pct = (p: number) => round(this.percentile(p) as number);
    let sum = 0;
    for (const s of this.samples) sum += s;
    return {
      count: this.samples.length,
      minMs: pct(0),
      p50Ms: pct(50),
      p90Ms: pct(90),
      p95Ms: pct(95),
      p99Ms: pct(99),
      maxMs: pct(100),
      meanMs: round(sum / this.samples.length),
    };
  }

  /** Starts a new window (ticks report per window; summaries keep their own instance). */
  reset(): void {
    this.samples = [];
    this.sorted = true;
  }
}

/** Counts by outcome name, in first-seen order (so JSON lines list them stably). */
export class OutcomeCounts<K extends string = string> {
  private readonly counts = new Map<K, number>();

  add(outcome: K, n = 1): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + n);
  }

  get(outcome: K): number {
    return this.counts.get(outcome) ?? 0;
  }

  total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
