import type { StepName } from './scenario.ts';

/** Default per-step timeouts (ms). hold/settle get their duration plus this margin. */
export const DEFAULT_STEP_TIMEOUTS: Record<StepName, number> = {
  provision: 180_000,
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
