/**
 * Certificates in kubernetes.io/tls Secrets: an expired serving certificate is a total outage for every
 * client that verifies it, and renewal fails silently often enough that the expiry date itself must be
 * watched. Parsed with node:crypto's X509Certificate.
 */
import { X509Certificate } from 'node:crypto';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { defineRule } from '../rule.ts';
import type { FieldPath, Manifest, RuleHit } from '../types.ts';
import { type AuditIndex, describeObject } from '../workloads.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export interface TlsSecretCerts {
  manifest: Manifest;
  field: FieldPath;
  certs?: { subject: string; notAfter: Date }[];
  error?: string;
}

/** The certificates of every kubernetes.io/tls Secret (tls.crt: a PEM bundle, leaf first). */
export function tlsSecrets(index: AuditIndex): TlsSecretCerts[] {
  const out: TlsSecretCerts[] = [];
  for (const manifest of index.ofKind('Secret')) {
    const secret = manifest.object as Secret & { stringData?: Record<string, string> };
    if (secret.type !== 'kubernetes.io/tls') continue;
    let pem: string;
    let field: FieldPath;
    const plain = secret.stringData?.['tls.crt'];
    const encoded = secret.data?.['tls.crt'];
    if (typeof plain === 'string' && plain.trim()) {
      pem = plain;
      field = ['stringData', 'tls.crt'];
    } else if (typeof encoded === 'string' && encoded.trim()) {
      field = ['data', 'tls.crt'];
      const compact = encoded.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
        out.push({
          manifest,
          field,
          error: 'data.tls.crt is not base64 (data values must be base64; put PEM in stringData)',
        });
        continue;
      }
      pem = Buffer.from(compact, 'base64').toString('utf8');
    } else {
      continue; // empty: filled in later by cert-manager or a controller, nothing to judge yet
    }
    const blocks = pem.match(PEM_BLOCK) ?? [];
    if (!blocks.length) {
      out.push({ manifest, field, error: 'tls.crt holds no PEM CERTIFICATE block' });
      continue;
    }
    try {
      const certs = blocks.map((b) => {
        const cert = new X509Certificate(b);
        // Node 20's X509Certificate gives only the text form of the date ("Jan  1 00:00:00 2030 GMT").
        const notAfter = new Date(Date.parse(cert.validTo));
        if (Number.isNaN(notAfter.getTime()))
          throw new Error(`cannot read the date ${JSON.stringify(cert.validTo)}`);
        return { subject: cert.subject.split('\n').filter(Boolean).join(', '), notAfter };
      });
      out.push({ manifest, field, certs });
    } catch (err) {
      out.push({ manifest, field, error: `tls.crt does not parse as X.509: ${(err as Error).message}` });
    }
  }
  return out;
}

/** The Ingresses that serve a Secret (spec.tls[].secretName in its namespace), for the message. */
function servedBy(index: AuditIndex, m: Manifest): string {
  const name = m.object.metadata?.name;
  const ingresses = index
    .ofKind('Ingress', m.namespace)
    .filter((i) => ((i.object as Ingress).spec?.tls ?? []).some((t) => t.secretName === name))
    .map((i) => i.object.metadata?.name ?? '?');
  return ingresses.length ? `; served by Ingress ${ingresses.join(', ')}` : '';
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The certificate of the bundle that expires first (an expired intermediate breaks the chain too). */
function earliest(certs: { subject: string; notAfter: Date }[]) {
  return certs.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
}

export const certExpired = defineRule({
  id: 'cert-expired',
  family: 'certificates',
  severity: 'error',
  title: 'TLS Secret holds an expired certificate',
  why: 'Every client that verifies the certificate refuses the connection: the endpoint is down for browsers, service meshes and API clients alike until the certificate is replaced.',
  fix: 'Renew the certificate now and find out why renewal did not happen (cert-manager Certificate status, issuer, ACME challenge).',
  check(index) {
    const hits: RuleHit[] = [];
    for (const s of tlsSecrets(index)) {
      if (!s.certs) continue;
      const first = earliest(s.certs);
      if (first.notAfter.getTime() > index.now.getTime()) continue;
      hits.push({
        manifest: s.manifest,
        field: s.field,
        message: `${describeObject(s.manifest)}: certificate ${first.subject} expired on ${day(first.notAfter)}${servedBy(index, s.manifest)}`,
      });
    }
    return hits;
  },
});

export const certExpiring = defineRule({
  id: 'cert-expiring',
  family: 'certificates',
  severity: 'warning',
  title: 'TLS Secret certificate expires soon',
  why: 'Renewal that fails silently (a broken issuer, a DNS change, a rate limit) shows only as an expiry date coming closer; past it, every verifying client fails at once.',
  fix: 'Renew or re-issue the certificate, and alert on days left (cert-manager renews 30 days before expiry by default: a certificate this close usually means renewal is failing).',
  check(index) {
    const hits: RuleHit[] = [];
    const horizon = index.now.getTime() + index.certDays * DAY_MS;
    for (const s of tlsSecrets(index)) {
      if (!s.certs) continue;
      const first = earliest(s.certs);
      const t = first.notAfter.getTime();
      if (t <= index.now.getTime() || t > horizon) continue;
      const left = Math.floor((t - index.now.getTime()) / DAY_MS);
      hits.push({
        manifest: s.manifest,
        field: s.field,
        message:
          `${describeObject(s.manifest)}: certificate ${first.subject} expires on ${day(first.notAfter)} ` +
          `(${left} day${left === 1 ? '' : 's'} left, threshold ${index.certDays})${servedBy(index, s.manifest)}`,
      });
    }
    return hits;
  },
});

export const certUnreadable = defineRule({
  id: 'cert-unreadable',
  family: 'certificates',
  severity: 'error',
  title: 'TLS Secret certificate cannot be read',
  why: 'An ingress controller or server that cannot load the certificate serves its default (self-signed) one or none at all: clients fail verification exactly as with an expired certificate.',
  fix: 'Put the PEM certificate chain (leaf first) base64-encoded in data.tls.crt, or as plain PEM in stringData.tls.crt.',
  check(index) {
    return tlsSecrets(index)
      .filter((s) => s.error)
      .map((s) => ({
        manifest: s.manifest,
        field: s.field,
        message: `${describeObject(s.manifest)}: ${s.error}`,
      }));
  },
});
