/**
 * The few ingress-nginx annotations the sim's controller honours, with ingress-nginx's ConfigMap
 * defaults, so manifests written for ingress-nginx behave alike: proxy timeouts and tries (the
 * 502/503/504 a fault provokes depend on them), the request body limit, and the HTTPS redirect.
 * Durations are simulated time (the controller converts them for its real sockets).
 */
import type { Ingress } from 'kubernetes-types/networking/v1.js';

const PREFIX = 'nginx.ingress.kubernetes.io/';

export interface ProxySettings {
  /** proxy-connect-timeout: 5 s. */
  connectTimeoutMs: number;
  /** proxy-read-timeout: 60 s between reads (the response header included). */
  readTimeoutMs: number;
  /** proxy-next-upstream-tries: 3 attempts on an error or timeout. */
  tries: number;
  /** proxy-body-size: 1m; 0 is no limit. */
  maxBodyBytes: number;
  /** ssl-redirect: true (plain HTTP to a host with TLS gets a 308 to HTTPS). */
  sslRedirect: boolean;
}

export const DEFAULT_PROXY_SETTINGS: ProxySettings = {
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  tries: 3,
  maxBodyBytes: 1024 * 1024,
  sslRedirect: true,
};

/** nginx sizes: a number of bytes with an optional k/m/g suffix (1024-based). */
function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kmg]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * scale;
}

/** Whole seconds, as ingress-nginx reads its timeout annotations. */
function parseSeconds(text: string): number | undefined {
  const m = /^\s*(\d+)\s*s?\s*$/.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

function parsePositiveInt(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The settings for requests routed through this Ingress (defaults where an annotation is absent or invalid). */
export function proxySettings(ingress: Ingress | undefined, base = DEFAULT_PROXY_SETTINGS): ProxySettings {
  const a = ingress?.metadata?.annotations ?? {};
  const get = (name: string): string | undefined => a[PREFIX + name];
  const pick = <T>(raw: string | undefined, parse: (s: string) => T | undefined, fallback: T): T =>
    raw === undefined ? fallback : (parse(raw) ?? fallback);
  return {
    connectTimeoutMs: pick(get('proxy-connect-timeout'), parseSeconds, base.connectTimeoutMs),
    readTimeoutMs: pick(get('proxy-read-timeout'), parseSeconds, base.readTimeoutMs),
    tries: pick(get('proxy-next-upstream-tries'), parsePositiveInt, base.tries),
    maxBodyBytes: pick(get('proxy-body-size'), parseSize, base.maxBodyBytes),
    sslRedirect: pick(
      get('ssl-redirect'),
      (s) => (s === 'true' ? true : s === 'false' ? false : undefined),
      base.sslRedirect,
    ),
  };
}
