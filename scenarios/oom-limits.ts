/**
 * OOM and limits: one replica of an API starts leaking memory, next to two neighbours on the same
 * node. With memory requests and limits (limit = 2 × request) the leak is contained by its own
 * cgroup: the kernel kills it at the limit (OOMKilled, exit 137), the kubelet restarts it with
 * back-off (CrashLoopBackOff), and the neighbours never notice. Without limits nothing stops the
 * leak: it is never OOMKilled at a limit, never restarted, and keeps 1Gi of the node to itself —
 * on a busier node it would push the node into memory pressure, where the kubelet's eviction
 * manager or the kernel's OOM killer would pick victims instead of the leak's own limit.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { minReadyReplicas, oomKilledSurfaced, requestsLimitsPolicy, restartsBackOff } from 'scars/assertions';
import { memoryHog, nodeOf } from 'scars/faults';
import { podReadiness, podStatus } from 'scars/observers';
import { agentContainer, deployment } from 'scars/workloads';

const app = 'api';
const leak = 'api-leak';
const neighbours = 'neighbour';

/** The mitigation: every container requests memory and may use twice that, no more. */
const resources = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

export default defineScenario({
  name: 'oom-limits',
  description:
    'A replica of an API leaks memory next to two neighbours on its node; with requests and limits (limit 2× request) the kernel kills it at its limit, the kill surfaces as OOMKilled with back-off, and the neighbours stay Ready.',
  runbook: {
    hypothesis:
      'A container with a memory limit that leaks is OOM-killed at that limit (OOMKilled, exit 137), restarted with CrashLoopBackOff rather than in a tight loop, and pods sharing its node keep running.',
    blastRadius:
      'The run namespace only: one memhog pod (the leak, up to 1Gi) on the node of the api pod, next to the api and its two neighbours. No node object is changed.',
    expected:
      'Main: api-leak is OOMKilled at 256Mi within seconds, shows Last State OOMKilled/137, waits in CrashLoopBackOff (BackOff events), and both neighbours stay Ready. Control (no requests or limits): the leak grows to its 1Gi target unchecked — no OOMKilled, no restart, and the policy check finds containers without limits.',
    watch: [
      'kubectl get pod api-leak -w   # RESTARTS and STATUS (OOMKilled, CrashLoopBackOff)',
      'kubectl describe pod api-leak   # Last State: Terminated, Reason: OOMKilled, Exit Code: 137',
      'kubectl get events --field-selector involvedObject.name=api-leak',
    ],
    abort: [
      'The node reports MemoryPressure or a SystemOOM event: the leak is not contained; delete pod api-leak.',
      'A neighbour restarts or turns NotReady in the main arm.',
    ],
  },
  tags: ['memory', 'oom', 'limits'],
  suites: ['default', 'nightly', 'smoke'],
  workloads: [
    (ctx) => [
      deployment({
        name: app,
        replicas: 1,
        spec: { containers: [agentContainer(ctx, { name: app, args: ['serve'] })] },
      }),
      // Neighbours on the api's node (required pod affinity on the hostname), as on a busy node.
      deployment({
        name: neighbours,
        replicas: 2,
        spec: {
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          containers: [agentContainer(ctx, { name: neighbours, args: ['serve'] })],
        },
      }),
    ],
  ],
  mitigation: {
    description: 'memory requests 128Mi and limits 256Mi (2× request) on every container',
    apply: (objects: KubernetesObject[]) =>
      objects.map((o) => {
        if (o.kind !== 'Deployment') return o;
        const d = structuredClone(o) as V1Deployment;
        for (const c of d.spec?.template.spec?.containers ?? []) c.resources = structuredClone(resources);
        return d;
      }),
  },
  // The leak runs with the api's own resources (as deployed in the arm) on the api's node.
  fault: memoryHog({
    name: leak,
    target: '1Gi',
    rate: '256Mi/s',
    step: '16Mi',
    node: nodeOf(`app=${app}`),
    resourcesFrom: { deployment: app },
  }),
  observers: [
    podStatus({ selector: `app=${leak}`, intervalMs: 1000 }),
    podReadiness({ selector: `app=${neighbours}`, intervalMs: 1000 }),
  ],
  expect: [
    oomKilledSurfaced({ selector: `app=${leak}` }),
    restartsBackOff({ selector: `app=${leak}` }),
    minReadyReplicas({ selector: `app=${neighbours}`, min: 2 }),
    requestsLimitsPolicy({ maxLimitRequestRatio: 2 }),
  ],
  hold: '12s',
  settle: '2s',
});
