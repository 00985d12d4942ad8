/**
 * The in-cluster k6 Job on the sim: created through the run's journalled client (run-labelled,
 * script in a ConfigMap, grafana/k6 image), and — since the sim runs only the scars agent image
 * and gives every other image an idle process — ending in an error, never a result: the Job fails
 * with DeadlineExceeded as a real cluster fails a Job whose pod never finishes, and a pod that
 * exits without a summary is an error too. What a real pod log looks like is parsed here too.
 */
import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../src/harness/journalled-kube.ts';
import {
  cannotStart,
  K6_IMAGE_TAG,
  K6_SUMMARY_MARKER,
  K6JobError,
  runK6Job,
  summaryFromLog,
} from '../../src/observers/load/k6/index.ts';
import { type FaultSim, startFaultSim } from '../support/fault-harness.ts';

let sim: FaultSim;
beforeAll(async () => {
  sim = await startFaultSim('k6-job');
});
afterAll(async () => {
  await sim?.dispose();
});

describe('runK6Job on the sim', () => {
  it('creates a run-labelled Job and ConfigMap, and ends in DeadlineExceeded: the sim cannot run grafana/k6', async () => {
    const { ctx, records, revert } = await sim.context('k6-job-deadline');
    const job = runK6Job(ctx, {
      name: 'load',
      url: 'http://web.k6-job-deadline.svc:80/',
      rate: 20,
      durationMs: 1000,
      timeoutMs: 1000,
      graceMs: 5000,
      pollMs: 500,
    });
    const err = await job.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K6JobError);
    expect((err as K6JobError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(
      /^k6 Job load -n k6-job-deadline failed: DeadlineExceeded: Job was active longer than specified deadline \(pod load-\w+ Running; no k6 summary\)$/,
    );

    const created = await sim.api.read<V1Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: ctx.namespace,
      name: 'load',
    });
    expect(created?.metadata?.labels?.[RUN_LABEL]).toBe(ctx.runId);
    const spec = created!.spec!;
    expect(spec.backoffLimit).toBe(0);
    expect(spec.activeDeadlineSeconds).toBe(7);
    expect(spec.template.metadata?.labels?.[RUN_LABEL]).toBe(ctx.runId);
    const container = spec.template.spec!.containers[0]!;
    expect(container.image).toBe(`grafana/k6:${K6_IMAGE_TAG}`);
    expect(container.args).toEqual(['run', '--quiet', '--no-color', '--no-usage-report', '/scripts/load.js']);
    const cm = await sim.api.read<V1ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ctx.namespace,
      name: 'load-script',
    });
    expect(cm?.data?.['load.js']).toContain('"executor": "constant-arrival-rate"');
    expect(cm?.data?.['load.js']).toContain('"url": "http://web.k6-job-deadline.svc:80/"');
    expect(cm?.data?.['load.js']).toContain('const SUMMARY_TO_STDOUT = true;');
    expect(records.map((r) => r.event)).toEqual(['k6-job']);

    await revert();
    expect(
      await sim.api.read({ apiVersion: 'batch/v1', kind: 'Job', namespace: ctx.namespace, name: 'load' }),
    ).toBeUndefined();
  });

  it('a pod that ends without a summary in its log is an error, not a result', async () => {
    const { ctx, revert } = await sim.context('k6-job-nosummary');
    const err = await runK6Job(ctx, {
      name: 'load',
      url: 'http://web.k6-job-nosummary.svc:80/',
      rate: 5,
      durationMs: 1000,
      timeoutMs: 1000,
      graceMs: 60_000,
      pollMs: 500,
      // The sim's idle process exits 0 after 3 s: a k6 that printed nothing.
      podAnnotations: { 'sim.scars.dev/exit-after': '3s' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K6JobError);
    expect((err as Error).message).toMatch(
      /^k6 Job load -n k6-job-nosummary: pod load-\w+ ended \(exit 0\) without a k6 summary in its log: scars-sim: idle process for container k6 \(grafana\/k6:[\d.]+\) started.*exiting with code 0$/,
    );
    await revert();
  });
});

describe('reading a real k6 pod', () => {
  it('finds the summary after the marker, among other log lines', () => {
    const log = [
      'time="2026-01-01T00:00:00Z" level=warning msg="something k6 says on stderr"',
      K6_SUMMARY_MARKER,
      '{"metrics":{"http_reqs":{"type":"counter","contains":"default","values":{"count":3,"rate":1}}}}',
      '',
    ].join('\n');
    expect(JSON.parse(summaryFromLog(log)!)).toMatchObject({
      metrics: { http_reqs: { values: { count: 3 } } },
    });
    expect(summaryFromLog('no marker here\n{"metrics":{}}')).toBeUndefined();
  });

  it('an image that cannot be pulled ends the wait at once, naming the reason', () => {
    const pod: V1Pod = {
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'k6',
            image: 'grafana/k6:0.0.0-nope',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              waiting: {
                reason: 'ErrImagePull',
                message: 'rpc error: manifest for grafana/k6:0.0.0-nope not found',
              },
            },
          },
        ],
      },
    };
    expect(cannotStart(pod)).toBe(
      'ErrImagePull: rpc error: manifest for grafana/k6:0.0.0-nope not found (image grafana/k6:0.0.0-nope)',
    );
    expect(cannotStart({ status: { phase: 'Running' } })).toBeUndefined();
  });
});
