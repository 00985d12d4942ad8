/**
 * Building blocks for scenario workloads that run the scars agent: a container running one agent
 * mode with the configured image, and the Deployment and Service around it. Plain client-node
 * models, so a scenario can change any field before or after.
 */
import type { V1Container, V1Deployment, V1PodSpec, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { BuildContext } from '../harness/scenario.ts';

export type AgentContainerOptions = Omit<V1Container, 'image' | 'args' | 'name'> & {
  name?: string;
  /** The agent's mode and flags, e.g. `['serve', '--warmup', '5s']`. */
  args: string[];
};

/** A container running the agent with the run's image (config `agent.image`). */
export function agentContainer(ctx: BuildContext, options: AgentContainerOptions): V1Container {
  const { name, args, ...rest } = options;
  return { name: name ?? args[0] ?? 'agent', image: ctx.agentImage, args, ...rest };
}

export interface DeploymentOptions {
  name: string;
  replicas?: number;
  /** Pod labels; `app: <name>` is always set and is the selector. */
  labels?: Record<string, string>;
  spec: V1PodSpec;
}

export function deployment(options: DeploymentOptions): V1Deployment {
  const labels = { app: options.name, ...options.labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: options.name, labels: { app: options.name } },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: options.name } },
      template: { metadata: { labels }, spec: options.spec },
    },
  };
}

export interface ServiceOptions {
  name: string;
  /** Pod selector; default `app: <name>`. */
  selector?: Record<string, string>;
  ports?: V1ServicePort[];
  type?: 'ClusterIP' | 'NodePort';
}

/** A Service for agent `serve` pods: port 80 → the container port named `http` by default. */
export function service(options: ServiceOptions): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: options.name },
    spec: {
      type: options.type ?? 'ClusterIP',
      selector: options.selector ?? { app: options.name },
      ports: options.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}
