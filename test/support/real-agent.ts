/**
 * Runs agent modes in-process on the real host, loopback only: real sockets, real time, lines
 * collected as they are written. For servers (`serve`) that run until told to stop, `start` returns
 * at once and `terminate()` plays SIGTERM.
 *
 *   const agent = startAgent(['serve', '--port', '0']);
 *   const { port } = await agent.waitForEvent('listening');
 *   agent.terminate();
 *   expect(await agent.done).toBe(0);
 */
import { RealHost } from '../../src/agent/host/real.ts';
import { type AgentLine, parseAgentLine } from '../../src/agent/output.ts';
import { runAgent } from '../../src/agent/run.ts';

export interface RunningAgent {
  readonly host: RealHost;
  /** Resolves with the exit code. */
  readonly done: Promise<number>;
  /** stdout parsed as agent lines, in order. */
  lines(): AgentLine[];
  /** Parsed lines with this event name. */
  events<T extends object = Record<string, unknown>>(event: string): (AgentLine & T)[];
  /** The first line with this event (waiting for it if need be; rejects if the agent ends first). */
  waitForEvent<T extends object = Record<string, unknown>>(
    event: string,
    ms?: number,
  ): Promise<AgentLine & T>;
  /** Aborts host.terminated, as SIGTERM does. */
  terminate(): void;
  stderr: string[];
}

export function startAgent(argv: readonly string[]): RunningAgent {
  const stop = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const host = new RealHost({
    loopbackOnly: true,
    terminated: stop.signal,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  let finished = false;
  const done = runAgent(argv, host).finally(() => {
    finished = true;
  });
  const lines = () => stdout.map(parseAgentLine).filter((l): l is AgentLine => l !== undefined);
  const events = <T extends object>(event: string) =>
    lines().filter((l) => l.event === event) as (AgentLine & T)[];
  return {
    host,
    done,
    lines,
    events,
    async waitForEvent<T extends object>(event: string, ms = 10_000) {
      const until = Date.now() + ms;
      for (;;) {
        const [found] = events<T>(event);
        if (found) return found;
        if (finished || Date.now() > until)
          throw new Error(
            `no ${event} line ${finished ? 'before the agent exited' : `within ${ms}ms`}; output:\n${[...stdout, ...stderr].join('\n')}`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    terminate: () => stop.abort(new Error('received SIGTERM')),
    stderr,
  };
}

/** Runs a mode to its end: exit code and lines. */
export async function runToEnd(
  argv: readonly string[],
): Promise<{ code: number; lines: AgentLine[]; agent: RunningAgent }> {
  const agent = startAgent(argv);
  const code = await agent.done;
  return { code, lines: agent.lines(), agent };
}
