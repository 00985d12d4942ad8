/**
 * Certificates the sim makes for its own TLS servers, with @peculiar/x509 over WebCrypto (ECDSA
 * P-256 keys take milliseconds, unlike RSA): a throwaway certificate authority and serving
 * certificate for the sim's HTTPS endpoint, and self-signed serving certificates (the Ingress
 * controller's default one). The CA goes into the kubeconfig as certificate-authority-data, so
 * kubectl verifies the server as it would a real one; nothing is written to the system trust store.
 */
import { webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** A certificate and its private key, PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ServingCertificate extends PemPair {
  caPem: string;
}

/** The names a serving certificate is valid for (its Subject Alternative Names). */
export interface ServingNames {
  ips?: string[];
  dns?: string[];
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  // Node 20 has no global `crypto` in every context; hand the library node:crypto's WebCrypto explicitly.
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

const privateKeyPem = async (keys: webcrypto.CryptoKeyPair): Promise<string> =>
  pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));

/** What makes a certificate one a TLS server may present for `names`. */
const servingExtensions = (names: ServingNames): x509.Extension[] => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
  new x509.SubjectAlternativeNameExtension([
    ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ]),
];

/**
 * A self-signed serving certificate, as a server makes its default one when it has been given
 * none (clients that check it do not trust it).
 */
export async function createSelfSignedCertificate(options: {
  /** The subject (and issuer) distinguished name, e.g. `O=Acme Co, CN=example`. */
  name: string;
  names: ServingNames;
  notBefore: Date;
  notAfter: Date;
}): Promise<PemPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: options.name,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys,
    signingAlgorithm: ALG,
    extensions: servingExtensions(options.names),
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys) };
}

/** A CA of its own and a certificate it signs for the API server at `hosts`. */
export async function createServingCertificate(hosts: {
  ips: string[];
  dns: string[];
}): Promise<ServingCertificate> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=scars-sim-ca',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [...servingExtensions(hosts), await x509.AuthorityKeyIdentifierExtension.create(ca, false)],
  });
  return { caPem: ca.toString('pem'), certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys) };
}
