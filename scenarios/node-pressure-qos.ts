/**
 * Node pressure and QoS: a monitoring agent shares a node with BestEffort batch pods, and the node
 * runs short of memory. The kubelet's eviction manager ranks pods using more than they requested
 * first, then by priority, then by how far above their request they are — so a BestEffort pod
 * (request 0) is always above its request, and the biggest one goes first. A monitoring agent
 * without requests is usually that biggest BestEffort pod: it is evicted first, and the node goes
 * dark exactly when it is in trouble. With requests above its working set (Burstable) it ranks
 * behind every BestEffort pod, and the batch pods are evicted instead.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { criticalNotBestEffort, evictionOrderByQoS, requestsLimitsPolicy } from 'scars/assertions';
import { nodeMemoryPressure, nodeOf } from 'scars/faults';
import { podStatus } from 'scars/observers';
import { agentContainer, deployment } from 'scars/workloads';

const monitoring = 'monitoring';
const batch = 'batch';

export default defineScenario({
  name: 'node-pressure-qos',
  description:
    'Push the node of a monitoring agent and five BestEffort batch pods into memory pressure; with requests and limits on the agent (Burstable) the kubelet evicts the batch pods and the agent survives.',
  runbook: {
    hypothesis:
      'Under node memory pressure the kubelet evicts BestEffort pods before Burstable and Guaranteed ones, so a monitoring agent with memory requests covering its working set survives while BestEffort batch pods are evicted.',
    blastRadius:
      "One worker node (the monitoring pod's) is filled with two Guaranteed memhog pods until it reports MemoryPressure; the kubelet may evict pods of any namespace on it (BestEffort ones first). The node keeps MemoryPressure and its node.kubernetes.io/memory-pressure NoSchedule taint for evictionPressureTransitionPeriod (5 min by default) after the hogs are gone: revert waits until the node has recovered, and nothing new schedules there meanwhile.",
    expected:
      'Main: the node reports MemoryPressure, the kubelet evicts BestEffort batch pods ("The node was low on resource: memory."), and the monitoring pod (Burstable) keeps running. Control (monitoring without requests or limits, BestEffort): the monitoring pod, the largest BestEffort pod on the node, is the first one evicted.',
    watch: [
      'kubectl get pods -o wide -w   # STATUS Evicted',
      'kubectl describe node <node>   # Conditions: MemoryPressure True (KubeletHasInsufficientMemory)',
      'kubectl get events --field-selector reason=Evicted',
      'kubectl get events -n default --field-selector involvedObject.kind=Node,reason=EvictionThresholdMet',
    ],
    abort: [
      'The node reports a SystemOOM event or turns NotReady: delete the node-pressure-* pods at once.',
      'Pods of other namespaces on the node are being evicted and they matter: delete the node-pressure-* pods.',
    ],
  },
  tags: ['memory', 'eviction', 'qos'],
  suites: ['default', 'nightly', 'upgrade'],
  nodes: 'any',
  workloads: [
    (ctx) => [
      // A stand-in for a monitoring agent: the agent holding 32Mi above its runtime (~80Mi).
      deployment({
        name: monitoring,
        replicas: 1,
        spec: {
          containers: [
            agentContainer(ctx, {
              name: 'agent',
              args: ['memhog', '--target', '32Mi', '--rate', '512Mi/s'],
            }),
          ],
        },
      }),
      // Batch pods without requests on the agent's node, each smaller than the agent (~56Mi).
      deployment({
        name: batch,
        replicas: 5,
        spec: {
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  labelSelector: { matchLabels: { app: monitoring } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              ],
            },
          },
          containers: [
            agentContainer(ctx, {
              name: 'job',
              args: ['memhog', '--target', '8Mi', '--rate', '512Mi/s'],
            }),
          ],
        },
      }),
    ],
  ],
  mitigation: {
    description: 'the monitoring agent requests 112Mi (above its working set) with a 224Mi limit: Burstable',
    apply: (objects: KubernetesObject[]) =>
      objects.map((o) => {
        if (o.kind !== 'Deployment' || o.metadata?.name !== monitoring) return o;
        const d = structuredClone(o) as V1Deployment;
        for (const c of d.spec?.template.spec?.containers ?? []) {
          c.resources = { requests: { cpu: '50m', memory: '112Mi' }, limits: { memory: '224Mi' } };
        }
        return d;
      }),
  },
  fault: nodeMemoryPressure({ node: nodeOf(`app=${monitoring}`) }),
  observers: [podStatus({ selector: 'app', intervalMs: 1000 })],
  expect: [
    criticalNotBestEffort({ selector: `app=${monitoring}` }),
    evictionOrderByQoS({ minEvictions: 1 }),
    requestsLimitsPolicy({ selector: `app=${monitoring}`, maxLimitRequestRatio: 2 }),
  ],
  hold: '5s',
  settle: '2s',
  // Revert waits until the node no longer reports MemoryPressure: evictionPressureTransitionPeriod
  // (5m by default on kubeadm and kind, 30s on the sim's default topology).
  timeouts: { revert: '7m' },
});
