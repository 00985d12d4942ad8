/**
 * Container crash: the app process dies while its pod stays (a poison request, an uncaught
 * exception), so the kubelet restarts the container in place per the pod's restartPolicy, and the
 * pod's readiness is all that keeps traffic off the restarting container. Unlike a pod kill,
 * nothing is deleted: the endpoint stays, marked not ready only if a readiness probe says so.
 *
 * Through the API only: for each victim a one-shot agent `httpprobe` pod in the run namespace sends
 * one request to the victim's pod IP on the agent `serve` crash path (`serve --crash-path`), and the
 * app exits with code 1. The victims must run agent `serve` with that flag. The probe pods are
 * journalled; revert deletes them.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { Evidence, Fault } from '../harness/scenario.ts';
import { agentContainer } from '../workloads/agent.ts';
import { agentImagePreflight } from './preflight.ts';
import { shellWord } from './kubectl.ts';

export interface ContainerCrashOptions {
  /** Label selector of the victims, e.g. `app=web`. */
  selector: string;
  /** How many pods to crash (default 1). */
  count?: number;
  /** The victims' `serve --crash-path` (default `/crash`). */
  path?: string;
  /** The container port serving it, by name or number (default `http`). */
  port?: string | number;
}

interface Victim {
  pod: string;
  container: string;
  restartsBefore: number;
}

export function containerCrash(options: ContainerCrashOptions): Fault {
  const count = options.count ?? 1;
  const path = options.path ?? '/crash';
  const port = options.port ?? 'http';
  const victims: Victim[] = [];
  let injectedAt = 0;
  return {
    name: 'container-crash',
    kubectl: (ctx) => ({
      inject: [
        `kubectl get pods -n ${ctx.namespace} -l ${shellWord(options.selector)} -o name | head -n ${count} | sed 's#^pod/##' | xargs -I{} kubectl get --raw "/api/v1/namespaces/${ctx.namespace}/pods/{}:${port}/proxy${path}"`,
      ],
      revert: ['# nothing to undo: the kubelet restarts the container in place'],
    }),
    describe: () =>
      `crash the serving container of ${count} pod(s) matching ${options.selector} with a request to ${path} (the pod stays; the kubelet restarts the container)`,
    preflight: agentImagePreflight,
    async inject(ctx) {
      victims.length = 0;
      injectedAt = ctx.clock.now();
      const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
        namespace: ctx.namespace,
        labelSelector: options.selector,
      });
      const candidates = pods
        .filter((p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp)
        .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
        .slice(0, count);
      for (const [i, p] of candidates.entries()) {
        const target = resolvePort(p, port);
        if (!target) {
          ctx.record('crash-skipped', { pod: p.metadata?.name, reason: `no container port ${String(port)}` });
          continue;
        }
        const name = p.metadata?.name ?? '';
        const url = `http://${p.status!.podIP!}:${target.port}${path}`;
        victims.push({
          pod: name,
          container: target.container,
          restartsBefore: restarts(p, target.container),
        });
        await ctx.kube.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `container-crash-${i}`,
            namespace: ctx.namespace,
            labels: { app: 'container-crash' },
          },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              agentContainer(ctx, {
                // The crash request's answer may never come (the process is gone): whatever
                // happens to it is not a failure of this pod.
                args: [
                  'httpprobe',
                  '--url',
                  url,
                  '--count',
                  '1',
                  '--timeout',
                  '5s',
                  '--max-failure-ratio',
                  '1',
                ],
                // The agent is a Node process: about 48 MiB before it does anything.
                resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              }),
            ],
          },
        } as V1Pod);
        ctx.record('crash-requested', { pod: name, container: target.container, url });
      }
    },
    async observe(ctx) {
      if (victims.length === 0) {
        return {
          observed: false,
          summary: `no running pod matching ${options.selector} serves port ${String(port)}`,
          evidence: [],
        };
      }
      const evidence: Evidence[] = [];
      let crashed = 0;
      for (const v of victims) {
        const p = await ctx.kube.read<V1Pod>({
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: ctx.namespace,
          name: v.pod,
        });
        const status = p?.status?.containerStatuses?.find((c) => c.name === v.container);
        const last = status?.lastState?.terminated;
        const exited =
          status !== undefined &&
          ((status.restartCount ?? 0) > v.restartsBefore ||
            (last?.finishedAt !== undefined && new Date(last.finishedAt).getTime() >= injectedAt - 1000));
        if (exited) crashed++;
        evidence.push({
          what: !p
            ? 'pod gone (deleted, not crashed)'
            : exited
              ? `container ${v.container} exited${last ? ` with code ${last.exitCode} (${last.reason ?? 'no reason'})` : ''}; restartCount ${v.restartsBefore} → ${status?.restartCount ?? 0}`
              : `container ${v.container} did not exit (restartCount ${status?.restartCount ?? 0})`,
          ref: `Pod/${v.pod}`,
          data: last
            ? { exitCode: last.exitCode, reason: last.reason, finishedAt: last.finishedAt }
            : undefined,
        });
      }
      return {
        observed: crashed === victims.length,
        summary: `${crashed}/${victims.length} container(s) crashed and restarted in place`,
        evidence,
      };
    },
  };
}

/** The container serving `port` (a name or number) and its port number. */
function resolvePort(p: V1Pod, port: string | number): { container: string; port: number } | undefined {
  for (const c of p.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === port || cp.containerPort === port) return { container: c.name, port: cp.containerPort };
    }
  }
  if (typeof port === 'number' && p.spec?.containers[0])
    return { container: p.spec.containers[0].name, port };
  return undefined;
}

function restarts(p: V1Pod, container: string): number {
  const s: V1ContainerStatus | undefined = p.status?.containerStatuses?.find((c) => c.name === container);
  return s?.restartCount ?? 0;
}
