/** `scars audit` as a library: read manifests, run the rules, format the findings. */
export {
  auditManifests,
  auditPaths,
  auditSources,
  DEFAULT_CERT_DAYS,
  DEFAULT_NAMESPACE,
  FAIL_ON,
  type FailOn,
  fails,
} from './audit.ts';
export { formatConsole } from './format/console.ts';
export { type AuditJson, JSON_SCHEMA_VERSION, toJson } from './format/json.ts';
export { SARIF_SCHEMA, toSarif } from './format/sarif.ts';
export { DEFAULT_LIMITS, type LoadLimits, parseSource, readSources, STDIN } from './load.ts';
export { RULES, ruleById } from './registry.ts';
export type { Rule } from './rule.ts';
export type { AuditOptions, AuditResult, Finding, Manifest, RuleInfo, Severity } from './types.ts';
