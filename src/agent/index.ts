/** The agent as a library: run a mode on a host of your own, or read its lines. */
export type * from './events.ts';
export { AgentExit, type AgentExitCode } from './exit-codes.ts';
export type * from './host.ts';
export { HostNetworkError } from './host.ts';
export { RealHost, type RealHostOptions } from './host/real.ts';
export { AGENT_MODES, type AgentLine, parseAgentLine, parseAgentLog } from './output.ts';
export { runAgent } from './run.ts';
