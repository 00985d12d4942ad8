/** k6 through its CLI: engine choice, script generation, the local runner, the in-cluster Job. */
export {
  findK6,
  K6_INSTALL_URL,
  type LoadEngine,
  k6MissingMessage,
  requireK6,
  type ResolvedEngine,
  resolveLoadEngine,
} from './engine.ts';
export {
  cannotStart,
  K6_IMAGE_TAG,
  K6JobError,
  type K6JobOptions,
  k6JobObjects,
  runK6Job,
  summaryFromLog,
} from './job.ts';
export { K6PointReader, type PointSlice, summarizeLines } from './points.ts';
export {
  K6_EXIT_CODES,
  K6_EXTERNAL_ABORT,
  K6_THRESHOLDS_FAILED,
  type K6Options,
  type K6Run,
  K6RunError,
  runK6,
  startK6,
} from './run.ts';
export { arrivalRate, K6_SUMMARY_MARKER, type K6ScriptSpec, k6Script } from './script.ts';
export { K6SummaryError, k6ErrorCause, parseK6Summary } from './summary.ts';
