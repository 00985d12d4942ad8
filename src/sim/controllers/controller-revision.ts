/**
 * ControllerRevisions, the template history of DaemonSets and StatefulSets
 * (pkg/controller/history and the controllers' getPatch): a revision stores the strategic-merge
 * patch `{"spec":{"template":{"$patch":"replace",…}}}` that restores its template, a revision
 * number, and is named `<owner>-<hash>`. Hashes have upstream's shape (FNV over the data, as
 * SafeEncodeString of the decimal sum) but not its exact values: upstream hashes Go's encoding
 * of the template, which a TypeScript sim does not reproduce byte for byte.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { ApiError } from '../api/rest/status.ts';
import { CONTROLLER_REVISIONS } from '../kinds/resources.ts';
import { isObject, type KubeObject, semanticEqual } from '../object.ts';

export type SimRevision = ControllerRevision & KubeObject;

/** history.ControllerRevisionHashLabel: the hash label every StatefulSet revision carries. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** apps.ControllerRevisionHashLabelKey: on daemon pods and revisions (the hash), on StatefulSet pods (the revision name). */
export const POD_REVISION_LABEL = 'controller-revision-hash';

const MANAGER = 'kube-controller-manager';
// k8s.io/apimachinery/pkg/util/rand: vowels and look-alikes left out so hashes never spell words.
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1 32-bit (hash/fnv New32), which HashControllerRevision uses. */
function fnv1(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h, 0x01000193) ^ b;
  return h >>> 0;
}

/** FNV-1a 32-bit (hash/fnv New32a), which controller.ComputeHash uses. */
function fnv1a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += SAFE_ALPHANUMS[b % SAFE_ALPHANUMS.length];
  return out;
}

/** JSON with object keys sorted, as Go's json.Marshal writes a map[string]interface{}. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** getPatch: the revision data that replaces an owner's pod template. */
export function templatePatch(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision restores (ApplyRevision for the template-only patches the controllers store). */
export function revisionTemplate(revision: SimRevision): PodTemplateSpec {
  const data = revision.data as unknown;
  const spec = isObject(data) && isObject(data.spec) ? data.spec : {};
  const template = isObject(spec.template) ? structuredClone(spec.template) : {};
  delete template.$patch;
  return template as PodTemplateSpec;
}

/** history.EqualRevision for the raw-JSON data both controllers store. */
export const sameRevisionData = (a: SimRevision, b: { data?: unknown }): boolean =>
  semanticEqual(a.data ?? null, b.data ?? null);

/** history.HashControllerRevision: FNV-1 over the data, then the collision count as decimal text. */
export function revisionDataHash(data: unknown, collisionCount: number): string {
  const bytes = Buffer.from(canonicalJson(data) + String(collisionCount), 'utf8');
  return safeEncodeString(String(fnv1(bytes)));
}

/**
 * controller.ComputeHash(template, collisionCount): FNV-1a over the template, then the count as
 * 8 little-endian bytes when set. The DaemonSet controller labels pods and revisions with it.
 */
export function templateHash(
  template: PodTemplateSpec | undefined,
  collisionCount: number | undefined,
): string {
  let h = fnv1a(Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined) {
    const count = Buffer.alloc(8);
    count.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv1a(count, h);
  }
  return safeEncodeString(String(h));
}

/** history.ControllerRevisionName: the owner's name (at most 223 characters), a dash, the hash. */
export const revisionName = (owner: string, hash: string): string => `${owner.slice(0, 223)}-${hash}`;

/** Oldest first, as history.SortControllerRevisions (revision number, then creation, then name). */
export function sortRevisions(revisions: SimRevision[]): SimRevision[] {
  return revisions.sort(
    (a, b) =>
      (a.revision ?? 0) - (b.revision ?? 0) ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

/** One more than the newest revision number (1 for no history). */
export const nextRevisionNumber = (sorted: readonly SimRevision[]): number =>
  (sorted.at(-1)?.revision ?? 0) + 1;

const isAlreadyExists = (error: unknown): boolean => error instanceof ApiError && error.code === 409;

/**
 * history.CreateControllerRevision: creates `revision` (named from its data hash), and on a name
 * clash with different data bumps `collision.count` and tries the next name; a clash with the
 * same data returns the existing revision.
 */
export function createRevision(
  registry: Registry,
  owner: string,
  namespace: string,
  revision: ControllerRevision,
  collision: { count: number },
): SimRevision {
  for (;;) {
    const hash = revisionDataHash(revision.data, collision.count);
    const body = structuredClone(revision) as SimRevision;
    body.metadata = {
      ...body.metadata,
      name: revisionName(owner, hash),
      labels: { ...body.metadata?.labels, [REVISION_HASH_LABEL]: hash },
    };
    try {
      return registry.create(CONTROLLER_REVISIONS, namespace, body, { manager: MANAGER }) as SimRevision;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const existing = registry.find(CONTROLLER_REVISIONS, namespace, body.metadata.name ?? '') as
        SimRevision | undefined;
      if (existing && sameRevisionData(existing, body)) return existing;
      collision.count++;
    }
  }
}

/** history.UpdateControllerRevision: a rollback renumbers an old revision as the newest. */
export function renumberRevision(registry: Registry, revision: SimRevision, number: number): SimRevision {
  if (revision.revision === number) return revision;
  const next = structuredClone(revision) as SimRevision;
  (next as { revision: number }).revision = number;
  return registry.replace(CONTROLLER_REVISIONS, revision, next, { manager: MANAGER }) as SimRevision;
}

export function deleteRevision(registry: Registry, revision: SimRevision): void {
  try {
    registry.delete(CONTROLLER_REVISIONS, revision.metadata.namespace, revision.metadata.name ?? '', {
      preconditions: { uid: revision.metadata.uid ?? '' },
    });
  } catch (error) {
    if (!(error instanceof ApiError && (error.code === 404 || error.code === 409))) throw error;
  }
}
