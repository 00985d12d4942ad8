export { isPodReady, type PodReadinessOptions, podReadiness, type ReadinessSample } from './pod-readiness.ts';
export { type AgentLogOptions, linesOf, readAgentLines, summaryOf } from './agent-log.ts';
export { type LoadOptions, type LoadResult, type LoadTls, LoadTargetError, runLoad } from './load/index.ts';
export { type K6JobOptions, type K6Options, type LoadEngine, runK6, runK6Job } from './load/index.ts';
export {
  type AgentLineQuery,
  type AgentLineRecord,
  type AgentLogsOptions,
  agentLinesIn,
  agentLogs,
} from './agent-logs.ts';
export { type LoadSample, type ServiceLoadOptions, serviceLoad } from './service-load.ts';
export { restartsOf } from './pod-readiness.ts';
export {
  type PodStatusOptions,
  type PodStatusRecord,
  podStatus,
  podStatusesIn,
  podStatusSnapshot,
} from './pod-status.ts';
