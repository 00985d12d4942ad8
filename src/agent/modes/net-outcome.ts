/**
 * How a failed connection reads in a probe's lines: the Host port's error codes folded into the
 * few outcomes an operator tells apart (a timeout is a slow or black-holed peer, refused is nobody
 * listening, reset is a peer or middlebox cutting the connection, a TLS error is a handshake or
 * verification failure). The probes share these names so one observer reads them all.
 */
import { HostNetworkError } from '../host.ts';

export type NetFailureOutcome = 'timeout' | 'refused' | 'reset' | 'unreachable' | 'tls-error' | 'error';

export interface NetFailure {
  outcome: NetFailureOutcome;
  /** The host's message (names the peer and what went wrong). */
  error: string;
  /** For `tls-error`: OpenSSL's or Node's code, e.g. CERT_HAS_EXPIRED, ERR_SSL_WRONG_VERSION_NUMBER. */
  tlsError?: string;
}

export function netFailure(err: unknown): NetFailure {
  const error = err instanceof Error ? err.message : String(err);
  if (!(err instanceof HostNetworkError)) return { outcome: 'error', error };
  switch (err.code) {
    case 'ETIMEDOUT':
      return { outcome: 'timeout', error };
    case 'ECONNREFUSED':
      return { outcome: 'refused', error };
    case 'ECONNRESET':
      return { outcome: 'reset', error };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { outcome: 'unreachable', error };
    case 'EPROTO':
      return { outcome: 'tls-error', error, tlsError: err.detail ?? err.code };
    default:
      return { outcome: 'error', error };
  }
}

/** Latencies in lines: milliseconds to two decimals (the clock is sub-millisecond, the lines need not be). */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100;
