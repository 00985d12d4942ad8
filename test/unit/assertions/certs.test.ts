/**
 * The certificate assertions over synthetic timelines: tlsprobe `certificate` and `attempt` lines as
 * the agentLogs observer records them, around the cert-expiry fault's `cert-swapped` and
 * `cert-in-service` events.
 */
import { describe, expect, it } from 'vitest';
import type { CertificateReport } from '../../../src/agent/modes/tlsprobe.ts';
import { certChainValid, certDaysLeft, certExpiryDetected } from '../../../src/assertions/certs.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const SELECTOR = 'app=cert-monitor';
const OLD_NOT_AFTER = '2027-02-20T00:00:00.000Z';
const NEW_NOT_AFTER = '2026-11-28T19:00:00.000Z';

const at = '2026-11-23T18:00:00.000Z';
const ev = (t: number, step: string, event: string, detail?: Record<string, unknown>): TimelineEvent => ({
  t,
  at,
  step,
  event,
  ...(detail ? { detail } : {}),
});

function cert(
  t: number,
  over: Partial<CertificateReport> = {},
  where: { step?: string; pod?: string; selector?: string } = {},
): TimelineEvent {
  const line = {
    ts: at,
    mode: 'tlsprobe',
    event: 'certificate',
    host: '10.96.0.243',
    port: 443,
    verified: true,
    subject: 'CN=web.example.com',
    issuer: 'CN=scars cert-expiry CA',
    serialNumber: 'ABCD',
    notBefore: '2026-08-25T00:00:00.000Z',
    notAfter: NEW_NOT_AFTER,
    daysLeft: 5,
    expiresSoon: true,
    chain: [],
    latencyMs: 3,
    ...over,
  };
  return ev(t, where.step ?? 'hold', 'agent-line', {
    observer: 'agent-logs',
    selector: where.selector ?? SELECTOR,
    pod: where.pod ?? 'cert-monitor-abc',
    line,
  });
}

const swapped = (t: number) =>
  ev(t, 'inject', 'cert-swapped', { secret: 'web-tls', notAfter: NEW_NOT_AFTER });
const inService = (t: number) =>
  ev(t, 'inject', 'cert-in-service', { secret: 'web-tls', notAfter: NEW_NOT_AFTER });

const input = (timeline: TimelineEvent[]): AssertionInput => ({
  timeline,
  state: { namespace: 'ns', pods: [], events: [], objects: [] },
  faults: [],
});

describe('certExpiryDetected', () => {
  const detected = certExpiryDetected({ selector: SELECTOR, warnDays: 14, within: '30s' });

  it('passes when the monitor reports the swapped certificate below the threshold soon after it is served', () => {
    const r = detected.evaluate(
      input([
        cert(1_000, { notAfter: OLD_NOT_AFTER, daysLeft: 89, expiresSoon: false }, { step: 'observe' }),
        swapped(2_000),
        inService(10_000),
        cert(15_000),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toContain('cert-monitor-abc reported 5 day(s) left (< 14) 5000ms after');
    expect(r.evidence[0]).toMatchObject({ ref: 'Pod/cert-monitor-abc', data: { daysLeft: 5 } });
    expect(certDaysLeft).toBe(certExpiryDetected);
  });

  it('fails without any monitor line (the control arm: nothing watches)', () => {
    const r = detected.evaluate(input([swapped(2_000), inService(3_000)]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/no certificate report from a monitor matching app=cert-monitor/);
  });

  it('fails when the warning comes later than the bound, naming the late line', () => {
    const r = detected.evaluate(input([swapped(2_000), inService(3_000), cert(40_000)]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/first warning came 37000ms after/);
    expect(r.evidence[0]?.ref).toBe('Pod/cert-monitor-abc');
  });

  it('does not count a report of the already expired certificate as ahead of time', () => {
    const r = detected.evaluate(input([swapped(2_000), inService(3_000), cert(5_000, { daysLeft: -1 })]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/only once it had expired/);
  });

  it('ignores reports of another certificate, and monitors with another selector', () => {
    const r = detected.evaluate(
      input([
        swapped(2_000),
        inService(3_000),
        cert(5_000, { notAfter: '2026-11-30T00:00:00.000Z', daysLeft: 6 }),
        cert(6_000, {}, { selector: 'app=other' }),
      ]),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/none below 14 days left for the swapped certificate/);
  });
});

describe('certChainValid', () => {
  const valid = certChainValid({ selector: SELECTOR });

  it('passes when every handshake in the fault window verified', () => {
    const r = valid.evaluate(
      input([
        cert(5_000),
        cert(6_000, {}, { step: 'revert' }),
        cert(100, { verified: false }, { step: 'observe' }),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toBe('2 handshake(s), every chain verified');
  });

  it('fails on an unverified chain, naming the pod and the verification error', () => {
    const r = valid.evaluate(
      input([
        cert(5_000),
        cert(
          7_000,
          { verified: false, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
          { pod: 'cert-monitor-x' },
        ),
      ]),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toBe('1/2 handshake(s) did not verify');
    expect(r.evidence[0]).toMatchObject({ ref: 'Pod/cert-monitor-x', t: 7_000 });
    expect(r.evidence[0]?.what).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('fails on a TLS error, and when there is no handshake at all', () => {
    const tlsError = ev(5_000, 'hold', 'agent-line', {
      observer: 'agent-logs',
      selector: SELECTOR,
      pod: 'cert-monitor-abc',
      line: {
        ts: at,
        mode: 'tlsprobe',
        event: 'attempt',
        host: 'h',
        port: 443,
        outcome: 'tls-error',
        latencyMs: 1,
        error: 'handshake failed',
        tlsError: 'ERR_SSL_WRONG_VERSION_NUMBER',
      },
    });
    const r = valid.evaluate(input([tlsError]));
    expect(r.pass).toBe(false);
    expect(r.evidence[0]?.what).toContain('ERR_SSL_WRONG_VERSION_NUMBER');
    const none = valid.evaluate(input([swapped(1)]));
    expect(none.pass).toBe(false);
    expect(none.summary).toMatch(/no handshake reported/);
  });
});
