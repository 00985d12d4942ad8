/**
 * `scars sim serve --api-fault <spec>`: one API fault (faults.ts) on a schedule, written as
 * `<what>[:<resources>][@<after>][+<for>]`, e.g. `503@30s+10s` (503 for every request from 30 s
 * after start, for 10 s), `429:pods,nodes+1m`, `restart@2m+20s`, `timeout@10s+5s`. Times are
 * cluster time, as every sim duration.
 */
import { type Duration, isDuration, parseDuration } from '../../harness/duration.ts';
import type { ApiFaultSpec } from './faults.ts';

export interface ScheduledApiFault {
  /** Cluster ms after the sim starts. */
  afterMs: number;
  spec: ApiFaultSpec;
}

const SHAPE = /^(500|503|429|timeout|restart)(?::([a-z0-9.,/-]+))?(?:@([0-9a-z.]+))?(?:\+([0-9a-z.]+))?$/;

export const API_FAULT_FLAG_SYNTAX = '<500|503|429|timeout|restart>[:resources][@after][+for]';

/** The fault a flag value describes; a RangeError says what was expected. */
export function parseApiFaultFlag(text: string): ScheduledApiFault {
  const m = SHAPE.exec(text.trim());
  const expected = `expected ${API_FAULT_FLAG_SYNTAX} such as 503@30s+10s or restart@1m+20s, got ${JSON.stringify(text)}`;
  if (!m) throw new RangeError(expected);
  const [, what = '', resources, after, lasting] = m;
  const duration = (d: string | undefined, name: string): number | undefined => {
    if (d === undefined) return undefined;
    if (!isDuration(d as Duration))
      throw new RangeError(`${name} ${JSON.stringify(d)} is not a duration (30s, 2m, 1m30s); ${expected}`);
    return parseDuration(d);
  };
  const afterMs = duration(after, 'after') ?? 0;
  const forMs = duration(lasting, 'for');
  if (what === 'restart') {
    if (resources) throw new RangeError(`a restart cuts every connection: no resources; ${expected}`);
    if (forMs === undefined)
      throw new RangeError(`a restart needs +<for> (how long the server is down); ${expected}`);
    return { afterMs, spec: { kind: 'restart', forMs } };
  }
  const spec: ApiFaultSpec =
    what === 'timeout' ? { kind: 'timeout' } : { kind: 'status', status: Number(what) as 500 | 503 | 429 };
  if (forMs !== undefined) spec.forMs = forMs;
  if (resources) spec.match = { resources: resources.split(',').filter(Boolean) };
  return { afterMs, spec };
}

/** `503 for every request, from 30s, for 10s`: the line `sim serve` prints for a scheduled fault. */
export function describeApiFault(f: ScheduledApiFault): string {
  const what =
    f.spec.kind === 'restart'
      ? 'restart'
      : f.spec.kind === 'timeout'
        ? 'hung requests (timeout)'
        : String(f.spec.status);
  const on = f.spec.match?.resources ? ` on ${f.spec.match.resources.join(', ')}` : '';
  const lasting = f.spec.forMs === undefined ? 'until stopped' : `for ${f.spec.forMs / 1000}s`;
  return `${what}${on} from ${f.afterMs / 1000}s, ${lasting} (cluster time)`;
}
