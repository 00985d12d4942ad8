/**
 * JSON output, a stable shape (docs/audit.md "JSON output"): `schemaVersion` changes only when a field
 * is removed or changes meaning; new fields may be added.
 */
import { VERSION } from '../../version.ts';
import type { FailOn } from '../audit.ts';
import { RULES } from '../registry.ts';
import type { AuditOptions, AuditResult, Finding, RuleInfo, Severity } from '../types.ts';

export const JSON_SCHEMA_VERSION = 1;

export interface AuditJson {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  tool: { name: 'scars'; version: string };
  options: { certDays: number; failOn: FailOn; defaultNamespace: string };
  summary: { files: number; objects: number; findings: number; failed: boolean } & Record<Severity, number>;
  findings: Finding[];
  rules: RuleInfo[];
}

export function toJson(
  result: AuditResult,
  options: Pick<AuditOptions, 'certDays' | 'defaultNamespace'> & { failOn: FailOn; failed: boolean },
): AuditJson {
  const by = (s: Severity) => result.findings.filter((f) => f.severity === s).length;
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: 'scars', version: VERSION },
    options: {
      certDays: options.certDays,
      failOn: options.failOn,
      defaultNamespace: options.defaultNamespace,
    },
    summary: {
      files: result.files,
      objects: result.objects,
      findings: result.findings.length,
      error: by('error'),
      warning: by('warning'),
      info: by('info'),
      failed: options.failed,
    },
    findings: result.findings,
    rules: RULES.map(({ id, severity, title, why, fix }) => ({ id, severity, title, why, fix })),
  };
}
