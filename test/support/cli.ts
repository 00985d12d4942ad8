/** Runs the real CLI (bin/scars.js) in a child process, as users and CI do. */
import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';

export const BIN = fileURLToPath(new URL('../../bin/scars.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the output so far matches. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

export function startCli(
  args: string[],
  /** stdin: 'pipe' to answer prompts through `child.stdin`; default none. */
  options: { cwd?: string; env?: Record<string, string>; stdin?: 'pipe' | 'ignore' } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...options.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const l of listeners) l();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForOutput(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(stdout) || re.test(stderr)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `no output matching ${re} within ${timeoutMs}ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

export function cli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * main() in-process: the same yargs parser, handlers and exit-code mapping as the binary without
 * its start-up cost (about 2 s of module loading per child). `env` is set on process.env for the
 * call and restored after it, so tools spawned by the command see it as a child's would.
 */
export async function cliInProcess(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
  };
  const out = capture();
  const err = capture();
  const env: Record<string, string> = { CI: '1', NO_COLOR: '1', ...options.env };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { stdout: out.stream, stderr: err.stream, cwd: options.cwd ?? REPO });
    return { code, signal: null, stdout: out.text(), stderr: err.text() };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The real CLI with a terminal on stdin (util-linux `script` gives the child a pseudo-terminal),
 * so the questions scars asks only on a TTY can be answered: `answers` are typed in order.
 * Returns undefined when `script` is not installed (the test says so and skips).
 */
export async function cliOnTty(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; answers: string[] },
): Promise<{ code: number | null; output: string } | undefined> {
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const pending = [...options.answers];
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    // Answer each question once it is asked (the pty would buffer early input, but the echo
    // then lands before the question and the transcript is harder to read).
    if (pending.length && /\[y\/N\] $/.test(output)) child.stdin.write(`${pending.shift()}\n`);
  });
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, output };
}
