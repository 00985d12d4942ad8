/** A rule: what it is (for docs, SARIF and `--help`) and the check itself. */
import type { RuleHit, RuleInfo } from './types.ts';
import type { AuditIndex } from './workloads.ts';

export interface Rule extends RuleInfo {
  /** The failure family it belongs to (the module it lives in). */
  family: string;
  check(index: AuditIndex): RuleHit[];
}

export const defineRule = (rule: Rule): Rule => rule;
