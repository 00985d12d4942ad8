/** `scars list`: the scenarios, their suites and tags. */
import type { CommandModule } from 'yargs';
import { hasControl } from '../../harness/scenario.ts';
import { suiteNames } from '../../harness/scenario-loader.ts';
import type { CliIO } from '../main.ts';
import { loadProject } from './shared.ts';

export function listCommand(
  io: CliIO,
  setExit: (code: number) => void,
): CommandModule<object, { json?: boolean; config?: string }> {
  return {
    command: 'list',
    describe: 'List the scenarios and suites',
    builder: (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
    handler: async (args) => {
      const { config, scenarios } = await loadProject(io.cwd, args.config);
      const rows = scenarios.map(({ file, scenario: s }) => ({
        name: s.name,
        file,
        suites: [
          ...new Set([
            ...(s.suites ?? []),
            ...Object.entries(config.suites)
              .filter(([, n]) => n.includes(s.name))
              .map(([k]) => k),
          ]),
        ],
        tags: s.tags ?? [],
        control: hasControl(s),
        description: s.description,
      }));
      if (args.json) {
        io.stdout.write(
          `${JSON.stringify({ scenarios: rows, suites: suiteNames(scenarios, config.suites) }, null, 2)}\n`,
        );
      } else if (rows.length === 0) {
        io.stdout.write(`no scenarios in ${config.scenarioDirs.join(', ')}\n`);
      } else {
        const w = Math.max(...rows.map((r) => r.name.length), 8);
        io.stdout.write(`${'SCENARIO'.padEnd(w)}  ${'SUITES'.padEnd(18)}  DESCRIPTION\n`);
        for (const r of rows) {
          io.stdout.write(`${r.name.padEnd(w)}  ${r.suites.join(',').padEnd(18)}  ${r.description}\n`);
        }
        io.stdout.write(
          `\nsuites: ${suiteNames(scenarios, config.suites).join(', ') || 'none'} (default: ${config.defaultSuite})\n`,
        );
      }
      setExit(0);
    },
  };
}
