/**
 * A plain two-replica web app for the faults no built-in scenario uses (cordon-node and
 * container-crash): enough for the fault to act on, nothing more.
 */
import type { V1Container } from '@kubernetes/client-node';
import { type BuildContext, defineScenario, type Fault, type Scenario } from '../../src/harness/scenario.ts';
import { minReadyReplicas } from '../../src/assertions/index.ts';
import { agentContainer, deployment, service } from '../../src/workloads/index.ts';

export const WEB_SELECTOR = 'app=web';

/** The agent serving HTTP on 8080 (`http`), small requests and a memory limit: the fixtures' web replica. */
export function webServeContainer(ctx: BuildContext, extraArgs: string[] = []): V1Container {
  return agentContainer(ctx, {
    name: 'serve',
    args: ['serve', ...extraArgs, '--stats-interval', '0s'],
    ports: [{ containerPort: 8080, name: 'http' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  });
}

export function webAppScenario(name: string, fault: Fault, nodes?: 'any'): Scenario {
  return defineScenario({
    name,
    description: `exit-path fixture for the ${fault.name} fault`,
    ...(nodes ? { nodes } : {}),
    control: false,
    workloads: [
      (ctx) => [
        deployment({
          name: 'web',
          replicas: 2,
          spec: {
            containers: [webServeContainer(ctx, ['--crash-path', '/crash'])],
          },
        }),
        service({ name: 'web' }),
      ],
    ],
    mitigation: { description: 'none (exit-path fixture)', apply: (objects) => objects },
    fault,
    expect: [minReadyReplicas({ selector: WEB_SELECTOR, min: 1 })],
    // A crashed container restarts after the kubelet's first back-off (10 s); the evidence needs that.
    hold: '30s',
    settle: '2s',
  });
}
