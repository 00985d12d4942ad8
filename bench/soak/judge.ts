/**
 * The soak's pass/fail rules over its measured iterations: any object that differs from the
 * baseline, any scenario whose verdict differs from the first iteration's, any run error, and
 * resident memory growing by more than a tenth from the second iteration (the first warms up
 * caches and lazily loaded modules) to the last.
 */
import { formatDifference } from './inventory.ts';
import type { IterationResult } from './soak.ts';

/** Largest RSS growth from iteration 2 to the last, as a share of iteration 2's. */
export const MAX_RSS_GROWTH = 0.1;

export interface SoakJudgement {
  failures: string[];
  /** RSS growth from iteration 2 to the last; null with fewer than three iterations. */
  rssGrowth: number | null;
}

export function judgeSoak(iterations: readonly IterationResult[]): SoakJudgement {
  const failures: string[] = [];
  const first = iterations[0];
  for (const it of iterations) {
    if (it.runError) failures.push(`iteration ${it.iteration}: the run failed: ${it.runError}`);
    if (it.differences.length) {
      failures.push(
        `iteration ${it.iteration}: ${it.differences.length} object(s) differ from the baseline:\n  ${it.differences.map(formatDifference).join('\n  ')}`,
      );
    }
    if (!first || it === first) continue;
    for (const name of new Set([...Object.keys(first.verdicts), ...Object.keys(it.verdicts)])) {
      const was = first.verdicts[name] ?? 'absent';
      const now = it.verdicts[name] ?? 'absent';
      if (was !== now) {
        const why = it.reasons[name];
        failures.push(
          `iteration ${it.iteration}: ${name} changed verdict: ${was} → ${now}${why ? ` (${why})` : ''}`,
        );
      }
    }
  }
  // Growth is only meaningful past the warm-up iteration, and needs two points after it.
  const warm = iterations[1];
  const last = iterations[iterations.length - 1];
  let rssGrowth: number | null = null;
  if (iterations.length >= 3 && warm && last) {
    rssGrowth = (last.rssBytes - warm.rssBytes) / warm.rssBytes;
    if (rssGrowth > MAX_RSS_GROWTH) {
      failures.push(
        `RSS grew ${(rssGrowth * 100).toFixed(1)}% from iteration 2 (${mb(warm.rssBytes)}) to iteration ${last.iteration} (${mb(last.rssBytes)}); the limit is ${MAX_RSS_GROWTH * 100}%`,
      );
    }
  }
  return { failures, rssGrowth };
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
