/**
 * X.509 for scenarios and faults, with @peculiar/x509 over WebCrypto: a CA, serving certificates
 * signed by it (or self-signed) for any validity window, and reading back what a PEM certificate
 * says (subject, SANs, validity, serial). The cert-expiry fault uses it to re-issue a Secret's
 * certificate with the same subject and names but another notAfter; scenarios use it to make the
 * CA and the initial `kubernetes.io/tls` Secret. New keys are ECDSA P-256 (a millisecond to make);
 * an issuer's key may be ECDSA P-256/P-384 or RSA, as a CA handed in from elsewhere often is.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';

/** A certificate (chain) and its private key, PEM: what `tls.crt` and `tls.key` hold. */
export interface PemCertificate {
  /** The certificate, then any intermediates (PEM). */
  certPem: string;
  /** The certificate's private key (PKCS#8 PEM). */
  keyPem: string;
}

export interface CertificateNames {
  dns?: string[];
  ips?: string[];
}

export interface IssueOptions {
  /** Subject distinguished name, e.g. `CN=web.example.com` or `O=Acme, CN=web`. */
  subject: string;
  names?: CertificateNames;
  notBefore: Date;
  notAfter: Date;
  /** The CA that signs it; self-signed when absent (clients that verify will not trust it). */
  issuer?: PemCertificate;
  /** A CA certificate (keyCertSign) rather than a serving one. */
  ca?: boolean;
}

/** What a certificate says, read back from PEM. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Lowercase hex, no leading zeros (comparable with Node's uppercase form after `normaliseSerial`). */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  names: Required<CertificateNames>;
  isCa: boolean;
}

type KeyPair = webcrypto.CryptoKeyPair;
type SigningAlgorithm = webcrypto.EcdsaParams | webcrypto.Algorithm;

const NEW_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
};

let providerSet = false;
function provider(): void {
  if (providerSet) return;
  // Node 20 has no global `crypto` in every context; hand the library node:crypto's WebCrypto.
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  providerSet = true;
}

/** Random positive serial; the top bit clear keeps the DER INTEGER positive, a set low bit non-zero. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x10;
  return Buffer.from(bytes).toString('hex');
}

/** `0A1B` and `a1b` are the same serial: lowercase, leading zeros dropped. */
export function normaliseSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

/** The PEM blocks of a bundle, in order (a `tls.crt` holds the leaf first, then intermediates). */
export function splitPemChain(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** Imports a PKCS#8 (or PKCS#1/SEC1) PEM private key for signing, with the algorithm its type needs. */
async function signingKey(
  keyPem: string,
): Promise<{ key: webcrypto.CryptoKey; algorithm: SigningAlgorithm }> {
  const key = createPrivateKey(keyPem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Error(`issuer key: unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
    const imported = await webcrypto.subtle.importKey(
      'pkcs8',
      der,
      { name: 'ECDSA', namedCurve: curve.namedCurve },
      false,
      ['sign'],
    );
    return { key: imported, algorithm: { name: 'ECDSA', hash: curve.hash } };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const imported = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
    return { key: imported, algorithm };
  }
  throw new Error(`issuer key: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Issues a certificate with a new key: a serving certificate for `names`, or a CA. */
export async function issueCertificate(options: IssueOptions): Promise<PemCertificate> {
  provider();
  const keys = (await webcrypto.subtle.generateKey(NEW_KEY, true, ['sign', 'verify'])) as KeyPair;
  const dns = options.names?.dns ?? [];
  const ips = options.names?.ips ?? [];
  const extensions: x509.Extension[] = options.ca
    ? [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ]
    : [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ];
  if (dns.length + ips.length > 0)
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const common = {
    serialNumber: serialNumber(),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
  };
  let certificate: x509.X509Certificate;
  if (options.issuer) {
    const [issuerPem] = splitPemChain(options.issuer.certPem);
    if (!issuerPem) throw new Error('issuer: no certificate in its PEM');
    const issuer = new x509.X509Certificate(issuerPem);
    const signer = await signingKey(options.issuer.keyPem);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer, false));
    certificate = await x509.X509CertificateGenerator.create({
      ...common,
      subject: options.subject,
      issuer: issuer.subject,
      publicKey: keys.publicKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      extensions,
    });
  } else {
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      ...common,
      name: options.subject,
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions,
    });
  }
  return { certPem: certificate.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

/** A CA valid for `years` (default 10) from a day before `now`. */
export function createCertificateAuthority(
  commonName: string,
  options: { now?: number; years?: number } = {},
): Promise<PemCertificate> {
  const now = options.now ?? Date.now();
  const DAY = 24 * 60 * 60 * 1000;
  return issueCertificate({
    subject: `CN=${commonName}`,
    ca: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + (options.years ?? 10) * 365 * DAY),
  });
}

/** Reads the first certificate of a PEM bundle. */
export function readCertificate(pem: string): CertificateInfo {
  provider();
  const [first] = splitPemChain(pem);
  if (!first) throw new Error('no PEM certificate found');
  const cert = new x509.X509Certificate(first);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = { dns: [] as string[], ips: [] as string[] };
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') names.dns.push(n.value);
    else if (n.type === 'ip') names.ips.push(n.value);
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: normaliseSerial(cert.serialNumber),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    names,
    isCa: basic?.ca ?? false,
  };
}

/** A `kubernetes.io/tls` Secret's data (base64), optionally with `ca.crt` as cert-manager writes it. */
export function tlsSecretData(pem: PemCertificate, caPem?: string): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    'tls.crt': b64(pem.certPem),
    'tls.key': b64(pem.keyPem),
    ...(caPem !== undefined ? { 'ca.crt': b64(caPem) } : {}),
  };
}

/** A `kubernetes.io/tls` Secret for workloads (with `ca.crt` when given, as cert-manager writes it). */
export function tlsSecret(name: string, pem: PemCertificate, caPem?: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/tls',
    data: tlsSecretData(pem, caPem),
  };
}

/** The CA bundle clients trust, as a ConfigMap with `ca.crt` (trust-manager's shape). */
export function caBundle(name: string, caPem: string): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { 'ca.crt': caPem } };
}
