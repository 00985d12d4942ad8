/**
 * The certificates the Ingress controller's HTTPS listener presents.
 *
 * At every handshake the SNI name picks the Ingress tls entries that name it (routes.ts) and the
 * Secret is read from the registry then: a Secret replaced or edited is served from the next
 * handshake on (an expired certificate put in place is seen at once — the cert-expiry fault's
 * path). Parsed contexts are cached per Secret uid and resourceVersion, so an unchanged Secret
 * costs a lookup.
 *
 * Like ingress-nginx, a Secret is used when it holds `tls.crt` and `tls.key` that load together
 * and the certificate is valid for the name (Subject Alternative Names, or the Common Name);
 * validity dates are not checked, so an expired certificate is served and clients see it expired.
 * Otherwise, and without SNI, the listener presents its default certificate: a self-signed
 * "Kubernetes Ingress Controller Fake Certificate" for ingress.local, made at start as
 * ingress-nginx makes its own (ECDSA P-256 here, where ingress-nginx uses RSA 2048).
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createSelfSignedCertificate, type PemPair } from '../../api/tls.ts';
import type { Registry } from '../../api/rest/registry.ts';
import { resourceAt, type ResourceType } from '../../kinds/registry.ts';
import type { KubeObject } from '../../object.ts';
import type { RouteTable } from './routes.ts';

const SECRETS = resourceAt('v1', 'secrets') as ResourceType;

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** ingress-nginx's default certificate: self-signed, O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate. */
export function createFakeCertificate(now = Date.now()): Promise<PemPair> {
  return createSelfSignedCertificate({
    name: 'O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate',
    names: { dns: ['ingress.local'] },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + YEAR_MS),
  });
}

interface Loaded {
  /** uid/resourceVersion of the Secret this was read from. */
  version: string;
  context?: SecureContext;
  certificate?: X509Certificate;
  /** Why the Secret cannot be served. */
  problem?: string;
}

export interface CertificateCounts {
  /** Handshakes answered with a certificate from a Secret. */
  fromSecret: number;
  /** Handshakes answered with the default certificate. */
  fallback: number;
}

type SecretObject = KubeObject & { type?: string; data?: Record<string, string> };

export class CertificateStore {
  readonly fallback: SecureContext;
  private readonly cache = new Map<string, Loaded>();
  private readonly counts: CertificateCounts = { fromSecret: 0, fallback: 0 };

  constructor(
    private readonly registry: Registry,
    defaultCertificate: PemPair,
    private readonly log: (line: string) => void,
  ) {
    this.fallback = createSecureContext({ cert: defaultCertificate.certPem, key: defaultCertificate.keyPem });
  }

  /** The context for a handshake with this SNI name: the first usable Secret, else the default. */
  contextFor(serverName: string, routes: RouteTable): SecureContext {
    for (const ref of routes.tlsSecrets(serverName)) {
      if (!ref.secretName) continue;
      const loaded = this.load(ref.namespace, ref.secretName);
      if (!loaded?.context || !loaded.certificate) continue;
      if (!loaded.certificate.checkHost(serverName)) {
        this.warnOnce(
          loaded,
          `ssl certificate ${ref.namespace}/${ref.secretName} does not contain a Common Name or Subject Alternative Name for server ${serverName}: using default certificate`,
        );
        continue;
      }
      this.counts.fromSecret++;
      return loaded.context;
    }
    this.counts.fallback++;
    return this.fallback;
  }

  stats(): CertificateCounts {
    return { ...this.counts };
  }

  private load(namespace: string, name: string): Loaded | undefined {
    const key = `${namespace}/${name}`;
    const secret = this.registry.find(SECRETS, namespace, name) as SecretObject | undefined;
    if (!secret) {
      if (this.cache.delete(key)) this.log(`secret ${key} was removed: using default certificate`);
      return undefined;
    }
    const version = `${secret.metadata.uid ?? ''}/${secret.metadata.resourceVersion ?? ''}`;
    const cached = this.cache.get(key);
    if (cached?.version === version) return cached;
    const loaded = this.parse(key, version, secret);
    this.cache.set(key, loaded);
    return loaded;
  }

  private parse(key: string, version: string, secret: SecretObject): Loaded {
    const crt = secret.data?.['tls.crt'];
    const tlsKey = secret.data?.['tls.key'];
    if (!crt || !tlsKey) {
      const problem = `secret ${key} has no ${crt ? 'tls.key' : 'tls.crt'}: using default certificate`;
      this.log(problem);
      return { version, problem };
    }
    const cert = Buffer.from(crt, 'base64').toString('utf8');
    const keyPem = Buffer.from(tlsKey, 'base64').toString('utf8');
    try {
      const context = createSecureContext({ cert, key: keyPem });
      return { version, context, certificate: new X509Certificate(cert) };
    } catch (err) {
      const problem = `secret ${key} holds no usable certificate and key (${err instanceof Error ? err.message : String(err)}): using default certificate`;
      this.log(problem);
      return { version, problem };
    }
  }

  private warnOnce(loaded: Loaded, line: string): void {
    if (loaded.problem === line) return;
    loaded.problem = line;
    this.log(line);
  }
}
