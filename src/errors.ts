/**
 * Errors that carry the CLI exit code they map to (DESIGN.md "Exit codes").
 * The CLI prints `message` as one line; nothing here prints a stack trace to users.
 */
export const ExitCode = {
  passed: 0,
  failed: 1,
  badInput: 2,
  clusterFailure: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class ScarsError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad scenario file, config, flag or manifest: exit 2, before any cluster is touched. */
export class InputError extends ScarsError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(
    what: { file?: string; line?: number; field?: string; expected: string },
    options?: { cause?: unknown },
  ) {
    super(formatInputError(what), ExitCode.badInput, options);
    this.file = what.file;
    this.line = what.line;
    this.field = what.field;
  }
}

/** `file:line: field: what was expected` — the one-line shape every bad-input message takes. */
export function formatInputError(what: {
  file?: string;
  line?: number;
  field?: string;
  expected: string;
}): string {
  const where = what.file ? `${what.file}${what.line ? `:${what.line}` : ''}: ` : '';
  const field = what.field ? `${what.field}: ` : '';
  return `${where}${field}${what.expected}`;
}

/** Usage errors (unknown flag, unknown scenario): exit 2. */
export class UsageError extends ScarsError {
  constructor(message: string) {
    super(message, ExitCode.badInput);
  }
}

/** The cluster or a tool failed (provisioning, kind/k6 missing, API unreachable): exit 3. */
export class ClusterError extends ScarsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.clusterFailure, options);
  }
}

/** The blast-radius guard refused a context or a mutation outside the run's scope. */
export class BlastRadiusError extends ScarsError {
  constructor(message: string) {
    super(message, ExitCode.badInput);
  }
}

/** A step ran past its timeout. */
export class StepTimeoutError extends Error {
  constructor(
    readonly step: string,
    readonly timeoutMs: number,
  ) {
    super(`step "${step}" timed out after ${formatMs(timeoutMs)}`);
    this.name = 'StepTimeoutError';
  }
}

/** The run was interrupted by SIGINT/SIGTERM. */
export class InterruptedError extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
