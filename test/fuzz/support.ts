/**
 * What every fuzz case must end with: an exit code from the documented set, for an error one line
 * (`scars: …`, or for `scars validate` the finding naming its file), and never a stack
 * trace or an internal error. Counts the cases each property ran, for the summary line.
 */
import { expect } from 'vitest';
import type { CliResult } from '../support/cli.ts';

export const SEED = 20261123;

/** Property → exit code → cases. */
export const counts = new Map<string, Map<number | null, number>>();

export function summary(): string {
  return [...counts]
    .map(([property, codes]) => {
      const total = [...codes.values()].reduce((a, b) => a + b, 0);
      const byCode = [...codes].map(([code, n]) => `exit ${code}: ${n}`).join(', ');
      return `${property} ${total} (${byCode})`;
    })
    .join('; ');
}

export function expectAnswered(r: CliResult, allowed: readonly number[], what: string): void {
  const property = what.split(':')[0] ?? what;
  const codes = counts.get(property) ?? new Map<number | null, number>();
  codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  counts.set(property, codes);
  const context = `${what}\nexit ${r.code}\nstdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 500)}`;
  expect(allowed, context).toContain(r.code);
  expect(r.stdout + r.stderr, context).not.toMatch(/\n\s+at \S.*[:(]\d+|node:internal|unexpected error/);
  if (r.code === 2 || r.code === 3) {
    const lines = r.stderr.trim().split('\n');
    expect(lines, context).toHaveLength(1);
    // `scars: …`, or a `scars validate` finding, which names its file first.
    expect(lines[0], context).toMatch(/^(scars: |\S+?(:\d+)?: )\S/);
  }
}
