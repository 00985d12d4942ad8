/**
 * The Ingress controller's routing table: path matching per the API reference's examples, host
 * and wildcard selection, precedence, default backends, and which Secrets a TLS name tries.
 */
import type { HTTPIngressPath, Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';
import { describe, expect, it } from 'vitest';
import { IngressClassFilter } from '../../../../src/sim/dataplane/ingress/classes.ts';
import { pathMatches, RouteTable, wildcardCovers } from '../../../../src/sim/dataplane/ingress/routes.ts';

const svc = (name: string): IngressBackend => ({ service: { name, port: { number: 80 } } });
const path = (p: string, pathType: string, backend: string): HTTPIngressPath => ({
  path: p,
  pathType,
  backend: svc(backend),
});

function ingress(
  name: string,
  spec: Ingress['spec'],
  meta: { created?: string; annotations?: Record<string, string> } = {},
): Ingress {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: meta.created ?? '2024-01-01T00:00:00Z',
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
    },
    spec,
  };
}

const backendOf = (table: RouteTable, host: string | undefined, p: string) => {
  const m = table.match(host, p);
  return m.kind === 'backend' ? m.backend.service?.name : undefined;
};

describe('path matching (API reference examples)', () => {
  it.each([
    ['Prefix', '/', '/anything', true],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/bar', false],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo/', '/foo/', true],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb/', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/ccc', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbbxyz', false],
  ])('%s %s vs %s → %s', (type, rule, request, expected) => {
    expect(pathMatches(type, rule, request)).toBe(expected);
  });

  it('the longest match wins; Exact beats Prefix on a tie; ImplementationSpecific is Prefix', () => {
    const table = new RouteTable([
      ingress('a', {
        rules: [
          {
            host: 'h.example',
            http: {
              paths: [
                path('/', 'Prefix', 'root'),
                path('/aaa', 'Prefix', 'aaa'),
                path('/aaa/bbb', 'ImplementationSpecific', 'bbb'),
                path('/foo', 'Prefix', 'foo-prefix'),
                path('/foo', 'Exact', 'foo-exact'),
              ],
            },
          },
        ],
      }),
    ]);
    expect(backendOf(table, 'h.example', '/aaa/ccc')).toBe('aaa');
    expect(backendOf(table, 'h.example', '/aaa/bbb/c')).toBe('bbb');
    expect(backendOf(table, 'h.example', '/foo')).toBe('foo-exact');
    expect(backendOf(table, 'h.example', '/foo/x')).toBe('foo-prefix');
    expect(backendOf(table, 'h.example', '/zzz')).toBe('root');
  });
});

describe('hosts', () => {
  const table = new RouteTable([
    ingress('older', {
      rules: [
        { host: 'foo.bar.com', http: { paths: [path('/', 'Prefix', 'exact-host')] } },
        { host: '*.bar.com', http: { paths: [path('/', 'Prefix', 'wildcard')] } },
        { http: { paths: [path('/open', 'Prefix', 'catch-all')] } },
      ],
    }),
    ingress(
      'newer',
      {
        defaultBackend: svc('newer-default'),
        rules: [
          { host: 'foo.bar.com', http: { paths: [path('/', 'Prefix', 'loses')] } },
          { host: 'api.example.com', http: { paths: [path('/v1', 'Prefix', 'api')] } },
        ],
      },
      { created: '2024-02-01T00:00:00Z' },
    ),
  ]);

  it('exact host, then a one-label wildcard, then the host-less rules', () => {
    expect(wildcardCovers('*.bar.com', 'baz.bar.com')).toBe(true);
    expect(wildcardCovers('*.bar.com', 'bar.com')).toBe(false);
    expect(wildcardCovers('*.bar.com', 'a.baz.bar.com')).toBe(false);
    expect(backendOf(table, 'foo.bar.com', '/x')).toBe('exact-host');
    expect(backendOf(table, 'FOO.bar.com:8080', '/x')).toBe('exact-host');
    expect(backendOf(table, 'baz.bar.com', '/x')).toBe('wildcard');
    expect(backendOf(table, 'a.baz.bar.com', '/open/1')).toBe('catch-all');
    expect(backendOf(table, undefined, '/open')).toBe('catch-all');
  });

  it("an unmatched path on a host goes to the defining Ingress's default backend, else 404", () => {
    expect(backendOf(table, 'api.example.com', '/v2')).toBe('newer-default');
    // foo.bar.com was defined by the older Ingress, which has no default backend.
    expect(table.match('foo.bar.com', '/').kind).toBe('backend');
    expect(table.match('nobody.example.com', '/').kind).toBe('none');
  });

  it('an Ingress with only a default backend takes every unmatched host', () => {
    const t2 = new RouteTable([ingress('fallback', { defaultBackend: svc('fallback') })]);
    expect(backendOf(t2, 'anything.example', '/x')).toBe('fallback');
  });

  it('TLS names try exact tls hosts first, then wildcards; an entry without hosts covers its rule hosts', () => {
    const t3 = new RouteTable([
      ingress('tls', {
        tls: [{ hosts: ['*.example.com'], secretName: 'wild' }, { secretName: 'rules' }],
        rules: [{ host: 'a.example.com', http: { paths: [path('/', 'Prefix', 'a')] } }],
      }),
    ]);
    expect(t3.tlsSecrets('a.example.com').map((r) => r.secretName)).toEqual(['rules', 'wild']);
    expect(t3.tlsSecrets('b.example.com').map((r) => r.secretName)).toEqual(['wild']);
    expect(t3.tlsSecrets('example.com')).toEqual([]);
    expect(t3.server('a.example.com')?.tls).toBe(true);
  });
});

describe('IngressClass selection', () => {
  const ours = {
    metadata: { name: 'scars-sim', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: 'scars.dev/sim-ingress' },
  };
  const nginx = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };

  it('by class name, by the legacy annotation, and class-less when ours is the default', () => {
    const filter = new IngressClassFilter([ours, nginx]);
    expect(filter.serves(ingress('a', { ingressClassName: 'scars-sim' }))).toBe(true);
    expect(filter.serves(ingress('b', { ingressClassName: 'nginx' }))).toBe(false);
    expect(filter.serves(ingress('c', { ingressClassName: 'missing' }))).toBe(false);
    expect(
      filter.serves(ingress('d', {}, { annotations: { 'kubernetes.io/ingress.class': 'scars-sim' } })),
    ).toBe(true);
    expect(filter.serves(ingress('e', {}))).toBe(true);
    const notDefault = new IngressClassFilter([{ ...ours, metadata: { name: 'scars-sim' } }]);
    expect(notDefault.serves(ingress('f', {}))).toBe(false);
  });
});
