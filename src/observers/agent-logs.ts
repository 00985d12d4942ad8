/**
 * Follows the agent's JSON lines in the pods matching a selector (pods/log, polled), and records
 * each new line into the timeline as an `agent-line` event. Assertions then read what the probes
 * and floods saw with `agentLinesIn`, without touching the cluster: they stay pure.
 *
 * Polling, not `follow=true`: a poll is one GET that every provider and proxy answers the same
 * way, and a pod that restarts (its log starts again) is noticed by the line count going down.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { type AgentLine, type AgentModeName, parseAgentLog } from '../agent/output.ts';
import type { AgentEventOf } from '../agent/events.ts';
import { errorMessage } from '../errors.ts';
import type { Observer, RunContext } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';

export interface AgentLogsOptions {
  /** Label selector of the agent pods, e.g. `app=dns-probe`. */
  selector: string;
  /** The agent's container, when the pod has several. */
  container?: string;
  /** Poll interval in ms of cluster time. Default 1000. */
  intervalMs?: number;
}

/** The detail of an `agent-line` timeline event. */
export interface AgentLineRecord {
  observer: 'agent-logs';
  selector: string;
  pod: string;
  line: AgentLine;
}

export function agentLogs(options: AgentLogsOptions): Observer {
  const interval = options.intervalMs ?? 1000;
  return {
    name: 'agent-logs',
    describe: () => `follow the agent's lines in pods matching ${options.selector} every ${interval}ms`,
    async start(ctx) {
      const follower = new LogFollower(ctx, options);
      let stopped = false;
      await follower.poll();
      const loop = (async () => {
        while (!stopped) {
          await ctx.clock.sleep(interval).catch(() => {});
          if (!stopped) await follower.poll();
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
          // The last lines (the summary) are written as the agent stops: read them once more.
          await follower.poll();
        },
      };
    },
  };
}

class LogFollower {
  /** Lines already recorded, per pod uid and container restart count. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ctx: RunContext,
    private readonly options: AgentLogsOptions,
  ) {}

  async poll(): Promise<void> {
    let pods: V1Pod[];
    try {
      pods = await this.ctx.kube.list<V1Pod>('v1', 'Pod', {
        namespace: this.ctx.namespace,
        labelSelector: this.options.selector,
      });
    } catch (err) {
      this.ctx.record('sample-error', { observer: 'agent-logs', error: errorMessage(err) });
      return;
    }
    for (const pod of pods) await this.read(pod);
  }

  private async read(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const statuses = pod.status?.containerStatuses ?? [];
    const status = this.options.container
      ? statuses.find((c) => c.name === this.options.container)
      : statuses[0];
    // No container has started yet: there is no log to read.
    if (!status || (!status.state?.running && !status.state?.terminated)) return;
    const key = `${pod.metadata?.uid ?? name}/${status.name}/${status.restartCount ?? 0}`;
    let text: string;
    try {
      text = await this.ctx.kube.logs(this.ctx.namespace, name, {
        ...(this.options.container ? { container: this.options.container } : {}),
      });
    } catch {
      // Deleted between list and read, or not started: the next poll sees the truth.
      return;
    }
    const lines = parseAgentLog(text);
    const from = this.seen.get(key) ?? 0;
    for (const line of lines.slice(from)) {
      const record: AgentLineRecord = {
        observer: 'agent-logs',
        selector: this.options.selector,
        pod: name,
        line,
      };
      this.ctx.record('agent-line', { ...record });
    }
    this.seen.set(key, Math.max(from, lines.length));
  }
}

export interface AgentLineQuery<M extends AgentModeName> {
  mode: M;
  /** Only lines from pods matched by this observer's selector. */
  selector?: string;
  /** Only these events (e.g. `lookup`, `summary`). */
  event?: string;
  /** Only lines recorded during these lifecycle steps (e.g. inject, hold, revert). */
  steps?: ReadonlySet<string>;
}

/** The agent lines the `agentLogs` observer recorded, typed by mode, with the timeline event they came in. */
export function agentLinesIn<M extends AgentModeName>(
  timeline: readonly TimelineEvent[],
  query: AgentLineQuery<M>,
): { t: number; step: string; pod: string; line: AgentLine<AgentEventOf<M>> }[] {
  const out: { t: number; step: string; pod: string; line: AgentLine<AgentEventOf<M>> }[] = [];
  for (const e of timeline) {
    if (e.event !== 'agent-line') continue;
    const d = e.detail as Partial<AgentLineRecord> | undefined;
    if (d?.observer !== 'agent-logs' || !d.line || d.line.mode !== query.mode) continue;
    if (query.selector !== undefined && d.selector !== query.selector) continue;
    if (query.event !== undefined && d.line.event !== query.event) continue;
    if (query.steps && !query.steps.has(e.step)) continue;
    out.push({ t: e.t, step: e.step, pod: d.pod ?? '', line: d.line as AgentLine<AgentEventOf<M>> });
  }
  return out;
}
