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
