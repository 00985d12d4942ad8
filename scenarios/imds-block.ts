/**
 * IMDS block: on a cloud node every pod can reach the instance metadata service at
 * 169.254.169.254 and read the node role's credentials, unless egress to it is denied. Only pods
 * labelled `imds-access: allowed` (a node agent that really needs the instance role) may reach it.
 * The mitigation is a pair of NetworkPolicies: egress anywhere except 169.254.169.254/32 for pods
 * without that label, egress anywhere for pods with it. The fault is a set of `imdsprobe` pods of
 * both kinds, including newborns that probe from their first milliseconds. The control arm has no
 * policy: the unlabelled probes get credentials.
 */
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { defineScenario } from 'scars';
import { imdsBlocked, imdsReachable } from 'scars/assertions';
import { IMDS_PROBE_LABEL, imdsAccess } from 'scars/faults';
import { agentLogs } from 'scars/observers';
import { agentContainer, deployment } from 'scars/workloads';

const ALLOWED = { 'imds-access': 'allowed' };
const untrusted = `${IMDS_PROBE_LABEL}=untrusted`;
const trusted = `${IMDS_PROBE_LABEL}=trusted`;

const policy = (name: string, spec: V1NetworkPolicy['spec']): V1NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name },
  spec,
});

export default defineScenario({
  name: 'imds-block',
  description:
    'Pods try the cloud metadata service for node credentials; only pods labelled imds-access=allowed may reach 169.254.169.254, all others must be blocked from their first packet.',
  runbook: {
    hypothesis:
      'A pod without imds-access=allowed cannot reach 169.254.169.254 on any credential path (AWS IMDSv1/v2, GCP, Azure), not even in the first second after it starts, and gets no credential bytes; allowed pods still get credentials.',
    blastRadius:
      'The run namespace only: probe pods created and deleted there. They send requests to the metadata service of the node they run on (on a real cloud node: read-only requests for the node role credentials; the probe prints only byte counts).',
    expected:
      'Main: every attempt from the untrusted probes times out (0 credential bytes), the trusted probes get credentials. Control (no NetworkPolicy): the untrusted probes reach IMDS and receive credentials, so imds-blocked fails. Where nodes have no metadata service (kind) nothing answers any probe: the fault is not observed and the run is inconclusive.',
    watch: [
      'kubectl -n <ns> logs -l scars.dev/imds-probe=untrusted | grep \'"event":"result"\'',
      'kubectl -n <ns> get networkpolicy',
    ],
    abort: [
      'Do not run it on a cloud cluster whose node role test pods must never read: the control arm lets them read it on purpose.',
    ],
  },
  tags: ['imds', 'cloud-credentials', 'network-policy'],
  suites: ['default', 'nightly', 'smoke'],
  workloads: [
    (ctx) =>
      deployment({
        name: 'web',
        spec: {
          containers: [
            agentContainer(ctx, {
              name: 'serve',
              args: ['serve'],
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            }),
          ],
        },
      }),
  ],
  mitigation: {
    description:
      'NetworkPolicies: egress to 0.0.0.0/0 except 169.254.169.254/32 for pods without imds-access=allowed; all egress for pods with it',
    manifests: [
      policy('deny-imds', {
        podSelector: { matchExpressions: [{ key: 'imds-access', operator: 'NotIn', values: ['allowed'] }] },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
      }),
      policy('allow-imds', {
        podSelector: { matchLabels: ALLOWED },
        policyTypes: ['Egress'],
        egress: [{}],
      }),
    ],
  },
  control: { description: 'no NetworkPolicy: every pod reaches the metadata service' },
  fault: imdsAccess({
    probes: [
      // Requests that are answered cross a real loopback socket in wall time (1s of cluster time
      // is 50ms of wall time at time scale 20), so both sets get more than the 1s SDKs give IMDS:
      // without the policy an untrusted probe must really get its answer, not time out on a busy
      // machine. A blocked request is never answered; its timeout costs only simulated time.
      { name: 'untrusted', labels: { app: 'batch-job' }, timeout: '5s' },
      { name: 'trusted', labels: { app: 'node-agent', ...ALLOWED }, timeout: '10s' },
    ],
    provider: 'all',
    interval: '2s',
    newbornAfter: '1s',
  }),
  observers: [
    agentLogs({ selector: untrusted, intervalMs: 500 }),
    agentLogs({ selector: trusted, intervalMs: 500 }),
  ],
  expect: [imdsBlocked({ selector: untrusted }), imdsReachable({ selector: trusted })],
  hold: '4s',
  settle: '1s',
});
