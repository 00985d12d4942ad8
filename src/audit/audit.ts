/** Runs the rules over manifests and turns their hits into located, sorted findings. */
import { formatField, locate, parseSource, readSources, type LoadLimits } from './load.ts';
import { RULES } from './registry.ts';
import { checkShape } from './shape.ts';
import type { Rule } from './rule.ts';
import {
  type AuditOptions,
  type AuditResult,
  type FieldPath,
  type Finding,
  type Manifest,
  SEVERITY_RANK,
  type Severity,
  type SourceFile,
} from './types.ts';
import { AuditIndex, nameOf } from './workloads.ts';

export const DEFAULT_CERT_DAYS = 30;
export const DEFAULT_NAMESPACE = 'default';

function finding(rule: Rule, manifest: Manifest, field: FieldPath, message: string): Finding {
  const { line, column } = locate(manifest, field);
  const { apiVersion, kind } = manifest.object;
  return {
    ruleId: rule.id,
    severity: rule.severity,
    title: rule.title,
    message,
    fix: rule.fix,
    file: manifest.source.display,
    uri: manifest.source.uri,
    line,
    column,
    object: { apiVersion, kind, namespace: manifest.namespace, name: nameOf(manifest.object) },
    field: formatField(field),
  };
}

const compare = (a: Finding, b: Finding) =>
  a.file.localeCompare(b.file, 'en') ||
  a.line - b.line ||
  a.column - b.column ||
  a.ruleId.localeCompare(b.ruleId, 'en') ||
  a.message.localeCompare(b.message, 'en');

/** Audits manifests already parsed. */
export function auditManifests(
  manifests: readonly Manifest[],
  options: Partial<AuditOptions> = {},
  rules: readonly Rule[] = RULES,
): Finding[] {
  const index = new AuditIndex(manifests, {
    now: options.now ?? new Date(),
    certDays: options.certDays ?? DEFAULT_CERT_DAYS,
  });
  const findings = rules.flatMap((rule) =>
    rule.check(index).map((h) => finding(rule, h.manifest, h.field, h.message)),
  );
  return findings.sort(compare);
}

/** Parses sources and audits them; bad input throws InputError naming file and line. */
export function auditSources(
  sources: readonly SourceFile[],
  options: Partial<AuditOptions> = {},
  limits: Partial<LoadLimits> = {},
): AuditResult {
  const namespace = options.defaultNamespace ?? DEFAULT_NAMESPACE;
  const manifests = sources.flatMap((s) => parseSource(s, namespace, limits));
  for (const m of manifests) checkShape(m);
  return { files: sources.length, objects: manifests.length, findings: auditManifests(manifests, options) };
}

/** Reads paths (files, directories, `-` for stdin) and audits what they hold. */
export async function auditPaths(
  inputs: readonly string[],
  options: Partial<AuditOptions> & {
    cwd?: string;
    stdin?: NodeJS.ReadableStream;
    limits?: Partial<LoadLimits>;
  } = {},
): Promise<AuditResult> {
  const sources = await readSources(inputs, {
    cwd: options.cwd ?? process.cwd(),
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return auditSources(sources, options, options.limits);
}

export type FailOn = Severity | 'none';
export const FAIL_ON: readonly FailOn[] = ['error', 'warning', 'info', 'none'];

/** Whether a finding at or above `failOn` exists. */
export function fails(findings: readonly Finding[], failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  return findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
}
