/**
 * Test certificates, generated per test with @peculiar/x509 on Web Crypto: a CA and leaves it signs
 * with any validity window, so tests can present expired, not-yet-valid and soon-expiring serving
 * certificates to the agent's probes (and later to mounted kubernetes.io/tls Secrets). ECDSA P-256
 * keys: generating one takes a millisecond, where RSA takes far longer.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import type { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A certificate and its key in PEM, as a kubernetes.io/tls Secret holds them (tls.crt, tls.key). */
export interface TestCertificate {
  /** The leaf certificate (PEM). */
  cert: string;
  /** The leaf's private key (PKCS#8 PEM). */
  key: string;
  /** The CA that signed it (PEM): what a client passes as `ca` to trust the leaf. */
  caCert: string;
}

/** A CA that can sign leaves; keep one per test file and issue as many leaves as needed. */
export interface TestCa {
  /** The CA certificate (PEM). */
  cert: string;
  /** The CA's private key (PKCS#8 PEM), for tests that need to hand the CA to something else. */
  key: string;
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

export interface CaOptions {
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface LeafOptions {
  /** Signing CA; a fresh one when absent. */
  ca?: TestCa;
  /** Subject CN; default the first DNS name. */
  commonName?: string;
  /** DNS SANs; default ['localhost']. */
  dnsNames?: string[];
  /** IP SANs; default ['127.0.0.1'], so clients that connect to the loopback address verify it. */
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await globalThis.crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** Random positive serial (the top bit clear keeps the DER INTEGER positive). */
function serialNumber(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** A self-signed CA, valid from a day ago for ten years unless told otherwise. */
export async function createCa(options: CaOptions = {}): Promise<TestCa> {
  const now = Date.now();
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${options.commonName ?? 'scars test CA'}`,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 3650 * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await pkcs8Pem(keys.privateKey), certificate, keys };
}

/** A serving certificate signed by `ca` (or a fresh CA) for the given names and validity window. */
export async function issueLeaf(options: LeafOptions = {}): Promise<TestCertificate> {
  const ca = options.ca ?? (await createCa());
  const now = Date.now();
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ipAddresses = options.ipAddresses ?? ['127.0.0.1'];
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.commonName ?? dnsNames[0] ?? ipAddresses[0] ?? 'scars test leaf'}`,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore ?? new Date(now - HOUR_MS),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await pkcs8Pem(keys.privateKey), caCert: ca.cert };
}

type WindowlessOptions = Omit<LeafOptions, 'notBefore' | 'notAfter'>;

/** Valid from an hour ago for a year. */
export function validLeaf(options: WindowlessOptions = {}): Promise<TestCertificate> {
  return issueLeaf(options);
}

/** Expired yesterday (valid for the 30 days before): verification says CERT_HAS_EXPIRED. */
export function expiredLeaf(options: WindowlessOptions = {}): Promise<TestCertificate> {
  const now = Date.now();
  return issueLeaf({ ...options, notBefore: new Date(now - 31 * DAY_MS), notAfter: new Date(now - DAY_MS) });
}

/** Valid from tomorrow for 30 days: verification says CERT_NOT_YET_VALID. */
export function notYetValidLeaf(options: WindowlessOptions = {}): Promise<TestCertificate> {
  const now = Date.now();
  return issueLeaf({ ...options, notBefore: new Date(now + DAY_MS), notAfter: new Date(now + 31 * DAY_MS) });
}

/**
 * Valid now, expiring in `days` days. An hour of slack on top means a probe run within the hour
 * reports exactly `days` days left (days left are floored), not `days - 1`.
 */
export function expiringLeaf(days: number, options: WindowlessOptions = {}): Promise<TestCertificate> {
  const now = Date.now();
  return issueLeaf({
    ...options,
    notBefore: new Date(now - HOUR_MS),
    notAfter: new Date(now + days * DAY_MS + HOUR_MS),
  });
}
