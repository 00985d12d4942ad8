/** Every audit rule, in the order docs and SARIF list them (by failure family). */
import type { Rule } from './rule.ts';
import { certExpired, certExpiring, certUnreadable } from './rules/certificates.ts';
import { pdbBlocksEviction, pdbMissing } from './rules/disruption.ts';
import { ndotsExternalNames } from './rules/dns.ts';
import { imdsEgressOpen } from './rules/egress.ts';
import { livenessEqualsReadiness, livenessFragile, readinessMissing } from './rules/probes.ts';
import { criticalBestEffort } from './rules/qos.ts';
import { memoryLimitMissing, memoryLimitRatio, requestsMissing } from './rules/resources.ts';

export const RULES: readonly Rule[] = [
  memoryLimitMissing,
  requestsMissing,
  memoryLimitRatio,
  criticalBestEffort,
  pdbMissing,
  pdbBlocksEviction,
  livenessFragile,
  livenessEqualsReadiness,
  readinessMissing,
  ndotsExternalNames,
  imdsEgressOpen,
  certExpired,
  certExpiring,
  certUnreadable,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
