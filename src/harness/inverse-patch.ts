/**
 * The JSON merge patch (RFC 7386) that undoes `patch` when applied to the object it produced from `before`.
 * For every key the patch touches, the inverse carries the value `before` had, or null if it had none.
 * Lists are restored whole, which is what merge patch does with lists anyway.
 */
type Json = Record<string, unknown>;

const VOLATILE_METADATA = new Set([
  'resourceVersion',
  'generation',
  'managedFields',
  'uid',
  'creationTimestamp',
]);

export function inverseMergePatch(before: Json, patch: Json, path: string[] = []): Json {
  const inverse: Json = {};
  for (const [key, value] of Object.entries(patch)) {
    if (path.length === 1 && path[0] === 'metadata' && VOLATILE_METADATA.has(key)) continue;
    if (key.startsWith('$')) continue; // strategic-merge directives have no inverse of their own
    const old = before[key];
    if (isPlainObject(value) && isPlainObject(old)) {
      inverse[key] = inverseMergePatch(old, value, [...path, key]);
    } else {
      inverse[key] = old === undefined ? null : structuredClone(old);
    }
  }
  return inverse;
}

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
