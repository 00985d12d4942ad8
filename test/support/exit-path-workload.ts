/**
 * A plain two-replica web app for the faults no built-in scenario uses (cordon-node and
 * container-crash): enough for the fault to act on, nothing more.
 */
import { defineScenario, type Fault, type Scenario } from '../../src/harness/scenario.ts';
import { minReadyReplicas } from '../../src/assertions/index.ts';
import { agentContainer, deployment, service } from '../../src/workloads/index.ts';

export const WEB_SELECTOR = 'app=web';

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
            containers: [
              agentContainer(ctx, {
                name: 'serve',
                args: ['serve', '--crash-path', '/crash', '--stats-interval', '0s'],
                ports: [{ containerPort: 8080, name: 'http' }],
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              }),
            ],
          },
        }),
        service({ name: 'web' }),
      ],
    ],
    mitigation: { description: 'none (exit-path fixture)', apply: (objects) => objects },
    fault,
    expect: [minReadyReplicas({ selector: WEB_SELECTOR, min: 1 })],
    hold: '5s',
    settle: '2s',
  });
}
