/**
 * `runAgent(argv, host)`: parses `<mode> [flags]`, runs the mode on the given host and returns its
 * exit code. The image entrypoint, `scars agent` and the sim's kubelet all come through here, so
 * a container's args mean the same thing everywhere.
 */
import yargs from 'yargs';
import { AgentExit } from './exit-codes.ts';
import type { Host } from './host.ts';
import type { AgentMode } from './mode.ts';
import { MODES } from './modes/index.ts';
import { AgentOutput, type SummaryFields } from './output.ts';
import { AGENT_VERSION } from './version.ts';

const EPILOG = `Output: one JSON object per line on stdout ({ts, mode, event, ...}), ending with a "summary" line.
Exit codes: 0 done and as expected · 1 the probe observed the failure it watches for · 2 bad flags · 3 the host refused (bind, file, memory)`;

export interface RunAgentOptions {
  /** How the program is invoked, for usage lines: `scars agent` on a host, `scars-agent` in the image. */
  scriptName?: string;
}

export async function runAgent(
  argv: readonly string[],
  host: Host,
  options: RunAgentOptions = {},
): Promise<number> {
  let chosen: { mode: AgentMode; argv: Record<string, unknown> } | undefined;
  let parser = yargs([...argv])
    .scriptName(options.scriptName ?? 'scars-agent')
    .usage(
      '$0 <mode> [flags]\n\nThe scars agent: memory hogs, DNS floods and probes that run inside workload pods.',
    )
    .demandCommand(1, 'Name a mode: ' + MODES.map((m) => m.name).join(', ') + '.')
    .recommendCommands()
    .strict()
    .version(AGENT_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(100)
    .epilog(EPILOG)
    .exitProcess(false);
  for (const mode of MODES) {
    parser = parser.command(
      mode.name,
      mode.describe,
      (y) => mode.flags(y),
      (parsed) => {
        chosen = { mode, argv: parsed as Record<string, unknown> };
      },
    );
  }

  let failure: string | undefined;
  let printed = '';
  try {
    await parser
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync([...argv], {}, (err, _args, output) => {
        if (err) failure = err.message;
        printed = output;
      });
  } catch (err) {
    failure ??= err instanceof Error ? err.message : String(err);
  }
  if (failure !== undefined) {
    host.stderr(`scars-agent: ${failure}`);
    host.stderr(`Run \`${options.scriptName ?? 'scars-agent'} --help\` for usage.`);
    return AgentExit.usage;
  }
  if (!chosen) {
    // --help or --version: yargs produced the text.
    for (const line of printed.split('\n')) host.stdout(line);
    return AgentExit.ok;
  }

  const { mode } = chosen;
  let parsedOptions: unknown;
  try {
    parsedOptions = mode.options(chosen.argv);
  } catch (err) {
    host.stderr(`scars-agent ${mode.name}: ${err instanceof Error ? err.message : String(err)}`);
    return AgentExit.usage;
  }
  const out = new AgentOutput<SummaryFields>(host, mode.name);
  out.emit({
    event: 'start',
    host: host.kind,
    hostname: host.hostname,
    version: AGENT_VERSION,
    args: [...argv],
  });
  try {
    return await mode.run(parsedOptions, { host, out: out as AgentOutput<{ event: string }> });
  } catch (err) {
    out.emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    out.emit({ event: 'summary', exitCode: AgentExit.environment, stoppedBy: 'error' });
    return AgentExit.environment;
  }
}
