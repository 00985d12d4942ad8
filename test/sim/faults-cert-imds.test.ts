/**
 * The cert-expiry and imds-access faults against the simulated cluster (default topology, time
 * scale 20), through the harness's journalled client as the runner gives it.
 *
 * cert-expiry: the Secret gets a certificate with the same subject and names, the asked-for
 * notAfter, signed by the issuer Secret's CA, whose key matches; the restarted server presents it
 * and the witness sees it (observed); without the restart the server keeps presenting the old one
 * (not observed); revert puts the Secret's bytes back and removes the restart annotation.
 *
 * imds-access: steady and newborn imdsprobe pods per set, their attempts seen in their logs
 * (observed), a NetworkPolicy deciding which set gets through; pods that never probe (not the agent)
 * leave the fault not observed; revert deletes the pods.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { V1Deployment, V1NetworkPolicy, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certExpiry } from '../../src/faults/cert-expiry.ts';
import {
  caBundle,
  createCertificateAuthority,
  issueCertificate,
  type PemCertificate,
  readCertificate,
  tlsSecret,
} from '../../src/faults/certificates.ts';
import { IMDS_PROBE_LABEL, type ImdsProbeSet, imdsAccess } from '../../src/faults/imds-access.ts';
import type { RunContext } from '../../src/harness/scenario.ts';
import { agentContainer, deployment, service } from '../../src/workloads/agent.ts';
import { type FaultSim, ready, startFaultSim, until } from '../support/fault-harness.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOST = 'web.example.com';

let sim: FaultSim;
let ca: PemCertificate;
let leaf: PemCertificate;

beforeAll(async () => {
  sim = await startFaultSim('faults-cert-imds');
  ca = await createCertificateAuthority('fault test CA');
  leaf = await issueCertificate({
    subject: `CN=${HOST}`,
    names: { dns: [HOST, 'web'], ips: ['10.0.0.1'] },
    issuer: ca,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 60 * DAY_MS),
  });
}, 60_000);

afterAll(() => sim?.dispose());

/** A TLS `serve` Deployment from Secret web-tls, a Service for it, the CA Secret and bundle. */
async function tlsEndpoint(ctx: RunContext): Promise<string> {
  const ns = ctx.namespace;
  for (const o of [
    tlsSecret('web-ca', ca),
    tlsSecret('web-tls', leaf, ca.certPem),
    caBundle('web-ca-bundle', ca.certPem),
  ])
    await sim.api.create({ ...o, metadata: { ...o.metadata, namespace: ns } });
  const d = deployment({
    name: 'web',
    spec: {
      containers: [
        agentContainer(ctx, {
          name: 'serve',
          args: ['serve', '--tls-port', '8443', '--tls-dir', '/etc/tls'],
          ports: [{ name: 'https', containerPort: 8443 }],
          volumeMounts: [{ name: 'tls', mountPath: '/etc/tls' }],
        }),
      ],
      volumes: [{ name: 'tls', secret: { secretName: 'web-tls' } }],
    },
  });
  d.metadata = { ...d.metadata, namespace: ns };
  await sim.api.create(d);
  const s = service({ name: 'web', ports: [{ name: 'https', port: 443, targetPort: 'https' }] });
  s.metadata = { ...s.metadata, namespace: ns };
  const created = (await sim.api.create(s)) as V1Service;
  await until(
    'web Ready',
    () => sim.podsOf(ns, 'app=web'),
    (pods) => pods.length === 1 && pods.every(ready),
  );
  return created.spec?.clusterIP ?? '';
}

const secretOf = (ns: string) =>
  sim.api.read<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'web-tls' });
const pem = (s: V1Secret | undefined, key: string) =>
  Buffer.from(s?.data?.[key] ?? '', 'base64').toString('utf8');

describe('certExpiry', () => {
  it('re-issues the certificate (same names, 5 days left, same CA), the restarted server presents it; revert restores the bytes', async () => {
    const { ctx, journal, records, revert } = await sim.context('cert-swap');
    const ip = await tlsEndpoint(ctx);
    const original = await secretOf('cert-swap');
    const fault = certExpiry({
      secret: 'web-tls',
      daysLeft: 5,
      issuer: { secret: 'web-ca' },
      restart: { deployment: 'web' },
      endpoint: { host: ip, port: 443, servername: HOST, caConfigMap: 'web-ca-bundle' },
      witness: { duration: '20s', interval: '1s' },
    });
    expect((await fault.preflight?.(ctx))?.ok).toBe(true);
    await fault.inject(ctx);

    const swapped = await secretOf('cert-swap');
    const certPem = pem(swapped, 'tls.crt');
    const info = readCertificate(certPem);
    const before = readCertificate(pem(original, 'tls.crt'));
    expect(info.subject).toBe(before.subject);
    expect(info.names).toEqual(before.names);
    expect(info.serialNumber).not.toBe(before.serialNumber);
    const daysLeft = (info.notAfter.getTime() - sim.clock.now()) / DAY_MS;
    expect(daysLeft).toBeGreaterThan(5);
    expect(daysLeft).toBeLessThan(5.1);
    // Signed by the issuer Secret's CA, with a key that matches; ca.crt untouched.
    const x = new X509Certificate(certPem);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(pem(swapped, 'tls.key')))).toBe(true);
    expect(swapped?.data?.['ca.crt']).toBe(original?.data?.['ca.crt']);
    expect(records.map((r) => r.event)).toEqual([
      'cert-swapped',
      'rollout-restarted',
      'cert-in-service',
      'cert-witness-started',
    ]);

    await until(
      'the witness to see it',
      () => fault.observe(ctx),
      (e) => e.observed,
    );
    const effect = await fault.observe(ctx);
    expect(effect.summary).toMatch(/the endpoint presents the swapped certificate/);
    expect(effect.evidence.map((e) => e.what).join('\n')).toContain(`saw serial ${info.serialNumber}`);

    await revert();
    const restored = await secretOf('cert-swap');
    expect(restored?.data).toEqual(original?.data);
    const d = await sim.api.read<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'cert-swap',
      name: 'web',
    });
    expect(d?.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    // Neither key reached the journal: the original went to a backup Secret (gone after revert).
    const text = readFileSync(journal.file, 'utf8');
    expect(text).not.toContain(original?.data?.['tls.key'] ?? '-');
    expect(text).not.toContain(swapped?.data?.['tls.key'] ?? '-');
    expect(text).toMatch(/"op":"restore-secret".*"sha256":"[0-9a-f]{64}"/);
    const left = await sim.api.list<V1Secret>('v1', 'Secret', { namespace: 'cert-swap' });
    expect(left.map((x) => x.metadata?.name).sort()).toEqual(['web-ca', 'web-tls']);
  }, 60_000);

  it('is not observed when the server keeps presenting the certificate it started with', async () => {
    const { ctx, revert } = await sim.context('cert-stale');
    const ip = await tlsEndpoint(ctx);
    const fault = certExpiry({
      secret: 'web-tls',
      expired: true,
      endpoint: { host: ip, port: 443, servername: HOST, caConfigMap: 'web-ca-bundle' },
      witness: { duration: '20s', interval: '1s' },
    });
    await fault.inject(ctx);
    expect(readCertificate(pem(await secretOf('cert-stale'), 'tls.crt')).notAfter.getTime()).toBeLessThan(
      sim.clock.now(),
    );
    // The witness handshakes, but the pod still serves the old certificate from its start.
    await until(
      'witness handshakes',
      () => fault.observe(ctx),
      (e) => /handshake\(s\)/.test(e.summary) && !/saw 0/.test(e.summary),
    );
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(/none presenting the swapped certificate/);
    await revert();
  }, 60_000);

  it('refuses ambiguous options and a Secret that is not kubernetes.io/tls', async () => {
    const endpoint = { host: '10.0.0.1' };
    expect(() => certExpiry({ secret: 's', endpoint })).toThrow(/exactly one/);
    expect(() => certExpiry({ secret: 's', expired: true, daysLeft: 3, endpoint })).toThrow(/exactly one/);
    const { ctx } = await sim.context('cert-opaque');
    const plain: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'plain', namespace: 'cert-opaque' },
      data: { x: 'eA==' },
    };
    await sim.api.create(plain);
    await expect(certExpiry({ secret: 'plain', daysLeft: 1, endpoint }).inject(ctx)).rejects.toThrow(
      /not kubernetes.io\/tls/,
    );
  });
});

describe('imdsAccess', () => {
  const sets: ImdsProbeSet[] = [
    { name: 'denied', labels: { tier: 'batch' }, timeout: '2s' },
    { name: 'allowed', labels: { 'imds-access': 'allowed' }, timeout: '20s' },
  ];

  it('creates steady and newborn probes per set; their attempts are the evidence; revert deletes them', async () => {
    const { ctx, revert } = await sim.context('imds-fault');
    const policy: V1NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'no-imds', namespace: 'imds-fault' },
      spec: {
        podSelector: { matchLabels: { tier: 'batch' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
      },
    };
    await sim.api.create(policy);
    const fault = imdsAccess({ probes: sets, newbornAfter: '1s' });
    expect((await fault.preflight?.(ctx))?.ok).toBe(true);
    await fault.inject(ctx);
    const pods = await sim.podsOf('imds-fault', IMDS_PROBE_LABEL);
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual([
      'imds-allowed',
      'imds-allowed-newborn',
      'imds-denied',
      'imds-denied-newborn',
    ]);
    expect(pods.find((p) => p.metadata?.name === 'imds-allowed')?.metadata?.labels).toMatchObject({
      'imds-access': 'allowed',
      [IMDS_PROBE_LABEL]: 'allowed',
    });
    const effect = await until(
      'every probe attempted',
      () => fault.observe(ctx),
      (e) => e.observed,
    );
    expect(effect.evidence).toHaveLength(4);
    const byPod = Object.fromEntries(effect.evidence.map((e) => [e.ref, e.what]));
    expect(byPod['Pod/imds-denied-newborn']).toMatch(/timeout \d+\), first sent \d+ms after start/);
    expect(byPod['Pod/imds-denied']).not.toMatch(/reachable/);
    expect(byPod['Pod/imds-allowed']).toMatch(/reachable/);
    await revert({ awaitGone: IMDS_PROBE_LABEL });
  }, 60_000);

  it('is not observed when no metadata service answers anyone (nothing there to block)', async () => {
    const { ctx, revert } = await sim.context('imds-none');
    const policy: V1NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'no-imds-at-all', namespace: 'imds-none' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
      },
    };
    await sim.api.create(policy);
    const fault = imdsAccess({
      probes: sets.map((s) => ({ ...s, timeout: '1s' })),
      newbornAfter: '1s',
    });
    await fault.inject(ctx);
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(/no metadata service answered any of them/);
    expect(effect.evidence).toHaveLength(4);
    await revert();
  }, 60_000);

  it('is not observed when the probe pods never try IMDS (the image is not the agent)', async () => {
    const { ctx, revert } = await sim.context('imds-idle', { agentImage: 'registry.k8s.io/pause:3.10' });
    const fault = imdsAccess({ probes: sets.slice(0, 1), newbornAfter: '1s', roundWithin: '5s' });
    await fault.inject(ctx);
    await until(
      'pods running',
      () => sim.api.list<V1Pod>('v1', 'Pod', { namespace: 'imds-idle' }),
      (p) => p.length === 2 && p.every((x) => x.status?.phase === 'Running'),
    );
    const effect = await fault.observe(ctx);
    expect(effect.observed).toBe(false);
    expect(effect.summary).toMatch(/no \(timely\) IMDS attempt from imds-denied(-newborn)?, imds-denied/);
    expect(() => imdsAccess({ probes: [] })).toThrow(/at least one/);
    await revert();
  }, 60_000);
});
