/** `scars cleanup [--run ID | --all]`: restore what killed runs left behind. */
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ExitCode } from '../../errors.ts';
import { cleanup, staleJournals } from '../../harness/cleanup.ts';
import { loadConfig } from '../../harness/config.ts';
import type { CliIO } from '../main.ts';

export function cleanupCommand(
  io: CliIO,
  setExit: (code: number) => void,
): CommandModule<object, { run?: string; all?: boolean; config?: string }> {
  return {
    command: 'cleanup',
    describe:
      'Replay the rollback journals of runs that died (SIGKILL, crash) and delete their labelled namespaces',
    builder: (y) =>
      y
        .option('run', { type: 'string', describe: 'one run id (see .scars/journal/)' })
        // No default: yargs counts a defaulted flag as given, and --run would then conflict with it.
        .option('all', { type: 'boolean', describe: 'every run that died before reverting' })
        .conflicts('run', 'all')
        .example('$0 cleanup --all', 'restore everything killed runs left behind'),
    handler: async (args) => {
      const config = await loadConfig(args.config, io.cwd);
      const journalDir = resolve(io.cwd, config.journalDir);
      if (!args.run && !args.all) {
        const stale = staleJournals(journalDir);
        if (!stale.length) io.stdout.write('nothing to clean up: no journal needs replaying\n');
        for (const j of stale) {
          const pending = j.entries.filter((e) => e.state !== 'reverted' && e.state !== 'failed').length;
          io.stdout.write(`${j.runId}  started ${j.startedAt ?? '?'}  ${pending} change(s) to revert\n`);
        }
        if (stale.length)
          io.stdout.write('run `scars cleanup --all` or `scars cleanup --run ID` to revert them\n');
        setExit(0);
        return;
      }
      const result = await cleanup({
        journalDir,
        runId: args.run,
        allowContexts: config.allowContexts,
        log: (line) => io.stdout.write(`  ${line}\n`),
      });
      if (!result.runs.length) io.stdout.write('nothing to clean up: no journal needs replaying\n');
      for (const r of result.runs) io.stdout.write(`${r.outcome.padEnd(7)} ${r.runId}: ${r.detail}\n`);
      setExit(result.runs.some((r) => r.outcome === 'dirty') ? ExitCode.clusterFailure : ExitCode.passed);
    },
  };
}
