/**
 * The external programs the kind provider drives (kind, docker, kubectl), run through execa with
 * argument arrays. A program that is not installed is a tool failure (exit 3) that says where to
 * get it; a program that fails says what ran and the last thing it printed.
 */
import { execa } from 'execa';
import { ClusterError } from '../../errors.ts';

export type ToolName = 'kind' | 'docker' | 'kubectl';

export const INSTALL_HINTS: Record<ToolName, string> = {
  kind: 'install kind (v0.24.0 or later): https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  docker: 'install Docker and start its engine: https://docs.docker.com/engine/install/',
  kubectl: 'install kubectl: https://kubernetes.io/docs/tasks/tools/',
};

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  /** Each stderr line as it arrives (kind and docker report progress there). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  cwd?: string;
  input?: string;
}

export class ToolMissingError extends ClusterError {
  constructor(readonly tool: ToolName) {
    super(`${tool} is not on PATH: ${INSTALL_HINTS[tool]}`);
  }
}

/** Runs a tool to completion; a non-zero exit is returned, not thrown (callers decide what it means). */
export async function runTool(
  tool: ToolName,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  const subprocess = execa(tool, args, {
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    // kind ignores SIGTERM while it waits on docker; do not let a cancelled run hang on it.
    forceKillAfterDelay: 5_000,
    stripFinalNewline: false,
  });
  if (options.onLine) {
    const onLine = options.onLine;
    let partial = '';
    subprocess.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    });
    subprocess.stderr?.on('end', () => {
      if (partial.trim()) onLine(partial);
    });
  }
  const result = await subprocess;
  if ((result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new ToolMissingError(tool);
  if (result.isCanceled) {
    throw options.signal?.reason instanceof Error
      ? options.signal.reason
      : new ClusterError(`${tool} ${args.join(' ')} was cancelled`);
  }
  if (result.timedOut) {
    throw new ClusterError(
      `${tool} ${args.join(' ')} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)}s`,
    );
  }
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs a tool that must succeed; its failure is a cluster/tool failure naming the command. */
export async function runToolOk(
  tool: ToolName,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  const result = await runTool(tool, args, options);
  if (result.exitCode !== 0) {
    throw new ClusterError(
      `\`${tool} ${args.join(' ')}\` failed (exit ${result.exitCode})${lastWords(result)}`,
    );
  }
  return result;
}

/**
 * What a failed tool said: its first `ERROR`/`error` line, else its last line on stderr (where
 * kind, docker and kubectl report failures), else its last line on stdout.
 */
export function lastWords(result: ToolResult): string {
  const lines = (text: string) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const err = lines(result.stderr);
  const line = err.find((l) => /^(ERROR|Error|error)\b/.test(l)) ?? err.at(-1) ?? lines(result.stdout).at(-1);
  return line ? `: ${line}` : '';
}
