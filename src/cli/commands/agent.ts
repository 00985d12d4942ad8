/**
 * `scars agent <mode> [flags]`: the agent program on this host, the same code the agent image runs
 * in pods. Its flags belong to the agent's own parser (src/agent/run.ts), so this command only
 * hands the arguments over; it is listed here for `scars --help`.
 */
import type { CommandModule } from 'yargs';
import { RealHost } from '../../agent/host/real.ts';
import { runAgent } from '../../agent/run.ts';
import type { CliIO } from '../main.ts';

export const AGENT_COMMAND = 'agent';

export function agentCommand(): CommandModule {
  return {
    command: `${AGENT_COMMAND} <mode> [flags..]`,
    describe:
      'Run the scars agent on this host: memhog, dnsflood, dnsprobe, httpprobe, tlsprobe, imdsprobe or serve (scars agent --help)',
    // Never reached: main() dispatches `agent` before yargs parses, so the agent's flags are not
    // checked against scars' own.
    handler: () => undefined,
  };
}

export function runAgentCommand(args: string[], io: CliIO): Promise<number> {
  const host = RealHost.forProcess({
    stdout: (line) => io.stdout.write(`${line}\n`),
    stderr: (line) => io.stderr.write(`${line}\n`),
  });
  return runAgent(args, host, { scriptName: 'scars agent' });
}
