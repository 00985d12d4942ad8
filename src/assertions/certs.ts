/**
 * Certificates: expiry is caught ahead of time, and the endpoint still presents a chain that
 * verifies. Pure over the `tlsprobe` lines a monitor wrote (recorded by the `agentLogs` observer
 * with the same selector) and the cert-expiry fault's `cert-swapped` / `cert-in-service` events.
 */
import type { TlsprobeEvent } from '../agent/modes/tlsprobe.ts';
import { parseDuration, type Duration } from '../harness/duration.ts';
import type { Assertion, AssertionInput, Evidence } from '../harness/scenario.ts';
import type { TimelineEvent } from '../harness/timeline.ts';
import { agentLinesIn } from '../observers/agent-logs.ts';
import { FAULT_WINDOW } from './window.ts';

type CertificateEvent = Extract<TlsprobeEvent, { event: 'certificate' }>;
type FailedAttempt = Extract<TlsprobeEvent, { event: 'attempt' }>;

export interface CertExpiryDetectedOptions {
  /** The monitor's pods: the selector its `agentLogs` observer follows. */
  selector: string;
  /** Fewer whole days left than this counts as a warning (the monitor's `--warn-days`). */
  warnDays: number;
  /** The warning must come this soon after the swapped certificate is served (cluster time; default 60s). */
  within?: Duration;
}

/**
 * The cert-expiry fault's record: when the Secret was swapped (`cert-swapped`) and when the endpoint
 * presents the new certificate (`cert-in-service`: after the rollout when the fault restarts the
 * server). A monitor's delay is measured from the latter.
 */
function swapOf(
  timeline: readonly TimelineEvent[],
): { t: number; servedAt: number; notAfter?: string } | undefined {
  const swapped = timeline.find((x) => x.event === 'cert-swapped');
  if (!swapped) return undefined;
  const served = timeline.find((x) => x.event === 'cert-in-service');
  const d = swapped.detail as { notAfter?: unknown } | undefined;
  return {
    t: swapped.t,
    servedAt: served?.t ?? swapped.t,
    ...(typeof d?.notAfter === 'string' ? { notAfter: d.notAfter } : {}),
  };
}

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

/**
 * A monitor reported fewer than `warnDays` days left — while the certificate was still valid —
 * within `within` of the swapped certificate being in service. Without the fault's events the
 * fault window's start is used.
 */
export function certExpiryDetected(options: CertExpiryDetectedOptions): Assertion {
  const withinMs = parseDuration(options.within ?? '60s');
  return {
    name: 'cert-expiry-detected',
    description: `a monitor (${options.selector}) reported < ${options.warnDays} days left ahead of expiry within ${withinMs}ms of the certificate change`,
    thresholds: { warnDays: options.warnDays, withinMs },
    evaluate(input: AssertionInput) {
      const start = input.timeline.find((e) => FAULT_WINDOW.has(e.step))?.t ?? 0;
      const swap = swapOf(input.timeline) ?? { t: start, servedAt: start };
      const delay = (t: number) => Math.max(0, Math.round(t - swap.servedAt));
      const lines = agentLinesIn(input.timeline, {
        mode: 'tlsprobe',
        selector: options.selector,
        event: 'certificate',
      }).map((l) => ({ ...l, c: l.line as unknown as CertificateEvent }));
      if (lines.length === 0)
        return {
          pass: false,
          summary: `no certificate report from a monitor matching ${options.selector}: nothing would have warned before expiry`,
          evidence: [],
        };
      const after = lines.filter((l) => l.t >= swap.t);
      const ofSwapped = swap.notAfter
        ? after.filter((l) => sameInstant(l.c.notAfter, swap.notAfter as string))
        : after;
      const warning = ofSwapped.find((l) => l.c.daysLeft < options.warnDays && l.c.daysLeft >= 0);
      const evidenceOf = (l: (typeof lines)[number]): Evidence => ({
        what: `${l.pod} reported ${l.c.daysLeft} day(s) left (notAfter ${l.c.notAfter}) ${delay(l.t)}ms after the certificate was in service`,
        ref: `Pod/${l.pod}`,
        t: l.t,
        data: { daysLeft: l.c.daysLeft, notAfter: l.c.notAfter, verified: l.c.verified },
      });
      if (warning && delay(warning.t) <= withinMs)
        return {
          pass: true,
          summary: `${warning.pod} reported ${warning.c.daysLeft} day(s) left (< ${options.warnDays}) ${delay(warning.t)}ms after the certificate was in service`,
          evidence: [evidenceOf(warning)],
        };
      const lowest = after.reduce<(typeof lines)[number] | undefined>(
        (m, l) => (m === undefined || l.c.daysLeft < m.c.daysLeft ? l : m),
        undefined,
      );
      return {
        pass: false,
        summary: warning
          ? `the first warning came ${delay(warning.t)}ms after the certificate was in service (bound ${withinMs}ms)`
          : ofSwapped.some((l) => l.c.daysLeft < 0)
            ? 'the monitor saw the certificate only once it had expired'
            : `${after.length} report(s) after the swap, none below ${options.warnDays} days left for the swapped certificate`,
        evidence: (warning ? [warning] : lowest ? [lowest] : []).map(evidenceOf),
      };
    },
  };
}

/** The issue's name for the days-left threshold check: the same assertion. */
export const certDaysLeft = certExpiryDetected;

export interface CertChainValidOptions {
  /** The monitor's pods: the selector its `agentLogs` observer follows. */
  selector: string;
}

/** Every handshake the monitor made while the fault was in place presented a chain that verified. */
export function certChainValid(options: CertChainValidOptions): Assertion {
  return {
    name: 'cert-chain-valid',
    description: `every certificate ${options.selector} saw during the fault verified against its trusted CAs`,
    evaluate(input: AssertionInput) {
      const all = agentLinesIn(input.timeline, {
        mode: 'tlsprobe',
        selector: options.selector,
        steps: FAULT_WINDOW,
      });
      const certs = all.filter((l) => l.line.event === 'certificate');
      const failed = all.filter(
        (l) => l.line.event === 'attempt' && (l.line as unknown as FailedAttempt).outcome === 'tls-error',
      );
      const unverified = certs.filter((l) => !(l.line as unknown as CertificateEvent).verified);
      if (certs.length === 0 && failed.length === 0)
        return {
          pass: false,
          summary: `no handshake reported by ${options.selector} during the fault: the chain was not checked`,
          evidence: [],
        };
      if (unverified.length === 0 && failed.length === 0)
        return {
          pass: true,
          summary: `${certs.length} handshake(s), every chain verified`,
          evidence: [],
        };
      return {
        pass: false,
        summary: `${unverified.length + failed.length}/${certs.length + failed.length} handshake(s) did not verify`,
        evidence: [...unverified, ...failed].slice(0, 5).map((l) => {
          const line = l.line as unknown as Partial<CertificateEvent> & Partial<Omit<FailedAttempt, 'event'>>;
          return {
            what: `${l.pod}: ${line.verifyError ?? line.tlsError ?? line.error ?? 'not verified'}${line.subject ? ` for ${line.subject} (issuer ${line.issuer})` : ''}`,
            ref: `Pod/${l.pod}`,
            t: l.t,
          };
        }),
      };
    },
  };
}
