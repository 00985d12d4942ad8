/**
 * Secrets never leak (canary test, real CLI child processes against a simulated cluster in the
 * test process). Canaries: a value in the Secret the cert-expiry fault swaps and that Secret's
 * original private key; the credentials the sim's IMDS stand-in serves (which the imds-block
 * probes read in the control arm, where nothing blocks them); and the kubeconfig's bearer token
 * and client key. After running both scenarios with their control arms and every reporter, no
 * form of any canary (raw, JSON-escaped, base64 at any alignment, base64url, hex) appears in
 * stdout, stderr, any file under `.scars/` (journal) or the report folder (json, junit, html).
 * After a SIGKILL mid-fault, the journal holds no canary either, and `scars cleanup --run`
 * restores the Secret byte for byte from the in-cluster backup, then removes the backup.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../src/faults/certificates.ts';
import { readJournal } from '../../src/harness/journal.ts';
import type { KubeApi } from '../../src/harness/kube-api.ts';
import { SECRET_BACKUP_LABEL } from '../../src/harness/secret-backup.ts';
import type { RunReport } from '../../src/report/model.ts';
import { canaryForms, filesUnder, leaks, pemBody } from '../support/canary.ts';
import { cli, REPO, startCli } from '../support/cli.ts';
import { type ClusterSnapshot, snapshotCluster, snapshotDiff } from '../support/scenario-run.ts';
import { dataPlaneOf, simClients, startTestSim, type TestSim } from '../support/sim.ts';

const CERT_FIXTURE = join(REPO, 'test/fixtures/secrets/canary-cert-expiry.ts');
const IMDS_SCENARIO = join(REPO, 'scenarios/imds-block.ts');
const DAY_MS = 24 * 60 * 60 * 1000;

let t: TestSim;
let api: KubeApi;
let project: string;
let canaryDir: string;
let before: ClusterSnapshot;
/** Label → secret value that must appear nowhere scars writes. */
const canaries: Record<string, string> = {};

/** What the sim's IMDS stand-in hands out: AWS role credentials, GCP and Azure tokens. */
async function imdsCredentials(): Promise<Record<string, string>> {
  const metadata = dataPlaneOf(t).metadata;
  await metadata.ready();
  const { host, port } = metadata.address();
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`http://${host}:${port}${path}`, { headers });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Record<string, string>;
  };
  const role = await (
    await fetch(`http://${host}:${port}/latest/meta-data/iam/security-credentials/`)
  ).text();
  const aws = await get(`/latest/meta-data/iam/security-credentials/${role}`);
  const gcp = await get('/computeMetadata/v1/instance/service-accounts/default/token', {
    'Metadata-Flavor': 'Google',
  });
  const azure = await get(
    '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/',
    { Metadata: 'true' },
  );
  return {
    'IMDS AccessKeyId': aws.AccessKeyId as string,
    'IMDS SecretAccessKey': aws.SecretAccessKey as string,
    'IMDS session Token': aws.Token as string,
    'IMDS GCP access_token': gcp.access_token as string,
    'IMDS Azure access_token': azure.access_token as string,
  };
}

beforeAll(async () => {
  t = await startTestSim({ nodes: 4, timeScale: 20 });
  api = simClients(t).kube;
  project = mkdtempSync(join(tmpdir(), 'scars-secrets-'));
  canaryDir = mkdtempSync(join(tmpdir(), 'scars-canary-'));

  // The PKI of the Secret the fault swaps, made here so the test knows the original key.
  const ca = await createCertificateAuthority('scars canary CA');
  const leaf = await issueCertificate({
    subject: 'CN=web.example.com',
    names: { dns: ['web.example.com'] },
    issuer: ca,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 89 * DAY_MS),
  });
  const secretCanary = `scars-canary-secret-${randomBytes(12).toString('hex')}`;
  for (const [name, text] of Object.entries({
    'ca.crt': ca.certPem,
    'ca.key': ca.keyPem,
    'tls.crt': leaf.certPem,
    'tls.key': leaf.keyPem,
    canary: secretCanary,
  }))
    writeFileSync(join(canaryDir, name), text);

  // The kubeconfig scars is given: the sim's, with a canary bearer token and client key added.
  const client = await createCertificateAuthority('scars canary client');
  const token = `scars-canary-token-${randomBytes(12).toString('hex')}`;
  const kubeconfig = t.sim.kubeconfig();
  kubeconfig.users = kubeconfig.users.map((u) => ({
    ...u,
    user: {
      token,
      'client-certificate-data': Buffer.from(client.certPem).toString('base64'),
      'client-key-data': Buffer.from(client.keyPem).toString('base64'),
    },
  }));
  const kubeconfigPath = join(project, 'kubeconfig');
  writeFileSync(kubeconfigPath, stringify(kubeconfig));

  Object.assign(canaries, {
    'Secret canary value': secretCanary,
    "the Secret's original tls.key": pemBody(leaf.keyPem),
    'kubeconfig token': token,
    'kubeconfig client key': pemBody(client.keyPem),
    ...(await imdsCredentials()),
  });
  for (const [label, value] of Object.entries(canaries)) expect(value?.length, label).toBeGreaterThan(16);

  writeFileSync(
    join(project, 'scars.config.yaml'),
    ['provider: context', `kubeconfig: ${kubeconfigPath}`, 'scenarioDirs: []', 'out: reports', ''].join('\n'),
  );
  before = await snapshotCluster(api);
}, 60_000);

afterAll(async () => {
  await t?.sim.stop();
  for (const d of [project, canaryDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const env = () => ({ SCARS_CANARY_DIR: canaryDir });

/** Leaks of any canary, or of any PEM private key, in a run's output and everything under the project it wrote. */
function leaksIn(stdout: string, stderr: string): string[] {
  const keyMarkers = { 'a PEM private key': 'PRIVATE KEY-----' };
  const texts = [
    { path: 'stdout', text: stdout },
    { path: 'stderr', text: stderr },
    ...filesUnder(join(project, '.scars')).map((f) => ({ ...f, path: `.scars/${f.path}` })),
    ...filesUnder(join(project, 'reports')).map((f) => ({ ...f, path: `reports/${f.path}` })),
  ];
  return texts.flatMap((f) =>
    [...leaks(f.path, f.text, canaries), ...leaks(f.path, f.text, keyMarkers)].map(
      (l) => `${l.where}: ${l.canary} (as ${l.form.slice(0, 24)}…)`,
    ),
  );
}

const secretBackups = () =>
  api.list<V1Secret>('v1', 'Secret', { labelSelector: `${SECRET_BACKUP_LABEL}=true` });

describe('no secret reaches output, journal or reports (canary, real CLI)', () => {
  it('the forms searched for are the ones a leak would take', () => {
    const value = canaries['Secret canary value'] as string;
    const embedded = Buffer.from(`{"k":"x${value}y"}`).toString('base64');
    expect(canaryForms(value).some((f) => embedded.includes(f))).toBe(true);
    expect(canaryForms(value).some((f) => Buffer.from(value).toString('hex') === f)).toBe(true);
  });

  it('cert-expiry and imds-block with control arms and every reporter: no canary anywhere; the Secret is back, its backup gone', async () => {
    const p = startCli(
      ['run', CERT_FIXTURE, IMDS_SCENARIO, '--control', '--reporter', 'console,json,junit,html', '--yes'],
      { cwd: project, env: env() },
    );
    const r = await p.done;
    const runId = /scars run (\S+):/.exec(r.stdout)?.[1] ?? '';
    const reportDir = join(project, 'reports', runId);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as RunReport;
    const verdicts = report.scenarios.map((s) => [
      s.name,
      s.verdict,
      s.control?.verdict,
      s.control?.asExpected,
    ]);
    expect(verdicts, r.stdout + r.stderr).toEqual([
      ['canary-cert-expiry', 'passed', 'failed', true],
      ['imds-block', 'passed', 'failed', true],
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The canaries were in play: the Secret was swapped, and the control arm's probes got credentials.
    for (const s of report.scenarios)
      expect(
        s.faults.every((f) => f.observed),
        s.name,
      ).toBe(true);
    expect(dataPlaneOf(t).metadata.stats().credentialResponses).toBeGreaterThan(0);
    for (const f of ['report.json', 'junit.xml', 'report.html'])
      expect(filesUnder(reportDir).map((x) => x.path)).toContain(f);
    expect(readJournal(join(project, '.scars', 'journal', `${runId}.jsonl`)).entries.length).toBeGreaterThan(
      0,
    );

    expect(leaksIn(r.stdout, r.stderr)).toEqual([]);
    expect(await secretBackups()).toEqual([]);
    expect(snapshotDiff(before, await snapshotCluster(api))).toEqual([]);
  }, 240_000);

  it('SIGKILL mid-fault: the journal holds no canary; `scars cleanup --run` restores the Secret from its backup and drops the backup', async () => {
    const p = startCli(['run', CERT_FIXTURE, '--yes'], {
      cwd: project,
      env: { ...env(), SCARS_CANARY_HOLD: '10m' },
    });
    await p.waitForOutput(/✔ inject/, 120_000);
    // The fault is in place: the Secret swapped, its original data in a backup Secret of the run.
    const [backup] = await secretBackups();
    expect(Buffer.from(backup?.data?.canary ?? '', 'base64').toString()).toBe(
      canaries['Secret canary value'],
    );
    const ns = backup?.metadata?.namespace ?? '';
    const swapped = await api.read<V1Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name: 'web-tls',
    });
    expect(swapped?.data?.['tls.key']).not.toBe(backup?.data?.['tls.key']);

    p.child.kill('SIGKILL');
    const killed = await p.done;
    const id = /scars run (\S+):/.exec(killed.stdout)?.[1] ?? '';
    const journal = readJournal(join(project, '.scars', 'journal', `${id}.jsonl`));
    expect(journal.ended).toBe(false);
    expect(journal.entries.map((e) => e.undo.op)).toContain('restore-secret');
    expect(leaksIn(killed.stdout, killed.stderr)).toEqual([]);

    const cleaned = await cli(['cleanup', '--run', id], { cwd: project });
    expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(/reverted patch Secret\/web-tls/);
    expect(leaksIn(cleaned.stdout, cleaned.stderr)).toEqual([]);
    expect(await secretBackups()).toEqual([]);
    const deadline = Date.now() + 30_000;
    let diff = snapshotDiff(before, await snapshotCluster(api));
    while (diff.length && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
      diff = snapshotDiff(before, await snapshotCluster(api));
    }
    expect(diff).toEqual([]);
  }, 180_000);
});
