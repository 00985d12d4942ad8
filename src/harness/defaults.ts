import type { StepName } from './scenario.ts';

/** Default per-step timeouts (ms). hold/settle get their duration plus this margin. */
export const DEFAULT_STEP_TIMEOUTS: Record<StepName, number> = {
  provision: 180_000,
  preflight: 60_000,
  namespace: 30_000,
  deploy: 60_000,
  'wait-ready': 180_000,
  'steady-state': 60_000,
  observe: 30_000,
  inject: 120_000,
  hold: 30_000,
  revert: 120_000,
  settle: 30_000,
  assertions: 60_000,
  collect: 60_000,
  cleanup: 180_000,
};

export const DEFAULT_HOLD = '30s';
export const DEFAULT_SETTLE = '10s';
/** How often wait-ready polls the API. */
export const READY_POLL_MS = 500;

/**
 * `scars run` on the sim: simulated seconds per wall second unless the config or --time-scale says
 * otherwise. Kubelet periods, back-offs and holds are minutes of cluster time; at 20 a scenario
 * takes seconds. Real sockets still run in wall time (docs/sim-fidelity.md, "Time").
 */
export const DEFAULT_RUN_TIME_SCALE = 20;
