/** `scars run --baseline FILE`: the run compared with an earlier report, printed and saved next to report.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../errors.ts';
import { compareReports, formatComparison } from '../../report/compare.ts';
import type { RunReport } from '../../report/model.ts';
import type { CliIO } from '../main.ts';

/** Prints the comparison and writes `comparison.json`; returns 1 when something got worse, else 0. */
export function compareWithBaseline(baseline: RunReport, report: RunReport, out: string, io: CliIO): number {
  const comparison = compareReports(baseline, report, {
    labels: { baseline: `baseline ${baseline.runId}`, current: `this run ${report.runId}` },
  });
  io.stdout.write(
    `\nCompared with ${baseline.runId} (${baseline.startedAt}):\n${formatComparison(comparison)}`,
  );
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'comparison.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  return comparison.regressions.length > 0 ? ExitCode.failed : ExitCode.passed;
}
