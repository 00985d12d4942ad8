/**
 * `tlsprobe` (and `httpprobe` over HTTPS) against TLS servers on 127.0.0.1 that present
 * certificates generated here: valid, expired, not yet valid, expiring soon, and signed by a CA
 * the probe does not trust. Loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listener } from '../../src/agent/host.ts';
import { RealHost } from '../../src/agent/host/real.ts';
import type { HttpprobeEvent } from '../../src/agent/modes/httpprobe.ts';
import type { TlsprobeEvent, TlsprobeSummary } from '../../src/agent/modes/tlsprobe.ts';
import type { AgentLine } from '../../src/agent/output.ts';
import {
  type TestCertificate,
  createCa,
  expiredLeaf,
  expiringLeaf,
  notYetValidLeaf,
  validLeaf,
} from '../support/certs.ts';
import { runToEnd, startAgent } from '../support/real-agent.ts';

type Of<E, K> = Extract<E, { event: K }>;
type CertificateLine = Of<TlsprobeEvent, 'certificate'>;

const host = new RealHost({ loopbackOnly: true });
const listeners: Listener[] = [];
let dir: string;
let caFile: string;
const ports: Record<'valid' | 'expired' | 'notYetValid' | 'expiring', number> = {
  valid: 0,
  expired: 0,
  notYetValid: 0,
  expiring: 0,
};
let valid: TestCertificate;

async function tlsServer(cert: TestCertificate): Promise<number> {
  const listener = await host.net.listen(
    { port: 0, address: '127.0.0.1', tls: { cert: cert.cert, key: cert.key } },
    () => Promise.resolve({ status: 200, body: 'ok\n' }),
  );
  listeners.push(listener);
  return listener.port;
}

beforeAll(async () => {
  const ca = await createCa();
  valid = await validLeaf({ ca });
  ports.valid = await tlsServer(valid);
  ports.expired = await tlsServer(await expiredLeaf({ ca }));
  ports.notYetValid = await tlsServer(await notYetValidLeaf({ ca }));
  ports.expiring = await tlsServer(await expiringLeaf(10, { ca }));
  dir = mkdtempSync(join(tmpdir(), 'scars-tls-'));
  caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.cert);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
});

const certificateOf = (lines: AgentLine[]) => {
  const found = lines.filter((l) => l.event === 'certificate') as unknown as CertificateLine[];
  expect(found).toHaveLength(1);
  return found[0] as CertificateLine;
};
const summaryOf = (lines: AgentLine[]) =>
  lines.find((l) => l.event === 'summary') as unknown as TlsprobeSummary;

const tlsprobe = (port: number, ...flags: string[]) =>
  runToEnd(['tlsprobe', '--host', '127.0.0.1', '--port', String(port), ...flags]);

describe('tlsprobe', () => {
  it('reports a valid certificate: verified, days left, chain; exit 0', async () => {
    const { code, lines } = await tlsprobe(ports.valid, '--ca', caFile);
    expect(code).toBe(0);
    const cert = certificateOf(lines);
    expect(cert).toMatchObject({
      host: '127.0.0.1',
      port: ports.valid,
      verified: true,
      subject: 'CN=localhost',
      issuer: 'CN=scars test CA',
      // A year less the moments since issuing, floored.
      daysLeft: 364,
      expiresSoon: false,
    });
    expect(cert.verifyError).toBeUndefined();
    expect(cert.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(Date.parse(cert.notAfter) - Date.parse(cert.notBefore)).toBeGreaterThan(364 * 86_400_000);
    expect(cert.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(cert.chain[0]).toEqual({
      subject: 'CN=localhost',
      issuer: 'CN=scars test CA',
      notAfter: cert.notAfter,
    });
    expect(summaryOf(lines)).toMatchObject({
      exitCode: 0,
      stoppedBy: 'count',
      attempts: 1,
      verified: 1,
      failures: 0,
    });
  });

  it('reports an expired certificate as CERT_HAS_EXPIRED with negative days left; exit 1', async () => {
    const { code, lines } = await tlsprobe(ports.expired, '--ca', caFile);
    expect(code).toBe(1);
    const cert = certificateOf(lines);
    expect(cert).toMatchObject({ verified: false, verifyError: 'CERT_HAS_EXPIRED', expiresSoon: true });
    expect(cert.daysLeft).toBeLessThan(0);
    expect(Date.parse(cert.notAfter)).toBeLessThan(Date.now());
  });

  it('reports a certificate that is not valid yet as CERT_NOT_YET_VALID; exit 1', async () => {
    const { code, lines } = await tlsprobe(ports.notYetValid, '--ca', caFile);
    expect(code).toBe(1);
    const cert = certificateOf(lines);
    expect(cert).toMatchObject({ verified: false, verifyError: 'CERT_NOT_YET_VALID' });
    expect(Date.parse(cert.notBefore)).toBeGreaterThan(Date.now());
  });

  it('flags a certificate expiring within --warn-days (exit 1), not one beyond it (exit 0)', async () => {
    const soon = await tlsprobe(ports.expiring, '--ca', caFile, '--warn-days', '30');
    expect(soon.code).toBe(1);
    expect(certificateOf(soon.lines)).toMatchObject({ verified: true, daysLeft: 10, expiresSoon: true });
    expect(summaryOf(soon.lines)).toMatchObject({ exitCode: 1, verified: 1, failures: 1, minDaysLeft: 10 });

    const later = await tlsprobe(ports.expiring, '--ca', caFile, '--warn-days', '7');
    expect(later.code).toBe(0);
    expect(certificateOf(later.lines)).toMatchObject({ verified: true, daysLeft: 10, expiresSoon: false });
  });

  it('does not trust a private CA without --ca; exit 1', async () => {
    const { code, lines } = await tlsprobe(ports.valid);
    expect(code).toBe(1);
    const cert = certificateOf(lines);
    expect(cert.verified).toBe(false);
    expect(cert.verifyError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // Still reported in full: an untrusted certificate's expiry matters too.
    expect(cert.daysLeft).toBe(364);
  });

  it('checks the certificate against --servername', async () => {
    const ok = await tlsprobe(ports.valid, '--ca', caFile, '--servername', 'localhost');
    expect(ok.code).toBe(0);
    expect(certificateOf(ok.lines)).toMatchObject({ servername: 'localhost', verified: true });
    const wrong = await tlsprobe(ports.valid, '--ca', caFile, '--servername', 'other.example');
    expect(wrong.code).toBe(1);
    expect(certificateOf(wrong.lines)).toMatchObject({
      verified: false,
      verifyError: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('reports a connection failure as an attempt line; exit 1', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { code, lines } = await tlsprobe(port);
    expect(code).toBe(1);
    expect(lines.find((l) => l.event === 'attempt')).toMatchObject({ outcome: 'refused', port });
    expect(lines.some((l) => l.event === 'certificate')).toBe(false);
  });

  it('reports a handshake that never completes as a timeout', async () => {
    // A TCP server that accepts and says nothing: the ClientHello goes unanswered.
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { code, lines } = await tlsprobe(port, '--timeout', '200ms');
      expect(code).toBe(1);
      expect(lines.find((l) => l.event === 'attempt')).toMatchObject({ outcome: 'timeout' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('probes periodically with --count and --interval', async () => {
    const { code, lines } = await tlsprobe(ports.valid, '--ca', caFile, '--count', '3', '--interval', '20ms');
    expect(code).toBe(0);
    expect(lines.filter((l) => l.event === 'certificate')).toHaveLength(3);
    expect(summaryOf(lines)).toMatchObject({ attempts: 3, handshakes: 3, verified: 3 });
  });

  it('exits 3 when the --ca file cannot be read', async () => {
    const { code, lines } = await tlsprobe(ports.valid, '--ca', join(dir, 'missing.crt'));
    expect(code).toBe(3);
    expect(lines.find((l) => l.event === 'error')).toMatchObject({
      message: expect.stringContaining('missing.crt'),
    });
  });
});

describe('httpprobe over HTTPS', () => {
  const attemptOf = (lines: AgentLine[]) =>
    lines.find((l) => l.event === 'attempt') as unknown as Of<HttpprobeEvent, 'attempt'>;
  const httpsProbe = (port: number, ...flags: string[]) =>
    runToEnd(['httpprobe', '--url', `https://127.0.0.1:${port}/`, '--count', '1', ...flags]);

  it('is ok against a valid certificate with --ca', async () => {
    const { code, lines } = await httpsProbe(ports.valid, '--ca', caFile);
    expect(code).toBe(0);
    expect(attemptOf(lines)).toMatchObject({ outcome: 'ok', status: 200 });
  });

  it('reports tls-error CERT_HAS_EXPIRED against an expired certificate', async () => {
    const { code, lines } = await httpsProbe(ports.expired, '--ca', caFile);
    expect(code).toBe(1);
    const attempt = attemptOf(lines);
    expect(attempt).toMatchObject({ outcome: 'tls-error', tlsError: 'CERT_HAS_EXPIRED' });
    expect(attempt.status).toBeUndefined();
  });

  it('reports tls-error for an untrusted CA, and ok with --insecure', async () => {
    const untrusted = await httpsProbe(ports.valid);
    expect(untrusted.code).toBe(1);
    expect(attemptOf(untrusted.lines)).toMatchObject({
      outcome: 'tls-error',
      tlsError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const insecure = await httpsProbe(ports.expired, '--insecure');
    expect(insecure.code).toBe(0);
    expect(attemptOf(insecure.lines)).toMatchObject({ outcome: 'ok', status: 200 });
  });

  it('probes serve over HTTPS with a generated certificate', async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'scars-serve-'));
    writeFileSync(join(certDir, 'cert.pem'), valid.cert);
    writeFileSync(join(certDir, 'key.pem'), valid.key);
    const agent = startAgent([
      'serve',
      '--port',
      '0',
      '--tls-port',
      '0',
      '--cert',
      join(certDir, 'cert.pem'),
      '--key',
      join(certDir, 'key.pem'),
      '--stats-interval',
      '0',
    ]);
    try {
      const deadline = Date.now() + 10_000;
      while (agent.events('listening').length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      const tls = agent.events<{ port: number; tls: boolean }>('listening').find((l) => l.tls);
      expect(tls).toBeDefined();
      const probe = await runToEnd([
        'httpprobe',
        '--url',
        `https://127.0.0.1:${tls?.port}/readyz`,
        '--count',
        '1',
        '--ca',
        caFile,
      ]);
      expect(probe.code).toBe(0);
      const handshake = await tlsprobe(tls?.port as number, '--ca', caFile);
      expect(handshake.code).toBe(0);
    } finally {
      agent.terminate();
      expect(await agent.done).toBe(0);
      rmSync(certDir, { recursive: true, force: true });
    }
  });
});
