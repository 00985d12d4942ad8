/**
 * `junit.xml`: one testsuite per run, one testcase per scenario and per control arm.
 * A failed assertion is a <failure>; an error verdict is an <error>; the timeline goes to system-out.
 * Written with junit-report-builder (escaping and invalid-character stripping are its job).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import { formatMs } from '../errors.ts';
import type { ArmReport, RunReport, ScenarioReport } from './model.ts';
import type { Reporter } from './reporter.ts';

// The package is CommonJS (`module.exports = builder`) but its types declare an ES default export.
const junit = junitModule as unknown as Builder;

export function junitReporter(outDir: string): Reporter {
  return {
    onRunEnd(report: RunReport) {
      mkdirSync(outDir, { recursive: true });
      const builder = junit.newBuilder();
      builder.name(`scars ${report.runId}`);
      const suite = builder
        .testSuite()
        .name(`scars (${report.provider}${report.simulated ? ', simulated' : ''})`)
        .property('runId', report.runId)
        .property('provider', report.provider)
        .property('simulated', String(report.simulated))
        .property('cluster', report.cluster?.name ?? '')
        .property('version', report.version);
      if (report.error) {
        suite.testCase().className('scars.run').name('provision').error(report.error);
      }
      for (const s of report.scenarios) {
        addCase(suite.testCase().className(`scars.${s.name}`).name(s.name).file(s.file), s, 'main');
        if (s.control) {
          const tc = suite
            .testCase()
            .className(`scars.${s.name}`)
            .name(`${s.name} [control: must fail]`)
            .file(s.file);
          addControlCase(tc, s.control);
        }
      }
      builder.writeTo(join(outDir, 'junit.xml'));
    },
  };
}

type TestCase = ReturnType<Builder['testCase']>;

function addCase(tc: TestCase, s: ScenarioReport, _arm: 'main'): void {
  tc.time(s.durationMs / 1000)
    .property('verdict', s.verdict)
    .property('namespace', s.namespace);
  tc.standardOutput(armLog(s));
  if (s.verdict === 'error') tc.error(s.reason, 'error');
  else if (s.verdict === 'failed') tc.failure(failedAssertions(s), 'assertion');
  else if (s.verdict === 'inconclusive') tc.failure(`inconclusive: ${s.reason}`, 'inconclusive');
}

function addControlCase(tc: TestCase, c: ArmReport & { asExpected: boolean }): void {
  tc.time(c.durationMs / 1000)
    .property('verdict', c.verdict)
    .property('namespace', c.namespace);
  tc.standardOutput(armLog(c));
  if (c.verdict === 'error') tc.error(c.reason, 'error');
  else if (!c.asExpected) {
    tc.failure(`control arm ${c.verdict} without the mitigation; it must fail: ${c.reason}`, 'control');
  }
}

function failedAssertions(a: Pick<ArmReport, 'assertions'>): string {
  return a.assertions
    .filter((x) => !x.pass)
    .map((x) => `${x.name}: ${x.summary}`)
    .join('\n');
}

function armLog(a: Pick<ArmReport, 'assertions' | 'timeline'>): string {
  const lines = a.timeline.map(
    (e) =>
      `${formatMs(e.t).padStart(7)} ${e.step} ${e.event}${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`,
  );
  for (const x of a.assertions) lines.push(`${x.pass ? 'PASS' : 'FAIL'} ${x.name}: ${x.summary}`);
  return lines.join('\n');
}
