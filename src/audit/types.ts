/**
 * The audit's data model: manifests as they were read (with where they came from), rules, findings.
 */
import type { Document, LineCounter } from 'yaml';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; `--fail-on` compares against it. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

/** A path into an object, as `spec.template.spec.containers[0]` is `['spec','template','spec','containers',0]`. */
export type FieldPath = readonly (string | number)[];

/** The fields every Kubernetes object has; rules narrow `spec` with kubernetes-types. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** One file (or stdin) as read: its text stays so findings can point at lines. */
export interface SourceFile {
  /** As shown to people: relative to the working directory, or `<stdin>`. */
  display: string;
  /** A relative URI reference for SARIF's artifactLocation. */
  uri: string;
  text: string;
  lineCounter: LineCounter;
}

/** One object from a file: a document, or one item of a `List` document. */
export interface Manifest {
  source: SourceFile;
  doc: Document.Parsed;
  /** Where the object sits in its document: `[]`, or `['items', 3]` inside a List. */
  base: FieldPath;
  object: KubeManifest;
  /** The namespace it lands in: its own, or the one objects without one are assumed to go to. */
  namespace: string;
}

export interface Location {
  line: number;
  column: number;
}

export interface RuleInfo {
  id: string;
  severity: Severity;
  title: string;
  /** The outage it prevents, for docs and SARIF's fullDescription. */
  why: string;
  /** What to change. */
  fix: string;
}

/** What a rule reports: the object and field, in words and as a path. */
export interface RuleHit {
  manifest: Manifest;
  field: FieldPath;
  message: string;
}

export interface AuditOptions {
  /** Certificates expiring within this many days are reported (default 30). */
  certDays: number;
  /** The namespace objects without metadata.namespace are assumed to be applied to (default "default"). */
  defaultNamespace: string;
  /** "Now" for certificate expiry (default: the current time). */
  now: Date;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  title: string;
  message: string;
  fix: string;
  file: string;
  uri: string;
  line: number;
  column: number;
  object: { apiVersion: string; kind: string; namespace?: string; name: string };
  /** Dotted path of the field the finding is about (the deepest one that exists is where `line` points). */
  field: string;
}

export interface AuditResult {
  files: number;
  objects: number;
  findings: Finding[];
}
