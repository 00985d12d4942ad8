/**
 * Liveness cascade: a busy app whose health check shares the worker pool with real requests. Under
 * a load spike /healthz queues behind the work; a liveness probe with timeoutSeconds 1 and
 * failureThreshold 1 on that path restarts a healthy container, its share of the load moves to
 * the other replicas, their health checks queue longer, and they are restarted too.
 */
import type { V1Container, V1Deployment, V1Probe } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { noRestartCascade } from 'scars/assertions';
import { livenessStorm } from 'scars/faults';
import { podReadiness } from 'scars/observers';
import { agentContainer, deployment, service } from 'scars/workloads';

const app = 'web';
const selector = `app=${app}`;

/** The outage-prone probe: one slow answer on the slow path and the container is killed. */
const aggressiveLiveness: V1Probe = {
  httpGet: { path: '/healthz', port: 'http' },
  initialDelaySeconds: 10,
  periodSeconds: 5,
  timeoutSeconds: 1,
  failureThreshold: 1,
};

/**
 * Liveness asks "is the process alive?", which a TCP accept answers without queueing behind the
 * work; "can it take traffic?" is readiness's question, and a failed readiness only takes the pod
 * out of the Service instead of restarting it.
 */
const tolerantLiveness: V1Probe = {
  tcpSocket: { port: 'http' },
  initialDelaySeconds: 10,
  periodSeconds: 5,
  timeoutSeconds: 3,
  failureThreshold: 3,
};

export default defineScenario({
  name: 'liveness-cascade',
  description:
    'A load spike slows a 3-replica web app whose /healthz queues behind its worker pool; its liveness probe must not turn the slowness into a restart cascade.',
  runbook: {
    hypothesis:
      'With liveness checking only that the process is alive (TCP accept, 3 failures × 5 s, 3 s timeout) and readiness taking slow pods out of rotation, a load spike that makes /healthz take seconds restarts no container.',
    blastRadius:
      'The run namespace only: the web Deployment and Service, and a load Deployment (agent httpprobe) aimed at the Service ClusterIP. No node or kube-system object is touched.',
    expected:
      'Main: requests and health checks slow past 1 s, readiness flaps, no container restarts. Control (liveness httpGet /healthz, timeoutSeconds 1, failureThreshold 1): the replicas are restarted one after another (each restart leaves more of the load to the others), more than 1 restart per minute.',
    watch: [
      'kubectl get pods -l app=web -w   # RESTARTS column',
      'kubectl get events --field-selector reason=Unhealthy',
      'kubectl logs deploy/liveness-storm   # tick lines: achievedRate, latency',
    ],
    abort: [
      'Restarts spread beyond app=web (other workloads on the same nodes): delete deploy/liveness-storm.',
    ],
  },
  tags: ['probes', 'liveness'],
  suites: ['default', 'nightly'],
  workloads: [
    (ctx) => [
      deployment({
        name: app,
        replicas: 3,
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            agentContainer(ctx, {
              name: 'serve',
              // Two workers, 250 ms of work per request (health checks included): 8 requests/s per
              // replica before requests queue. Two, so a liveness and a readiness probe that come
              // due together do not queue behind each other while the app is idle.
              args: ['serve', '--workers', '2', '--work', '250ms', '--stats-interval', '5s'],
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              livenessProbe: aggressiveLiveness,
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'http' },
                periodSeconds: 5,
                timeoutSeconds: 2,
                failureThreshold: 2,
              },
            }),
          ],
        },
      }),
      service({ name: app }),
    ],
  ],
  mitigation: {
    description: 'liveness on a TCP accept (3 s timeout, 3 failures), separate from readiness on /readyz',
    apply: (objects) =>
      objects.map((o) => {
        if (o.kind !== 'Deployment' || o.metadata?.name !== app) return o;
        const d = structuredClone(o) as V1Deployment;
        const c = d.spec!.template.spec!.containers[0] as V1Container;
        c.livenessProbe = tolerantLiveness;
        return d;
      }),
  },
  // 3 replicas serve 24 requests/s; 30/s with up to 36 in flight keeps about 12 requests queued
  // at each replica, so anything on the worker pool waits about 1.5 s.
  fault: livenessStorm({ service: app, rate: 30, concurrency: 36, targetSelector: selector }),
  observers: [podReadiness({ selector, intervalMs: 1000 })],
  expect: [noRestartCascade({ selector, maxRestartsPerMinute: 1 })],
  hold: '20s',
  settle: '5s',
});
