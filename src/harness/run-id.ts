import { randomBytes } from 'node:crypto';

/** Sortable and unique across concurrent runs: `20261123-142233-3fa9c1`. */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, '');
  return `${iso.slice(0, 8)}-${iso.slice(9, 15)}-${randomBytes(3).toString('hex')}`;
}

/** The run namespace: a DNS label (≤ 63 chars) that names the run and the scenario. */
export function runNamespace(runId: string, scenario: string, arm: 'main' | 'control'): string {
  const suffix = runId.slice(-6);
  const tail = arm === 'control' ? '-ctl' : '';
  const base = `scars-${suffix}-${scenario}`.slice(0, 63 - tail.length).replace(/-+$/, '');
  return `${base}${tail}`;
}
