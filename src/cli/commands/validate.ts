/** `scars validate [FILE..]`: check scenario files (and the config) without touching any cluster. */
import type { CommandModule } from 'yargs';
import { InputError, ScarsError } from '../../errors.ts';
import { loadConfig } from '../../harness/config.ts';
import { loadScenarioFile, scenarioFiles } from '../../harness/scenario-loader.ts';
import type { CliIO } from '../main.ts';

export function validateCommand(
  io: CliIO,
  setExit: (code: number) => void,
): CommandModule<object, { file?: string[]; config?: string }> {
  return {
    command: 'validate [file..]',
    describe:
      'Check scenario files and the config; exit 2 naming file, line and field on the first problem in each',
    builder: (y) =>
      y
        .positional('file', {
          type: 'string',
          array: true,
          describe: 'scenario files (default: every scenario)',
        })
        .example('$0 validate scenarios/pod-kill-availability.ts', 'check one file'),
    handler: async (args) => {
      const config = await loadConfig(args.config, io.cwd);
      const files = args.file?.length ? args.file : scenarioFiles(config.scenarioDirs, io.cwd);
      let bad = 0;
      for (const file of files) {
        try {
          const { file: shown, scenario } = await loadScenarioFile(file, io.cwd);
          io.stdout.write(`ok   ${shown} (${scenario.name})\n`);
        } catch (err) {
          if (!(err instanceof InputError || err instanceof ScarsError)) throw err;
          bad++;
          io.stderr.write(`${err.message}\n`);
        }
      }
      if (config.file) io.stdout.write(`ok   ${config.file} (config)\n`);
      setExit(bad ? 2 : 0);
    },
  };
}
