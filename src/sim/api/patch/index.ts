/**
 * The three PATCH content types of the Kubernetes API server, with upstream's semantics, error texts and
 * status codes: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.
 */

export { PANIC_MESSAGE, PatchError, applyJsonPatch } from './json-patch.ts';
export type { PatchErrorCode, PatchStatus } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch, supportsStrategicMerge } from './strategic-merge.ts';
