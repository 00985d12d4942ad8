/**
 * The IMDS assertions over synthetic timelines: imdsprobe `attempt` and `result` lines as the
 * agentLogs observer records them, from the selected pods and from others.
 */
import { describe, expect, it } from 'vitest';
import type { ImdsAttemptEvent, ImdsResultEvent } from '../../../src/agent/modes/imdsprobe.ts';
import { imdsBlocked, imdsReachable } from '../../../src/assertions/imds.ts';
import type { AssertionInput } from '../../../src/harness/scenario.ts';
import type { TimelineEvent } from '../../../src/harness/timeline.ts';

const UNTRUSTED = 'scars.dev/imds-probe=untrusted';
const TRUSTED = 'scars.dev/imds-probe=trusted';
const at = '2026-11-23T18:00:00.000Z';
let t = 0;

function line(pod: string, selector: string, body: ImdsAttemptEvent | ImdsResultEvent): TimelineEvent {
  t += 100;
  return {
    t,
    at,
    step: 'hold',
    event: 'agent-line',
    detail: { observer: 'agent-logs', selector, pod, line: { ts: at, mode: 'imdsprobe', ...body } },
  };
}

const attempt = (over: Partial<ImdsAttemptEvent>): ImdsAttemptEvent => ({
  event: 'attempt',
  round: 1,
  provider: 'aws',
  imdsVersion: 'v1',
  method: 'GET',
  path: '/latest/meta-data/iam/security-credentials/',
  outcome: 'timeout',
  latencyMs: 1000,
  error: 'ETIMEDOUT',
  ...over,
});

const result = (credentialBytes: number): ImdsResultEvent => ({
  event: 'result',
  round: 1,
  outcome: credentialBytes > 0 ? 'reachable' : 'timeout',
  credentialsReturned: credentialBytes > 0,
  credentialBytes,
  roleFound: credentialBytes > 0,
  attempts: 3,
  atMs: 3000,
});

const input = (timeline: TimelineEvent[]): AssertionInput => ({
  timeline,
  state: { namespace: 'ns', pods: [], events: [], objects: [] },
  faults: [],
});

const leaked = [
  line('imds-untrusted', UNTRUSTED, attempt({ method: 'PUT', path: '/latest/api/token', imdsVersion: 'v2' })),
  line('imds-untrusted-newborn', UNTRUSTED, attempt({})),
  line(
    'imds-untrusted-newborn',
    UNTRUSTED,
    attempt({
      path: '/latest/meta-data/iam/security-credentials/{role}',
      outcome: 'reachable',
      status: 200,
      credentialBytes: 1234,
      error: undefined,
    }),
  ),
  line('imds-untrusted-newborn', UNTRUSTED, result(1234)),
];

describe('imdsBlocked', () => {
  const blocked = imdsBlocked({ selector: UNTRUSTED });

  it('passes when every attempt timed out or was refused and no credential byte came back', () => {
    const r = blocked.evaluate(
      input([
        line('imds-untrusted', UNTRUSTED, attempt({})),
        line(
          'imds-untrusted',
          UNTRUSTED,
          attempt({
            provider: 'gcp',
            path: '/computeMetadata/v1/instance/service-accounts/default/token',
            outcome: 'blocked',
            error: 'ECONNREFUSED',
          }),
        ),
        line('imds-untrusted', UNTRUSTED, result(0)),
        // Another set's lines do not count.
        line('imds-trusted', TRUSTED, attempt({ outcome: 'reachable', status: 200, credentialBytes: 99 })),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.summary).toBe(
      '1 pod(s), 2 attempt(s): every IMDS path blocked or timed out, 0 credential bytes',
    );
    expect(r.evidence[0]?.ref).toBe('Pod/imds-untrusted');
  });

  it('fails when a pod got an answer and credentials, naming the pod, the path and the bytes', () => {
    const r = blocked.evaluate(input(leaked));
    expect(r.pass).toBe(false);
    expect(r.summary).toBe('1/2 pod(s) reached the metadata service');
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]?.ref).toBe('Pod/imds-untrusted-newborn');
    expect(r.evidence[0]?.what).toContain('GET /latest/meta-data/iam/security-credentials/{role} → 200');
    expect(r.evidence[0]?.what).toContain('1234 credential byte(s)');
  });

  it('fails when no probe line was recorded: nothing shows the block', () => {
    const r = blocked.evaluate(input([line('imds-trusted', TRUSTED, attempt({}))]));
    expect(r.pass).toBe(false);
    expect(r.summary).toMatch(/no IMDS attempt recorded/);
  });
});

describe('imdsReachable', () => {
  const reachable = imdsReachable({ selector: TRUSTED });

  it('passes when every allowed pod got an answer and credentials', () => {
    const r = reachable.evaluate(
      input([
        line('imds-trusted', TRUSTED, attempt({ outcome: 'reachable', status: 200, error: undefined })),
        line(
          'imds-trusted',
          TRUSTED,
          attempt({ outcome: 'reachable', status: 200, credentialBytes: 800, error: undefined }),
        ),
        line('imds-trusted', TRUSTED, result(800)),
      ]),
    );
    expect(r.pass, r.summary).toBe(true);
    expect(r.evidence[0]?.what).toBe('imds-trusted: 2/2 attempt(s) answered, 800 credential byte(s)');
  });

  it('fails for an allowed pod that was cut off, naming the paths that did not answer', () => {
    const r = reachable.evaluate(
      input([
        line(
          'imds-trusted',
          TRUSTED,
          attempt({ outcome: 'reachable', status: 200, credentialBytes: 800, error: undefined }),
        ),
        line('imds-trusted-newborn', TRUSTED, attempt({})),
      ]),
    );
    expect(r.pass).toBe(false);
    expect(r.summary).toContain('imds-trusted-newborn');
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]?.what).toContain(
      'not answered: GET /latest/meta-data/iam/security-credentials/ (timeout)',
    );
  });

  it('fails without lines; with credentials: false an answer without credentials is enough', () => {
    expect(reachable.evaluate(input([])).pass).toBe(false);
    const answered = [
      line('imds-trusted', TRUSTED, attempt({ outcome: 'reachable', status: 404, error: undefined })),
    ];
    expect(reachable.evaluate(input(answered)).pass).toBe(false);
    expect(imdsReachable({ selector: TRUSTED, credentials: false }).evaluate(input(answered)).pass).toBe(
      true,
    );
  });
});
