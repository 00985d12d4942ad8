/**
 * The library API: everything the CLI does is importable.
 *   import { defineScenario, run } from 'scars';
 */

export { providerFor } from './cluster/index.ts';
export * from './errors.ts';
export { cleanup } from './harness/cleanup.ts';
export type { ScarsConfig, ScarsConfigInput } from './harness/config.ts';
export { defineConfig, loadConfig } from './harness/config.ts';
export type { Kube } from './harness/journalled-kube.ts';
export type { KubeRef } from './harness/kube-ref.ts';
export { formatPlan, planScenarios } from './harness/plan.ts';
export type { RunOptions } from './harness/runner.ts';
export { run } from './harness/runner.ts';
export type * from './harness/scenario.ts';
export { defineScenario, isScenario, STEPS } from './harness/scenario.ts';
export { loadScenarioFile, loadScenarios, selectScenarios } from './harness/scenario-loader.ts';
export { consoleReporter } from './report/console.ts';
export { jsonReporter } from './report/json.ts';
export { junitReporter } from './report/junit.ts';
export type * from './report/model.ts';
export type { Reporter } from './report/reporter.ts';
export { VERSION } from './version.ts';
export * from './audit/index.ts';
