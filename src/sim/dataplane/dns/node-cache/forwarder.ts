/**
 * CoreDNS's forward plugin (plugin/forward forward.go, proxy/connect.go) as the node cache uses
 * it: each attempt sends the query to one upstream (policy random) and waits at most the proxy's
 * read timeout (2 s); a failed attempt is retried, over the upstream list again and again, until
 * the plugin's 5 s deadline has passed; then the query fails and the server answers SERVFAIL
 * (written by the server, so the cache never sees it). `force_tcp` sends every attempt over TCP,
 * otherwise the client's transport is kept.
 *
 * One difference: an upstream that refuses at once (a Service without endpoints, kube-proxy's
 * REJECT) makes the real plugin retry in a tight loop until its deadline; here a round of
 * immediate failures waits out the deadline instead, so nothing spins (the answer is the same
 * SERVFAIL at the same time).
 */
import dnsPacket from 'dns-packet';
import type { DnsExchangeOptions, Endpoint } from '../../../../agent/host.ts';
import { HostNetworkError } from '../../../../agent/host.ts';
import type { DnsAnswer, DnsRecord, Rcode } from '../dns-message.ts';

/** forward.go defaultTimeout: how long one query may be retried. */
export const FORWARD_DEADLINE_MS = 5_000;
/** proxy.go readTimeout: how long one attempt waits for its reply. */
export const FORWARD_READ_TIMEOUT_MS = 2_000;

/** What the forwarder sends through: the node's view of the sim network. */
export interface ForwardNetwork {
  dnsExchange(server: Endpoint, query: Uint8Array, options: DnsExchangeOptions): Promise<Uint8Array>;
}

export interface ForwardClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type ForwardResult =
  | { kind: 'reply'; reply: Uint8Array; attempts: number }
  | { kind: 'failed'; reason: string; attempts: number };

export interface ForwardRequest {
  upstreams: readonly Endpoint[];
  query: Uint8Array;
  transport: 'udp' | 'tcp';
  /** Aborted when the cache goes away: no further attempts. */
  signal?: AbortSignal;
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export async function forwardQuery(
  net: ForwardNetwork,
  clock: ForwardClock,
  request: ForwardRequest,
): Promise<ForwardResult> {
  const { upstreams, query, transport, signal } = request;
  if (upstreams.length === 0) return { kind: 'failed', reason: 'no upstream', attempts: 0 };
  const deadline = clock.now() + FORWARD_DEADLINE_MS;
  let attempts = 0;
  let reason = '';
  while (clock.now() < deadline && !signal?.aborted) {
    let waited = false;
    for (const upstream of shuffled(upstreams)) {
      if (clock.now() >= deadline || signal?.aborted) break;
      const started = clock.now();
      attempts++;
      try {
        const reply = await net.dnsExchange(upstream, query, {
          transport,
          timeoutMs: FORWARD_READ_TIMEOUT_MS,
        });
        return { kind: 'reply', reply, attempts };
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
        // A timeout took its read timeout; so did anything else that took a while to fail.
        const timedOut = err instanceof HostNetworkError && err.code === 'ETIMEDOUT';
        if (timedOut || clock.now() - started >= FORWARD_READ_TIMEOUT_MS / 2) waited = true;
      }
    }
    // Every upstream failed at once: wait out the deadline rather than spin (see above).
    if (!waited && !signal?.aborted)
      await clock.sleep(Math.max(0, deadline - clock.now()), signal).catch(() => {});
  }
  return { kind: 'failed', reason: signal?.aborted ? 'the cache stopped' : reason, attempts };
}

/** An upstream's reply, read for the cache: its answer, whether it was truncated. */
export interface UpstreamReply {
  answer: DnsAnswer;
  truncated: boolean;
}

type DecodedReply = dnsPacket.DecodedPacket & { rcode?: string };

const RCODES: ReadonlySet<string> = new Set([
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
]);

/** Decodes a reply; undefined when it is not one (the forwarder then answers SERVFAIL, as for garbage). */
export function readReply(bytes: Uint8Array): UpstreamReply | undefined {
  let decoded: DecodedReply;
  try {
    decoded = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as DecodedReply;
  } catch {
    return undefined;
  }
  if (decoded.type !== 'response') return undefined;
  const rcode = (RCODES.has(decoded.rcode ?? '') ? decoded.rcode : 'SERVFAIL') as Rcode;
  const records = (list: dnsPacket.Answer[] | undefined): DnsRecord[] =>
    (list ?? []).filter((r) => r.type !== 'OPT');
  return {
    answer: {
      rcode,
      answers: records(decoded.answers),
      authorities: records(decoded.authorities),
      additionals: records(decoded.additionals),
      authoritative: decoded.flag_aa,
      recursionAvailable: decoded.flag_ra,
    },
    truncated: decoded.flag_tc,
  };
}
