/**
 * Certificate expiry: the serving certificate in a `kubernetes.io/tls` Secret is replaced by one
 * that has expired or expires in a few days, with the same subject and names — what a renewal
 * that silently stopped working leaves behind, brought forward in time. The new certificate is
 * signed by the issuer the scenario names (a CA Secret, as cert-manager's CA Issuer keeps one), so
 * only the dates differ; without an issuer it is self-signed.
 *
 * The Secret is changed with one journalled merge patch of `data`: revert restores the original
 * bytes. The journalled client first copies the Secret's data into a backup Secret in the run
 * namespace (see src/harness/secret-backup.ts); the journal file keeps only that backup's name and
 * a sha256 digest, never the original or the new `tls.key`.
 *
 * Servers that read their certificate at start (most, including the agent's `serve`) present a
 * changed Secret only once restarted; `restart` does what `kubectl rollout restart` does (a
 * pod-template annotation, journalled too) and waits for the rollout. Ingress controllers read
 * Secrets per handshake and need no restart.
 *
 * Evidence: the fault's own `tlsprobe` pod (the witness) handshakes with the endpoint and must
 * report the new certificate's serial number — the swapped certificate is what clients get.
 */
import type { V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { AgentLine } from '../agent/output.ts';
import type { TlsprobeEvent } from '../agent/modes/tlsprobe.ts';
import { parseAgentLog } from '../agent/output.ts';
import { parseDuration, type Duration } from '../harness/duration.ts';
import type { BuildContext, Evidence, Fault, RunContext } from '../harness/scenario.ts';
import { agentContainer } from '../workloads/agent.ts';
import {
  issueCertificate,
  normaliseSerial,
  type PemCertificate,
  readCertificate,
  splitPemChain,
} from './certificates.ts';
import { agentImagePreflight } from './preflight.ts';
import { shellLine } from './kubectl.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** The label on the witness pod (and the value naming the fault). */
export const CERT_WITNESS_LABEL = 'scars.dev/cert-witness';

export interface CertEndpoint {
  /** Address the witness connects to (an IP, or a name the pod can resolve). */
  host: string;
  port?: number;
  /** SNI and the name the certificate is checked against; default `host`. */
  servername?: string;
  /** ConfigMap in the run namespace holding the CA bundle clients trust (key `ca.crt` unless `caKey`). */
  caConfigMap?: string;
  caKey?: string;
}

export interface CertExpiryOptions {
  /** The `kubernetes.io/tls` Secret in the run namespace whose certificate is replaced. */
  secret: string;
  /** Replace it with one that expired yesterday. */
  expired?: boolean;
  /** Replace it with one valid for this many more whole days (and an hour, so a probe reads exactly N). */
  daysLeft?: number;
  /** A Secret in the run namespace holding the issuing CA (`tls.crt`, `tls.key`); self-signed without it. */
  issuer?: { secret: string };
  /** Restart this Deployment after the swap so its pods read the new Secret (`kubectl rollout restart`). */
  restart?: { deployment: string; timeout?: Duration };
  /** The endpoint that serves the Secret; the fault's witness probe checks what it presents. */
  endpoint: CertEndpoint;
  /** How long the witness keeps probing (default 30s), and how often (default 2s). */
  witness?: { duration?: Duration; interval?: Duration };
}

/** What the fault put in place, for the timeline (`cert-swapped`) and assertions. */
export interface CertSwap {
  secret: string;
  subject: string;
  names: { dns: string[]; ips: string[] };
  serialNumber: string;
  notAfter: string;
  daysLeft: number;
  issuer: string;
  /** The certificate it replaced. */
  previous: { serialNumber: string; notAfter: string };
}

type CertificateLine = AgentLine<Extract<TlsprobeEvent, { event: 'certificate' }>>;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');

function validity(
  options: CertExpiryOptions,
  now: number,
): { notBefore: Date; notAfter: Date; daysLeft: number } {
  if (options.expired) {
    // Expired yesterday after 90 days of validity, as a missed renewal looks.
    return { notBefore: new Date(now - 91 * DAY_MS), notAfter: new Date(now - DAY_MS), daysLeft: -1 };
  }
  const days = options.daysLeft ?? 0;
  return {
    notBefore: new Date(now - 89 * DAY_MS + days * DAY_MS),
    notAfter: new Date(now + days * DAY_MS + HOUR_MS),
    daysLeft: days,
  };
}

async function readSecret(ctx: RunContext, name: string): Promise<V1Secret> {
  const secret = await ctx.kube.read<V1Secret>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: ctx.namespace,
    name,
  });
  if (!secret) throw new Error(`cert-expiry: Secret ${ctx.namespace}/${name} not found`);
  return secret;
}

/** Waits until every replica runs the current template and is available (`kubectl rollout status`). */
async function rolloutDone(ctx: RunContext, name: string, timeoutMs: number): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const d = await ctx.kube.read<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ctx.namespace,
      name,
    });
    const want = d?.spec?.replicas ?? 1;
    const s = d?.status;
    if (
      d &&
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      (s?.updatedReplicas ?? 0) >= want &&
      (s?.replicas ?? 0) === (s?.updatedReplicas ?? 0) &&
      (s?.availableReplicas ?? 0) >= want
    )
      return;
    if (ctx.clock.now() > deadline)
      throw new Error(`cert-expiry: Deployment ${name} did not finish its rollout within ${timeoutMs}ms`);
    await ctx.clock.sleep(500, ctx.signal);
  }
}

function witnessPod(ctx: BuildContext, options: CertExpiryOptions): V1Pod {
  const e = options.endpoint;
  const args = [
    'tlsprobe',
    '--host',
    e.host,
    '--port',
    String(e.port ?? 443),
    ...(e.servername ? ['--servername', e.servername] : []),
    ...(e.caConfigMap ? ['--ca', `/etc/scars-ca/${e.caKey ?? 'ca.crt'}`] : []),
    // Days left are what the witness reports, not what it judges: 0 keeps its exit code about the handshake.
    '--warn-days',
    '0',
    '--interval',
    String(options.witness?.interval ?? '2s'),
    '--duration',
    String(options.witness?.duration ?? '30s'),
    '--timeout',
    '5s',
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `cert-witness-${options.secret}`,
      namespace: ctx.namespace,
      labels: { [CERT_WITNESS_LABEL]: options.secret },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        agentContainer(ctx, {
          name: 'tlsprobe',
          args,
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
          ...(e.caConfigMap
            ? { volumeMounts: [{ name: 'ca', mountPath: '/etc/scars-ca', readOnly: true }] }
            : {}),
        }),
      ],
      ...(e.caConfigMap ? { volumes: [{ name: 'ca', configMap: { name: e.caConfigMap } }] } : {}),
    },
  };
}

export function certExpiry(options: CertExpiryOptions): Fault {
  if ((options.expired === true) === (options.daysLeft !== undefined))
    throw new Error('certExpiry: give exactly one of `expired: true` or `daysLeft: N`');
  if (options.daysLeft !== undefined && (!Number.isInteger(options.daysLeft) || options.daysLeft < 0))
    throw new Error('certExpiry: daysLeft must be a whole number of days, 0 or more');
  const restartTimeoutMs = parseDuration(options.restart?.timeout ?? '2m');
  const witnessMs = parseDuration(options.witness?.duration ?? '30s');
  let swap: CertSwap | undefined;
  let witness: string | undefined;
  let witnessUntil = 0;

  const what = options.expired
    ? 'an expired certificate'
    : `a certificate with ${options.daysLeft} day(s) left`;
  return {
    name: 'cert-expiry',
    kubectl: (ctx) => {
      const ns = ctx.namespace;
      const restart = options.restart
        ? [shellLine(['kubectl', 'rollout', 'restart', `deployment/${options.restart.deployment}`, '-n', ns])]
        : [];
      // The CA's certificate and key, to sign the replacement as the real issuer would.
      const sign = options.issuer
        ? (['crt', 'key'] as const).map(
            (part) =>
              shellLine([
                'kubectl',
                'get',
                'secret',
                options.issuer!.secret,
                '-n',
                ns,
                '-o',
                `jsonpath={.data.tls\\.${part}}`,
              ]) + ` | base64 -d > ca.${part}`,
          )
        : [];
      const dates = options.expired
        ? '-not_before <a week ago, YYYYMMDDHHMMSSZ> -not_after <yesterday>'
        : `-days ${options.daysLeft}`;
      return {
        inject: [
          `kubectl get secret ${options.secret} -n ${ns} -o yaml > ${options.secret}.backup.yaml`,
          ...sign,
          `openssl req -new -newkey rsa:2048 -nodes -keyout tls.key -subj '<the subject of the current certificate>' -addext 'subjectAltName=<its names>' -out tls.csr`,
          options.issuer
            ? `openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -copy_extensions copy ${dates} -out tls.crt${options.expired ? '   # OpenSSL 3.4+ for -not_before/-not_after' : ''}`
            : `openssl x509 -req -in tls.csr -key tls.key -copy_extensions copy ${dates} -out tls.crt${options.expired ? '   # OpenSSL 3.4+ for -not_before/-not_after' : ''}`,
          `kubectl create secret tls ${options.secret} -n ${ns} --cert=tls.crt --key=tls.key --dry-run=client -o yaml | kubectl apply -f -`,
          ...restart,
        ],
        revert: [
          `kubectl replace --force -f ${options.secret}.backup.yaml`,
          ...restart,
          'rm -f tls.key ca.key   # private keys do not outlive the exercise',
        ],
      };
    },
    describe: () =>
      `replace the certificate in Secret ${options.secret} with ${what} (same subject and names)` +
      (options.restart ? `, then restart Deployment ${options.restart.deployment}` : '') +
      `; a witness probe checks ${options.endpoint.host}:${options.endpoint.port ?? 443} presents it`,
    async preflight(ctx) {
      const image = await agentImagePreflight(ctx);
      if (!image.ok) return image;
      return { ok: true, summary: `${image.summary}; the Secret is read at inject` };
    },
    async inject(ctx) {
      swap = undefined;
      witness = undefined;
      const secret = await readSecret(ctx, options.secret);
      if (secret.type !== 'kubernetes.io/tls')
        throw new Error(
          `cert-expiry: Secret ${options.secret} is of type ${secret.type ?? 'Opaque'}, not kubernetes.io/tls`,
        );
      const currentPem = unb64(secret.data?.['tls.crt']);
      if (!currentPem) throw new Error(`cert-expiry: Secret ${options.secret} has no tls.crt`);
      const current = readCertificate(currentPem);
      let issuer: PemCertificate | undefined;
      if (options.issuer) {
        const ca = await readSecret(ctx, options.issuer.secret);
        const certPem = unb64(ca.data?.['tls.crt']);
        const keyPem = unb64(ca.data?.['tls.key']);
        if (!certPem || !keyPem)
          throw new Error(`cert-expiry: issuer Secret ${options.issuer.secret} needs tls.crt and tls.key`);
        issuer = { certPem, keyPem };
      }
      const { notBefore, notAfter, daysLeft } = validity(options, ctx.clock.now());
      const issued = await issueCertificate({
        subject: current.subject,
        names: current.names,
        notBefore,
        notAfter,
        ...(issuer ? { issuer } : {}),
      });
      const info = readCertificate(issued.certPem);
      // Intermediates that followed the old leaf still chain the new one when its issuer is the same.
      const intermediates = info.issuer === current.issuer ? splitPemChain(currentPem).slice(1) : [];
      const chain = [issued.certPem.trim(), ...intermediates].join('\n') + '\n';
      swap = {
        secret: options.secret,
        subject: info.subject,
        names: info.names,
        serialNumber: info.serialNumber,
        notAfter: info.notAfter.toISOString(),
        daysLeft,
        issuer: info.issuer,
        previous: { serialNumber: current.serialNumber, notAfter: current.notAfter.toISOString() },
      };
      await ctx.kube.patch(
        { apiVersion: 'v1', kind: 'Secret', namespace: ctx.namespace, name: options.secret },
        { data: { 'tls.crt': b64(chain), 'tls.key': b64(issued.keyPem) } },
      );
      ctx.record('cert-swapped', { ...swap });
      if (options.restart) {
        const name = options.restart.deployment;
        await ctx.kube.patch(
          { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name },
          {
            spec: {
              template: {
                metadata: {
                  annotations: {
                    // RFC 3339 in seconds, as kubectl writes it.
                    'kubectl.kubernetes.io/restartedAt': new Date(ctx.clock.now())
                      .toISOString()
                      .replace(/\.\d{3}Z$/, 'Z'),
                  },
                },
              },
            },
          },
        );
        await rolloutDone(ctx, name, restartTimeoutMs);
        ctx.record('rollout-restarted', { deployment: name });
      }
      // From here on the endpoint presents the new certificate: what a monitor's delay is measured from.
      ctx.record('cert-in-service', { ...swap });
      const pod = witnessPod(ctx, options);
      await ctx.kube.create(pod);
      witness = pod.metadata?.name;
      witnessUntil = ctx.clock.now() + witnessMs;
      ctx.record('cert-witness-started', { pod: witness });
    },
    async observe(ctx) {
      if (!swap || !witness)
        return { observed: false, summary: 'the certificate was not replaced', evidence: [] };
      const evidence: Evidence[] = [
        {
          what: `Secret ${swap.secret} now holds serial ${swap.serialNumber}, notAfter ${swap.notAfter} (was ${swap.previous.serialNumber}, notAfter ${swap.previous.notAfter})`,
          ref: `Secret/${swap.secret}`,
        },
      ];
      // The witness may still be starting: give it until its probing window ends to see the new
      // certificate; a server that keeps the old one is reported as such once that window is over.
      const read = async (): Promise<CertificateLine[] | string> => {
        try {
          return parseAgentLog(await ctx.kube.logs(ctx.namespace, witness as string)).filter(
            (l): l is CertificateLine => l.mode === 'tlsprobe' && l.event === 'certificate',
          );
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      };
      const isSwapped = (l: CertificateLine) => normaliseSerial(l.serialNumber) === swap?.serialNumber;
      let got = await read();
      while ((typeof got === 'string' || !got.some(isSwapped)) && ctx.clock.now() < witnessUntil) {
        await ctx.clock.sleep(500, ctx.signal);
        got = await read();
      }
      if (typeof got === 'string')
        evidence.push({ what: `witness log unreadable: ${got}`, ref: `Pod/${witness}` });
      const lines = typeof got === 'string' ? [] : got;
      const served = lines.filter(isSwapped);
      const last = served.at(-1) ?? lines.at(-1);
      if (last)
        evidence.push({
          what: `${witness} saw serial ${normaliseSerial(last.serialNumber)}, notAfter ${last.notAfter}, ${last.daysLeft} day(s) left, verified ${last.verified}${last.verifyError ? ` (${last.verifyError})` : ''}`,
          ref: `Pod/${witness}`,
          data: { handshakes: lines.length, withSwappedCertificate: served.length },
        });
      return {
        observed: served.length > 0,
        summary:
          served.length > 0
            ? `the endpoint presents the swapped certificate (notAfter ${swap.notAfter}) in ${served.length}/${lines.length} witness handshake(s)`
            : `the witness saw ${lines.length} handshake(s), none presenting the swapped certificate`,
        evidence,
      };
    },
  };
}
