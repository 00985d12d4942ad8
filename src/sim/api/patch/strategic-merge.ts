/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) as the apiserver applies it:
 * strategicpatch.StrategicMergeMapPatch from k8s.io/apimachinery v0.33 (pkg/util/strategicpatch/patch.go;
 * unchanged since 1.28, whose removeDirectives and deletion-list fixes 1.27 lacks),
 * server-side options (MergeParallelList, IgnoreUnmatchedNulls), with the patch metadata of
 * src/sim/kinds/patch-strategy.ts standing in for the Go struct tags.
 *
 * The port keeps upstream's observable behaviour, including the parts that follow from Go itself: map
 * iteration (here: the patch's key order), the `==` of interface values (an integral JSON number is an
 * int64, any other a float64, and the two never match), slices sharing a backing array, sort.SliceStable
 * with upstream's comparator, fmt's %v in error messages, and panics (answered 500 by the apiserver).
 */

import { patchSchemaFor } from '../../kinds/patch-strategy.ts';
import type { PatchSchema } from '../../kinds/patch-strategy.ts';
import { PatchError, cloneJson, isJsonObject, jsonKind, own, panicError, put } from './json-patch.ts';
import type { JsonObject, JsonValue } from './json-patch.ts';

const DIRECTIVE_MARKER = '$patch';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

// mergepatch/errors.go sentinels; the apiserver's interpretStrategicMergePatchError maps the first four to
// 400 and lists-of-lists to 422. Every other error is not an API status, so the apiserver answers 500 with
// the error's text.
const badRequest = (message: string): PatchError => new PatchError(message, 400);
const errBadPatchFormatForPrimitiveList = (): PatchError =>
  badRequest('invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = (): PatchError => badRequest('invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = (): PatchError =>
  badRequest('invalid patch format of setElementOrder list');
const errNoListOfLists = (): PatchError => new PatchError('lists of lists are not supported', 422);
const internal = (message: string): PatchError => new PatchError(message, 500);
const errNoMergeKey = (m: JsonObject, key: string): PatchError =>
  internal(`map: ${goV(m)} does not contain declared merge key: ${key}`);
const errBadArgType = (expected: 'map' | 'slice', actual: JsonValue): PatchError =>
  internal(`expected a ${goTypeName(expected)}, but received a ${goTypeName(goType(actual))}`);
const errBadPatchType = (t: JsonValue, m: JsonObject): PatchError =>
  internal(`unknown patch type: ${goS(t)} in map: ${goV(m)}`);

const CRD_PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/** Upstream serves strategic merge patches only for kinds compiled into it, never for custom resources. */
export function supportsStrategicMerge(apiVersion: string, kind: string): boolean {
  return patchSchemaFor(apiVersion, kind) !== undefined;
}

/**
 * Applies a strategic merge patch to a copy of `doc`. Throws PatchError: 415 for a kind without Go types
 * (what the apiserver answers for a custom resource), 400 for a patch that is not a JSON object or a
 * malformed directive, 422 for lists of lists, 500 for the other errors of upstream's patch code.
 *
 * The result is then cleaned as decoding it into the Go type would: directive keys left in values that
 * were copied from the patch, which no Go type has, are dropped, and so are null members, which decode
 * to zero values that the encoder omits.
 */
export function applyStrategicMergePatch(
  doc: unknown,
  patch: unknown,
  gvk: { apiVersion: string; kind: string },
): unknown {
  return dropDirectivesAndNulls(strategicMergeMapPatch(doc, patch, gvk));
}

/** StrategicMergeMapPatch itself, before the typed decode: exported for tests. */
export function strategicMergeMapPatch(
  doc: unknown,
  patch: unknown,
  gvk: { apiVersion: string; kind: string },
): JsonValue {
  const schema = patchSchemaFor(gvk.apiVersion, gvk.kind);
  if (!schema) {
    throw new PatchError(
      `the body of the request was in an unknown format - accepted media types include: ${CRD_PATCH_TYPES.join(', ')}`,
      415,
    );
  }
  const p = cloneJson(patch);
  if (p !== null && !isJsonObject(p)) {
    // The handler decodes the body into map[string]interface{} before patching.
    throw badRequest(`json: cannot unmarshal ${jsonKind(p)} into Go value of type map[string]interface {}`);
  }
  const original = cloneJson(doc);
  return mergeMap(isJsonObject(original) ? original : null, p ?? {}, schema);
}

// ---------------------------------------------------------------------------------------------------
// Go value semantics

type GoType = 'nil' | 'map' | 'slice' | 'string' | 'bool' | 'int64' | 'float64';

/** The dynamic type of a value as UnmarshalCaseSensitivePreserveInts and ToUnstructured produce it. */
function goType(v: JsonValue | undefined): GoType {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'object':
      return 'map';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'int64' : 'float64';
  }
}

function goTypeName(t: GoType): string {
  if (t === 'map') return 'map[string]interface {}';
  if (t === 'slice') return '[]interface {}';
  return t === 'nil' ? '%!s(<nil>)' : t;
}

/** `==` on interface{} values: different dynamic types are unequal, maps and slices panic. */
function goEq(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  const ta = goType(a);
  if (ta !== goType(b)) return false;
  if (ta === 'map' || ta === 'slice') throw panicError();
  return ta === 'nil' || a === b;
}

/** A key standing for an interface{} value in a Go map; maps and slices are unhashable and panic. */
function goKey(v: JsonValue | undefined): string {
  const t = goType(v);
  if (t === 'map' || t === 'slice') throw panicError();
  return t === 'nil' ? 'nil' : `${t}:${String(v)}`;
}

/** fmt's %v. */
function goV(v: JsonValue | undefined): string {
  const t = goType(v);
  if (t === 'nil') return '<nil>';
  if (t === 'slice') return `[${(v as JsonValue[]).map(goV).join(' ')}]`;
  if (t === 'map') {
    const o = v as JsonObject;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goV(o[k])}`)
      .join(' ')}]`;
  }
  if (t === 'int64') return BigInt(v as number).toString();
  if (t === 'float64') return goFloat(v as number);
  return String(v);
}

/** fmt's %s, which flags every operand that is not a string. */
function goS(v: JsonValue | undefined): string {
  const t = goType(v);
  if (t === 'string') return v as string;
  if (t === 'nil') return '%!s(<nil>)';
  if (t === 'slice') return `[${(v as JsonValue[]).map(goS).join(' ')}]`;
  if (t === 'map') {
    const o = v as JsonObject;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goS(o[k])}`)
      .join(' ')}]`;
  }
  return `%!s(${t}=${goV(v)})`;
}

/** strconv.FormatFloat(f, 'g', -1, 64): exponent form from 1e21 down to 1e6 and below 1e-4. */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  const [mantissa = '', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6)
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/**
 * A Go slice header: `append` writes into the backing array's spare capacity, where another header over
 * the same array (upstream's originalFieldValue) sees it. Deleting with append(s[:k], s[k+1:]...) shifts
 * the tail left inside the same array.
 */
class Slice {
  constructor(
    public arr: JsonValue[],
    public len: number,
  ) {}
  items(): JsonValue[] {
    return this.arr.slice(0, this.len);
  }
  removeAt(k: number): void {
    this.arr.copyWithin(k, k + 1, this.len);
    this.len--;
  }
  push(v: JsonValue): void {
    if (this.len < this.arr.length) this.arr[this.len++] = v;
    else {
      this.arr = [...this.items(), v];
      this.len++;
    }
  }
}

/** sort.SliceStable: insertion sort on blocks of 20, then in-place symmerge, exactly as Go's sort package. */
function goSliceStable<T>(data: T[], less: (a: T, b: T) => boolean): void {
  const n = data.length;
  const lessAt = (i: number, j: number): boolean => less(data[i] as T, data[j] as T);
  const swap = (i: number, j: number): void => {
    const t = data[i] as T;
    data[i] = data[j] as T;
    data[j] = t;
  };
  const insertionSort = (a: number, b: number): void => {
    for (let i = a + 1; i < b; i++) for (let j = i; j > a && lessAt(j, j - 1); j--) swap(j, j - 1);
  };
  const swapRange = (a: number, b: number, count: number): void => {
    for (let i = 0; i < count; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number): void => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (lessAt(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!lessAt(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const nn = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = nn - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    const p = nn - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!lessAt(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = nn - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };

  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  while (b <= n) {
    insertionSort(a, b);
    a = b;
    b += blockSize;
  }
  insertionSort(a, n);
  while (blockSize < n) {
    a = 0;
    b = 2 * blockSize;
    while (b <= n) {
      symMerge(a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    const m = a + blockSize;
    if (m < n) symMerge(a, m, n);
    blockSize *= 2;
  }
}

// ---------------------------------------------------------------------------------------------------
// Patch metadata lookups (PatchMetaFromStruct over the table)

interface FieldMeta {
  schema: PatchSchema | undefined;
  /** extractRetainKeysPatchStrategy: the strategy besides retainKeys, '' when none. */
  strategy: '' | 'merge' | 'replace';
  mergeKey: string;
}

function lookup(schema: PatchSchema | undefined, key: string): FieldMeta {
  const field = schema && Object.hasOwn(schema, key) ? schema[key] : undefined;
  const strategies = (field?.meta?.strategy ?? '').split(',').filter((s) => s !== 'retainKeys');
  return {
    schema: field?.type,
    strategy: (strategies[0] ?? '') as FieldMeta['strategy'],
    mergeKey: field?.meta?.mergeKey ?? '',
  };
}

// ---------------------------------------------------------------------------------------------------
// mergeMap and its helpers

function mergeMap(
  original: JsonObject | null,
  patch: JsonObject,
  schema: PatchSchema | undefined,
): JsonObject {
  if (own(patch, DIRECTIVE_MARKER)) return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER] ?? null, patch);
  const orig = original ?? {};
  applyRetainKeysDirective(orig, patch);
  mergePatchIntoOriginal(orig, patch, schema);

  // Upstream ranges over a Go map, in random order; the order only shows when a patch both sets and
  // deletes the same primitive or carries two errors, and the patch's own order is as good as any.
  for (const [key, patchV] of Object.entries(patch)) {
    let k = key;
    let isDeleteList = false;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      isDeleteList = true;
      const noPrefix = extractKey(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      if (noPrefix.length > 0) k = noPrefix;
    }
    // A null deletes the field: for a `$deleteFromPrimitiveList/<list>: null`, the list itself.
    if (patchV === null) {
      delete orig[k];
      continue;
    }
    if (!own(orig, k) || goType(orig[k]) !== goType(patchV)) {
      // A deletion list for a list that is not there deletes nothing.
      if (!isDeleteList) {
        discardNullValuesFromPatch(patchV);
        const [v, keep] = removeDirectives(patchV);
        if (keep) put(orig, k, v);
        else delete orig[k];
      }
      continue;
    }
    const cur = orig[k] as JsonValue;
    const meta = lookup(schema, k);
    if (isJsonObject(cur)) {
      put(orig, k, meta.strategy === 'replace' ? patchV : mergeMap(cur, patchV as JsonObject, meta.schema));
    } else if (Array.isArray(cur)) {
      put(
        orig,
        k,
        mergeSliceHandler(
          cur,
          patchV as JsonValue[],
          meta.schema,
          meta.strategy,
          meta.mergeKey,
          isDeleteList,
        ),
      );
    } else {
      // Scalars: removeDirectives keeps them as they are.
      put(orig, k, patchV);
    }
  }
  return orig;
}

function handleDirectiveInMergeMap(directive: JsonValue, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    // The patch becomes the value as it is: nulls and nested directives included.
    delete patch[DIRECTIVE_MARKER];
    return patch;
  }
  if (directive === 'delete') return {};
  throw errBadPatchType(directive, patch);
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX
      ? errBadPatchFormatForPrimitiveList()
      : errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(slash + 1);
}

function discardNullValuesFromPatch(v: JsonValue): void {
  if (Array.isArray(v)) v.forEach(discardNullValuesFromPatch);
  else if (isJsonObject(v)) {
    for (const [k, e] of Object.entries(v)) {
      if (e === null) delete v[k];
      else discardNullValuesFromPatch(e);
    }
  }
}

/** Drops every map that carries `$patch` (and the key or element holding it); mutates maps in place. */
function removeDirectives(v: JsonValue): [JsonValue, boolean] {
  if (Array.isArray(v)) {
    const res: JsonValue[] = [];
    for (const e of v) {
      const [ne, keep] = removeDirectives(e);
      if (keep) res.push(ne);
    }
    return [res, true];
  }
  if (isJsonObject(v)) {
    if (own(v, DIRECTIVE_MARKER)) return [null, false];
    for (const [k, e] of Object.entries(v)) {
      const [ne, keep] = removeDirectives(e);
      if (keep) put(v, k, ne);
      else delete v[k];
    }
  }
  return [v, true];
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!own(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE] ?? null;
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retainKeys)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(retainKeys.map(goKey));
  for (const [k, v] of Object.entries(patch)) {
    if (
      v === null ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      k.startsWith(SET_ELEMENT_ORDER_PREFIX)
    ) {
      continue;
    }
    if (!keep.has(goKey(k))) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(goKey(k))) delete original[k];
}

/**
 * Processes the `$setElementOrder/<list>` directives together with their lists. Precedence of order:
 * $setElementOrder, then the patch list, then the live list.
 */
function mergePatchIntoOriginal(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchSchema | undefined,
): void {
  for (const [key, setOrder] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX) || !own(patch, key)) continue;
    delete patch[key];
    if (!Array.isArray(setOrder)) throw errBadArgType('slice', setOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);
    const foundOriginal = own(original, originalKey);
    const foundPatch = own(patch, originalKey);
    const originalList = foundOriginal ? (original[originalKey] ?? null) : null;
    const patchList = foundPatch ? (patch[originalKey] ?? null) : null;
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('slice', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('slice', patchList);
    // originalFieldValue shares its backing array with the list that mergeSliceHandler works on.
    const originalFieldValue = (originalList ?? []) as JsonValue[];
    const patchFieldValue = (patchList ?? []) as JsonValue[];
    const meta = lookup(schema, originalKey);
    validatePatchWithSetOrderList(patchFieldValue, setOrder, meta.mergeKey);

    let merged: JsonValue[];
    if (foundOriginal && !foundPatch) merged = originalFieldValue;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchFieldValue)[0] as JsonValue[];
    else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(
        originalFieldValue,
        patchFieldValue,
        meta.schema,
        meta.strategy,
        meta.mergeKey,
        false,
      );
    } else continue;

    const [patchItems, serverOnly] = meta.mergeKey
      ? partitionMapsByPresentInList(merged, setOrder, meta.mergeKey)
      : partitionPrimitivesByPresentInList(merged, setOrder);
    const kind = sliceElementType([originalFieldValue, patchFieldValue]);
    put(
      original,
      originalKey,
      normalizeElementOrder(patchItems, serverOnly, setOrder, originalFieldValue, meta.mergeKey, kind),
    );
    delete patch[originalKey];
  }
}

/**
 * The relative order of the patch list's items (deletions aside) must match `$setElementOrder`, and every
 * item must be in it.
 */
function validatePatchWithSetOrderList(
  patchList: JsonValue[],
  setOrder: JsonValue[],
  mergeKey: string,
): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let patchIndex = 0;
  let setOrderIndex = 0;
  while (patchIndex < nonDelete.length && setOrderIndex < setOrder.length) {
    const item = nonDelete[patchIndex] ?? null;
    if (isJsonObject(item) && own(item, DIRECTIVE_MARKER)) {
      patchIndex++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrder[setOrderIndex] ?? null, mergeKey)) patchIndex++;
    setOrderIndex++;
  }
  if (patchIndex < nonDelete.length && setOrderIndex >= setOrder.length) {
    throw internal(
      `The order in patch list:\n${goV(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goV(setOrder)}\n`,
    );
  }
}

function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return goEq(left, right);
  if (!isJsonObject(left)) throw errBadArgType('map', left);
  if (!isJsonObject(right)) throw errBadArgType('map', right);
  if (!own(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!own(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return goEq(left[mergeKey], right[mergeKey]);
}

function extractToDeleteItems(l: JsonValue[]): [JsonValue[], JsonValue[]] {
  const nonDelete: JsonValue[] = [];
  const toDelete: JsonValue[] = [];
  for (const v of l) {
    if (!isJsonObject(v)) throw errBadArgType('map', v);
    if (own(v, DIRECTIVE_MARKER) && v[DIRECTIVE_MARKER] === 'delete') toDelete.push(v);
    else nonDelete.push(v);
  }
  return [nonDelete, toDelete];
}

function partitionPrimitivesByPresentInList(
  original: JsonValue[],
  partitionBy: JsonValue[],
): [JsonValue[], JsonValue[]] {
  const inPatch = new Set(partitionBy.map(goKey));
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of original) (inPatch.has(goKey(v)) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(
  original: JsonValue[],
  partitionBy: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of original) {
    if (!isJsonObject(v)) throw errBadArgType('map', v);
    if (!own(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, v[mergeKey] ?? null);
    (found ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

function findMapInSliceBasedOnKeyValue(
  m: readonly JsonValue[],
  key: string,
  value: JsonValue,
): { map: JsonObject; index: number } | undefined {
  for (let i = 0; i < m.length; i++) {
    const v = m[i] ?? null;
    if (!isJsonObject(v)) throw internal(`value for key ${i} is not a map`);
    if (own(v, key) && goEq(v[key], value)) return { map: v, index: i };
  }
  return undefined;
}

type ElementKind = Exclude<GoType, 'nil'>;

/** The type shared by every element, or an error; a null first element is a nil reflect.Type: a panic. */
function sliceElementType(slices: readonly JsonValue[][]): ElementKind {
  let prev: GoType | undefined;
  for (const s of slices) {
    for (const v of s) {
      const t = goType(v);
      if (prev === undefined) {
        if (t === 'nil') throw panicError();
        prev = t;
        if (prev === 'slice') throw errNoListOfLists();
      } else if (prev !== t) {
        throw internal(`list element types are not identical: ${goV(slices as JsonValue[])}`);
      }
    }
  }
  if (prev === undefined || prev === 'nil') throw internal('no elements in any of the given slices');
  return prev;
}

function mergeSliceHandler(
  original: JsonValue[],
  patch: JsonValue[],
  schema: PatchSchema | undefined,
  strategy: FieldMeta['strategy'],
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  // Delete lists are handled the same way whatever the field's strategy (upstream since 1.28; 1.27
  // replaced an atomic list with the deletion list).
  if (strategy === 'merge' || isDeleteList)
    return mergeSlice(original, patch, schema, mergeKey, isDeleteList);
  return patch;
}

function mergeSlice(
  originalArr: JsonValue[],
  patchIn: JsonValue[],
  schema: PatchSchema | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  if (originalArr.length === 0 && patchIn.length === 0) return originalArr;
  const kind = sliceElementType([originalArr, patchIn]);
  let merged: JsonValue[];
  let patch = patchIn;
  let serverOrder: JsonValue[] = originalArr;
  if (kind !== 'map') {
    if (isDeleteList) return deleteFromSlice(originalArr, patch);
    merged = deduplicateScalars([...originalArr, ...patch]);
  } else {
    // PatchMetaFromStruct.Name() is the element type's Kind: a struct for every list of objects.
    if (!mergeKey) throw internal('cannot merge lists without merge key for struct');
    const special = mergeSliceWithSpecialElements(
      new Slice(originalArr, originalArr.length),
      patch,
      mergeKey,
    );
    patch = special.patch;
    serverOrder = special.original.items();
    merged = mergeSliceWithoutSpecialElements(
      new Slice(special.original.arr, special.original.len),
      patch,
      mergeKey,
      schema,
    );
  }
  const [patchItems, serverOnly] = mergeKey
    ? partitionMapsByPresentInList(merged, patch, mergeKey)
    : partitionPrimitivesByPresentInList(merged, patch);
  return normalizeElementOrder(patchItems, serverOnly, patch, serverOrder, mergeKey, kind);
}

function mergeSliceWithSpecialElements(
  original: Slice,
  patch: JsonValue[],
  mergeKey: string,
): { original: Slice; patch: JsonValue[] } {
  const withoutSpecial: JsonValue[] = [];
  let replace = false;
  for (const v of patch) {
    const typed = v as JsonObject;
    if (!own(typed, DIRECTIVE_MARKER)) {
      withoutSpecial.push(v);
      continue;
    }
    const directive = typed[DIRECTIVE_MARKER] ?? null;
    if (directive === 'delete') {
      if (!own(typed, mergeKey)) throw errNoMergeKey(typed, mergeKey);
      deleteMatchingEntries(original, mergeKey, typed[mergeKey] ?? null);
    } else if (directive === 'replace') {
      // Keeps going, to prune the other $patch elements.
      replace = true;
    } else if (directive === 'merge') {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, typed);
    }
  }
  if (replace) return { original: new Slice(withoutSpecial, withoutSpecial.length), patch: [] };
  return { original, patch: withoutSpecial };
}

function deleteMatchingEntries(original: Slice, mergeKey: string, mergeValue: JsonValue): void {
  for (;;) {
    const found = findMapInSliceBasedOnKeyValue(original.items(), mergeKey, mergeValue);
    if (!found) return;
    original.removeAt(found.index);
  }
}

function mergeSliceWithoutSpecialElements(
  original: Slice,
  patch: JsonValue[],
  mergeKey: string,
  schema: PatchSchema | undefined,
): JsonValue[] {
  for (const v of patch) {
    const typed = v as JsonObject;
    if (!own(typed, mergeKey)) throw errNoMergeKey(typed, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(original.items(), mergeKey, typed[mergeKey] ?? null);
    if (found) original.arr[found.index] = mergeMap(found.map, typed, schema);
    else original.push(v);
  }
  return original.items();
}

function deleteFromSlice(current: JsonValue[], toDelete: JsonValue[]): JsonValue[] {
  const del = new Set(toDelete.map(goKey));
  return current.filter((v) => !del.has(goKey(v)));
}

/** Upstream's in-place deduplication, which moves the last element into each duplicate's place. */
function deduplicateScalars(s: JsonValue[]): JsonValue[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (goEq(s[i], s[j])) {
        s[j] = s[length] ?? null;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

/**
 * Sorts the patch items by the patch order and the server-only items by the live order, then interleaves
 * them, keeping each server-only item before the first patch item that follows it in the live list.
 */
function normalizeElementOrder(
  patch: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const sortedPatch = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const sortedServerOnly = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(sortedServerOnly, sortedPatch, serverOrder, mergeKey, kind);
}

function normalizeSliceOrder(
  toSortIn: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  let toSort = toSortIn;
  let toDelete: JsonValue[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, [toSort, order]);
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  goSliceStable(toSort, (a, b) => {
    const ia = index(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = index(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...toSort, ...toDelete];
}

function validateMergeKeyInLists(mergeKey: string, lists: JsonValue[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isJsonObject(item)) throw errBadArgType('map', item);
      if (!own(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

function index(l: readonly JsonValue[], item: JsonValue, mergeKey: string, kind: ElementKind): number {
  const val = (v: JsonValue): JsonValue | undefined => {
    if (kind !== 'map') return v;
    return isJsonObject(v) ? v[mergeKey] : null;
  };
  const target = val(item);
  for (let i = 0; i < l.length; i++) if (goEq(target, val(l[i] ?? null))) return i;
  return -1;
}

function mergeSortedSlice(
  left: JsonValue[],
  right: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++] ?? null);
    else if (j >= right.length) out.push(left[i++] ?? null);
    else {
      const li = index(serverOrder, left[i] ?? null, mergeKey, kind);
      const ri = index(serverOrder, right[j] ?? null, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] ?? null);
      else out.push(right[j++] ?? null);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

const isDirectiveKey = (k: string): boolean =>
  k === DIRECTIVE_MARKER ||
  k === RETAIN_KEYS_DIRECTIVE ||
  k.startsWith(`${SET_ELEMENT_ORDER_PREFIX}/`) ||
  k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/`);

function dropDirectivesAndNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(dropDirectivesAndNulls);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, e] of Object.entries(v)) {
    if (e !== null && !isDirectiveKey(k)) put(out, k, dropDirectivesAndNulls(e));
  }
  return out;
}
