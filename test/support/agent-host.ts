/**
 * A Host for running agent modes in-process in tests: a virtual clock, counting memory, a network
 * and files the test supplies, and stdout/stderr collected as lines.
 *
 * The clock is virtual. By default it advances by itself ("fast"): whenever the code under test
 * is waiting only on sleeps, time jumps to the earliest one and wakes it, so a 10-minute hold
 * takes milliseconds and timestamps are exact. That suits code that waits only on the clock and
 * on in-process promises; code awaiting real I/O should use `clock: 'manual'`, which leaves time
 * still until the test calls `advance(ms)`.
 *
 *   const t = createTestHost({ memory: { baselineBytes: 50 << 20 } });
 *   const code = await t.run(['memhog', '--target', '8Mi', '--hold', '1s']);
 *   t.events('progress') // parsed lines with event 'progress'
 */
import type {
  Host,
  HostClock,
  HostFiles,
  HostMemory,
  HostNetwork,
  MemoryBlock,
} from '../../src/agent/host.ts';
import { HostNetworkError } from '../../src/agent/host.ts';
import { type AgentLine, parseAgentLine } from '../../src/agent/output.ts';
import { runAgent } from '../../src/agent/run.ts';

/** 2025-01-01T00:00:00Z: timestamps in test output are stable. */
export const TEST_EPOCH_MS = Date.UTC(2025, 0, 1);

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
}

export class TestClock implements HostClock {
  private current: number;
  private readonly sleepers: Sleeper[] = [];
  private seq = 0;
  private scheduled = false;

  constructor(
    readonly mode: 'auto' | 'manual' = 'auto',
    readonly startMs = TEST_EPOCH_MS,
    /** In auto mode, virtual time may not pass this: a mode that never ends fails instead of spinning. */
    private readonly limitMs = startMs + 24 * 3_600_000,
  ) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Milliseconds of virtual time since the clock started. */
  get elapsedMs(): number {
    return this.current - this.startMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        due: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.remove(sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.schedule();
    });
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way in order (manual mode's drive). */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > until) break;
      this.wake(next);
      // Let the woken code run (and sleep again) before looking for the next one.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.current = until;
  }

  /** Sleepers not yet woken (a mode that is finished should have none). */
  get pending(): number {
    return this.sleepers.length;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers)
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    return best;
  }

  private remove(sleeper: Sleeper): void {
    const i = this.sleepers.indexOf(sleeper);
    if (i >= 0) this.sleepers.splice(i, 1);
  }

  private wake(sleeper: Sleeper): void {
    this.remove(sleeper);
    this.current = Math.max(this.current, sleeper.due);
    sleeper.resolve();
  }

  /**
   * Auto mode: after the current macrotask (so everything runnable has run and registered its
   * sleeps), wake the earliest sleeper; repeat while any remain.
   */
  private schedule(): void {
    if (this.mode !== 'auto' || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const next = this.earliest();
      if (!next) return;
      if (next.due > this.limitMs) {
        throw new Error(`test clock: a sleep until +${next.due - this.startMs}ms passes the clock's limit`);
      }
      this.wake(next);
      if (this.sleepers.length > 0) this.schedule();
    });
  }
}

export interface TestMemoryOptions {
  /** The working set before any allocation (default 40Mi, about a Node process). */
  baselineBytes?: number;
  /** allocate throws a RangeError (as V8 does) when it would hold more than this. */
  limitBytes?: number;
}

/** Memory that only counts: the working set is the baseline plus what is held. */
export class TestMemory implements HostMemory {
  readonly baselineBytes: number;
  heldBytes = 0;
  peakHeldBytes = 0;
  /** Every allocation in order, with the virtual time it was made at. */
  readonly allocations: { bytes: number; atMs: number }[] = [];
  releasedBytes = 0;

  constructor(
    private readonly clock: TestClock,
    private readonly options: TestMemoryOptions = {},
  ) {
    this.baselineBytes = options.baselineBytes ?? 40 * 1024 * 1024;
  }

  allocate(bytes: number): MemoryBlock {
    if (this.options.limitBytes !== undefined && this.heldBytes + bytes > this.options.limitBytes)
      throw new RangeError('Array buffer allocation failed');
    this.heldBytes += bytes;
    this.peakHeldBytes = Math.max(this.peakHeldBytes, this.heldBytes);
    this.allocations.push({ bytes, atMs: this.clock.elapsedMs });
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.heldBytes -= bytes;
        this.releasedBytes += bytes;
      },
    };
  }

  workingSetBytes(): number {
    return this.baselineBytes + this.heldBytes;
  }
}

const noNetwork = (what: string) => () =>
  Promise.reject(new HostNetworkError('EOTHER', `${what}: this test host has no network`));

export interface TestHostOptions {
  memory?: TestMemoryOptions;
  /** Network operations the test provides; the others reject with EOTHER. */
  net?: Partial<HostNetwork>;
  /** Readable files, path → text; other paths reject as missing. */
  files?: Record<string, string>;
  clock?: 'auto' | 'manual';
  kind?: Host['kind'];
  hostname?: string;
}

export interface TestHost {
  host: Host;
  clock: TestClock;
  memory: TestMemory;
  /** Raw stdout and stderr lines, in order. */
  stdout: string[];
  stderr: string[];
  /** stdout parsed as agent lines (non-agent lines such as --help text skipped). */
  lines(): AgentLine[];
  /** Parsed lines with this event name. */
  events<T extends object = Record<string, unknown>>(event: string): (AgentLine & T)[];
  /** Resolves with the first line with this event (at once if there already is one). */
  waitForEvent(event: string): Promise<AgentLine>;
  /** Aborts host.terminated, as SIGTERM does. */
  terminate(reason?: string): void;
  /** runAgent with this host: `<mode> [flags]` → exit code. */
  run(argv: readonly string[]): Promise<number>;
}

export function createTestHost(options: TestHostOptions = {}): TestHost {
  const clock = new TestClock(options.clock ?? 'auto');
  const memory = new TestMemory(clock, options.memory);
  const stop = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { event: string; resolve: (line: AgentLine) => void }[] = [];
  const files = options.files ?? {};
  const hostFiles: HostFiles = {
    readText: (path) =>
      path in files
        ? Promise.resolve(files[path] as string)
        : Promise.reject(new Error(`cannot read ${path}: no such file`)),
  };
  const net: HostNetwork = {
    dnsExchange: noNetwork('dnsExchange'),
    http: noNetwork('http'),
    tlsConnect: noNetwork('tlsConnect'),
    listen: noNetwork('listen'),
    ...options.net,
  };
  const host: Host = {
    kind: options.kind ?? 'sim',
    hostname: options.hostname ?? 'test-host',
    clock,
    memory,
    net,
    files: hostFiles,
    terminated: stop.signal,
    stdout: (line) => {
      stdout.push(line);
      const parsed = parseAgentLine(line);
      if (!parsed) return;
      for (const w of waiters.splice(0)) {
        if (w.event === parsed.event) w.resolve(parsed);
        else waiters.push(w);
      }
    },
    stderr: (line) => {
      stderr.push(line);
    },
  };
  const lines = () => stdout.map(parseAgentLine).filter((l): l is AgentLine => l !== undefined);
  return {
    host,
    clock,
    memory,
    stdout,
    stderr,
    lines,
    events: <T extends object>(event: string) =>
      lines().filter((l) => l.event === event) as (AgentLine & T)[],
    waitForEvent: (event) => {
      const seen = lines().find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ event, resolve }));
    },
    terminate: (reason = 'received SIGTERM') => stop.abort(new Error(reason)),
    run: (argv) => runAgent(argv, host),
  };
}
