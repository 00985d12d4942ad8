/**
 * Probe assertions: liveness probes must not turn load into a restart cascade, and readiness must
 * keep traffic away from an app that says it is not ready. Pure over the timeline: the
 * pod-readiness observer's samples (restart counts) and the agent-logs observer's `serve` lines.
 */
import type { ServeEvent } from '../agent/modes/serve.ts';
import type { Assertion, AssertionInput, Evidence } from '../harness/scenario.ts';
import { agentLinesIn } from '../observers/agent-logs.ts';
import { type ReadinessSample, restartsOf } from '../observers/pod-readiness.ts';
import { FAULT_WINDOW } from './window.ts';

const MINUTE_MS = 60_000;
/** The fault window and the settle after it: restarts the fault causes may land once it is reverted. */
const RESTART_WINDOW: ReadonlySet<string> = new Set([...FAULT_WINDOW, 'settle']);

export interface NoRestartCascadeOptions {
  /** Label selector of the app's pods (the pod-readiness observer's selector). */
  selector: string;
  /** Most container restarts allowed in any minute of cluster time, over all matching pods. */
  maxRestartsPerMinute: number;
}

interface Restart {
  t: number;
  pod: string;
  /** Restarts seen at this sample (several if they happened between two samples). */
  count: number;
  total: number;
}

/**
 * Container restarts of the matching pods while the fault is in place and during settle, from the
 * pod-readiness samples' restart counts: the highest number in any 60 s of cluster time must stay
 * within the bound. A pod first seen during the window counts from 0 (it is a new pod).
 */
export function noRestartCascade(options: NoRestartCascadeOptions): Assertion {
  const max = options.maxRestartsPerMinute;
  return {
    name: 'no-restart-cascade',
    description: `at most ${max} container restart(s) per minute over the pods matching ${options.selector}, while the fault is in place and during settle`,
    thresholds: { maxRestartsPerMinute: max },
    evaluate(input: AssertionInput) {
      const samples = input.timeline
        .map((e) => ({ e, d: e.detail as Partial<ReadinessSample> | undefined }))
        .filter(
          ({ e, d }) =>
            e.event === 'sample' &&
            d?.observer === 'pod-readiness' &&
            d.selector === options.selector &&
            d.restarts !== undefined,
        );
      const inWindow = samples.filter(({ e }) => RESTART_WINDOW.has(e.step));
      if (inWindow.length === 0) {
        return {
          pass: false,
          summary: `no restart counts sampled for ${options.selector} during the fault window and settle (is the pod-readiness observer configured?)`,
          evidence: [],
        };
      }
      const known = new Map<string, number>();
      const firstInWindow = samples.indexOf(inWindow[0]!);
      for (const { d } of samples.slice(0, firstInWindow)) {
        for (const [pod, n] of Object.entries(d!.restarts!)) known.set(pod, n);
      }
      const restarts: Restart[] = [];
      const note = (t: number, pod: string, now: number) => {
        const before = known.get(pod) ?? 0;
        if (now > before) restarts.push({ t, pod, count: now - before, total: now });
        known.set(pod, Math.max(before, now));
      };
      for (const { e, d } of inWindow) {
        for (const [pod, n] of Object.entries(d!.restarts!)) note(e.t, pod, n);
      }
      // Restarts after the last sample still show in the pods collected after settle (only pods
      // the samples know: they are the selector's).
      const lastT = inWindow.at(-1)!.e.t;
      for (const p of input.state.pods) {
        if (!known.has(p.metadata?.name ?? '')) continue;
        note(lastT, p.metadata?.name ?? '', restartsOf(p));
      }
      const total = restarts.reduce((n, r) => n + r.count, 0);
      let worst = 0;
      let worstAt = 0;
      for (const r of restarts) {
        const n = restarts
          .filter((x) => x.t <= r.t && x.t > r.t - MINUTE_MS)
          .reduce((s, x) => s + x.count, 0);
        if (n > worst) {
          worst = n;
          worstAt = r.t;
        }
      }
      const spanS = Math.max(0, (lastT - inWindow[0]!.e.t) / 1000);
      const perPod = new Map<string, number>();
      for (const r of restarts) perPod.set(r.pod, Math.max(perPod.get(r.pod) ?? 0, r.total));
      const evidence: Evidence[] = [...perPod].map(([pod, n]) => ({
        what: `restartCount ${n}`,
        ref: `Pod/${pod}`,
        t: restarts.filter((r) => r.pod === pod).at(-1)?.t,
        data: { restartsAt: restarts.filter((r) => r.pod === pod).map((r) => r.t) },
      }));
      const summary = `${total} restart(s) over ${perPod.size} pod(s) in ${spanS.toFixed(0)}s of fault and settle; at most ${worst} in any minute (bound ${max})`;
      if (worst <= max) return { pass: true, summary, evidence };
      return {
        pass: false,
        summary: `restart cascade: ${worst} restarts in the minute up to t=${(worstAt / 1000).toFixed(1)}s > ${max} (${summary})`,
        evidence,
      };
    },
  };
}

export interface ReadinessGatingOptions {
  /** Label selector of the agent `serve` pods (the agent-logs observer's selector; `--log-requests` on). */
  selector: string;
  /** Fewest served requests (probes excluded) the verdict needs to mean anything. Default 10. */
  minRequests?: number;
}

const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/**
 * No traffic to unready pods: every request the `serve` pods logged (health checks excluded)
 * arrived while the app reported itself ready. A request during warm-up means the Service routed
 * to the pod before its readiness said so (no readiness probe, or one that does not check what the
 * app needs). Requests after SIGTERM are the graceful drain, not a gating failure.
 */
export function readinessGating(options: ReadinessGatingOptions): Assertion {
  const minRequests = options.minRequests ?? 10;
  return {
    name: 'readiness-gating',
    description: `no request reaches a pod matching ${options.selector} before the app reports itself ready`,
    thresholds: { minRequests },
    evaluate(input: AssertionInput) {
      const lines = agentLinesIn(input.timeline, {
        mode: 'serve',
        selector: options.selector,
        event: 'request',
      })
        .flatMap((x) => (isRequest(x.line) ? [{ ...x, req: x.line }] : []))
        .filter(({ req }) => !PROBE_PATHS.has(req.path.split('?')[0] ?? ''));
      if (lines.length < minRequests) {
        return {
          pass: false,
          summary: `only ${lines.length} served request(s) logged by ${options.selector} (need ${minRequests}; is the agent-logs observer configured and serve run with --log-requests?)`,
          evidence: [],
        };
      }
      const unready = lines.filter(({ req }) => req.ready === false && req.terminating !== true);
      const pods = new Map<string, number>();
      for (const u of unready) pods.set(u.pod, (pods.get(u.pod) ?? 0) + 1);
      const summary = `${lines.length} request(s) served by ${new Set(lines.map((l) => l.pod)).size} pod(s), ${unready.length} while the app was not ready`;
      if (unready.length === 0) return { pass: true, summary, evidence: [] };
      return {
        pass: false,
        summary: `traffic reached unready pods: ${summary}`,
        evidence: [...pods].map(([pod, n]) => {
          const first = unready.find((u) => u.pod === pod)!;
          return {
            what: `${n} request(s) served while /readyz said not ready (first: ${first.req.method} ${first.req.path} → ${first.req.status} at ${first.line.ts})`,
            ref: `Pod/${pod}`,
            t: first.t,
          };
        }),
      };
    },
  };
}

type ServedRequest = Extract<ServeEvent, { event: 'request' }>;

function isRequest(line: { event: string }): line is ServedRequest {
  return line.event === 'request';
}
