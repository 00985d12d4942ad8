/**
 * What the agent's exit code means. Kubernetes shows it as the container's exit code, so it must
 * say something without the logs: 0 the job was done and what was observed met the expectation,
 * 1 the probe observed the failure it watches for, 2 the container's args are wrong, 3 the host
 * would not let the agent do its job (cannot bind, cannot read resolv.conf).
 */
export const AgentExit = {
  ok: 0,
  observedFailure: 1,
  usage: 2,
  environment: 3,
} as const;
export type AgentExitCode = (typeof AgentExit)[keyof typeof AgentExit];
