/**
 * DNS messages as the sim's DNS servers handle them (dns-packet underneath): a decoded query, a
 * reply built for it, and the wire form with UDP truncation. Names are compared lowercased
 * without their trailing dot; records keep the owner name as the client spelled it, as CoreDNS
 * does.
 */
import dnsPacket from 'dns-packet';

export type DnsRecord = dnsPacket.Answer;
export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

const RCODE_VALUE: Record<Rcode, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
};

/** One question of a query, with what the server needs to build its reply. */
export interface DnsQuery {
  id: number;
  /** As the client spelled it, without a trailing dot. */
  name: string;
  /** Lowercased, without a trailing dot: the key for lookups and caches. */
  key: string;
  type: string;
  class: string;
  recursionDesired: boolean;
  checkingDisabled: boolean;
  /** The client's EDNS0 OPT record, echoed back in the reply (CoreDNS does). */
  edns: { udpPayloadSize: number; do: boolean } | undefined;
  /** The decoded message, for the question section of the reply. */
  raw: dnsPacket.DecodedPacket;
}

/** What a server answers, before it is put on the wire. */
export interface DnsAnswer {
  rcode: Rcode;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  authoritative: boolean;
  recursionAvailable: boolean;
}

export const normalizeName = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/** `name` is `zone` or under it (both normalized); `` is the root, which holds every name. */
export const inZone = (name: string, zone: string): boolean =>
  zone === '' || name === zone || name.endsWith(`.${zone}`);

/** The query in `bytes`, or undefined when it is not a query with one question (dropped, as miekg/dns drops garbage). */
export function decodeQuery(bytes: Uint8Array): DnsQuery | undefined {
  let raw: dnsPacket.DecodedPacket;
  try {
    raw = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined;
  }
  const question = raw.questions?.[0];
  if (raw.type !== 'query' || !question || raw.questions?.length !== 1) return undefined;
  const opt = (raw.additionals ?? []).find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  const name = question.name.replace(/\.$/, '');
  return {
    id: raw.id ?? 0,
    name,
    key: name.toLowerCase(),
    type: question.type,
    class: question.class ?? 'IN',
    recursionDesired: raw.flag_rd,
    checkingDisabled: raw.flag_cd,
    edns: opt ? { udpPayloadSize: opt.udpPayloadSize, do: opt.flag_do } : undefined,
    raw,
  };
}

export const emptyAnswer = (rcode: Rcode, authoritative: boolean): DnsAnswer => ({
  rcode,
  answers: [],
  authorities: [],
  additionals: [],
  authoritative,
  recursionAvailable: false,
});

/** The smallest TTL in the answer and authority sections (dnsutil.MinimalTTL), or undefined with none. */
export function minimalTtl(answer: DnsAnswer): number | undefined {
  let min: number | undefined;
  for (const r of [...answer.answers, ...answer.authorities, ...answer.additionals]) {
    if (r.type === 'OPT') continue;
    const ttl = (r as { ttl?: number }).ttl ?? 0;
    if (min === undefined || ttl < min) min = ttl;
  }
  return min;
}

/** A copy of `records` with every TTL set to `ttl` (the cache plugin's filterRRSlice). */
export function withTtl(records: readonly DnsRecord[], ttl: number): DnsRecord[] {
  return records.filter((r) => r.type !== 'OPT').map((r) => ({ ...r, ttl }) as DnsRecord);
}

/** Largest UDP reply without EDNS0 (RFC 1035 4.2.1). */
const CLASSIC_UDP_LIMIT = 512;

/**
 * The reply on the wire. Over UDP it must fit the client's buffer (512 bytes, or its EDNS0 size):
 * records are dropped from the end and TC is set, so the client retries over TCP (the scrub
 * CoreDNS applies to every reply).
 */
export function encodeReply(query: DnsQuery, answer: DnsAnswer, transport: 'udp' | 'tcp'): Uint8Array {
  let flags = RCODE_VALUE[answer.rcode];
  if (answer.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (query.recursionDesired) flags |= dnsPacket.RECURSION_DESIRED;
  if (answer.recursionAvailable) flags |= dnsPacket.RECURSION_AVAILABLE;
  if (query.checkingDisabled) flags |= dnsPacket.CHECKING_DISABLED;
  const opt: dnsPacket.OptAnswer[] = query.edns
    ? [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: Math.max(CLASSIC_UDP_LIMIT, query.edns.udpPayloadSize),
          extendedRcode: 0,
          ednsVersion: 0,
          flags: query.edns.do ? dnsPacket.DNSSEC_OK : 0,
          flag_do: query.edns.do,
          options: [],
        },
      ]
    : [];
  const packet = (a: DnsRecord[], ns: DnsRecord[], extra: DnsRecord[], tc: boolean): dnsPacket.Packet => ({
    type: 'response',
    id: query.id,
    flags: tc ? flags | dnsPacket.TRUNCATED_RESPONSE : flags,
    questions: query.raw.questions ?? [],
    answers: a,
    authorities: ns,
    additionals: [...extra, ...opt],
  });
  const limit = transport === 'tcp' ? 65_535 : Math.max(CLASSIC_UDP_LIMIT, query.edns?.udpPayloadSize ?? 0);
  const full = dnsPacket.encode(packet(answer.answers, answer.authorities, answer.additionals, false));
  if (full.length <= limit) return new Uint8Array(full.buffer, full.byteOffset, full.length);
  // Too big for the datagram: drop additional and authority records, then answers, until it fits.
  const answers = [...answer.answers];
  let trimmed = packet(answers, [], [], true);
  while (answers.length > 0 && dnsPacket.encodingLength(trimmed) > limit) {
    answers.pop();
    trimmed = packet(answers, [], [], true);
  }
  return new Uint8Array(dnsPacket.encode(trimmed));
}

/** The rcode of a reply on the wire (for counting), or undefined when it cannot be read. */
export function rcodeOf(reply: Uint8Array): Rcode | undefined {
  if (reply.length < 4) return undefined;
  const value = (reply[3] ?? 0) & 0xf;
  return (Object.keys(RCODE_VALUE) as Rcode[]).find((k) => RCODE_VALUE[k] === value);
}
