/** `scars report <report.json> [--format html] [--out FILE]`: render an existing run report again. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../errors.ts';
import { renderHtmlReport } from '../../report/html/index.ts';
import { readRunReport } from '../../report/html/read-report.ts';
import type { CliIO } from '../main.ts';

const FORMATS = ['html'] as const;

interface ReportArgs {
  file?: string;
  format?: string;
  out?: string;
}

export function reportCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, ReportArgs> {
  return {
    command: 'report <file>',
    describe: 'Render a report.json as a self-contained HTML page (charts, verdicts, evidence; no network)',
    builder: (y) =>
      y
        .positional('file', { type: 'string', describe: 'a report.json written by `scars run`' })
        .option('format', { type: 'string', describe: 'html (the only format so far)', default: 'html' })
        .option('out', {
          type: 'string',
          describe: 'the page to write (default: report.html beside the file)',
        })
        .example('$0 report reports/20260101-000000-abcdef/report.json', 'writes report.html next to it'),
    handler: (args) => {
      const format = args.format ?? 'html';
      if (!(FORMATS as readonly string[]).includes(format))
        throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
      const file = args.file ?? '';
      const path = resolve(io.cwd, file);
      const report = readRunReport(file, path);
      const out = args.out === undefined ? join(dirname(path), 'report.html') : resolve(io.cwd, args.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, renderHtmlReport(report));
      io.stdout.write(`report: ${out}\n`);
      setExit(0);
    },
  };
}
