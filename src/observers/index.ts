export { isPodReady, type PodReadinessOptions, podReadiness, type ReadinessSample } from './pod-readiness.ts';
export { type AgentLogOptions, linesOf, readAgentLines, summaryOf } from './agent-log.ts';
export { type LoadOptions, type LoadResult, type LoadTls, LoadTargetError, runLoad } from './load/index.ts';
