/** Load engines: the built-in generator (k6's constant-arrival-rate in-process) and k6 through its CLI, with one k6-shaped result. */
export { type LoadOptions, type LoadTls, runLoad } from './run-load.ts';
export {
  type BuiltinDetails,
  type CounterMetric,
  type GaugeMetric,
  type LoadMetrics,
  type LoadResult,
  type RateMetric,
  SUMMARY_TREND_STATS,
  type TrendMetric,
  type TrendValues,
} from './summary.ts';
export { checkTarget, LoadTargetError } from './target.ts';
export {
  findK6,
  K6_IMAGE_TAG,
  K6JobError,
  type K6JobOptions,
  type K6Options,
  K6RunError,
  type LoadEngine,
  parseK6Summary,
  resolveLoadEngine,
  runK6,
  runK6Job,
  startK6,
} from './k6/index.ts';
