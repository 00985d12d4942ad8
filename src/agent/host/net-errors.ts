/** Maps Node's socket and TLS errors onto the Host port's codes. */
import { HostNetworkError, type NetErrorCode } from '../host.ts';

const DIRECT: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRINUSE',
  'EACCES',
  'ENOTFOUND',
]);

export function toHostNetworkError(err: unknown, what: string): HostNetworkError {
  if (err instanceof HostNetworkError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const raw = typeof e?.code === 'string' ? e.code : '';
  const message = `${what}: ${e?.message ?? String(err)}`;
  if (DIRECT.has(raw)) return new HostNetworkError(raw as NetErrorCode, message, undefined, { cause: err });
  if (raw === 'EPIPE' || raw === 'ECONNABORTED')
    return new HostNetworkError('ECONNRESET', message, raw, { cause: err });
  if (raw === 'EAI_AGAIN') return new HostNetworkError('ENOTFOUND', message, raw, { cause: err });
  // TLS verification (CERT_HAS_EXPIRED, …) and protocol errors (ERR_SSL_…, EPROTO).
  if (
    raw.startsWith('ERR_SSL') ||
    raw.startsWith('ERR_TLS') ||
    raw === 'EPROTO' ||
    /CERT|SELF_SIGNED|UNABLE_TO/.test(raw)
  )
    return new HostNetworkError('EPROTO', message, raw, { cause: err });
  return new HostNetworkError('EOTHER', message, raw || undefined, { cause: err });
}

export function timeoutError(what: string, ms: number): HostNetworkError {
  return new HostNetworkError('ETIMEDOUT', `${what}: no answer within ${ms}ms`);
}
