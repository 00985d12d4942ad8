/**
 * The removed-API scan: every object in the user's manifests whose apiVersion the target release
 * no longer serves (blocking: `kubectl apply` fails after the upgrade) or has deprecated (a
 * warning now, a removal later). Manifests are read by the audit's loader, so the same bounds on
 * hostile input and the same file:line positions apply.
 */
import { locate, parseSource, readSources, type LoadLimits } from '../audit/load.ts';
import { nameOf } from '../audit/workloads.ts';
import { InputError } from '../errors.ts';
import { removedApiFor, type RemovedApi } from './removed-apis.ts';
import { compareMinor, formatMinor, type Minor, parseMinor } from './versions.ts';

export type ApiStatus = 'removed' | 'deprecated';

export interface ApiFinding {
  /** removed: the target release does not serve it (blocking); deprecated: it still does, with a warning. */
  status: ApiStatus;
  file: string;
  line: number;
  column: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  removedIn: string;
  deprecatedIn: string;
  replacement: string;
  notes: string;
}

export interface ScanResult {
  target: string;
  files: number;
  objects: number;
  findings: ApiFinding[];
}

export interface ScanOptions {
  cwd: string;
  stdin?: NodeJS.ReadableStream;
  limits?: Partial<LoadLimits>;
}

/** The status of one API at a target release, or undefined when it is neither removed nor deprecated there. */
export function statusAt(api: RemovedApi, target: Minor): ApiStatus | undefined {
  if (compareMinor(target, parseMinor(api.removedIn)) >= 0) return 'removed';
  if (compareMinor(target, parseMinor(api.deprecatedIn)) >= 0) return 'deprecated';
  return undefined;
}

/** Scans files, directories or `-` (stdin) for APIs removed or deprecated at `target`. */
export async function scanManifests(
  inputs: readonly string[],
  target: Minor,
  options: ScanOptions,
): Promise<ScanResult> {
  const sources = await readSources(inputs, {
    cwd: options.cwd,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  // The namespace matters only for display; objects without one keep it unset.
  const manifests = sources.flatMap((s) => parseSource(s, '', options.limits));
  if (manifests.length === 0) {
    throw new InputError({
      file: inputs.map((p) => (p === '-' ? '<stdin>' : p)).join(', '),
      field: '--manifests',
      expected: 'no Kubernetes objects found',
    });
  }
  const findings: ApiFinding[] = [];
  for (const m of manifests) {
    const { apiVersion, kind } = m.object;
    const api = removedApiFor(apiVersion, kind);
    const status = api && statusAt(api, target);
    if (!api || !status) continue;
    const { line, column } = locate(m, ['apiVersion']);
    findings.push({
      status,
      file: m.source.display,
      line,
      column,
      apiVersion,
      kind,
      name: nameOf(m.object),
      namespace: m.namespace || undefined,
      removedIn: api.removedIn,
      deprecatedIn: api.deprecatedIn,
      replacement: api.replacement,
      notes: api.notes,
    });
  }
  findings.sort((a, b) => a.file.localeCompare(b.file, 'en') || a.line - b.line);
  return { target: formatMinor(target), files: sources.length, objects: manifests.length, findings };
}

/** One line per finding: `file:line: removed in 1.25: policy/v1beta1 PodDisruptionBudget web → policy/v1 (notes)`. */
export function formatFinding(f: ApiFinding): string {
  const what =
    f.status === 'removed'
      ? `removed in ${f.removedIn}`
      : `deprecated since ${f.deprecatedIn}, removed in ${f.removedIn}`;
  const notes = f.notes ? ` (${f.notes})` : '';
  return `${f.file}:${f.line}: ${what}: ${f.apiVersion} ${f.kind} ${f.name} → use ${f.replacement}${notes}`;
}
