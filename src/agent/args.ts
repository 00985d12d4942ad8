/**
 * Flag values the modes share: durations ("500ms", "30s", "1m30s"), byte sizes as Kubernetes
 * quantities ("256Mi", "1G", "1048576"), rates ("64Mi/s", "100/s"), lists ("a,b,c"). Each
 * parser throws a FlagError naming the flag and what was expected; the CLI turns it into one
 * line on stderr and exit code 2.
 */
import { isDuration, parseDuration } from '../harness/duration.ts';
import { parseQuantity } from '../kube/quantity.ts';

export class FlagError extends Error {
  constructor(flag: string, value: unknown, expected: string) {
    super(`--${flag}: expected ${expected}, got ${JSON.stringify(value)}`);
    this.name = 'FlagError';
  }
}

export function durationFlag(flag: string, value: unknown): number {
  const v = typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : value;
  if (!isDuration(v)) throw new FlagError(flag, value, 'a duration such as 500ms, 30s or 1m30s');
  return parseDuration(v);
}

export function bytesFlag(flag: string, value: unknown): number {
  const bytes =
    typeof value === 'number' ? value : typeof value === 'string' ? parseQuantity(value) : undefined;
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0)
    throw new FlagError(flag, value, 'a byte size such as 256Mi, 1Gi or 1048576');
  return Math.floor(bytes);
}

/** "64Mi/s" or "64Mi" (per second implied) as bytes per second. */
export function byteRateFlag(flag: string, value: unknown): number {
  const text = String(value).replace(/\/s$/, '');
  const bytes = parseQuantity(text);
  if (bytes === undefined || !(bytes > 0)) throw new FlagError(flag, value, 'a rate such as 64Mi/s');
  return bytes;
}

/** "100/s", "100" or "6000/m" as events per second. */
export function rateFlag(flag: string, value: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m))?$/.exec(String(value));
  const n = m ? Number(m[1]) * (m[2] === 'm' ? 1 / 60 : 1) : NaN;
  if (!(n > 0)) throw new FlagError(flag, value, 'a positive rate such as 100/s');
  return n;
}

export function positiveIntFlag(flag: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new FlagError(flag, value, 'a positive whole number');
  return n;
}

export function portFlag(flag: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FlagError(flag, value, 'a port number 0-65535');
  return n;
}

/** Repeated flags and comma lists both: `--name a --name b,c` is [a, b, c]. */
export function listFlag(flag: string, value: unknown): string[] {
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new FlagError(flag, value, 'at least one value');
  return items;
}

/** "200-399", "200", "200,204" as a status predicate. */
export function statusRangeFlag(flag: string, value: unknown): (status: number) => boolean {
  const ranges: [number, number][] = [];
  for (const part of String(value).split(',')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    if (!m) throw new FlagError(flag, value, 'status codes such as 200-399 or 200,204');
    ranges.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}
