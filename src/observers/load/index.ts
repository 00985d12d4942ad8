/** The built-in load generator (k6's constant-arrival-rate in-process) and its k6-shaped result. */
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
