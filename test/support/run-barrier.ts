/**
 * A barrier for tests that need scars runs in child processes to hold their faults at the same
 * time: the scenario's afterInject hook writes `injected-<runId>-<arm>` (run id, pid, arm) into
 * SCARS_BARRIER_DIR and waits until the test creates `go` there. Without the variable it does
 * nothing. Wall-time bounded, and a signal (SIGINT, step timeout) ends the wait.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../../src/harness/scenario.ts';

export const BARRIER_ENV = 'SCARS_BARRIER_DIR';
const WAIT_LIMIT_MS = 90_000;

export interface Arrival {
  runId: string;
  pid: number;
  arm: string;
  namespace: string;
}

export async function waitAtBarrier(ctx: RunContext): Promise<void> {
  const dir = process.env[BARRIER_ENV];
  if (!dir) return;
  const arrival: Arrival = { runId: ctx.runId, pid: process.pid, arm: ctx.arm, namespace: ctx.namespace };
  writeFileSync(join(dir, `injected-${ctx.runId}-${ctx.arm}`), JSON.stringify(arrival));
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!existsSync(join(dir, 'go'))) {
    if (Date.now() > deadline) throw new Error(`barrier: no go in ${dir} within ${WAIT_LIMIT_MS}ms`);
    await sleep(100, undefined, { signal: ctx.signal });
  }
}

/** The runs that have reached the barrier so far. */
export function arrivals(dir: string): Arrival[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('injected-'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Arrival);
}

export function openBarrier(dir: string): void {
  writeFileSync(join(dir, 'go'), '');
}
