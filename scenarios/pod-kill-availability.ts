/**
 * Pod kill: a replica dies (node crash, OOM, a bad deploy). With several replicas behind
 * readiness probes the Service keeps Ready endpoints and keeps answering, and the replacement gets
 * no traffic before it has warmed up; with one replica and no readiness probe the Service has no
 * endpoint until the replacement runs, which then takes traffic while still warming up.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { minReadyReplicas, readinessGating, serviceAvailability } from 'scars/assertions';
import { podKill } from 'scars/faults';
import { agentLogs, podReadiness, serviceLoad } from 'scars/observers';
import { agentContainer, deployment, service } from 'scars/workloads';

const app = 'web';
const selector = `app=${app}`;

export default defineScenario({
  name: 'pod-kill-availability',
  description:
    'Kill a replica of a web Deployment under load; the NodePort Service must keep answering and no request may reach a replica that is still warming up.',
  runbook: {
    hypothesis:
      'With 3 replicas and a readiness probe on /readyz, deleting one pod (grace 0, like a crash) costs at most a few in-flight requests: the Service keeps Ready endpoints, and the replacement joins only once warm.',
    blastRadius:
      'The run namespace only: one pod of the web Deployment is deleted; its ReplicaSet replaces it. No node or kube-system object is touched.',
    expected:
      'Main: error rate ≤ 15% under load (in-flight requests of the killed replica, and new connections sent to it until kube-proxy drops its endpoint), at least 1 Ready replica at every sample, no request served during warm-up. Control (1 replica, no readiness probe): requests are refused until the replacement runs, 0 Ready replicas for a while, and the replacement serves requests while still warming up.',
    watch: [
      'kubectl get endpointslices -l kubernetes.io/service-name=web -w',
      'kubectl get pods -l app=web -w',
    ],
    abort: [
      'Error rate stays high after the replacement is Ready: the Service selector or readiness is wrong.',
    ],
  },
  tags: ['pod-kill', 'availability', 'readiness'],
  suites: ['default', 'nightly', 'upgrade'],
  workloads: [
    (ctx) => [
      deployment({
        name: app,
        replicas: 1,
        spec: {
          containers: [
            agentContainer(ctx, {
              name: 'serve',
              // A replica takes 8 s to warm up (caches, connections); /readyz says so meanwhile.
              args: ['serve', '--warmup', '8s', '--log-requests', '--stats-interval', '0s'],
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            }),
          ],
        },
      }),
      service({ name: app, type: 'NodePort' }),
    ],
  ],
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
          periodSeconds: 3,
          timeoutSeconds: 3,
          failureThreshold: 3,
        };
        return d;
      }),
  },
  fault: podKill({ selector, count: 1 }),
  observers: [
    podReadiness({ selector, intervalMs: 500 }),
    // Short slices, so the load samples line up with the fault window.
    serviceLoad({ service: app, rate: 100, sliceMs: 250 }),
    agentLogs({ selector, intervalMs: 1000 }),
  ],
  expect: [
    serviceAvailability({ service: app, maxErrorRate: 0.15 }),
    minReadyReplicas({ selector, min: 1 }),
    readinessGating({ selector }),
  ],
  hold: '15s',
  settle: '5s',
});
