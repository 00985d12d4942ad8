/**
 * Live progress for people: a spinner line on a TTY, plain lines otherwise (CI logs), then the verdicts.
 */
import ora, { type Ora } from 'ora';
import { formatMs } from '../errors.ts';
import type { Arm, StepName } from '../harness/scenario.ts';
import type { ArmReport, RunInfo, RunReport, ScenarioInfo, StepOutcome } from './model.ts';
import type { Reporter } from './reporter.ts';

export interface ConsoleOptions {
  stream?: NodeJS.WriteStream;
  /** Force plain lines (default: plain unless the stream is a TTY and CI is not set). */
  plain?: boolean;
}

const MARK: Record<string, string> = { passed: '✔', failed: '✘', inconclusive: '?', error: '!' };

export function consoleReporter(options: ConsoleOptions = {}): Reporter {
  const out = options.stream ?? process.stdout;
  const plain = options.plain ?? (!out.isTTY || Boolean(process.env.CI));
  let spinner: Ora | undefined;
  const write = (line: string) => {
    if (spinner?.isSpinning) spinner.clear();
    out.write(`${line}\n`);
    if (spinner?.isSpinning) spinner.render();
  };
  const label = (s: ScenarioInfo, arm: Arm) => `${s.name}${arm === 'control' ? ' [control]' : ''}`;

  return {
    onRunBegin(info: RunInfo) {
      const sim = info.simulated ? ' (simulated cluster: verdicts are simulated)' : '';
      write(
        `scars run ${info.runId}: ${info.scenarios.length} scenario(s) on provider ${info.provider}${sim}` +
          `${info.control ? ', with control arms' : ''}`,
      );
    },
    onScenarioBegin(s, arm) {
      write(
        `\n▶ ${label(s, arm)}  ${arm === 'control' ? '(without the mitigation: must fail)' : s.description}`,
      );
    },
    onStepBegin(s: ScenarioInfo, arm: Arm, step: StepName) {
      if (plain) return;
      spinner ??= ora({ stream: out });
      spinner.start(`${label(s, arm)}: ${step}`);
    },
    onStepEnd(_s: ScenarioInfo, _arm: Arm, step: StepName, outcome: StepOutcome) {
      if (spinner?.isSpinning) spinner.stop();
      const mark = outcome.ok ? '✔' : '✘';
      write(
        `  ${mark} ${step.padEnd(12)} ${formatMs(outcome.durationMs)}${outcome.error ? `  ${outcome.error}` : ''}`,
      );
    },
    onScenarioEnd(s: ScenarioInfo, arm: Arm, result: ArmReport) {
      for (const a of result.assertions) write(`    ${a.pass ? 'PASS' : 'FAIL'} ${a.name}: ${a.summary}`);
      write(`  ${MARK[result.verdict]} ${label(s, arm)}: ${result.verdict} — ${result.reason}`);
    },
    onLog(line: string) {
      write(`  · ${line}`);
    },
    onRunEnd(report: RunReport) {
      if (spinner?.isSpinning) spinner.stop();
      write('');
      write(`Verdicts (${report.provider}${report.simulated ? ', simulated' : ''}):`);
      for (const line of verdictTable(report)) write(`  ${line}`);
      if (report.error) write(`  ! run error: ${report.error}`);
      if (report.interrupted) write(`  interrupted by ${report.interrupted}; changes were reverted`);
      write(`exit ${report.exitCode} after ${formatMs(report.durationMs)}`);
    },
  };
}

/**
 * One row per scenario: its verdict, the main arm's, the control arm's (and whether that was the
 * expected failure), wall times, and why. Columns padded to the widest cell; the reason last, so
 * long reasons do not push the table apart.
 */
export function verdictTable(report: RunReport): string[] {
  const header = ['', 'scenario', 'verdict', 'main', 'control', 'why'];
  const rows = report.scenarios.map((s) => [
    MARK[s.verdict] ?? '',
    s.name,
    s.verdict,
    `${s.mainVerdict} ${formatMs(s.wallMs)}`,
    s.control
      ? `${s.control.verdict}${s.control.asExpected ? ' (as expected)' : ' (NOT as expected)'} ${formatMs(s.control.wallMs)}`
      : '—',
    s.reason,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
