/**
 * The reporter interface (Playwright-style: every hook optional) and a multiplexer that fans out
 * to several reporters and keeps one broken reporter from breaking the run.
 */
import { errorMessage } from '../errors.ts';
import type { Arm, StepName } from '../harness/scenario.ts';
import type { ArmReport, RunInfo, RunReport, ScenarioInfo, StepOutcome } from './model.ts';

export interface Reporter {
  onRunBegin?(info: RunInfo): void;
  onScenarioBegin?(scenario: ScenarioInfo, arm: Arm): void;
  onStepBegin?(scenario: ScenarioInfo, arm: Arm, step: StepName): void;
  onStepEnd?(scenario: ScenarioInfo, arm: Arm, step: StepName, outcome: StepOutcome): void;
  onScenarioEnd?(scenario: ScenarioInfo, arm: Arm, result: ArmReport): void;
  /** Warnings and progress lines from the harness (reverts, stale journals, retries). */
  onLog?(line: string): void;
  onRunEnd?(report: RunReport): Promise<void> | void;
}

export class ReporterMultiplexer implements Required<Reporter> {
  constructor(
    private readonly reporters: Reporter[],
    private readonly onReporterError: (msg: string) => void = (msg) => process.stderr.write(`${msg}\n`),
  ) {}

  onRunBegin(info: RunInfo): void {
    this.each('onRunBegin', (r) => r.onRunBegin?.(info));
  }
  onScenarioBegin(s: ScenarioInfo, arm: Arm): void {
    this.each('onScenarioBegin', (r) => r.onScenarioBegin?.(s, arm));
  }
  onStepBegin(s: ScenarioInfo, arm: Arm, step: StepName): void {
    this.each('onStepBegin', (r) => r.onStepBegin?.(s, arm, step));
  }
  onStepEnd(s: ScenarioInfo, arm: Arm, step: StepName, outcome: StepOutcome): void {
    this.each('onStepEnd', (r) => r.onStepEnd?.(s, arm, step, outcome));
  }
  onScenarioEnd(s: ScenarioInfo, arm: Arm, result: ArmReport): void {
    this.each('onScenarioEnd', (r) => r.onScenarioEnd?.(s, arm, result));
  }
  onLog(line: string): void {
    this.each('onLog', (r) => r.onLog?.(line));
  }
  async onRunEnd(report: RunReport): Promise<void> {
    for (const r of this.reporters) {
      try {
        await r.onRunEnd?.(report);
      } catch (err) {
        this.onReporterError(`error in reporter (onRunEnd): ${errorMessage(err)}`);
      }
    }
  }

  private each(hook: string, call: (r: Reporter) => unknown): void {
    for (const r of this.reporters) {
      try {
        call(r);
      } catch (err) {
        this.onReporterError(`error in reporter (${hook}): ${errorMessage(err)}`);
      }
    }
  }
}
