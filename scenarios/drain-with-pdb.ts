/**
 * Drain with a PodDisruptionBudget: a node is drained for an upgrade (`kubectl drain`) while a web
 * app serves traffic. The app's replicas run next to their cache (required pod affinity on the
 * node's hostname), so all three sit on the cache's node, and that node is the one drained. A
 * drain evicts every pod of the node at once; without a budget the Service has no Ready endpoint
 * until the replacements have warmed up. With `minAvailable: 2` the eviction API refuses (429)
 * every eviction that would leave fewer than two Ready replicas, kubectl retries every 5 seconds,
 * and the drain finishes one replica at a time as replacements turn Ready on another node.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { pdbHeld, serviceAvailability } from 'scars/assertions';
import { nodeDrain, nodeHostingMost } from 'scars/faults';
import { podReadiness, serviceLoad } from 'scars/observers';
import { agentContainer, deployment, service } from 'scars/workloads';

const app = 'web';
const selector = `app=${app}`;
const minAvailable = 2;

const budget: V1PodDisruptionBudget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: app },
  spec: {
    minAvailable,
    selector: { matchLabels: { app } },
  },
};

export default defineScenario({
  name: 'drain-with-pdb',
  description:
    'Drain the node hosting every replica of a web app (co-located with its cache) under load; a PodDisruptionBudget must keep two replicas Ready and the Service answering while the drain goes on one eviction at a time.',
  runbook: {
    hypothesis:
      'With a PodDisruptionBudget (minAvailable 2 of 3) the eviction API refuses the evictions that would leave fewer than 2 Ready replicas, so draining the node that hosts all of them keeps the Service answering; the drain finishes once replacements are Ready elsewhere.',
    blastRadius:
      'One worker node (the one hosting the most web replicas) is cordoned and drained, then uncordoned at revert. Only pods of the run namespace are evicted; pods of other namespaces on the node (kube-proxy, CoreDNS, …) are left alone, unlike a real `kubectl drain`.',
    expected:
      'Main: the first eviction is allowed, the others answer 429 ("Cannot evict pod as it would violate the pod\'s disruption budget.") and are retried every 5 s until a replacement is Ready; Ready replicas never drop below 2, the error rate stays under 5% (a request on a kept-alive connection to a replica that is shutting down can fail), and the drain finishes once the replicas run on another node. Control (no budget): the three replicas are evicted at once, the Service has no Ready endpoint for several seconds while replacements warm up, and requests fail.',
    watch: [
      'kubectl get pods -l app=web -o wide -w',
      'kubectl get pdb web -w   # ALLOWED DISRUPTIONS',
      'kubectl get events -w --field-selector involvedObject.kind=Pod   # Killing, then SuccessfulCreate on another node',
    ],
    abort: [
      'The Service stops answering in the main arm: uncordon the node (kubectl uncordon <node>) and stop the drain.',
      'The drain is stuck on 429 past its timeout: a replacement cannot become Ready (check Pending pods and their events).',
    ],
  },
  tags: ['node-drain', 'pdb', 'availability'],
  suites: ['default', 'nightly', 'upgrade'],
  nodes: 'any',
  workloads: [
    (ctx) => [
      // The cache the web replicas want to share a node with (a stand-in: the agent serving HTTP).
      deployment({
        name: 'cache',
        replicas: 1,
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            agentContainer(ctx, {
              name: 'cache',
              args: ['serve', '--port', '6379', '--stats-interval', '0s'],
              ports: [{ containerPort: 6379, name: 'cache' }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            }),
          ],
        },
      }),
      deployment({
        name: app,
        replicas: 3,
        spec: {
          terminationGracePeriodSeconds: 10,
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          containers: [
            agentContainer(ctx, {
              name: 'serve',
              // Warms up for 5 s before /readyz answers 200; on SIGTERM keeps serving for 2 s with
              // /readyz failing, so endpoints drop the pod before it stops accepting.
              args: ['serve', '--warmup', '5s', '--shutdown-delay', '2s', '--stats-interval', '0s'],
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              // Three slow answers in a row, not one, take a replica out of the Service and the budget.
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'http' },
                periodSeconds: 2,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
            }),
          ],
        },
      }),
      service({ name: app, type: 'NodePort' }),
    ],
  ],
  mitigation: {
    description: `PodDisruptionBudget web: minAvailable ${minAvailable} of 3 replicas`,
    manifests: [budget],
  },
  fault: nodeDrain({ node: nodeHostingMost(selector), timeout: '2m' }),
  observers: [
    podReadiness({ selector, intervalMs: 1000 }),
    serviceLoad({ service: app, path: '/', rate: 50, sliceMs: 200 }),
  ],
  expect: [
    // Not 0: a request on a kept-alive connection to an evicted replica can fail when it closes
    // after its shutdown delay, budget or not. The control's outage is far above 5%.
    serviceAvailability({ service: app, maxErrorRate: 0.05 }),
    pdbHeld({ selector, minAvailable }),
  ],
  hold: '8s',
  settle: '3s',
  timeouts: { inject: '5m' },
});
