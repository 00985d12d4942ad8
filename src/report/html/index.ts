/** `report.html`: a self-contained page (no network when opened) rendered from the run report. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../model.ts';
import type { Reporter } from '../reporter.ts';
import { renderHtmlReport } from './render.ts';

export { renderHtmlReport } from './render.ts';

export function htmlReporter(outDir: string): Reporter {
  return {
    onRunEnd(report: RunReport) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'report.html'), renderHtmlReport(report));
    },
  };
}
