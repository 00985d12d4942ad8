/** `scars upgrade-check` output: the scan's findings, then the verdicts and metrics side by side. */
import { formatComparison } from '../report/compare.ts';
import type { UpgradeCheckResult } from './check.ts';
import { formatFinding } from './scan.ts';

export function formatUpgradeCheck(r: UpgradeCheckResult, provider: string): string {
  const out: string[] = [
    `Kubernetes ${r.from} → ${r.to} (${r.reports || r.error ? `${provider}${provider === 'sim' ? ', simulated' : ''}` : 'manifests only, no cluster started'})`,
    '',
  ];
  if (r.scan) {
    const removed = r.scan.findings.filter((f) => f.status === 'removed').length;
    const deprecated = r.scan.findings.length - removed;
    out.push(
      `Manifests: ${r.scan.objects} object(s) in ${r.scan.files} file(s): ${removed} removed in ${r.to} or earlier (blocking), ${deprecated} deprecated`,
    );
    for (const f of r.scan.findings) out.push(`  ${f.status === 'removed' ? '✘' : '!'} ${formatFinding(f)}`);
    out.push('');
  }
  if (r.comparison) {
    out.push('Scenarios:');
    out.push(formatComparison(r.comparison).trimEnd());
  }
  if (r.error) out.push(`could not finish: ${r.error}`);
  const removed = r.scan?.findings.filter((f) => f.status === 'removed').length ?? 0;
  const regressions = r.comparison?.regressions.length ?? 0;
  if (!r.reports && !r.error) {
    // --scan-only: the manifests are all there is to judge.
    out.push(
      removed
        ? `not ready for ${r.to}: ${removed} object(s) use APIs removed by ${r.to}`
        : `no API used by these manifests is removed by ${r.to}`,
    );
    return `${out.join('\n')}\n`;
  }
  out.push(
    removed || regressions
      ? `not ready for ${r.to}: ${[
          ...(removed ? [`${removed} object(s) use APIs removed by ${r.to}`] : []),
          ...(regressions ? [`${regressions} regression(s)`] : []),
        ].join(', ')}`
      : `ready for ${r.to} as far as scars can tell: no removed APIs, no regressions`,
  );
  return `${out.join('\n')}\n`;
}
