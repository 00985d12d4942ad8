/**
 * The scars CLI (yargs). Commands are thin: they parse flags, call the library, map errors to exit codes.
 */
import yargs, { type Argv } from 'yargs';
import { ExitCode, errorMessage, ScarsError, UsageError } from '../errors.ts';
import { closest } from '../harness/suggest.ts';
import { VERSION } from '../version.ts';
import { AGENT_COMMAND, agentCommand, runAgentCommand } from './commands/agent.ts';
import { auditCommand } from './commands/audit.ts';
import { cleanupCommand } from './commands/cleanup.ts';
import { clusterCommand } from './commands/cluster.ts';
import { listCommand } from './commands/list.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { runbookCommand } from './commands/runbook.ts';
import { simCommand } from './commands/sim.ts';
import { upgradeCheckCommand } from './commands/upgrade-check.ts';
import { validateCommand } from './commands/validate.ts';

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
  /** Answers at `run --step` prompts; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

const EPILOG = `Exit codes: 0 passed · 1 an assertion failed or a verdict is inconclusive · 2 bad input or usage · 3 cluster or tool failure · 130 interrupted (after revert)

Docs: README.md · scenario authoring: scenarios/*.ts · reports land in reports/<run-id>/`;

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  if (argv[0] === AGENT_COMMAND) return runAgentCommand(argv.slice(1), io);
  let exitCode: number = ExitCode.passed;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const parser: Argv = yargs(argv)
    .scriptName('scars')
    .usage(
      '$0 <command> [options]\n\nChaos and failure-simulation tests for Kubernetes: inject the failures teams get burned by, prove the mitigations hold.',
    )
    .command(runCommand(io, setExit))
    .command(listCommand(io, setExit))
    .command(validateCommand(io, setExit))
    .command(auditCommand(io, setExit, argv))
    .command(cleanupCommand(io, setExit))
    .command(clusterCommand(io, setExit))
    .command(runbookCommand(io, setExit))
    .command(reportCommand(io, setExit))
    .command(simCommand(io, setExit))
    .command(upgradeCheckCommand(io, setExit, argv, io.stdin ?? process.stdin))
    .command(agentCommand())
    .option('config', {
      type: 'string',
      describe: 'config file (default: scars.config.ts or scars.config.yaml if present)',
      global: true,
    })
    .demandCommand(
      1,
      'Name a command: run, list, validate, audit, runbook, report, cluster, upgrade-check, cleanup, sim or agent (scars --help lists them).',
    )
    .recommendCommands()
    .strict()
    .version(VERSION)
    .alias('h', 'help')
    .wrap(Math.min(110, io.stdout.columns ?? 110))
    .epilog(EPILOG)
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs validation (unknown flag, missing argument) and errors thrown by handlers both land here.
      if (err) throw err;
      if (msg.startsWith('Did you mean')) throw new UsageError(`unknown command "${argv[0] ?? ''}". ${msg}`);
      throw new UsageError(withFlagHint(msg));
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    const code = err instanceof ScarsError ? err.exitCode : ExitCode.clusterFailure;
    // One line, whatever the message: scripts grep it, people read the first line only.
    if (err instanceof ScarsError) {
      io.stderr.write(`scars: ${oneLine(err.message)}\n`);
    } else {
      io.stderr.write(`scars: unexpected error: ${oneLine(errorMessage(err))}\n`);
      if (process.env.SCARS_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    }
    return code;
  }
  return exitCode;
}

/** Every flag of every command, for "did you mean" on a mistyped one. */
const KNOWN_FLAGS = [
  'config',
  'help',
  'version',
  'suite',
  'provider',
  'reporter',
  'out',
  'control',
  'dry-run',
  'kubeconfig',
  'context',
  'json',
  'run',
  'all',
  'nodes',
  'port',
  'time-scale',
  'http',
  'name',
  'format',
  'fail-on',
  'cert-days',
  'namespace',
  'k8s-version',
  'reuse',
  'retain',
  'addons',
  'wait',
  'agent-image',
  'from',
  'to',
  'manifests',
  'baseline',
];

/** yargs says "Unknown argument: controll"; add the flag it most likely meant. */
/** yargs writes `Invalid values:\n  Argument: …`; a message of several lines becomes one. */
function oneLine(message: string): string {
  return message
    .trim()
    .replace(/:\s*\n\s*/g, ': ')
    .replace(/\s*\n\s*/g, '; ');
}

function withFlagHint(msg: string): string {
  const unknown = msg.match(/^Unknown arguments?: ([^,\s]+)/)?.[1];
  const hint = unknown ? closest(unknown, KNOWN_FLAGS) : undefined;
  return hint ? `${msg} (did you mean --${hint}?)` : msg;
}

function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
}
