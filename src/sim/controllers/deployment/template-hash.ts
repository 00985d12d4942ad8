/**
 * The pod-template-hash label (controller.ComputeHash): a 32-bit FNV-1a hash of the pod template,
 * plus the Deployment's collisionCount when it has one, written as its decimal digits mapped
 * through rand.SafeEncodeString's alphabet, so names look like upstream's (`web-7d4b9c5f8d`,
 * built from the ten characters 4–9 and b, c, d, f).
 *
 * Upstream hashes a go-spew dump of the Go struct, which cannot be reproduced outside Go: the
 * values here are stable for a given template but differ from a real cluster's for the same
 * manifest. Nothing in Kubernetes compares them across clusters.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isObject } from '../../object.ts';
import { POD_TEMPLATE_HASH } from './types.ts';

/** k8s.io/apimachinery/pkg/util/rand.SafeEncodeString's alphabet (no vowels, no 0/1/3). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[(ch.codePointAt(0) as number) % ALPHANUMS.length];
  return out;
}

/** JSON with object keys sorted, so the hash does not depend on field order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let hash = fnv1a32(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined) {
    // Upstream writes the count as 4 little-endian bytes after the template.
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv1a32(bytes, hash);
  }
  return safeEncodeString(String(hash));
}

/**
 * Semantic.DeepEqual after decoding: absent, null, empty objects and empty lists are all the
 * Go zero value, so `{}` in one template and nothing in the other compare equal.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}

/** EqualIgnoreHash: the two templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    if (!t) return undefined;
    const labels = { ...(t.metadata?.labels ?? {}) };
    delete labels[POD_TEMPLATE_HASH];
    return normalize({ ...t, metadata: { ...t.metadata, labels } });
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
