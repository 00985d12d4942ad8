/** Kubernetes minor releases as `1.NN`: parsing flags, ordering. */
import { UsageError } from '../errors.ts';

export interface Minor {
  major: number;
  minor: number;
}

const MINOR = /^v?(1)\.(\d{1,3})$/;

/** `1.32` (or `v1.32`) → { major: 1, minor: 32 }; undefined when it is not that shape. */
export function tryParseMinor(text: string): Minor | undefined {
  const m = MINOR.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function parseMinor(text: string): Minor {
  const v = tryParseMinor(text);
  if (!v) throw new RangeError(`not a Kubernetes minor version (1.NN): ${JSON.stringify(text)}`);
  return v;
}

/** A version flag's value, or a usage error naming the flag. */
export function minorFlag(flag: string, value: unknown): Minor {
  const v = typeof value === 'string' || typeof value === 'number' ? tryParseMinor(String(value)) : undefined;
  if (!v)
    throw new UsageError(
      `${flag}: expected a Kubernetes minor version like 1.32, got ${JSON.stringify(value)}`,
    );
  return v;
}

export function compareMinor(a: Minor, b: Minor): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatMinor(v: Minor): string {
  return `${v.major}.${v.minor}`;
}
