/**
 * A small RunReport with the timeline events the HTML report charts (steps, load samples, ready
 * pods, evictions), optionally with hostile text in every field a scenario author or a cluster
 * controls.
 */
import type { TimelineEvent } from '../../src/harness/timeline.ts';
import type { ArmReport, RunReport, ScenarioReport } from '../../src/report/model.ts';

export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"></script>`;

function timeline(label: string, readyDuringFault: number): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const at = (t: number) => new Date(Date.UTC(2026, 0, 1) + t).toISOString();
  const add = (t: number, step: string, event: string, detail?: Record<string, unknown>) =>
    events.push({ t, at: at(t), step, event, ...(detail ? { detail } : {}) });
  const steps: [string, number, number][] = [
    ['deploy', 0, 2000],
    ['wait-ready', 2000, 6000],
    ['observe', 6000, 6500],
    ['inject', 6500, 9000],
    ['hold', 9000, 20000],
    ['revert', 20000, 21000],
    ['settle', 21000, 24000],
  ];
  for (const [step, start, end] of steps) {
    add(start, step, 'start');
    if (step === 'inject')
      add(7000, step, 'eviction', { namespace: 'ns', pod: `${label}-1`, outcome: 'evicted', code: 201 });
    if (step === 'inject' || step === 'hold' || step === 'observe') {
      for (let t = start; t < end; t += 500) {
        const inFault = step !== 'observe';
        add(t, step, 'sample', {
          observer: 'pod-readiness',
          selector: 'app=web',
          ready: inFault ? readyDuringFault : 3,
          total: 3,
          restarts: {},
        });
        add(t + 250, step, 'load-sample', {
          observer: 'service-load',
          service: 'web',
          url: 'http://127.0.0.1:30000/',
          requests: 25,
          failed: inFault && readyDuringFault === 0 ? 10 : 0,
          p95: 5 + (t % 7),
          p99: 9 + (t % 11),
          causes: {},
        });
      }
    }
    add(end, step, 'end', { outcome: 'ok' });
  }
  return events;
}

function arm(
  name: string,
  which: 'main' | 'control',
  verdict: ArmReport['verdict'],
  text: string,
): ArmReport {
  const failed = verdict === 'failed';
  return {
    arm: which,
    verdict,
    reason: failed ? `service-availability: error rate 40% > 5% ${text}` : '2 assertion(s) held',
    namespace: `scars-test-${name}${which === 'control' ? '-ctl' : ''}`,
    durationMs: 24000,
    wallMs: 1200,
    assertions: [
      {
        name: 'service-availability',
        pass: !failed,
        summary: failed ? `error rate 40% ${text}` : '300 requests, 0 failed',
        evidence: failed ? [{ what: `10/25 failed ${text}`, ref: `Service/web${text}`, t: 9500 }] : [],
      },
      {
        name: 'min-ready-replicas',
        pass: !failed,
        summary: failed ? 'fell to 0 Ready' : 'never fewer than 2 Ready',
        evidence: [{ what: 'sample', t: 9000, data: { ready: failed ? 0 : 2, note: text } }],
      },
    ],
    faults: [
      {
        fault: 'pod-kill',
        description: `delete 1 pod ${text}`,
        observed: true,
        summary: `1/1 killed pod(s) gone ${text}`,
        evidence: [{ what: 'deleted', ref: `Pod/web-1${text}` }],
      },
    ],
    timeline: timeline(`web${text}`, failed ? 0 : 2),
    revertFailures: [],
  };
}

function scenario(
  name: string,
  text: string,
  main: ArmReport['verdict'],
  control: ArmReport['verdict'],
): ScenarioReport {
  const m = arm(name, 'main', main, text);
  const c = arm(name, 'control', control, text);
  const asExpected = control === 'failed';
  const { arm: _arm, ...rest } = m;
  return {
    ...rest,
    name: `${name}${text}`,
    file: `scenarios/${name}.ts`,
    description: `Kill a replica under load ${text}`,
    tags: ['availability', ...(text ? [text] : [])],
    mitigation: `3 replicas with a readiness probe ${text}`,
    mainVerdict: main,
    verdict: main === 'passed' && !asExpected ? 'failed' : main,
    control: { ...c, asExpected },
  };
}

export function sampleReport(options: { hostile?: boolean } = {}): RunReport {
  const text = options.hostile ? HOSTILE : '';
  const scenarios = [
    scenario('pod-kill-availability', text, 'passed', 'failed'),
    scenario('drain-with-pdb', text, 'passed', 'passed'),
  ];
  return {
    tool: 'scars',
    version: '0.1.0',
    runId: '20260101-000000-abcdef',
    provider: 'sim',
    simulated: true,
    cluster: { name: `sim-test${text}`, server: 'https://127.0.0.1:6443', version: 'v1.32.0+scars-sim' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:03.000Z',
    durationMs: 3000,
    interrupted: null,
    error: options.hostile ? `provision warning ${text}` : null,
    exitCode: 1,
    journal: null,
    scenarios,
  };
}
