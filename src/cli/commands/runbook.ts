/** `scars runbook <scenario> [--format md|html] [--out FILE]`: a printable game-day runbook. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../errors.ts';
import { selectScenarios } from '../../harness/scenario-loader.ts';
import { runbookHtml } from '../../runbook/html.ts';
import { runbookMarkdown } from '../../runbook/markdown.ts';
import { buildRunbook } from '../../runbook/model.ts';
import type { CliIO } from '../main.ts';
import { loadProject, withExplicitFiles } from './shared.ts';

const FORMATS = ['md', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface RunbookArgs {
  scenario?: string;
  format?: string;
  out?: string;
  config?: string;
}

export function runbookCommand(
  io: CliIO,
  setExit: (code: number) => void,
): CommandModule<object, RunbookArgs> {
  return {
    command: 'runbook <scenario>',
    describe:
      'Write a printable game-day runbook for a scenario (hypothesis, steps with kubectl, abort, rollback, sign-off)',
    builder: (y) =>
      y
        .positional('scenario', { type: 'string', describe: 'a scenario name or file' })
        .option('format', {
          type: 'string',
          describe: `md or html (default: from --out's extension, else md)`,
        })
        .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
        .example('$0 runbook drain-with-pdb', 'Markdown on stdout')
        .example('$0 runbook drain-with-pdb --format html --out gameday.html', 'a page to print'),
    handler: async (args) => {
      const format = formatOf(args.format, args.out);
      const { config, scenarios } = await loadProject(io.cwd, args.config);
      const name = args.scenario ?? '';
      const all = await withExplicitFiles([name], scenarios, io.cwd);
      const [loaded] = selectScenarios(all, { names: [name], suite: undefined, configSuites: config.suites });
      if (!loaded) throw new UsageError(`scenario "${name}" not found`);
      const runbook = buildRunbook(loaded, config.agent.image);
      const text = format === 'html' ? runbookHtml(runbook) : runbookMarkdown(runbook);
      if (args.out === undefined) {
        io.stdout.write(text);
      } else {
        const file = resolve(io.cwd, args.out);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
        io.stdout.write(`runbook: ${file}\n`);
      }
      setExit(0);
    },
  };
}

function formatOf(flag: string | undefined, out: string | undefined): Format {
  const value = flag ?? (out?.endsWith('.html') || out?.endsWith('.htm') ? 'html' : 'md');
  if (!(FORMATS as readonly string[]).includes(value))
    throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${value}"`);
  return value as Format;
}
