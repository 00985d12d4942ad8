/**
 * The agent's output: one JSON object per line on stdout, `{ ts, mode, event, ...fields }`, ending
 * with one `summary` line. Observers in the harness read these lines back from pod logs with
 * `parseAgentLine`, so the shapes here are the contract between the agent and the harness.
 */
import type { Host } from './host.ts';

export const AGENT_MODES = [
  'memhog',
  'dnsflood',
  'dnsprobe',
  'httpprobe',
  'tlsprobe',
  'imdsprobe',
  'serve',
] as const;
export type AgentModeName = (typeof AGENT_MODES)[number];

/** Lines every mode writes. */
export type CommonEvent =
  | { event: 'start'; host: 'real' | 'sim'; hostname: string; version: string; args: string[] }
  /** A fatal error: the mode could not do its job (bad environment, not bad luck on the wire). */
  | { event: 'error'; message: string };

/** The last line of every run; modes add their totals next to the exit code. */
export interface SummaryFields {
  event: 'summary';
  exitCode: number;
  /** Why the mode stopped: its count or duration ran out, or it was asked to stop. */
  stoppedBy?: 'done' | 'count' | 'duration' | 'signal' | 'error';
}

export type AgentLine<E extends { event: string } = { event: string }> = {
  ts: string;
  mode: AgentModeName;
} & E;

export class AgentOutput<E extends { event: string }> {
  constructor(
    private readonly host: Host,
    readonly mode: AgentModeName,
  ) {}

  /** Writes one line; `event` comes right after `ts` and `mode` so the lines read well in `kubectl logs`. */
  emit(line: E | CommonEvent): void {
    const ts = new Date(this.host.clock.now()).toISOString();
    this.host.stdout(JSON.stringify(Object.assign({ ts, mode: this.mode, event: line.event }, line)));
  }
}

const MODES = new Set<string>(AGENT_MODES);

/** Parses one log line; anything that is not an agent line (a runtime's own output, a blank) is undefined. */
export function parseAgentLine(line: string): AgentLine | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.ts !== 'string' || typeof record.event !== 'string') return undefined;
  if (typeof record.mode !== 'string' || !MODES.has(record.mode)) return undefined;
  return record as AgentLine;
}

/** Every agent line in a log (`kubectl logs` output, a pod's log text). */
export function parseAgentLog(text: string): AgentLine[] {
  const lines: AgentLine[] = [];
  for (const line of text.split('\n')) {
    const parsed = parseAgentLine(line);
    if (parsed) lines.push(parsed);
  }
  return lines;
}
