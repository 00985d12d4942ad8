/**
 * RealHost: the Host port on Node's own APIs, for the agent in its image and `scars agent`.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Host, HostClock, HostFiles, HostNetwork } from '../host.ts';
import { loopbackOnly } from './loopback-guard.ts';
import { dnsExchange } from './real-dns.ts';
import { httpRequestOnce, listenHttp, tlsHandshake } from './real-http.ts';
import { RealMemory } from './real-memory.ts';

export const realClock: HostClock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

const realFiles: HostFiles = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : ((err as Error).message ?? code)}`,
        { cause: err },
      );
    }
  },
};

export interface RealHostOptions {
  /** Refuse every destination but loopback (tests; SCARS_AGENT_LOOPBACK_ONLY=1). */
  loopbackOnly?: boolean;
  /** Aborts to make the running mode wind down (default: never; `forProcess` wires SIGTERM/SIGINT). */
  terminated?: AbortSignal;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

export class RealHost implements Host {
  readonly kind = 'real' as const;
  readonly hostname = hostname();
  readonly clock = realClock;
  readonly memory = new RealMemory();
  readonly net: HostNetwork;
  readonly files = realFiles;
  readonly terminated: AbortSignal;
  private readonly out: (line: string) => void;
  private readonly err: (line: string) => void;

  constructor(options: RealHostOptions = {}) {
    const net: HostNetwork = {
      dnsExchange,
      http: httpRequestOnce,
      tlsConnect: tlsHandshake,
      listen: listenHttp,
    };
    this.net = options.loopbackOnly ? loopbackOnly(net) : net;
    this.terminated = options.terminated ?? new AbortController().signal;
    this.out = options.stdout ?? ((line) => process.stdout.write(`${line}\n`));
    this.err = options.stderr ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The host for this process: SIGTERM and SIGINT end the mode gracefully (a second one kills). */
  static forProcess(options: Pick<RealHostOptions, 'stdout' | 'stderr'> = {}): RealHost {
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      stop.abort(new Error(`received ${signal}`));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // `scars agent dnsflood … | head`: a closed pipe ends the run quietly, as it does for other CLIs.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
    return new RealHost({
      ...options,
      terminated: stop.signal,
      loopbackOnly: process.env.SCARS_AGENT_LOOPBACK_ONLY === '1',
    });
  }

  stdout(line: string): void {
    this.out(line);
  }

  stderr(line: string): void {
    this.err(line);
  }
}
