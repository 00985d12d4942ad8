/** The run report: what every reporter renders and what `report.json` holds (other tooling reads it). */
import type { Arm, Evidence, StepName } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';

export type Verdict = 'passed' | 'failed' | 'inconclusive' | 'error';

export interface AssertionReport {
  name: string;
  pass: boolean;
  summary: string;
  evidence: Evidence[];
}

export interface FaultReport {
  fault: string;
  description: string;
  observed: boolean;
  summary: string;
  evidence: Evidence[];
}

export interface ArmReport {
  arm: Arm;
  verdict: Verdict;
  /** Why the verdict is what it is, in one line. */
  reason: string;
  namespace: string;
  /** How long the arm took on the cluster's clock (the sim's may run faster than wall time). */
  durationMs: number;
  /** How long the arm took in wall time. */
  wallMs: number;
  assertions: AssertionReport[];
  faults: FaultReport[];
  timeline: TimelineEvent[];
  error?: string;
  /** Journal entries that could not be reverted (the run ends dirty; `scars cleanup` retries). */
  revertFailures: string[];
}

export interface ControlReport extends ArmReport {
  /** The control arm is expected to FAIL its assertions; true when it did. */
  asExpected: boolean;
}

export interface ScenarioReport extends Omit<ArmReport, 'arm'> {
  name: string;
  file: string;
  description: string;
  tags: string[];
  mitigation: string;
  /** The main arm's own verdict; `verdict` may differ when the control arm did not fail as expected. */
  mainVerdict: Verdict;
  control: ControlReport | null;
}

export interface RunReport {
  tool: 'scars';
  version: string;
  runId: string;
  provider: 'sim' | 'kind' | 'context';
  simulated: boolean;
  /** `version` is the API server's gitVersion (`/version`); null when it did not answer. */
  cluster: { name: string; server: string; version: string | null } | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Set when SIGINT/SIGTERM stopped the run (after revert). */
  interrupted: string | null;
  /** Run-level failure (provisioning, unreachable cluster) that kept scenarios from running. */
  error: string | null;
  exitCode: number;
  journal: string | null;
  scenarios: ScenarioReport[];
}

export interface StepOutcome {
  ok: boolean;
  durationMs: number;
  error?: string;
  skipped?: boolean;
}

export interface ScenarioInfo {
  name: string;
  file: string;
  description: string;
}

export interface RunInfo {
  runId: string;
  provider: string;
  simulated: boolean;
  scenarios: ScenarioInfo[];
  control: boolean;
}

export type { StepName };
