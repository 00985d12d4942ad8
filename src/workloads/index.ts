export {
  type AgentContainerOptions,
  agentContainer,
  type DeploymentOptions,
  deployment,
  type ServiceOptions,
  service,
} from './agent.ts';
