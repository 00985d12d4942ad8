/**
 * The Ingress controller's routing table: which backend answers a request, from the host and
 * path, over every Ingress this controller serves — as ingress-nginx builds its servers and
 * locations from them.
 *
 * - Servers: one per rule host. A request's Host (port stripped, lower case) picks the server with
 *   that exact host, else the wildcard server `*.<rest>` (a wildcard covers exactly one label, per
 *   the API reference), else the catch-all server of the rules without a host.
 * - Locations: the server's paths from all Ingresses that name its host (ingress-nginx merges
 *   them). Exact matches the path as is; Prefix matches element-wise (`/foo` matches `/foo`,
 *   `/foo/` and `/foo/bar`, not `/foobar`; a trailing slash is ignored); ImplementationSpecific is
 *   taken as Prefix. The longest matching path wins, Exact before Prefix on a tie, then the older
 *   Ingress.
 * - When no path matches: the `spec.defaultBackend` of the first Ingress that defined the server
 *   (ingress-nginx gives the server's root location that Ingress's default backend); for the
 *   catch-all, the first Ingress with a default backend that has no host rule. Otherwise the
 *   controller's own default backend: 404.
 * - TLS: a server has TLS when an Ingress's `spec.tls` entry names its host (an entry without
 *   hosts covers that Ingress's rule hosts); its certificate comes from the first such entry whose
 *   Secret holds a usable certificate for the name (certificates.ts decides, at handshake time).
 *
 * Ingresses are taken oldest first (creationTimestamp, then namespace/name), as ingress-nginx
 * sorts them, so the older Ingress wins a conflict.
 */
import type { HTTPIngressPath, Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';

/** A backend together with the Ingress it came from (its namespace and annotations apply). */
export interface RoutedBackend {
  backend: IngressBackend;
  ingress: Ingress;
}

interface Location extends RoutedBackend {
  exact: boolean;
  /** The path's elements (`/a/b/` → ['a', 'b']). */
  elements: string[];
  /** The path as written, for Exact. */
  path: string;
  /** The path's length without trailing slashes: "longest match" compares it. */
  weight: number;
  /** Position in the Ingress order, for ties. */
  order: number;
}

export interface IngressServer {
  /** The rule host (`*.example.com` for a wildcard), '' for the catch-all. */
  host: string;
  locations: Location[];
  defaultBackend: RoutedBackend | undefined;
  /** An Ingress's tls entry covers this host (plain HTTP is redirected to HTTPS). */
  tls: boolean;
}

/** Where one request goes. */
export type RouteMatch =
  | ({ kind: 'backend'; server: IngressServer | undefined } & RoutedBackend)
  /** Nothing matched and no Ingress default backend applies: the controller's 404. */
  | { kind: 'none'; server: IngressServer | undefined };

/** A Secret an Ingress names for a TLS host, in the Ingress's namespace. */
export interface TlsSecretRef {
  namespace: string;
  /** Absent: the entry has no secretName, so the default certificate is served. */
  secretName: string | undefined;
  ingress: Ingress;
}

const creation = (i: Ingress) => i.metadata?.creationTimestamp ?? '';
const keyOf = (i: Ingress) => `${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`;

/** Oldest first, as ingress-nginx orders Ingresses before building servers. */
export function sortIngresses(ingresses: readonly Ingress[]): Ingress[] {
  return [...ingresses].sort((a, b) => {
    const ca = creation(a);
    const cb = creation(b);
    if (ca !== cb) return ca < cb ? -1 : 1;
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

const elementsOf = (path: string) => path.split('/').filter((e) => e !== '');

/** Host as routed: no port, no trailing dot, lower case; IPv6 brackets kept out. */
export function normalizeHost(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(1, end) : host;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Whether the path of a request matches an Ingress path of the given type (API reference semantics). */
export function pathMatches(pathType: string, rulePath: string, requestPath: string): boolean {
  if (pathType === 'Exact') return requestPath === rulePath;
  const rule = elementsOf(rulePath);
  const request = elementsOf(requestPath);
  if (rule.length > request.length) return false;
  return rule.every((e, i) => e === request[i]);
}

/** `*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`. */
export function wildcardCovers(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

export class RouteTable {
  private readonly exact = new Map<string, IngressServer>();
  /** Keyed by the part after `*.`. */
  private readonly wildcard = new Map<string, IngressServer>();
  private readonly catchAll: IngressServer;
  private readonly tlsExact = new Map<string, TlsSecretRef[]>();
  private readonly tlsWildcard = new Map<string, TlsSecretRef[]>();

  /** `ingresses`: the ones this controller serves, in any order. */
  constructor(ingresses: readonly Ingress[]) {
    const sorted = sortIngresses(ingresses);
    this.catchAll = { host: '', locations: [], defaultBackend: undefined, tls: false };
    let order = 0;
    for (const ingress of sorted) {
      const spec = ingress.spec ?? {};
      const own = spec.defaultBackend ? { backend: spec.defaultBackend, ingress } : undefined;
      const ruleHosts = new Set<string>();
      for (const rule of spec.rules ?? []) {
        const host = (rule.host ?? '').toLowerCase();
        ruleHosts.add(host);
        const server = this.serverFor(host, own);
        for (const p of rule.http?.paths ?? []) server.locations.push(this.location(p, ingress, order++));
      }
      // The catch-all's root goes to an Ingress's default backend when that Ingress has no host rules.
      if (own && !this.catchAll.defaultBackend && [...ruleHosts].every((h) => h === ''))
        this.catchAll.defaultBackend = own;
      for (const tls of spec.tls ?? []) {
        const hosts = tls.hosts && tls.hosts.length > 0 ? tls.hosts : [...ruleHosts].filter((h) => h !== '');
        const ref: TlsSecretRef = {
          namespace: ingress.metadata?.namespace ?? 'default',
          secretName: tls.secretName || undefined,
          ingress,
        };
        for (const raw of hosts) {
          const host = raw.toLowerCase();
          const table = host.startsWith('*.') ? this.tlsWildcard : this.tlsExact;
          const key = host.startsWith('*.') ? host.slice(2) : host;
          table.set(key, [...(table.get(key) ?? []), ref]);
        }
      }
    }
    for (const server of [...this.exact.values(), ...this.wildcard.values()]) {
      server.tls = this.tlsSecrets(server.host).length > 0;
      server.locations.sort(byPrecedence);
    }
    this.catchAll.locations.sort(byPrecedence);
  }

  private serverFor(host: string, own: RoutedBackend | undefined): IngressServer {
    if (host === '') return this.catchAll;
    const table = host.startsWith('*.') ? this.wildcard : this.exact;
    const key = host.startsWith('*.') ? host.slice(2) : host;
    let server = table.get(key);
    if (!server) {
      // The first Ingress to name the host gives the server its root location.
      server = { host, locations: [], defaultBackend: own, tls: false };
      table.set(key, server);
    }
    return server;
  }

  private location(p: HTTPIngressPath, ingress: Ingress, order: number): Location {
    const path = p.path || '/';
    return {
      backend: p.backend,
      ingress,
      exact: p.pathType === 'Exact',
      elements: elementsOf(path),
      path,
      weight: path.replace(/\/+$/, '').length,
      order,
    };
  }

  /** The server a Host header selects (exact, then wildcard, then the catch-all if it has anything). */
  server(host: string): IngressServer | undefined {
    const exact = this.exact.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    const wildcard = dot > 0 ? this.wildcard.get(host.slice(dot + 1)) : undefined;
    if (wildcard) return wildcard;
    const c = this.catchAll;
    return c.locations.length > 0 || c.defaultBackend ? c : undefined;
  }

  /** Routes one request by its Host header and path (query string excluded). */
  match(hostHeader: string | undefined, path: string): RouteMatch {
    const server = this.server(normalizeHost(hostHeader));
    if (!server) return { kind: 'none', server };
    const request = elementsOf(path);
    for (const loc of server.locations) {
      const hit = loc.exact
        ? loc.path === path
        : loc.elements.length <= request.length && loc.elements.every((e, i) => e === request[i]);
      if (hit) return { kind: 'backend', server, backend: loc.backend, ingress: loc.ingress };
    }
    return server.defaultBackend
      ? { kind: 'backend', server, ...server.defaultBackend }
      : { kind: 'none', server };
  }

  /** The Secrets named for a TLS host, in the order they are tried (exact names first). */
  tlsSecrets(serverName: string): TlsSecretRef[] {
    const host = serverName.toLowerCase();
    if (host.startsWith('*.')) return this.tlsWildcard.get(host.slice(2)) ?? [];
    const exact = this.tlsExact.get(host) ?? [];
    const dot = host.indexOf('.');
    const wildcard = dot > 0 ? (this.tlsWildcard.get(host.slice(dot + 1)) ?? []) : [];
    return [...exact, ...wildcard];
  }
}

/** Longest path first; Exact before Prefix on a tie; then the older Ingress. */
function byPrecedence(a: Location, b: Location): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  return a.order - b.order;
}
