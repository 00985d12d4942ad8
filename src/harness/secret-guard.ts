/**
 * Defence in depth for the rollback journal: no record may carry a Secret's `data` or
 * `stringData`. The journalled client keeps Secret contents in an in-cluster backup Secret (see
 * secret-backup.ts) and journals only a reference and a digest; this check refuses, by code, any
 * record that would still hold them — a new undo kind, a hook patching a Secret through another
 * path — instead of trusting every caller to avoid it.
 */
import type { Mutation, Undo } from './journal.ts';
import { formatRef, type KubeRef } from './kube-ref.ts';

const SECRET_FIELDS = ['data', 'stringData'] as const;
/** Journal records are small; anything nested deeper than this is refused rather than searched. */
const MAX_DEPTH = 64;

export class SecretInJournalError extends Error {
  constructor(
    readonly ref: KubeRef,
    readonly path: string,
  ) {
    super(
      `journal: refusing to record Secret data (${path}) for ${formatRef(ref)}: Secret contents go to an in-cluster backup Secret, never to the journal`,
    );
    this.name = 'SecretInJournalError';
  }
}

export function isSecretRef(ref: KubeRef): boolean {
  return ref.kind === 'Secret' && ref.apiVersion === 'v1';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Secret field a value carries (`data`, `stringData`) with content, if any. */
function secretField(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  return SECRET_FIELDS.find((f) => v[f] !== undefined && v[f] !== null);
}

/** Where in `value` a Secret object with data sits (`undo.object`, `mutation.patch.items[0]`, …). */
function secretObjectIn(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return `${path} (nested deeper than ${MAX_DEPTH})`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const hit = secretObjectIn(item, `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (value.kind === 'Secret') {
    const field = secretField(value);
    if (field) return `${path}.${field}`;
  }
  for (const [k, v] of Object.entries(value)) {
    const hit = secretObjectIn(v, `${path}.${k}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Where an intent record would hold Secret contents: a patch of a Secret that sets `data` or
 * `stringData` (forward or inverse), or a Secret object with them anywhere in the record.
 */
export function secretDataIn(mutation: Mutation, undo: Undo): string | undefined {
  if (isSecretRef(mutation.ref)) {
    const field = secretField(mutation.patch);
    if (field) return `mutation.patch.${field}`;
  }
  if ('ref' in undo && isSecretRef(undo.ref) && 'patch' in undo) {
    const field = secretField(undo.patch);
    if (field) return `undo.patch.${field}`;
  }
  return secretObjectIn(mutation, 'mutation') ?? secretObjectIn(undo, 'undo');
}

/** Throws SecretInJournalError when the record would carry Secret contents. */
export function assertNoSecretData(mutation: Mutation, undo: Undo): void {
  const path = secretDataIn(mutation, undo);
  if (path) throw new SecretInJournalError(mutation.ref, path);
}
