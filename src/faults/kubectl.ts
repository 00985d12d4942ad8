/**
 * kubectl command lines for the game-day runbook (`Fault.kubectl`): what a person types to do
 * by hand what a fault does through the API. Quoted for a POSIX shell, so they paste as they are.
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { BuildContext } from '../harness/scenario.ts';
import { shellLine } from '../harness/shell-words.ts';

export { shellLine, shellWord } from '../harness/shell-words.ts';

/** `kubectl run`: one agent pod in the run namespace running `args` (an agent mode and its flags). */
export function kubectlRunAgent(
  ctx: BuildContext,
  name: string,
  args: readonly string[],
  options: {
    labels?: Record<string, string>;
    restart?: 'Always' | 'Never' | 'OnFailure';
    /** The container's name, when it is not the pod's (kubectl run names it after the pod). */
    container?: string;
    /** Pod spec fields kubectl run has no flag for (node, resources), as `--overrides` JSON. */
    spec?: { nodeName?: string; resources?: V1ResourceRequirements };
  } = {},
): string {
  const { nodeName, resources } = options.spec ?? {};
  // --overrides replaces the containers list whole, so the container is given in full.
  const overrides =
    nodeName || resources
      ? JSON.stringify({
          spec: {
            ...(nodeName ? { nodeName } : {}),
            containers: [
              {
                name: options.container ?? name,
                image: ctx.agentImage,
                args,
                ...(resources ? { resources } : {}),
              },
            ],
          },
        })
      : undefined;
  const labels = Object.entries({ app: name, ...options.labels })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return shellLine([
    'kubectl',
    'run',
    name,
    '-n',
    ctx.namespace,
    `--image=${ctx.agentImage}`,
    `--labels=${labels}`,
    `--restart=${options.restart ?? 'Never'}`,
    ...(overrides ? [`--overrides=${overrides}`] : []),
    '--',
    ...args,
  ]);
}

/** `kubectl create deployment`: `replicas` agent pods running `args`. */
export function kubectlAgentDeployment(
  ctx: BuildContext,
  name: string,
  replicas: number,
  args: readonly string[],
): string {
  return shellLine([
    'kubectl',
    'create',
    'deployment',
    name,
    '-n',
    ctx.namespace,
    `--image=${ctx.agentImage}`,
    `--replicas=${replicas}`,
    '--',
    ...args,
  ]);
}

export function kubectlDelete(ctx: BuildContext, what: string, selector: string): string {
  return shellLine(['kubectl', 'delete', what, '-n', ctx.namespace, '-l', selector, '--wait']);
}
