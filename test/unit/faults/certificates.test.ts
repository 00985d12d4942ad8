/**
 * The X.509 helpers the cert-expiry fault and scenarios use: issuing with a CA handed in as PEM
 * (ECDSA or RSA), self-signed, reading names and dates back, chains and serials.
 */
import { X509Certificate, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueCertificate,
  normaliseSerial,
  readCertificate,
  splitPemChain,
  tlsSecret,
} from '../../../src/faults/certificates.ts';

const DAY = 24 * 60 * 60 * 1000;
const window = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 5 * DAY) };

/** An RSA CA made outside the module, as one handed in from elsewhere would be. */
async function rsaCa(): Promise<{ certPem: string; keyPem: string }> {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=rsa CA',
    ...window,
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}

describe('issueCertificate', () => {
  it('signs with an ECDSA CA: names, dates and issuer read back, the signature verifies', async () => {
    const ca = await createCertificateAuthority('ec CA');
    const leaf = await issueCertificate({
      subject: 'CN=a.example',
      names: { dns: ['a.example'], ips: ['10.1.2.3'] },
      issuer: ca,
      ...window,
    });
    const info = readCertificate(leaf.certPem);
    expect(info).toMatchObject({
      subject: 'CN=a.example',
      issuer: 'CN=ec CA',
      isCa: false,
      names: { dns: ['a.example'], ips: ['10.1.2.3'] },
    });
    expect(info.notAfter.getTime()).toBe(Math.floor(window.notAfter.getTime() / 1000) * 1000);
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(readCertificate(ca.certPem).isCa).toBe(true);
  });

  it('signs with an RSA CA given as PEM', async () => {
    const ca = await rsaCa();
    const leaf = await issueCertificate({
      subject: 'CN=b.example',
      names: { dns: ['b.example'] },
      issuer: ca,
      ...window,
    });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  }, 20_000);

  it('is self-signed without an issuer', async () => {
    const self = await issueCertificate({ subject: 'CN=c.example', ...window });
    const x = new X509Certificate(self.certPem);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(readCertificate(self.certPem).issuer).toBe('CN=c.example');
  });
});

describe('helpers', () => {
  it('splits chains, normalises serials, and builds kubernetes.io/tls Secrets', async () => {
    const ca = await createCertificateAuthority('chain CA');
    expect(splitPemChain(`${ca.certPem}\n${ca.certPem}`)).toHaveLength(2);
    expect(splitPemChain('nothing')).toEqual([]);
    expect(normaliseSerial('00AB0C')).toBe('ab0c');
    expect(normaliseSerial('0')).toBe('0');
    const s = tlsSecret('t', ca, ca.certPem);
    expect(s.type).toBe('kubernetes.io/tls');
    expect(Object.keys(s.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(Buffer.from(s.data?.['tls.crt'] ?? '', 'base64').toString()).toBe(ca.certPem);
    expect(() => readCertificate('x')).toThrow(/no PEM certificate/);
  });
});
