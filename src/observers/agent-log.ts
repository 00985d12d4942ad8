/**
 * Reads what the agent wrote in a pod: its JSON lines from `pods/log`, typed by mode. The agent and
 * the harness share the line types (src/agent/events.ts), so a field renamed in a mode breaks the
 * observers' build, not a nightly run.
 */
import type { KubeApi } from '../harness/kube-api.ts';
import type { AgentEventOf, AgentModeName } from '../agent/events.ts';
import { type AgentLine, parseAgentLog } from '../agent/output.ts';

export interface AgentLogOptions {
  container?: string;
  /** The previous (terminated) container instance, e.g. the one that was OOM-killed. */
  previous?: boolean;
}

/** Every agent line in the pod's log, in order. */
export async function readAgentLines(
  kube: KubeApi,
  namespace: string,
  pod: string,
  options: AgentLogOptions = {},
): Promise<AgentLine[]> {
  return parseAgentLog(await kube.logs(namespace, pod, options));
}

/** The lines of one mode, typed; lines of other modes (another container's agent) are left out. */
export function linesOf<M extends AgentModeName>(
  lines: readonly AgentLine[],
  mode: M,
): AgentLine<AgentEventOf<M>>[] {
  return lines.filter((l) => l.mode === mode) as AgentLine<AgentEventOf<M>>[];
}

/** The run's summary line, if the agent got to write it (a killed agent does not). */
export function summaryOf<M extends AgentModeName>(
  lines: readonly AgentLine[],
  mode: M,
): Extract<AgentLine<AgentEventOf<M>>, { event: 'summary' }> | undefined {
  const found = linesOf(lines, mode).findLast((l) => l.event === 'summary');
  return found as Extract<AgentLine<AgentEventOf<M>>, { event: 'summary' }> | undefined;
}
