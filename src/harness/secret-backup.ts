/**
 * Secret contents never go to the journal (it is a file on the runner's disk, copied into CI
 * artefacts, kept after the run). Before a run patches or deletes a Secret, its data is copied to
 * a backup Secret in the same namespace, labelled with the run id so cleanup finds it and created
 * through the journal so it is undone too; the journal keeps only the backup's name and a sha256
 * digest of the data. Revert restores from the backup (after checking the digest) and only then
 * drops the backup; `scars cleanup` after a crash does the same from the journal.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Journal, JournalEntry, Undo } from './journal.ts';
import type { KubeApi } from './kube-api.ts';
import { formatRef, type KubeRef } from './kube-ref.ts';

/** On every backup Secret, besides the run label. */
export const SECRET_BACKUP_LABEL = 'scars.dev/secret-backup';
export const BACKUP_OF_ANNOTATION = 'scars.dev/backup-of';
export const BACKUP_TYPE_ANNOTATION = 'scars.dev/backup-type';

type SecretData = Record<string, string>;

/** sha256 of the data map with its keys in order: what the journal keeps instead of the data. */
export function secretDigest(data: SecretData | undefined): string {
  const sorted = Object.keys(data ?? {})
    .sort()
    .map((k) => [k, (data ?? {})[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** A fresh name for the backup of `name` (one per change: a Secret changed twice gets two). */
export function backupName(name: string): string {
  const suffix = `-scars-backup-${randomBytes(5).toString('hex')}`;
  return `${name.slice(0, 253 - suffix.length)}${suffix}`;
}

/**
 * The backup Secret of `secret`: its data, typed Opaque (a `kubernetes.io/tls` or
 * service-account type would be validated or acted on as the original is), with the original type
 * kept in an annotation. The caller adds the run label when it creates it.
 */
export function backupSecret(secret: V1Secret, name: string): V1Secret {
  const namespace = secret.metadata?.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: { [SECRET_BACKUP_LABEL]: 'true' },
      annotations: {
        [BACKUP_OF_ANNOTATION]: secret.metadata?.name ?? '',
        [BACKUP_TYPE_ANNOTATION]: secret.type ?? 'Opaque',
      },
    },
    data: { ...secret.data },
  };
}

/** The Secret as the journal may keep it, to recreate it from: everything but its contents. */
export function withoutContents(obj: KubernetesObject): KubernetesObject {
  const {
    data: _d,
    stringData: _s,
    ...rest
  } = obj as KubernetesObject & {
    data?: unknown;
    stringData?: unknown;
  };
  return rest;
}

type RestoreUndo = Extract<Undo, { op: 'restore-secret' | 'recreate-secret' }>;
type Outcome = { result: 'reverted' | 'already-gone' | 'skipped'; note?: string };

/** The backup's data, if it is there and still the data the journal recorded the digest of. */
async function backupData(api: KubeApi, undo: RestoreUndo): Promise<SecretData> {
  const backup = await api.read<V1Secret>(undo.backup);
  if (!backup)
    throw new Error(
      `backup ${formatRef(undo.backup)} of ${formatRef(undo.ref)} is gone: its data cannot be restored`,
    );
  const data = backup.data ?? {};
  if (secretDigest(data) !== undo.sha256)
    throw new Error(
      `backup ${formatRef(undo.backup)} does not match the sha256 the journal recorded for ${formatRef(undo.ref)}: not restored`,
    );
  return data;
}

/** Puts a patched Secret's data back from its backup (keys the fault added are removed). */
export async function restoreSecret(
  api: KubeApi,
  undo: Extract<Undo, { op: 'restore-secret' }>,
): Promise<Outcome> {
  const data = await backupData(api, undo);
  const live = await api.read<V1Secret>(undo.ref);
  if (!live) return { result: 'already-gone' };
  const removed = Object.fromEntries(
    Object.keys(live.data ?? {})
      .filter((k) => !(k in data))
      .map((k) => [k, null]),
  );
  await api.patch(undo.ref, { ...undo.patch, data: { ...removed, ...data } }, 'merge');
  return { result: 'reverted' };
}

/** Creates a deleted Secret again with the data of its backup. */
export async function recreateSecret(
  api: KubeApi,
  undo: Extract<Undo, { op: 'recreate-secret' }>,
): Promise<Outcome> {
  if (await api.read(undo.ref)) return { result: 'skipped', note: `${formatRef(undo.ref)} exists again` };
  const data = await backupData(api, undo);
  await api.create({ ...undo.object, data } as KubernetesObject);
  return { result: 'reverted' };
}

const sameRef = (a: KubeRef, b: KubeRef) =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

/**
 * A restore still to do that needs this backup: while there is one, the backup stays (its
 * deletion is retried by the next revert or `scars cleanup`), or the data would be lost for good.
 */
export function restoreWaitingFor(journal: Journal, backup: KubeRef): JournalEntry | undefined {
  return journal
    .pending()
    .find(
      (e) =>
        (e.undo.op === 'restore-secret' || e.undo.op === 'recreate-secret') && sameRef(e.undo.backup, backup),
    );
}
