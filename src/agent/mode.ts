/**
 * What a mode is: its flags (yargs), how they become typed options, and its run. The run gets the
 * host and an output writer and returns the exit code (see exit-codes.ts); it must return when
 * `host.terminated` aborts, and it writes its own `summary` line.
 */
import type { Argv } from 'yargs';
import type { Host } from './host.ts';
import type { AgentModeName, AgentOutput } from './output.ts';

export interface ModeContext<E extends { event: string }> {
  host: Host;
  out: AgentOutput<E>;
}

export interface AgentMode<O = unknown, E extends { event: string } = { event: string }> {
  name: AgentModeName;
  /** One line for `--help`. */
  describe: string;
  /** Declares the flags (types, defaults, descriptions, examples). */
  flags(y: Argv): Argv;
  /** Turns parsed flags into options; throws FlagError on a bad value. */
  options(argv: Record<string, unknown>): O;
  run(options: O, ctx: ModeContext<E>): Promise<number>;
}

/** Lets the mode table hold modes of different option types. */
export function defineMode<O, E extends { event: string }>(
  mode: AgentMode<O, E>,
): AgentMode<unknown, { event: string }> {
  return mode as unknown as AgentMode<unknown, { event: string }>;
}
