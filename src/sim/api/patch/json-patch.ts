/**
 * RFC 6902 JSON Patch (`application/json-patch+json`) as the apiserver applies it: through
 * evanphx/json-patch v4.12.0 (the version Kubernetes 1.27–1.33 vendor), whose quirks clients see, e.g.
 * negative array indices counting from the end, `replace` of a missing object key adding it, `copy` of a
 * missing key adding null. Its error texts are kept in PatchError.message, though for a failed operation
 * the apiserver only answers a generic 422 (PatchError.status()).
 */

/** The status code the apiserver would answer with is in `code`. */
export type PatchErrorCode = 400 | 413 | 415 | 422 | 500;

/** The Status the apiserver sends for a failed patch. */
export interface PatchStatus {
  code: PatchErrorCode;
  /** metav1.StatusReason; '' is StatusReasonUnknown. */
  reason: string;
  message: string;
}

/** `message` is upstream's own error text; `status()` is what reaches the client. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: PatchErrorCode = 422,
  ) {
    super(message);
    this.name = 'PatchError';
  }

  /**
   * The Status body, as the apiserver's patch handler wraps each failure (apiserver/pkg/endpoints/
   * handlers/patch.go): NewBadRequest keeps the text; NewRequestEntityTooLargeError prefixes it; a 422 is
   * NewGenericServerResponse, which drops it for a fixed sentence; an error that is no API status at all
   * becomes a 500 with reason Unknown. Undefined for a panic, which is answered with plain text.
   */
  status(): PatchStatus | undefined {
    switch (this.code) {
      case 400:
        return { code: 400, reason: 'BadRequest', message: this.message };
      case 413:
        return {
          code: 413,
          reason: 'RequestEntityTooLarge',
          message: `Request entity too large: ${this.message}`,
        };
      case 415:
        return { code: 415, reason: 'UnsupportedMediaType', message: this.message };
      case 422:
        return {
          code: 422,
          reason: 'Invalid',
          message: 'the server rejected our request due to an error in our request',
        };
      default:
        return this.message === PANIC_MESSAGE ? undefined : { code: 500, reason: '', message: this.message };
    }
  }
}

/**
 * What a Go panic inside a patch turns into: the apiserver's panic-recovery filter
 * (apiserver/pkg/server/filters WithPanicRecovery) answers 500 with this text/plain body.
 */
export const PANIC_MESSAGE = 'This request caused apiserver to panic. Look in the logs for details.';
export const panicError = (): PatchError => new PatchError(PANIC_MESSAGE, 500);

export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property, even `__proto__`, which plain assignment would turn into a prototype change. */
export function put(o: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

export function own(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key);
}

/** A deep copy, so that patching never touches the caller's values; `undefined` members are dropped. */
export function cloneJson(v: unknown): JsonValue {
  if (Array.isArray(v)) return v.map((e) => cloneJson(e === undefined ? null : e));
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const [k, e] of Object.entries(v)) if (e !== undefined) put(out, k, cloneJson(e));
    return out;
  }
  if (v === undefined) return null;
  return v as JsonValue;
}

/** The JSON type name that encoding/json puts in "cannot unmarshal X into Go value of type T". */
export function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Go's strconv.Quote, for the printable-ASCII-or-not strings that reach error messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------------

/** apiserver/pkg/endpoints/handlers/patch.go: maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;
/**
 * The apiserver arms jsonpatch.AccumulatedCopySizeLimit from its JSONPatchMaxCopyBytes, 3 MiB by default
 * (apiserver/pkg/server/config.go), so repeated `copy` cannot blow up an object.
 */
const COPY_SIZE_LIMIT = 3 * 1024 * 1024;

/**
 * Upstream holds values as lazy nodes, and two kinds of null differ from a document's null (a nil node):
 * the null an operation writes with `"value": null` is a node without raw bytes, which v4.12.0
 * dereferences when a later path walks through it; a copy of that node holds the bytes `null`, which
 * decode to a nil map.
 */
const OP_NULL = Symbol('op-null');
const COPIED_NULL = Symbol('copied-null');
type Node = null | boolean | number | string | typeof OP_NULL | typeof COPIED_NULL | Node[] | NodeObject;
type NodeObject = { [key: string]: Node };
type Container = NodeObject | Node[];
/** The container a walk through a copied null yields: reads find nothing, writes panic. */
const NIL_MAP: NodeObject = Object.freeze({}) as NodeObject;

type Operation = JsonObject;
type Result<T> = { ok: T } | { err: string };

/** A wrapped error reads "context: cause", as errors.Wrapf prints it. */
class OpError extends Error {}
const wrap = (context: string, cause: string): OpError => new OpError(`${context}: ${cause}`);
const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/**
 * Applies a JSON patch to a copy of `doc`. Throws PatchError: 400 when `operations` is not a JSON array of
 * objects (upstream: jsonpatch.DecodePatch fails), 413 past 10000 operations, 422 when an operation fails,
 * 500 where upstream panics.
 */
export function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  const ops = decodePatch(operations);
  if (ops.length > MAX_OPERATIONS) {
    throw new PatchError(
      `The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${ops.length}`,
      413,
    );
  }
  let root = cloneJson(doc);
  if (root === null) root = {};
  if (typeof root !== 'object') {
    throw new PatchError(
      `json: cannot unmarshal ${jsonKind(root)} into Go value of type jsonpatch.partialDoc`,
    );
  }
  const state: State = { root: root as Container, copied: 0 };
  for (const op of ops) {
    try {
      applyOperation(state, op);
    } catch (e) {
      if (e instanceof OpError) throw new PatchError(e.message, 422);
      throw e;
    }
  }
  return toJson(state.root);
}

interface State {
  root: Container;
  copied: number;
}

function toJson(n: Node): JsonValue {
  if (n === OP_NULL || n === COPIED_NULL) return null;
  if (Array.isArray(n)) return n.map(toJson);
  if (n !== null && typeof n === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(n)) put(out, k, toJson(v));
    return out;
  }
  return n;
}

/** jsonpatch.DecodePatch: json.Unmarshal into []map[string]*json.RawMessage; null is no operations. */
function decodePatch(operations: unknown): (Operation | null)[] {
  if (operations === null || operations === undefined) return [];
  if (!Array.isArray(operations)) {
    throw new PatchError(
      `json: cannot unmarshal ${jsonKind(operations)} into Go value of type jsonpatch.Patch`,
      400,
    );
  }
  return operations.map((op: unknown) => {
    if (op === null || op === undefined) return null;
    if (!isJsonObject(op)) {
      throw new PatchError(
        `json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`,
        400,
      );
    }
    return cloneJson(op) as Operation;
  });
}

function applyOperation(state: State, op: Operation | null): void {
  const kind = opKind(op);
  const o = op ?? {};
  switch (kind) {
    case 'add':
      return add(state, o);
    case 'remove':
      return remove(state, o);
    case 'replace':
      return replace(state, o);
    case 'move':
      return move(state, o);
    case 'test':
      return test(state, o);
    case 'copy':
      return copy(state, o);
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

function opKind(op: Operation | null): string {
  const v = op && own(op, 'op') ? op.op : null;
  return typeof v === 'string' ? v : 'unknown';
}

/** Operation.Path / Operation.From: absent or null is "missing", a non-string fails to unmarshal. */
function stringField(op: Operation, field: 'path' | 'from'): Result<string> {
  const v = own(op, field) ? op[field] : null;
  if (v === null || v === undefined) {
    return {
      err:
        field === 'path'
          ? `operation missing path field: ${MISSING}`
          : `operation, missing from field: ${MISSING}`,
    };
  }
  if (typeof v !== 'string')
    return { err: `json: cannot unmarshal ${jsonKind(v)} into Go value of type string` };
  return { ok: v };
}

/** Operation.value(): an absent `value` is a nil node (a plain null); `"value": null` is an OP_NULL. */
function opValue(op: Operation): { present: boolean; value: JsonValue; node: Node } {
  if (!own(op, 'value')) return { present: false, value: null, node: null };
  const value = cloneJson(op.value);
  return { present: true, value, node: value === null ? OP_NULL : (value as Node) };
}

/** RFC 6901 unescaping; strings.NewReplacer("~1", "/", "~0", "~") scans left to right, as the RFC requires. */
const decodeKey = (k: string): string => k.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));

/**
 * findObject: the container holding the last path segment. A path without a '/' has no container; a path
 * that does not start with '/' still has its first segment dropped, as upstream splits on '/'.
 */
function findObject(root: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let doc: Container = root;
  for (const part of split.slice(1, -1)) {
    const next = get(doc, decodeKey(part));
    if ('err' in next || next.ok === null) return undefined;
    if (next.ok === OP_NULL) throw panicError();
    if (next.ok === COPIED_NULL) doc = NIL_MAP;
    else if (typeof next.ok !== 'object') return undefined;
    else doc = next.ok;
  }
  return { con: doc, key: decodeKey(split[split.length - 1] ?? '') };
}

/** strconv.Atoi on a 64-bit platform. */
function atoi(s: string): Result<bigint> {
  if (!/^[+-]?[0-9]+$/.test(s)) return { err: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    return { err: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  }
  return { ok: n };
}

const invalidIndex = (idx: bigint): string => `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;

/** partialDoc.get never fails (a missing key is a nil node); partialArray.get checks the index. */
function get(con: Container, key: string): Result<Node> {
  if (!Array.isArray(con)) return { ok: Object.hasOwn(con, key) ? (con[key] ?? null) : null };
  const parsed = atoi(key);
  if ('err' in parsed) return parsed;
  let idx = parsed.ok;
  const len = BigInt(con.length);
  if (idx < 0n) {
    if (idx < -len) return { err: invalidIndex(idx) };
    idx += len;
  }
  if (idx >= len) return { err: invalidIndex(parsed.ok) };
  return { ok: con[Number(idx)] ?? null };
}

function setKey(con: NodeObject, key: string, value: Node): void {
  // Assigning into the nil map of a copied null.
  if (con === NIL_MAP) throw panicError();
  if (key === '__proto__')
    Object.defineProperty(con, key, { value, enumerable: true, writable: true, configurable: true });
  else con[key] = value;
}

function addTo(con: Container, key: string, value: Node): Result<true> {
  if (!Array.isArray(con)) {
    setKey(con, key, value);
    return { ok: true };
  }
  if (key === '-') {
    con.push(value);
    return { ok: true };
  }
  const parsed = atoi(key);
  if ('err' in parsed) return { err: `value was not a proper array index: '${key}': ${parsed.err}` };
  let idx = parsed.ok;
  // Upstream sizes the grown array first, so a negative index counts from its end: -1 appends.
  const size = BigInt(con.length + 1);
  if (idx >= size) return { err: invalidIndex(idx) };
  if (idx < 0n) {
    if (idx < -size) return { err: invalidIndex(idx) };
    idx += size;
  }
  con.splice(Number(idx), 0, value);
  return { ok: true };
}

function removeFrom(con: Container, key: string): Result<true> {
  if (!Array.isArray(con)) {
    if (!Object.hasOwn(con, key)) return { err: `Unable to remove nonexistent key: ${key}: ${MISSING}` };
    delete con[key];
    return { ok: true };
  }
  const parsed = atoi(key);
  if ('err' in parsed) return parsed;
  let idx = parsed.ok;
  const len = BigInt(con.length);
  if (idx >= len) return { err: invalidIndex(idx) };
  if (idx < 0n) {
    if (idx < -len) return { err: invalidIndex(idx) };
    idx += len;
  }
  con.splice(Number(idx), 1);
  return { ok: true };
}

/** Only reached after get succeeded, so an array index is valid. */
function setIn(con: Container, key: string, value: Node): void {
  if (!Array.isArray(con)) return setKey(con, key, value);
  let idx = Number((atoi(key) as { ok: bigint }).ok);
  if (idx < 0) idx += con.length;
  con[idx] = value;
}

function add(state: State, op: Operation): void {
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('add operation failed to decode path', MISSING);
  const found = findObject(state.root, path.ok);
  if (!found) throw wrap(`add operation does not apply: doc is missing path: "${path.ok}"`, MISSING);
  const r = addTo(found.con, found.key, opValue(op).node);
  if ('err' in r) throw wrap(`error in add for path: '${path.ok}'`, r.err);
}

function remove(state: State, op: Operation): void {
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('remove operation failed to decode path', MISSING);
  const found = findObject(state.root, path.ok);
  if (!found) throw wrap(`remove operation does not apply: doc is missing path: "${path.ok}"`, MISSING);
  const r = removeFrom(found.con, found.key);
  if ('err' in r) throw wrap(`error in remove for path: '${path.ok}'`, r.err);
}

function replace(state: State, op: Operation): void {
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('replace operation failed to decode path', path.err);
  if (path.ok === '') {
    const v = opValue(op);
    if (!v.present) throw panicError();
    // v4.12.0 wraps a nil error here, and errors.Wrapf(nil, …) is nil: replacing the whole document
    // with a scalar silently does nothing.
    if (v.value !== null && typeof v.value === 'object') state.root = v.value as Container;
    return;
  }
  const found = findObject(state.root, path.ok);
  if (!found) throw wrap(`replace operation does not apply: doc is missing path: ${path.ok}`, MISSING);
  // partialDoc.get cannot fail, so a missing object key is added rather than refused.
  if ('err' in get(found.con, found.key)) {
    throw wrap(`replace operation does not apply: doc is missing key: ${path.ok}`, MISSING);
  }
  setIn(found.con, found.key, opValue(op).node);
}

function move(state: State, op: Operation): void {
  const from = stringField(op, 'from');
  if ('err' in from) throw wrap('move operation failed to decode from', from.err);
  const src = findObject(state.root, from.ok);
  if (!src) throw wrap(`move operation does not apply: doc is missing from path: ${from.ok}`, MISSING);
  const val = get(src.con, src.key);
  if ('err' in val) throw wrap(`error in move for path: '${src.key}'`, val.err);
  const removed = removeFrom(src.con, src.key);
  if ('err' in removed) throw wrap(`error in move for path: '${src.key}'`, removed.err);
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('move operation failed to decode path', path.err);
  const dst = findObject(state.root, path.ok);
  if (!dst) throw wrap(`move operation does not apply: doc is missing destination path: ${path.ok}`, MISSING);
  const r = addTo(dst.con, dst.key, val.ok);
  if ('err' in r) throw wrap(`error in move for path: '${path.ok}'`, r.err);
}

function copy(state: State, op: Operation): void {
  const from = stringField(op, 'from');
  if ('err' in from) throw wrap('copy operation failed to decode from', from.err);
  const src = findObject(state.root, from.ok);
  if (!src) throw wrap(`copy operation does not apply: doc is missing from path: ${from.ok}`, MISSING);
  const val = get(src.con, src.key);
  if ('err' in val) throw wrap(`error in copy for from: '${from.ok}'`, val.err);
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('copy operation failed to decode path', MISSING);
  const dst = findObject(state.root, path.ok);
  if (!dst) throw wrap(`copy operation does not apply: doc is missing destination path: ${path.ok}`, MISSING);
  // deepCopy re-encodes the node; a nil node (a missing key or a document null) copies as nil, 0 bytes.
  let copied: Node = null;
  if (val.ok !== null) {
    const json = toJson(val.ok);
    state.copied += goJsonSize(json);
    if (state.copied > COPY_SIZE_LIMIT) {
      throw new OpError(
        `Unable to complete the copy, the accumulated size increase of copy is ${state.copied}, exceeding the limit ${COPY_SIZE_LIMIT}`,
      );
    }
    copied = json === null ? COPIED_NULL : (json as Node);
  }
  const r = addTo(dst.con, dst.key, copied);
  if ('err' in r) throw wrap('error while adding value during copy', r.err);
}

function test(state: State, op: Operation): void {
  const path = stringField(op, 'path');
  if ('err' in path) throw wrap('test operation failed to decode path', path.err);
  const expected = opValue(op);
  const failed = (): OpError => wrap(`testing value ${path.ok} failed`, 'test failed');
  if (path.ok === '') {
    if (!expected.present) throw panicError();
    if (nodesEqual(state.root, expected.value)) return;
    throw failed();
  }
  const found = findObject(state.root, path.ok);
  if (!found) throw wrap(`test operation does not apply: is missing path: ${path.ok}`, MISSING);
  const val = get(found.con, found.key);
  if ('err' in val) throw wrap(`error in test for path: '${path.ok}'`, val.err);
  if (val.ok === null) {
    // A missing key and a document null are the same nil node, so `"value": null` also tests for
    // absence; v4.12.0 dereferences the missing value of a test without one.
    if (!expected.present) throw panicError();
    if (expected.value === null) return;
    throw failed();
  }
  if (!expected.present) throw failed();
  if (val.ok === OP_NULL ? expected.value === null : nodesEqual(val.ok, expected.value)) return;
  throw failed();
}

/**
 * lazyNode.equal of a document node with an operation's value: structural equality, except that a null
 * in an array that gets compared is a nil node upstream, whose method call panics, that an operation's
 * null is never equal to anything below the top, and that a copied null decodes as an empty object.
 */
function nodesEqual(a: Node, b: JsonValue): boolean {
  if (a === OP_NULL) return false;
  if (a === COPIED_NULL) return isJsonObject(b) && Object.keys(b).length === 0;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((e, i) => {
      const be = b[i] ?? null;
      if (e === null || be === null) throw panicError();
      return nodesEqual(e, be);
    });
  }
  if (a !== null && typeof a === 'object') {
    if (!isJsonObject(b)) return false;
    const ak = Object.keys(a);
    if (ak.length !== Object.keys(b).length) return false;
    for (const k of ak) {
      if (!own(b, k)) return false;
      const av = a[k] ?? null;
      const bv = b[k] ?? null;
      if ((av === null) !== (bv === null)) return false;
      if (av !== null && !nodesEqual(av, bv)) return false;
    }
    return true;
  }
  // Scalars compare as compacted JSON text.
  return b !== null && typeof b !== 'object' && JSON.stringify(a) === JSON.stringify(b);
}

/** The length of encoding/json's output, which escapes <, > and & and the JS line separators. */
export function goJsonSize(v: JsonValue): number {
  const s = JSON.stringify(v).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return Buffer.byteLength(s, 'utf8');
}
