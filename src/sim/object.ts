/**
 * The shape every stored object has on the wire. Kind-specific code narrows to the
 * `kubernetes-types` interfaces (which use wire strings for timestamps, unlike client-node's models).
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * kubernetes-types marks server-set fields (uid, resourceVersion, status…) readonly for clients;
 * the server is the one that writes them.
 */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: Writable<ObjectMeta>;
  [field: string]: unknown;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of JSON data (the store never hands out objects a caller could mutate in place). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** Reads a dotted path (`spec.nodeName`, `involvedObject.kind`) as a string; '' when absent. */
export function fieldString(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur as number | boolean);
}

/** `namespace/name`, or `name` for cluster-scoped objects: the store key and the sort order of lists. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** apiequality.Semantic.DeepEqual for JSON data: key order does not matter, array order does. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!semanticEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !semanticEqual(a[key], b[key])) return false;
  return true;
}
