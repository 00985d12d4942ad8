/** `report.json`: the source of truth other tooling reads. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './model.ts';
import type { Reporter } from './reporter.ts';

export function jsonReporter(outDir: string): Reporter {
  return {
    onRunEnd(report: RunReport) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    },
  };
}
