/**
 * The `sim.scars.dev/*` pod annotations: the "program" an idle simulated container runs. A value
 * applies to every container, or is a comma list of `container=value`. Faults patch these on live
 * pods, so they are re-read on every pod update; a value that does not parse is reported (the
 * kubelet turns it into one Warning event) and ignored.
 */
import { isDuration, parseDuration } from '../../harness/duration.ts';
import { parseQuantity } from '../../kube/quantity.ts';

export const SIM_PREFIX = 'sim.scars.dev/';

export const ANNOTATIONS = {
  memory: `${SIM_PREFIX}memory`,
  memoryRamp: `${SIM_PREFIX}memory-ramp`,
  exitAfter: `${SIM_PREFIX}exit-after`,
  exitCode: `${SIM_PREFIX}exit-code`,
  probeLatency: `${SIM_PREFIX}probe-latency`,
  probeFail: `${SIM_PREFIX}probe-fail`,
  warmup: `${SIM_PREFIX}warmup`,
  shutdownDelay: `${SIM_PREFIX}shutdown-delay`,
} as const;

/** On a Node: `stopped` stops that node's kubelet until removed. */
export const KUBELET_STATE_ANNOTATION = `${SIM_PREFIX}kubelet`;

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
const PROBE_KINDS: readonly ProbeKind[] = ['liveness', 'readiness', 'startup'];

/** A real idle process is never at zero, and BestEffort pods must rank as "over request". */
export const DEFAULT_MEMORY_BYTES = 8 * 1024 * 1024;

export interface Behaviour {
  /** Working set once any ramp is over, in bytes. */
  memoryBytes: number;
  /** Time over which usage grows linearly from 0 to `memoryBytes` after start. */
  memoryRampMs: number;
  /** The process exits this long after it started (undefined: never, except init containers). */
  exitAfterMs: number | undefined;
  exitCode: number;
  probeLatencyMs: number;
  probeFail: ReadonlySet<ProbeKind>;
  /** Probes fail (HTTP 503) until this long after start. */
  warmupMs: number;
  /** Time the process takes to exit after SIGTERM. */
  shutdownDelayMs: number;
}

export interface ParsedBehaviour {
  behaviour: Behaviour;
  /** One sentence per annotation that did not parse (and was ignored). */
  problems: string[];
}

type Annotations = Readonly<Record<string, string>> | undefined;

/**
 * The text that applies to `container`: the whole value, or its `container=value` entries
 * (several for a list-valued annotation such as probe-fail). Undefined when none applies.
 */
function entriesFor(text: string, container: string): string[] | undefined | 'malformed' {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const keyed = items.filter((s) => s.includes('='));
  if (keyed.length === 0) return [text.trim()];
  if (keyed.length !== items.length) return 'malformed';
  const mine = keyed
    .map((s) => s.split('='))
    .filter(([name]) => name?.trim() === container)
    .map(([, value]) => (value ?? '').trim());
  return mine.length > 0 ? mine : undefined;
}

const durationOf = (text: string): number | undefined =>
  text === '0' ? 0 : isDuration(text) ? parseDuration(text) : undefined;

function quantityOf(text: string): number | undefined {
  const bytes = parseQuantity(text);
  return bytes !== undefined && bytes >= 0 ? Math.round(bytes) : undefined;
}

function exitCodeOf(text: string): number | undefined {
  return /^\d{1,3}$/.test(text) && Number(text) <= 255 ? Number(text) : undefined;
}

const NO_PROBE_FAILURES: ReadonlySet<ProbeKind> = new Set();

/** Reads the annotations for one container of the pod. */
export function behaviourFor(annotations: Annotations, container: string): ParsedBehaviour {
  const problems: string[] = [];
  const single = <T>(
    key: string,
    parse: (text: string) => T | undefined,
    expected: string,
  ): T | undefined => {
    const text = annotations?.[key];
    if (text === undefined) return undefined;
    const entries = entriesFor(text, container);
    if (entries === undefined) return undefined;
    const value = entries === 'malformed' || entries.length !== 1 ? undefined : parse(entries[0] as string);
    if (value === undefined)
      problems.push(`${key}: ${JSON.stringify(text)} is not valid (expected ${expected})`);
    return value;
  };
  let probeFail: ReadonlySet<ProbeKind> = NO_PROBE_FAILURES;
  const failText = annotations?.[ANNOTATIONS.probeFail];
  const entries = failText === undefined ? undefined : entriesFor(failText, container);
  if (entries !== undefined) {
    // Several kinds per container: `readiness,liveness`, or `app=readiness,app=liveness` / `app=readiness+liveness`.
    const kinds =
      entries === 'malformed'
        ? []
        : entries.flatMap((e) => e.split(/[,+|]/).map((k) => k.trim())).filter(Boolean);
    if (kinds.length === 0 || !kinds.every((k) => (PROBE_KINDS as readonly string[]).includes(k)))
      problems.push(
        `${ANNOTATIONS.probeFail}: ${JSON.stringify(failText)} is not valid (expected readiness, liveness or startup)`,
      );
    else probeFail = new Set(kinds as ProbeKind[]);
  }
  const duration = 'a duration such as 30s';
  const behaviour: Behaviour = {
    memoryBytes: single(ANNOTATIONS.memory, quantityOf, 'a quantity such as 600Mi') ?? DEFAULT_MEMORY_BYTES,
    memoryRampMs: single(ANNOTATIONS.memoryRamp, durationOf, duration) ?? 0,
    exitAfterMs: single(ANNOTATIONS.exitAfter, durationOf, duration),
    exitCode: single(ANNOTATIONS.exitCode, exitCodeOf, 'an exit code from 0 to 255') ?? 0,
    probeLatencyMs: single(ANNOTATIONS.probeLatency, durationOf, duration) ?? 0,
    probeFail,
    warmupMs: single(ANNOTATIONS.warmup, durationOf, duration) ?? 0,
    shutdownDelayMs: single(ANNOTATIONS.shutdownDelay, durationOf, duration) ?? 0,
  };
  return { behaviour, problems };
}

/** The sim annotations as one string, to notice cheaply whether a pod update changed them. */
export function simAnnotationsSignature(annotations: Annotations): string {
  if (!annotations) return '';
  let out = '';
  for (const key in annotations) if (key.startsWith(SIM_PREFIX)) out += `${key}=${annotations[key]}\n`;
  return out;
}
