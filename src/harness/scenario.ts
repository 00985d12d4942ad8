/**
 * The scenario API. A scenario deploys workloads, applies a mitigation (main arm only), injects
 * faults, and checks assertions over the timeline and the final state. Its control arm runs the
 * same thing without the mitigation and must fail: a fault that cannot bite proves nothing.
 */
import type { CoreV1Event, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Duration } from './duration.ts';
import type { Kube } from './journalled-kube.ts';
import type { Clock, TimelineEvent } from './timeline.ts';

export type Arm = 'main' | 'control';
export type ProviderName = 'sim' | 'kind' | 'context';

/** Load engines (`scars run --load`, config `load:`): auto = k6 when on PATH, else the built-in one. */
export const LOAD_ENGINES = ['auto', 'k6', 'builtin'] as const;
export type LoadEngineChoice = (typeof LOAD_ENGINES)[number];

/** Lifecycle steps, in the order the runner takes them. */
export const STEPS = [
  'provision',
  'preflight',
  'namespace',
  'deploy',
  'wait-ready',
  'steady-state',
  'observe',
  'inject',
  'hold',
  'revert',
  'settle',
  'assertions',
  'collect',
  'cleanup',
] as const;
export type StepName = (typeof STEPS)[number];

/** What builders see: enough to name things, nothing to mutate with. Also used by --dry-run. */
export interface BuildContext {
  runId: string;
  namespace: string;
  arm: Arm;
  /** The agent image to deploy (config `agent.image`, default `scars-agent:<version>`). */
  agentImage: string;
  /** Which load engine load observers use (default auto). */
  load?: LoadEngineChoice;
}

/** What faults, observers, steady-state checks and hooks get while a scenario runs. */
export interface RunContext extends BuildContext {
  provider: ProviderName;
  simulated: boolean;
  /** Journalled, blast-radius-checked client: the only way to change the cluster. */
  kube: Kube;
  clock: Clock;
  /** Aborted on step timeout, SIGINT and SIGTERM. */
  signal: AbortSignal;
  /** Adds an event to the timeline under the current step. */
  record(event: string, detail?: Record<string, unknown>): void;
}

export type WorkloadSource =
  KubernetesObject | ((ctx: BuildContext) => KubernetesObject | KubernetesObject[]);

export interface Mitigation {
  description: string;
  /** Extra objects the main arm deploys (a PodDisruptionBudget, a NetworkPolicy, …). */
  manifests?: WorkloadSource[];
  /** Changes to the workloads the main arm deploys (resources, probes, dnsConfig, replicas, …). */
  apply?: (workloads: KubernetesObject[], ctx: BuildContext) => KubernetesObject[];
}

/** One piece of evidence: what was seen, where, and when (timeline ms). */
export interface Evidence {
  what: string;
  ref?: string;
  t?: number;
  data?: unknown;
}

export interface FaultEffect {
  /** Was the fault seen to take effect? If not, the verdict is inconclusive, whatever the assertions say. */
  observed: boolean;
  summary: string;
  evidence: Evidence[];
}

/**
 * What a person would type to cause and undo a fault by hand (`scars runbook`). `<…>` marks what
 * scars picks at run time (a node, a pod). Equivalent in effect; scars itself acts through the
 * API and journals every change.
 */
export interface KubectlEquivalent {
  inject: string[];
  revert: string[];
}

export interface Fault {
  name: string;
  /** One line for the plan (`--dry-run`) and the report. */
  describe(ctx: BuildContext): string;
  /** The kubectl commands for the game-day runbook. */
  kubectl?(ctx: BuildContext): KubectlEquivalent;
  /**
   * What the fault needs before anything is deployed (agent image on the nodes, an addon, a load
   * tool). A failed check ends the arm as `error` with its summary, before any change is made.
   */
  preflight?(ctx: RunContext): Promise<CheckResult>;
  inject(ctx: RunContext): Promise<void>;
  /** Evidence that the fault bit, gathered just before revert. */
  observe(ctx: RunContext): Promise<FaultEffect>;
  /**
   * After the journal is reverted: waits until what the cluster keeps by itself after the fault
   * (a node's MemoryPressure condition and taint, for evictionPressureTransitionPeriod) has passed,
   * so the next scenario starts on a cluster like the one this one found. Bounded by the revert
   * step's timeout; it changes nothing.
   */
  recover?(ctx: RunContext): Promise<void>;
}

export interface ObserverHandle {
  stop(): Promise<void>;
}

export interface Observer {
  name: string;
  describe(ctx: BuildContext): string;
  /** Like Fault.preflight: checked before anything is deployed. */
  preflight?(ctx: RunContext): Promise<CheckResult>;
  /** Starts watching; records samples into the timeline with ctx.record until stopped. */
  start(ctx: RunContext): Promise<ObserverHandle>;
}

export interface CheckResult {
  ok: boolean;
  summary: string;
  evidence?: Evidence[];
}

export interface SteadyStateCheck {
  name: string;
  check(ctx: RunContext): Promise<CheckResult>;
}

/** The final state assertions see: plain data, collected after settle. */
export interface ClusterState {
  namespace: string;
  pods: V1Pod[];
  events: CoreV1Event[];
  /** Every workload object the run deployed, as read back after settle. */
  objects: KubernetesObject[];
}

export interface AssertionInput {
  timeline: readonly TimelineEvent[];
  state: ClusterState;
  faults: readonly (FaultEffect & { fault: string })[];
}

export interface AssertionResult {
  pass: boolean;
  summary: string;
  evidence: Evidence[];
}

export interface Assertion {
  name: string;
  description?: string;
  thresholds?: Record<string, number | string>;
  /** Pure: same input, same answer. */
  evaluate(input: AssertionInput): AssertionResult;
}

export interface ScenarioHooks {
  afterDeploy?(ctx: RunContext): Promise<void>;
  beforeInject?(ctx: RunContext): Promise<void>;
  /** After every fault is in place, before the hold; a throw ends the arm (revert runs). */
  afterInject?(ctx: RunContext): Promise<void>;
  afterRevert?(ctx: RunContext): Promise<void>;
}

export type StepTimeouts = Partial<Record<StepName, Duration>>;

/** The scenario as a game-day runbook reads it (scars runbook, reports). */
export interface RunbookText {
  /** What we believe holds, stated so the run can refute it. */
  hypothesis: string;
  /** What the fault may touch: the run namespace, which nodes, which kube-system objects. */
  blastRadius: string;
  /** What the main arm shows, and what the control arm (no mitigation) shows instead. */
  expected: string;
  /** What to watch while the fault is in place (dashboards, kubectl commands). */
  watch?: string[];
  /** When to stop early. */
  abort?: string[];
}

export interface ScenarioDefinition {
  /** Lowercase, digits and dashes; used in names, the CLI and reports. */
  name: string;
  description: string;
  /** Hypothesis, blast radius and expected result: the scenario read as a runbook. */
  runbook?: RunbookText;
  tags?: string[];
  /** Suites this scenario belongs to (`scars run --suite NAME`). */
  suites?: string[];
  workloads: WorkloadSource[];
  /** What makes the workload safe. Applied in the main arm, left out in the control arm. */
  mitigation: Mitigation;
  fault: Fault | Fault[];
  observers?: Observer[];
  steadyState?: SteadyStateCheck[];
  expect: Assertion[];
  /** How long the fault is held before revert. Default 30s. */
  hold?: Duration;
  /** How long to wait after revert before assertions. Default 10s. */
  settle?: Duration;
  timeouts?: StepTimeouts;
  /** Namespaces besides the run's own that faults may touch (e.g. kube-system for CoreDNS). */
  namespaces?: string[];
  /** Nodes faults may touch: `any` or a list. Default: none. */
  nodes?: 'any' | string[];
  /** The negative control: on by default; `false` only for scenarios whose mitigation cannot be left out. */
  control?: boolean | { description?: string };
  hooks?: ScenarioHooks;
}

/** A global symbol, so a scenario is recognised even if it imported another copy of scars. */
export const SCENARIO_BRAND: unique symbol = Symbol.for('scars.scenario') as never;

export type Scenario = ScenarioDefinition & { readonly [SCENARIO_BRAND]: true };

export function defineScenario(definition: ScenarioDefinition): Scenario {
  return { ...definition, [SCENARIO_BRAND]: true as const };
}

export function isScenario(value: unknown): value is Scenario {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SCENARIO_BRAND] === true
  );
}

export function faultsOf(s: ScenarioDefinition): Fault[] {
  return Array.isArray(s.fault) ? s.fault : [s.fault];
}

export function hasControl(s: ScenarioDefinition): boolean {
  return s.control !== false;
}
