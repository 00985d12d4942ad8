/** Durations in scenario files: "500ms", "30s", "2m", "1h", "1m30s", or a number of milliseconds. */
export type Duration = string | number;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export function isDuration(value: unknown): value is Duration {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return typeof value === 'string' && DURATION_RE.test(value);
}

export function parseDuration(value: Duration): number {
  if (typeof value === 'number') return value;
  if (!DURATION_RE.test(value)) throw new RangeError(`not a duration: ${JSON.stringify(value)}`);
  let total = 0;
  for (const [, n, unit] of value.matchAll(PART_RE)) total += Number(n) * (UNIT_MS[unit as string] ?? 0);
  return total;
}
