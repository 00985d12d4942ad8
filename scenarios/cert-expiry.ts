/**
 * Certificate expiry: the serving certificate's renewal silently stopped working, and the one in
 * the Secret now expires in five days. Nothing breaks yet — clients still verify it — so nobody
 * notices until the day it expires, unless something watches days-left. The mitigation is that
 * watch: a `tlsprobe` monitor handshaking with the endpoint every few seconds with `--warn-days 14`.
 * The control arm has the same endpoint and the same failed renewal, but no monitor.
 *
 * The PKI is made when the scenario is loaded: a CA (kept in a Secret, as cert-manager's CA Issuer
 * keeps one), a 90-day certificate for web.example.com signed by it, and a trust bundle ConfigMap.
 * The `web` Service has a fixed ClusterIP in the static lower band of kind's and kubeadm's service
 * CIDR (10.96.0.0/12), so the monitor can be pointed at it in its manifest.
 */
import type { KubernetesObject, V1Container } from '@kubernetes/client-node';
import { type BuildContext, defineScenario } from 'scars';
import { certChainValid, certExpiryDetected } from 'scars/assertions';
import { caBundle, certExpiry, createCertificateAuthority, issueCertificate, tlsSecret } from 'scars/faults';
import { agentLogs } from 'scars/observers';
import { agentContainer, deployment, service } from 'scars/workloads';

const HOST = 'web.example.com';
/** Static ClusterIP (lower band of 10.96.0.0/12, where dynamic allocation does not prefer to go). */
const WEB_IP = '10.96.0.243';
const WARN_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

const ca = await createCertificateAuthority('scars cert-expiry CA');
const now = Date.now();
const leaf = await issueCertificate({
  subject: `CN=${HOST}`,
  names: { dns: [HOST] },
  issuer: ca,
  notBefore: new Date(now - DAY_MS),
  notAfter: new Date(now + 89 * DAY_MS),
});

const monitorSelector = 'app=cert-monitor';

const webWorkload = (ctx: BuildContext): KubernetesObject[] => {
  const serve: V1Container = agentContainer(ctx, {
    name: 'serve',
    args: ['serve', '--tls-port', '8443', '--tls-dir', '/etc/tls'],
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'https', containerPort: 8443 },
    ],
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  });
  const web = deployment({
    name: 'web',
    replicas: 2,
    spec: { containers: [serve], volumes: [{ name: 'tls', secret: { secretName: 'web-tls' } }] },
  });
  // A restart replaces both replicas in one wave (new pods first, then the old ones go).
  web.spec = { ...web.spec!, strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } } };
  const svc = service({ name: 'web', ports: [{ name: 'https', port: 443, targetPort: 'https' }] });
  svc.spec = { ...svc.spec, clusterIP: WEB_IP };
  return [web, svc];
};

const monitor = (ctx: BuildContext): KubernetesObject =>
  deployment({
    name: 'cert-monitor',
    spec: {
      containers: [
        agentContainer(ctx, {
          name: 'tlsprobe',
          args: [
            'tlsprobe',
            '--host',
            WEB_IP,
            '--port',
            '443',
            '--servername',
            HOST,
            '--ca',
            '/etc/ca/ca.crt',
            '--warn-days',
            String(WARN_DAYS),
            '--interval',
            '5s',
            '--duration',
            '24h',
          ],
          volumeMounts: [{ name: 'ca', mountPath: '/etc/ca', readOnly: true }],
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
        }),
      ],
      volumes: [{ name: 'ca', configMap: { name: 'web-ca-bundle' } }],
    },
  });

export default defineScenario({
  name: 'cert-expiry',
  description:
    'The serving certificate is replaced by one expiring in 5 days (a renewal that silently failed); a days-left monitor must warn ahead of expiry while the chain still verifies.',
  runbook: {
    hypothesis: `A certificate that stops being renewed is reported by monitoring at least ${WARN_DAYS} days before it expires, while clients still verify it.`,
    blastRadius:
      'The run namespace only: its web-tls Secret (restored byte for byte on revert) and a rollout restart of its web Deployment (annotation removed on revert).',
    expected: `Main: the cert-monitor reports < ${WARN_DAYS} days left within a minute of the swap, and every handshake verifies. Control (no monitor): the same certificate is served (the fault's witness sees it) but nothing reports it, so cert-expiry-detected fails.`,
    watch: [
      'kubectl -n <ns> logs deploy/cert-monitor | grep certificate',
      'kubectl -n <ns> get secret web-tls -o jsonpath={.data.tls\\.crt} | base64 -d | openssl x509 -noout -enddate',
    ],
    abort: ['Handshakes with the web Service fail outright (the rollout did not come up).'],
  },
  tags: ['certificates', 'tls'],
  suites: ['default', 'nightly', 'smoke'],
  workloads: [
    tlsSecret('web-ca', ca),
    tlsSecret('web-tls', leaf, ca.certPem),
    caBundle('web-ca-bundle', ca.certPem),
    webWorkload,
  ],
  mitigation: {
    description: `a tlsprobe monitor handshaking with the endpoint every 5s with --warn-days ${WARN_DAYS}`,
    manifests: [monitor],
  },
  control: { description: 'no certificate monitoring' },
  fault: certExpiry({
    secret: 'web-tls',
    daysLeft: 5,
    issuer: { secret: 'web-ca' },
    restart: { deployment: 'web' },
    endpoint: { host: WEB_IP, port: 443, servername: HOST, caConfigMap: 'web-ca-bundle' },
    witness: { duration: '30s', interval: '2s' },
  }),
  observers: [agentLogs({ selector: monitorSelector, intervalMs: 1000 })],
  expect: [
    certExpiryDetected({ selector: monitorSelector, warnDays: WARN_DAYS, within: '45s' }),
    certChainValid({ selector: monitorSelector }),
  ],
  hold: '6s',
  settle: '1s',
});
