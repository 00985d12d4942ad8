/**
 * k6 inside the cluster network: a batch/v1 Job running `grafana/k6:<tag>` with the generated
 * script from a ConfigMap, for targets only reachable in-cluster (a ClusterIP Service by its DNS
 * name, a pod IP). Both objects are created through the run's journalled client (run-labelled,
 * undone by the arm's cleanup and by `scars cleanup`); the pod template carries the run label
 * too, so label sweeps catch the pod. The summary comes back in the pod log: handleSummary prints
 * K6_SUMMARY_MARKER and the JSON summary on stdout.
 *
 * It ends in an error, never a made-up result, when the pod cannot start (image pull failures and
 * the like), when the Job fails (backoffLimit 0; activeDeadlineSeconds = duration + request
 * timeout + grace), or when the pod ends without a summary in its log. On the sim, which runs only
 * the scars agent image (docs/sim-fidelity.md), the k6 container is an idle process: the Job runs
 * until its deadline and fails with DeadlineExceeded, as a real cluster fails a Job whose pod
 * never finishes.
 *
 * For load beyond one pod, the k6-operator's TestRun (docs/load.md) is the route, not this Job.
 */
import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node';
import { ExitCode, ScarsError } from '../../../errors.ts';
import { RUN_LABEL } from '../../../harness/journalled-kube.ts';
import type { RunContext } from '../../../harness/scenario.ts';
import type { LoadResult } from '../summary.ts';
import { K6_THRESHOLDS_FAILED } from './run.ts';
import { K6_SUMMARY_MARKER, k6Script } from './script.ts';
import { parseK6Summary } from './summary.ts';

/** grafana/k6 image tag used unless one is given (a 1.x release; any 0.5x–2.x reads the script). */
export const K6_IMAGE_TAG = '1.7.1';

/** Container waiting reasons after which the pod will not start without someone changing it. */
const CANNOT_START = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export class K6JobError extends ScarsError {
  constructor(message: string) {
    super(message, ExitCode.clusterFailure);
  }
}

export interface K6JobOptions {
  /** Name of the Job (its ConfigMap is `<name>-script`); a DNS label. */
  name: string;
  /** The target as seen from inside the cluster, e.g. http://web.<namespace>.svc:80/. */
  url: string;
  /** Requests started per second. */
  rate: number;
  durationMs: number;
  /** Per-request timeout, default 60 s (k6's). */
  timeoutMs?: number;
  /** Requests in flight at most (VUs); default the rate, at least 1, at most 1000. */
  maxInFlight?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  insecureSkipTLSVerify?: boolean;
  /** grafana/k6 tag, default K6_IMAGE_TAG. */
  imageTag?: string;
  /** Pod annotations (e.g. `sidecar.istio.io/inject: "false"`, so a mesh sidecar does not keep the Job alive). */
  podAnnotations?: Record<string, string>;
  /** Time for the pod to be scheduled, pull and start, beyond duration + request timeout. Default 60 s. */
  graceMs?: number;
  /** How often the pod is looked at (cluster ms). Default 1000. */
  pollMs?: number;
}

/** A pod's summary from its log, or why there is none. */
export function summaryFromLog(log: string): string | undefined {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => l.trim() === K6_SUMMARY_MARKER);
  if (at < 0) return undefined;
  return lines.slice(at + 1).find((l) => l.trim().startsWith('{'));
}

/** Why the pod cannot start, if a container is stuck in a state that will not fix itself. */
export function cannotStart(pod: V1Pod): string | undefined {
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && CANNOT_START.has(waiting.reason)) {
      return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (image ${s.image})`;
    }
  }
  return undefined;
}

export function k6JobObjects(ctx: RunContext, options: K6JobOptions): { configMap: V1ConfigMap; job: V1Job } {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxInFlight = options.maxInFlight ?? Math.min(1000, Math.max(1, Math.ceil(options.rate)));
  const script = k6Script({
    url: options.url,
    rate: options.rate,
    durationMs: options.durationMs,
    timeoutMs,
    maxInFlight,
    ...(options.method ? { method: options.method } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    summaryToStdout: true,
    comment: `scars run ${ctx.runId}, in-cluster Job ${options.name}`,
  });
  const labels = { 'app.kubernetes.io/name': 'scars-k6', 'scars.dev/k6-job': options.name };
  const deadlineS = Math.ceil((options.durationMs + timeoutMs + (options.graceMs ?? 60_000)) / 1000);
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${options.name}-script`, namespace: ctx.namespace, labels },
    data: { 'load.js': script },
  };
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: options.name, namespace: ctx.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: deadlineS,
      template: {
        metadata: {
          labels: { ...labels, [RUN_LABEL]: ctx.runId },
          ...(options.podAnnotations ? { annotations: options.podAnnotations } : {}),
        },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'k6',
              image: `grafana/k6:${options.imageTag ?? K6_IMAGE_TAG}`,
              args: ['run', '--quiet', '--no-color', '--no-usage-report', '/scripts/load.js'],
              env: [{ name: 'K6_NO_USAGE_REPORT', value: 'true' }],
              resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              volumeMounts: [{ name: 'script', mountPath: '/scripts', readOnly: true }],
            },
          ],
          volumes: [{ name: 'script', configMap: { name: `${options.name}-script` } }],
        },
      },
    },
  };
  return { configMap, job };
}

/** Creates the Job, waits for it (bounded), and returns k6's summary from the pod log. */
export async function runK6Job(ctx: RunContext, options: K6JobOptions): Promise<LoadResult> {
  const { configMap, job } = k6JobObjects(ctx, options);
  const where = `k6 Job ${options.name} -n ${ctx.namespace}`;
  await ctx.kube.create(configMap);
  await ctx.kube.create(job);
  ctx.record('k6-job', {
    job: options.name,
    image: job.spec!.template.spec!.containers[0]!.image,
    url: options.url,
  });

  const pollMs = options.pollMs ?? 1000;
  // A little past the Job's own deadline, so the Job's verdict (DeadlineExceeded) is what we report.
  const deadline = ctx.clock.now() + (job.spec!.activeDeadlineSeconds! + 30) * 1000;
  let last = 'no pod yet';
  for (;;) {
    const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
      namespace: ctx.namespace,
      labelSelector: `scars.dev/k6-job=${options.name}`,
    });
    for (const pod of pods) {
      const podName = pod.metadata?.name ?? '?';
      const stuck = cannotStart(pod);
      if (stuck) throw new K6JobError(`${where}: pod ${podName} cannot start: ${stuck}`);
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return fromPod(ctx, options, pod, where);
      last = `pod ${podName} ${phase ?? 'Pending'}`;
    }
    const live = await ctx.kube.read<V1Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: ctx.namespace,
      name: options.name,
    });
    const failed = live?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed) {
      const why = [failed.reason ?? 'Failed', failed.message].filter(Boolean).join(': ');
      throw new K6JobError(`${where} failed: ${why} (${last}; no k6 summary)`);
    }
    if (ctx.clock.now() > deadline) throw new K6JobError(`${where} did not finish in time (${last})`);
    await ctx.clock.sleep(pollMs, ctx.signal);
  }
}

async function fromPod(
  ctx: RunContext,
  options: K6JobOptions,
  pod: V1Pod,
  where: string,
): Promise<LoadResult> {
  const podName = pod.metadata?.name ?? '?';
  const terminated = pod.status?.containerStatuses?.find((s) => s.name === 'k6')?.state?.terminated;
  const exitCode = terminated?.exitCode ?? (pod.status?.phase === 'Succeeded' ? 0 : -1);
  const log = await ctx.kube.logs(ctx.namespace, podName, { container: 'k6' });
  const tail = log.trim().split('\n').slice(-3).join(' | ');
  if (exitCode !== 0 && exitCode !== K6_THRESHOLDS_FAILED) {
    throw new K6JobError(
      `${where}: k6 exited with code ${exitCode} in pod ${podName}${tail ? `: ${tail}` : ''}`,
    );
  }
  const summary = summaryFromLog(log);
  if (!summary) {
    throw new K6JobError(
      `${where}: pod ${podName} ended (exit ${exitCode}) without a k6 summary in its log${tail ? `: ${tail}` : ' (empty log)'}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  return parseK6Summary(
    summary,
    {
      url: options.url,
      method: (options.method ?? 'GET').toUpperCase(),
      rate: options.rate,
      durationMs: options.durationMs,
      maxInFlight: options.maxInFlight ?? Math.min(1000, Math.max(1, Math.ceil(options.rate))),
      timeoutMs,
      stoppedBy: 'duration',
      k6: {
        command: `pod ${podName}: k6 run /scripts/load.js`,
        exitCode,
        thresholdsFailed: exitCode === K6_THRESHOLDS_FAILED,
      },
    },
    `${where} pod ${podName} log`,
  );
}
