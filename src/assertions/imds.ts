/**
 * IMDS: pods that are not allowed the node's cloud credentials cannot reach the metadata service
 * on any path and get no credential bytes; allowed pods still get them. Pure over the `imdsprobe`
 * lines the `agentLogs` observer recorded for the given selector (the probes' own attempt lines,
 * one per path tried).
 */
import type { ImdsAttemptEvent, ImdsResultEvent } from '../agent/modes/imdsprobe.ts';
import type { Assertion, AssertionInput, AssertionResult, Evidence } from '../harness/scenario.ts';
import { agentLinesIn } from '../observers/agent-logs.ts';

export interface ImdsSelectorOptions {
  /** The probe pods: the selector their `agentLogs` observer follows. */
  selector: string;
}

interface PodView {
  attempts: { t: number; a: ImdsAttemptEvent }[];
  results: ImdsResultEvent[];
}

function byPod(input: AssertionInput, selector: string): Map<string, PodView> {
  const pods = new Map<string, PodView>();
  for (const l of agentLinesIn(input.timeline, { mode: 'imdsprobe', selector })) {
    const view = pods.get(l.pod) ?? { attempts: [], results: [] };
    pods.set(l.pod, view);
    if (l.line.event === 'attempt') view.attempts.push({ t: l.t, a: l.line as unknown as ImdsAttemptEvent });
    else if (l.line.event === 'result') view.results.push(l.line as unknown as ImdsResultEvent);
  }
  return pods;
}

const credentialBytes = (v: PodView) =>
  Math.max(
    v.attempts.reduce((n, x) => n + (x.a.credentialBytes ?? 0), 0),
    v.results.reduce((n, r) => n + r.credentialBytes, 0),
  );

/** The pods that attempted IMDS at all: without one, neither blocked nor reachable is shown. */
function probedPods(input: AssertionInput, selector: string): [string, PodView][] {
  return [...byPod(input, selector)].filter(([, v]) => v.attempts.length > 0);
}

function noAttempt(selector: string, claim: string): AssertionResult {
  return {
    pass: false,
    summary: `no IMDS attempt recorded for ${selector}: nothing shows it is ${claim}`,
    evidence: [],
  };
}

const pathOf = (a: ImdsAttemptEvent) => `${a.method} ${a.path}`;

/** Every IMDS attempt from the selected pods was blocked or timed out, and no credential byte came back. */
export function imdsBlocked(options: ImdsSelectorOptions): Assertion {
  return {
    name: 'imds-blocked',
    description: `pods matching ${options.selector} get no answer from the metadata service on any path and no credential bytes`,
    thresholds: { credentialBytes: 0 },
    evaluate(input) {
      const tried = probedPods(input, options.selector);
      if (tried.length === 0) return noAttempt(options.selector, 'blocked');
      const evidence: Evidence[] = [];
      let leaks = 0;
      for (const [pod, v] of tried) {
        const answered = v.attempts.filter((x) => x.a.outcome === 'reachable' || x.a.outcome === 'error');
        const bytes = credentialBytes(v);
        if (answered.length === 0 && bytes === 0) continue;
        leaks++;
        evidence.push({
          what: `${pod}: ${answered.length}/${v.attempts.length} attempt(s) not blocked (${[
            ...new Set(answered.map((x) => `${pathOf(x.a)} → ${x.a.status ?? x.a.error ?? x.a.outcome}`)),
          ].join('; ')}), ${bytes} credential byte(s)`,
          ref: `Pod/${pod}`,
          t: answered[0]?.t,
          data: { credentialBytes: bytes, paths: [...new Set(answered.map((x) => pathOf(x.a)))] },
        });
      }
      const total = tried.reduce((n, [, v]) => n + v.attempts.length, 0);
      if (leaks === 0)
        return {
          pass: true,
          summary: `${tried.length} pod(s), ${total} attempt(s): every IMDS path blocked or timed out, 0 credential bytes`,
          evidence: tried.map(([pod, v]) => ({
            what: `${pod}: ${v.attempts.length} attempt(s) on ${new Set(v.attempts.map((x) => pathOf(x.a))).size} path(s), outcomes ${[...new Set(v.attempts.map((x) => x.a.outcome))].join('/')}`,
            ref: `Pod/${pod}`,
          })),
        };
      return {
        pass: false,
        summary: `${leaks}/${tried.length} pod(s) reached the metadata service`,
        evidence,
      };
    },
  };
}

/** Every selected pod that probed got an answer and (by default) credentials back. */
export function imdsReachable(options: ImdsSelectorOptions & { credentials?: boolean }): Assertion {
  const needCredentials = options.credentials ?? true;
  return {
    name: 'imds-reachable',
    description: `pods matching ${options.selector} still reach the metadata service${needCredentials ? ' and get credentials' : ''}`,
    evaluate(input) {
      const tried = probedPods(input, options.selector);
      if (tried.length === 0) return noAttempt(options.selector, 'reachable');
      const evidence: Evidence[] = [];
      const cut: string[] = [];
      for (const [pod, v] of tried) {
        const reached = v.attempts.filter((x) => x.a.outcome === 'reachable');
        const bytes = credentialBytes(v);
        const ok = reached.length > 0 && (!needCredentials || bytes > 0);
        if (!ok) cut.push(pod);
        const notReached = v.attempts.filter((x) => x.a.outcome !== 'reachable');
        evidence.push({
          what: `${pod}: ${reached.length}/${v.attempts.length} attempt(s) answered, ${bytes} credential byte(s)${
            notReached.length > 0
              ? `; not answered: ${[...new Set(notReached.map((x) => `${pathOf(x.a)} (${x.a.outcome})`))].join(', ')}`
              : ''
          }`,
          ref: `Pod/${pod}`,
          data: { credentialBytes: bytes },
        });
      }
      return cut.length === 0
        ? { pass: true, summary: `${tried.length} pod(s) reached the metadata service`, evidence }
        : {
            pass: false,
            summary: `${cut.length}/${tried.length} pod(s) could not ${needCredentials ? 'get credentials from' : 'reach'} the metadata service: ${cut.join(', ')}`,
            evidence: evidence.filter((e) => cut.some((p) => e.ref === `Pod/${p}`)),
          };
    },
  };
}
