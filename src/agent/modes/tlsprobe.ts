/**
 * `tlsprobe`: one TLS handshake (or a few, periodically) with a server, reporting the certificate
 * it presents: subject, issuer, validity, days left, the chain, and what verification said
 * (CERT_HAS_EXPIRED, CERT_NOT_YET_VALID, an untrusted issuer, a name mismatch). The handshake
 * always completes so an expired certificate is reported, not just refused; the exit code says
 * whether the certificate is fine for at least `--warn-days` more days — the check that catches a
 * renewal that silently stopped working before users do.
 */
import { X509Certificate } from 'node:crypto';
import { AgentExit } from '../exit-codes.ts';
import { durationFlag, FlagError, portFlag, positiveIntFlag } from '../args.ts';
import type { TlsPeer } from '../host.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { SummaryFields } from '../output.ts';
import { pace } from '../pacer.ts';
import { type NetFailureOutcome, netFailure, roundMs } from './net-outcome.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TlsprobeOptions {
  host: string;
  port: number;
  servername?: string;
  caPath?: string;
  warnDays: number;
  intervalMs: number;
  count?: number;
  durationMs?: number;
  timeoutMs: number;
}

export interface ChainEntry {
  subject: string;
  issuer: string;
  notAfter: string;
}

export interface CertificateReport {
  host: string;
  port: number;
  servername?: string;
  verified: boolean;
  /** Node's (OpenSSL's) verification code when not verified, e.g. CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID. */
  verifyError?: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, floored: 0 on the last day, negative once expired. */
  daysLeft: number;
  expiresSoon: boolean;
  chain: ChainEntry[];
  protocol?: string;
  latencyMs: number;
}

export type TlsprobeSummary = SummaryFields & {
  host: string;
  port: number;
  attempts: number;
  /** Handshakes that presented a certificate. */
  handshakes: number;
  verified: number;
  /** Attempts that were not fine: unverified, expiring within --warn-days, or no handshake. */
  failures: number;
  /** The smallest daysLeft seen. */
  minDaysLeft?: number;
};

export type TlsprobeEvent =
  | ({ event: 'certificate' } & CertificateReport)
  | {
      event: 'attempt';
      host: string;
      port: number;
      outcome: NetFailureOutcome;
      latencyMs: number;
      error: string;
      tlsError?: string;
    }
  | TlsprobeSummary;

/** Node prints distinguished names one attribute per line; lines want them on one. */
const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

function isoDate(text: string): string {
  const ms = Date.parse(text);
  // Node 20's X509Certificate has only the text form ("Jan  1 00:00:00 2030 GMT"); say so if V8 cannot read it.
  if (Number.isNaN(ms)) throw new Error(`cannot read certificate date ${JSON.stringify(text)}`);
  return new Date(ms).toISOString();
}

function certificateReport(
  options: TlsprobeOptions,
  peer: TlsPeer,
  now: number,
  latencyMs: number,
): CertificateReport | undefined {
  const [leafDer] = peer.chain;
  if (!leafDer) return undefined;
  const certs = peer.chain.map((der) => new X509Certificate(der));
  const leaf = certs[0] as X509Certificate;
  const notAfter = isoDate(leaf.validTo);
  const daysLeft = Math.floor((Date.parse(notAfter) - now) / DAY_MS);
  return {
    host: options.host,
    port: options.port,
    servername: options.servername,
    verified: peer.authorized,
    verifyError: peer.authorized ? undefined : (peer.authorizationError ?? 'UNKNOWN'),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    serialNumber: leaf.serialNumber,
    notBefore: isoDate(leaf.validFrom),
    notAfter,
    daysLeft,
    expiresSoon: daysLeft < options.warnDays,
    chain: certs.map((c) => ({
      subject: oneLine(c.subject),
      issuer: oneLine(c.issuer),
      notAfter: isoDate(c.validTo),
    })),
    protocol: peer.protocol,
    latencyMs,
  };
}

export const tlsprobeMode = defineMode<TlsprobeOptions, TlsprobeEvent>({
  name: 'tlsprobe',
  describe:
    'TLS handshake: certificate chain, notAfter, days left and verification error (e.g. CERT_HAS_EXPIRED)',
  flags: (y) =>
    y
      .options({
        host: { type: 'string', demandOption: true, describe: 'Server address or name to connect to' },
        port: { type: 'number', default: 443, describe: 'Server port' },
        servername: {
          type: 'string',
          describe: 'Name for SNI and hostname verification (default: --host)',
        },
        ca: { type: 'string', describe: 'PEM file of CAs to trust instead of the system roots' },
        'warn-days': {
          type: 'number',
          default: 30,
          describe: 'Exit 1 (expiresSoon) when fewer whole days than this are left',
        },
        interval: {
          type: 'string',
          default: '1s',
          describe: 'Time between handshakes with --count/--duration',
        },
        count: { type: 'number', describe: 'Handshakes to make (default 1 unless --duration)' },
        duration: { type: 'string', describe: 'Keep probing this long' },
        timeout: { type: 'string', default: '5s', describe: 'Connect and handshake timeout' },
      })
      .example(
        '$0 tlsprobe --host 10.96.0.15 --port 443 --servername web.example.com --ca /etc/tls/ca.crt',
        'One handshake: certificate line, exit 1 if unverified or expiring within 30 days',
      )
      .example(
        '$0 tlsprobe --host ingress.local --warn-days 14 --interval 1m --duration 1h',
        'Watch for an hour',
      ),

  options(argv) {
    const warnDays = Number(argv['warn-days']);
    if (!Number.isFinite(warnDays) || warnDays < 0)
      throw new FlagError('warn-days', argv['warn-days'], 'a number of days, 0 or more');
    const durationMs =
      argv['duration'] === undefined ? undefined : durationFlag('duration', argv['duration']);
    const count = argv['count'] === undefined ? undefined : positiveIntFlag('count', argv['count']);
    return {
      host: String(argv['host']),
      port: portFlag('port', argv['port']),
      servername: argv['servername'] as string | undefined,
      caPath: argv['ca'] as string | undefined,
      warnDays,
      intervalMs: durationFlag('interval', argv['interval']),
      // One handshake unless told to keep going.
      count: count ?? (durationMs === undefined ? 1 : undefined),
      durationMs,
      timeoutMs: durationFlag('timeout', argv['timeout']),
    };
  },

  run: (options, ctx) => probe(options, ctx),
});

async function probe(options: TlsprobeOptions, ctx: ModeContext<TlsprobeEvent>): Promise<number> {
  const { host, out } = ctx;
  const { clock } = host;
  const summary: Omit<TlsprobeSummary, 'event' | 'exitCode' | 'stoppedBy'> = {
    host: options.host,
    port: options.port,
    attempts: 0,
    handshakes: 0,
    verified: 0,
    failures: 0,
  };

  let ca: string | undefined;
  try {
    if (options.caPath !== undefined) ca = await host.files.readText(options.caPath);
  } catch (err) {
    out.emit({ event: 'error', message: `--ca: ${err instanceof Error ? err.message : String(err)}` });
    out.emit({ event: 'summary', exitCode: AgentExit.environment, stoppedBy: 'error', ...summary });
    return AgentExit.environment;
  }

  const attempt = async () => {
    summary.attempts++;
    const started = clock.now();
    let peer: TlsPeer;
    try {
      peer = await host.net.tlsConnect({
        host: options.host,
        port: options.port,
        servername: options.servername,
        ca,
        timeoutMs: options.timeoutMs,
      });
    } catch (err) {
      summary.failures++;
      const { outcome, error, tlsError } = netFailure(err);
      out.emit({
        event: 'attempt',
        host: options.host,
        port: options.port,
        outcome,
        latencyMs: roundMs(clock.now() - started),
        error,
        tlsError,
      });
      return;
    }
    const latencyMs = roundMs(clock.now() - started);
    let report: CertificateReport | undefined;
    let problem = 'the server presented no certificate';
    try {
      report = certificateReport(options, peer, clock.now(), latencyMs);
    } catch (err) {
      problem = `cannot parse the presented certificate: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!report) {
      summary.failures++;
      out.emit({
        event: 'attempt',
        host: options.host,
        port: options.port,
        outcome: 'tls-error',
        latencyMs,
        error: problem,
      });
      return;
    }
    summary.handshakes++;
    if (report.verified) summary.verified++;
    if (!report.verified || report.expiresSoon) summary.failures++;
    summary.minDaysLeft = Math.min(summary.minDaysLeft ?? report.daysLeft, report.daysLeft);
    out.emit({ event: 'certificate', ...report });
  };

  const paced = await pace(
    {
      clock,
      rate: 1000 / Math.max(options.intervalMs, 1),
      count: options.count,
      durationMs: options.durationMs,
      concurrency: 1,
      whenBusy: 'wait',
      signal: host.terminated,
    },
    attempt,
  );
  // Stopped before any handshake: nothing was shown to be fine.
  const exitCode = summary.failures > 0 || summary.attempts === 0 ? AgentExit.observedFailure : AgentExit.ok;
  out.emit({ event: 'summary', exitCode, stoppedBy: paced.stoppedBy, ...summary });
  return exitCode;
}
