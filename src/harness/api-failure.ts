/**
 * Which failed API calls may be tried again, and whether the failed attempt may still have acted.
 * Reads retry on every transient failure; writes on those after which a second try is safe (see
 * kube-api.ts for the read-back that makes a create safe); an eviction never retries the answer a
 * PodDisruptionBudget gives (429 with a Status) or its 500, and a pod proxy GET only retries when
 * the request did not get through, since a 5xx there is the pod's answer.
 */
import { ApiException } from '@kubernetes/client-node';
import type { RetryableFailure } from './retry.ts';

export type CallKind = 'read' | 'create' | 'write' | 'evict' | 'proxy';

/** Connection failures before the request was sent: nothing can have happened. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Connection failures after it may have been: the answer is lost. */
const ANSWER_LOST = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

export function classifyFailure(err: unknown, kind: CallKind): RetryableFailure | undefined {
  const transport = transportFailure(err);
  if (transport) return transport;
  if (!(err instanceof ApiException)) return undefined;
  const code = err.code;
  const retryAfterMs = retryAfterOf(err.headers);
  const withRetryAfter = (f: RetryableFailure): RetryableFailure =>
    retryAfterMs === undefined ? f : { ...f, retryAfterMs };
  if (code === 429) {
    // A Status-shaped 429 on an eviction is a disruption budget refusing; the apiserver's
    // max-in-flight and priority-and-fairness filters answer 429 in plain text.
    if (kind === 'evict' && isStatusBody(err.body)) return undefined;
    return withRetryAfter({ cause: '429', ambiguous: false });
  }
  if (kind === 'proxy') return undefined;
  if (code === 503) return withRetryAfter({ cause: '503', ambiguous: false });
  if (code === 500 && kind === 'evict') return undefined;
  if (code === 500 || code === 502 || code === 504)
    return withRetryAfter({ cause: String(code), ambiguous: true });
  return undefined;
}

function transportFailure(err: unknown): RetryableFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  // client-node's fetch rejects with an AbortError when the request timeout's signal fires.
  if (err.name === 'AbortError') return { cause: 'timeout', ambiguous: true };
  const code = errorCode(err);
  if (code === undefined) return undefined;
  if (NOT_SENT.has(code)) return { cause: code, ambiguous: false };
  if (ANSWER_LOST.has(code)) return { cause: code, ambiguous: true };
  return undefined;
}

function errorCode(err: Error): string | undefined {
  const own = (err as Error & { code?: unknown }).code;
  if (typeof own === 'string') return own;
  const cause = err.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterOf(
  headers: Record<string, string> | undefined,
  now = Date.now(),
): number | undefined {
  const raw = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isStatusBody(body: unknown): boolean {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return false;
    }
  }
  return typeof parsed === 'object' && parsed !== null && (parsed as { kind?: unknown }).kind === 'Status';
}
