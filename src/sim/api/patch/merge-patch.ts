/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`) as the apiserver applies it: through
 * evanphx/json-patch v4.12.0 MergePatch, which departs from the RFC in two ways clients can see: nulls
 * are pruned from the objects inside a list that the patch sets (the RFC stores such a list verbatim), and
 * a patch that is a list becomes the whole document.
 */

import { PatchError, cloneJson, isJsonObject, own, put } from './json-patch.ts';
import type { JsonObject, JsonValue } from './json-patch.ts';

/**
 * Applies a merge patch to a copy of `doc`. Throws PatchError 400 "Invalid JSON Patch" for a null or scalar
 * patch, as upstream does. A list patch is returned as the new document (nulls pruned from its objects):
 * the apiserver then fails to decode it into the kind, which is the caller's check.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  const target = cloneJson(doc);
  const p = cloneJson(patch);
  // A JSON null document unmarshals to a nil map, which MergePatch refuses before looking at the patch;
  // the apiserver only maps ErrBadJSONPatch to 400, so this one surfaces as an internal error.
  if (target === null) throw new PatchError('Invalid JSON Document', 500);
  if (p === null) throw new PatchError('Invalid JSON Patch', 400);
  if (Array.isArray(p)) return pruneArray(p);
  if (!isJsonObject(p)) throw new PatchError('Invalid JSON Patch', 400);
  // "Not an error, just not a doc, so we turn straight into the patch."
  if (!isJsonObject(target)) return pruneObject(p);
  mergeDocs(target, p);
  return target;
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = own(doc, k) ? (doc[k] ?? null) : null;
    if (cur === null) put(doc, k, pruneNulls(v));
    else put(doc, k, merge(cur, v));
  }
}

function merge(cur: JsonValue, patch: JsonValue): JsonValue {
  if (!isJsonObject(cur)) return pruneNulls(patch);
  // An object replaced by a list or a scalar takes the patch value as it is, nulls and all.
  if (!isJsonObject(patch)) return patch;
  mergeDocs(cur, patch);
  return cur;
}

function pruneNulls(v: JsonValue): JsonValue {
  if (isJsonObject(v)) return pruneObject(v);
  if (Array.isArray(v)) return pruneArray(v);
  return v;
}

function pruneObject(o: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(o)) {
    if (v === null) delete o[k];
    else put(o, k, pruneNulls(v));
  }
  return o;
}

/** pruneAryNulls keeps null elements and prunes inside the others. */
function pruneArray(a: JsonValue[]): JsonValue[] {
  return a.map((e) => (e === null ? e : pruneNulls(e)));
}
