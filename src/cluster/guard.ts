/**
 * The blast-radius guard for existing clusters: only local servers (loopback, kind) are used
 * unless a context is allow-listed in the config. Decided from the kubeconfig alone, before
 * any connection is made.
 */
import { isIP } from 'node:net';
import { BlastRadiusError } from '../errors.ts';

export interface GuardInput {
  context: string;
  server: string;
  allowContexts: readonly string[];
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  // IPv4-mapped IPv6 loopback, e.g. ::ffff:127.0.0.1
  const mapped = h.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  return mapped?.[1] ? mapped[1].startsWith('127.') : false;
}

export function checkContext({ context, server, allowContexts }: GuardInput): void {
  if (allowContexts.includes(context)) return;
  if (context.startsWith('kind-')) return;
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    throw new BlastRadiusError(`context "${context}": server "${server}" is not a URL`);
  }
  if (isLoopbackHost(host)) return;
  throw new BlastRadiusError(
    `refusing context "${context}": its server ${server} is not local (loopback or kind-*); ` +
      `add "${context}" to allowContexts in scars.config to run faults against it`,
  );
}
