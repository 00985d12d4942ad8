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
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RealHost } from '../../src/agent/host/real.ts';
import { type AgentLine, parseAgentLine, parseAgentLog } from '../../src/agent/output.ts';
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

export interface AgentProcess {
  readonly child: ChildProcess;
  /** stdout so far, parsed (complete lines only). */
  lines(): AgentLine[];
  stdout(): string;
  stderr(): string;
  /** Calls `fn` once per new complete agent line, as it arrives. */
  onLine(fn: (line: AgentLine) => void): void;
  /** Resolves when the process has exited and its pipes are drained. */
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    lines: AgentLine[];
    stdout: string;
    stderr: string;
  }>;
}

const MAIN = fileURLToPath(new URL('../../src/agent/main.ts', import.meta.url));

/**
 * The agent as its own process (`node --import tsx src/agent/main.ts …`), loopback-only through
 * SCARS_AGENT_LOOPBACK_ONLY=1, killed after `timeoutMs` so a stuck run cannot hang the suite.
 */
export function spawnAgent(args: readonly string[], options: { timeoutMs?: number } = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, SCARS_AGENT_LOOPBACK_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let seen = 0;
  const listeners: ((line: AgentLine) => void)[] = [];
  const complete = () => parseAgentLog(out.slice(0, out.lastIndexOf('\n') + 1));
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = complete();
    for (const line of lines.slice(seen)) for (const fn of listeners) fn(line);
    seen = lines.length;
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const exited = new Promise<Awaited<AgentProcess['exited']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: parseAgentLog(out), stdout: out, stderr: err });
    });
  });
  return {
    child,
    lines: complete,
    stdout: () => out,
    stderr: () => err,
    onLine: (fn) => listeners.push(fn),
    exited,
  };
}
