/**
 * Pod kill: a replica dies (node crash, OOM, a bad deploy). With several replicas behind
 * readiness probes the service keeps a Ready endpoint throughout; with one replica it has none
 * until the replacement is Ready, which is the outage this scenario's control arm reproduces.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { minReadyReplicas } from 'scars/assertions';
import { podKill } from 'scars/faults';
import { podReadiness } from 'scars/observers';

const app = 'web';
const selector = `app=${app}`;

const deployment: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: app, labels: { app } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app } },
    template: {
      metadata: { labels: { app } },
      spec: {
        containers: [
          {
            name: 'serve',
            image: 'scars-agent:latest',
            args: ['serve'],
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          },
        ],
      },
    },
  },
};

const service: KubernetesObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app },
  spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
} as KubernetesObject;

export default defineScenario({
  name: 'pod-kill',
  description: 'Delete a replica of a web Deployment; the Service must keep a Ready endpoint.',
  tags: ['pod-kill', 'availability'],
  suites: ['default', 'nightly'],
  workloads: [deployment, service],
  mitigation: {
    description: '3 replicas with a readiness probe on /readyz',
    apply: (objects) =>
      objects.map((o) => {
        if (o.kind !== 'Deployment') return o;
        const d = structuredClone(o) as V1Deployment;
        d.spec!.replicas = 3;
        const c = d.spec!.template.spec!.containers[0]!;
        c.readinessProbe = {
          httpGet: { path: '/readyz', port: 'http' },
          periodSeconds: 2,
          failureThreshold: 1,
        };
        return d;
      }),
  },
  fault: podKill({ selector, count: 1 }),
  observers: [podReadiness({ selector, intervalMs: 250 })],
  expect: [minReadyReplicas({ selector, min: 1 })],
  hold: '10s',
  settle: '5s',
});
