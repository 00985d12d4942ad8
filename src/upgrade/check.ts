/**
 * Pre-upgrade validation: (a) the user's manifests against the target release's removed and
 * deprecated APIs, (b) the same scenarios on a cluster of each release, one after the other
 * (sim clusters presenting each version, or kind clusters with that release's node image), and
 * (c) the two reports compared. Regressions (a verdict that got worse, a main-arm metric past its
 * threshold) and removed APIs fail the check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../errors.ts';
import type { ProvisionOptions } from '../cluster/provider.ts';
import type { LoadedScenario } from '../harness/scenario-loader.ts';
import { run, type RunOptions } from '../harness/runner.ts';
import { newRunId } from '../harness/run-id.ts';
import { compareReports, type Comparison } from '../report/compare.ts';
import { jsonReporter } from '../report/json.ts';
import type { RunReport } from '../report/model.ts';
import type { Reporter } from '../report/reporter.ts';
import { scanManifests, type ScanResult } from './scan.ts';
import { formatMinor, type Minor } from './versions.ts';

export type UpgradeProvider = 'sim' | 'kind';
export const UPGRADE_PROVIDERS: readonly UpgradeProvider[] = ['sim', 'kind'];

export interface UpgradeCheckOptions {
  from: Minor;
  to: Minor;
  /** Files, directories or `-` to scan; none: no scan. */
  manifests?: readonly string[];
  cwd: string;
  stdin?: NodeJS.ReadableStream;
  provider: UpgradeProvider;
  scenarios: readonly LoadedScenario[];
  /** report.json of each version goes to `<out>/<version>/`, the comparison to `<out>/comparison.json`. */
  out: string;
  /** Provider settings besides the version (sim topology and time scale, kind settings). */
  providerOptions: Omit<ProvisionOptions, 'kubernetesVersion' | 'signal' | 'runId'>;
  journalDir: string;
  timeouts?: RunOptions['timeouts'];
  agentImage?: string;
  load?: RunOptions['load'];
  interrupt?: AbortSignal;
  forceStop?: AbortSignal;
  /** Scan the manifests and stop: no cluster, no suite (exit 1 on a removed API). */
  scanOnly?: boolean;
  /** Progress lines (which version is running, each verdict). */
  log: (line: string) => void;
}

export interface UpgradeCheckResult {
  from: string;
  to: string;
  scan: ScanResult | null;
  reports: { from: RunReport; to: RunReport } | null;
  comparison: Comparison | null;
  /** Why the check could not finish (a run-level failure or an interrupt), if it did not. */
  error: string | null;
  exitCode: number;
}

/** One line per scenario as it ends, so a long check shows progress. */
function progressReporter(version: string, log: (line: string) => void): Reporter {
  return {
    onScenarioEnd: (s, arm, result) =>
      log(`${version} ${s.name} (${arm}): ${result.verdict} — ${result.reason}`),
  };
}

async function runAt(version: Minor, options: UpgradeCheckOptions): Promise<RunReport> {
  const release = formatMinor(version);
  const runId = newRunId();
  const kindName = `scars-upgrade-${release.replace('.', '-')}`;
  options.log(
    `running ${options.scenarios.length} scenario(s) on ${options.provider} at Kubernetes ${release}`,
  );
  return run({
    scenarios: options.scenarios,
    provider: options.provider,
    providerOptions: {
      ...options.providerOptions,
      kubernetesVersion: release,
      // A fresh kind cluster per version (reusing one would run both sides on the same release).
      ...(options.provider === 'kind'
        ? { kind: { ...options.providerOptions.kind, name: kindName, reuse: false, cwd: options.cwd } }
        : {}),
    },
    control: false,
    reporters: [jsonReporter(join(options.out, release)), progressReporter(release, options.log)],
    journalDir: options.journalDir,
    runId,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.agentImage ? { agentImage: options.agentImage } : {}),
    ...(options.load ? { load: options.load } : {}),
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    ...(options.forceStop ? { forceStop: options.forceStop } : {}),
  });
}

export async function upgradeCheck(options: UpgradeCheckOptions): Promise<UpgradeCheckResult> {
  const from = formatMinor(options.from);
  const to = formatMinor(options.to);
  const result: UpgradeCheckResult = {
    from,
    to,
    scan: null,
    reports: null,
    comparison: null,
    error: null,
    exitCode: ExitCode.passed,
  };
  // The scan first: bad manifests are bad input, found before any cluster is started.
  if (options.manifests?.length) {
    result.scan = await scanManifests(options.manifests, options.to, {
      cwd: options.cwd,
      ...(options.stdin ? { stdin: options.stdin } : {}),
    });
  }
  if (options.scanOnly) {
    if (result.scan?.findings.some((f) => f.status === 'removed')) result.exitCode = ExitCode.failed;
    return result;
  }
  mkdirSync(options.out, { recursive: true });
  const before = await runAt(options.from, options);
  const stopped = (r: RunReport) => r.interrupted !== null || r.error !== null;
  if (stopped(before)) {
    result.error = `Kubernetes ${from}: ${before.error ?? `interrupted (${String(before.interrupted)})`}`;
    result.exitCode = before.exitCode;
    return result;
  }
  const after = await runAt(options.to, options);
  if (stopped(after)) {
    result.error = `Kubernetes ${to}: ${after.error ?? `interrupted (${String(after.interrupted)})`}`;
    result.exitCode = after.exitCode;
    return result;
  }
  result.reports = { from: before, to: after };
  result.comparison = compareReports(before, after, { labels: { baseline: from, current: to } });
  writeFileSync(
    join(options.out, 'comparison.json'),
    `${JSON.stringify({ scan: result.scan, comparison: result.comparison }, null, 2)}\n`,
  );
  const removed = result.scan?.findings.some((f) => f.status === 'removed') ?? false;
  const errored = [before, after].some((r) => r.scenarios.some((s) => s.verdict === 'error'));
  if (removed || result.comparison.regressions.length > 0) result.exitCode = ExitCode.failed;
  // No regression, but a scenario errored: scars could not show the upgrade is safe.
  else if (errored) result.exitCode = ExitCode.clusterFailure;
  return result;
}
