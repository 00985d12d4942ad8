/**
 * Field sets as structured-merge-diff (sigs.k8s.io/structured-merge-diff, packages fieldpath and
 * typed) computes them, and the `metadata.managedFields` encoding of apimachinery's managedfields
 * package. Ports of: fieldpath.Set and its operations, the FieldsV1 JSON format (serialize.go,
 * serialize-pe.go), typed.ToFieldSet, typed.Compare, Set.EnsureNamedFieldsAreMembers, and
 * internal/managedfields.go's manager identifiers and entry ordering.
 *
 * Values are plain JSON as stored; `undefined` means "absent", which upstream distinguishes from an
 * explicit null throughout.
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { fieldType, isNamedField, structDef, type TypeNode } from '../../kinds/list-types.ts';
import { isObject, type Json } from '../../object.ts';

// ---------------------------------------------------------------------------------------------
// Path elements

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  /** An item of a list keyed by fields; the pairs are sorted by field name. */
  | { readonly kind: 'key'; readonly fields: readonly (readonly [string, Json])[] }
  /** An item of a set (a list of scalars). */
  | { readonly kind: 'value'; readonly value: Json }
  /** An item of an atomic list; only appears in sets read from elsewhere. */
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

// Field elements are interned: a walk over a large object asks for the same few names many times,
// and interned elements let serializePathElement memoize their keys.
const fieldElements = new Map<string, PathElement>();
export const field = (name: string): PathElement => {
  let pe = fieldElements.get(name);
  if (!pe) {
    pe = { kind: 'field', name };
    if (fieldElements.size < 10_000) fieldElements.set(name, pe);
  }
  return pe;
};

/**
 * encoding/json as Go's standard library writes it: like JSON.stringify, plus the HTML-safe escapes
 * (jsoniter's ConfigCompatibleWithStandardLibrary, which fieldpath uses, does the same).
 */
const HTML_UNSAFE = /[<>&\u2028\u2029]/;

export function goJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (!HTML_UNSAFE.test(text)) return text;
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The FieldsV1 key of a path element: `f:name`, `k:{"name":"web"}`, `v:"x"`, `i:0`. */
const serialized = new WeakMap<PathElement, string>();

export function serializePathElement(pe: PathElement): string {
  let key = serialized.get(pe);
  if (key === undefined) serialized.set(pe, (key = serializePathElementUncached(pe)));
  return key;
}

function serializePathElementUncached(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

/** Unknown element types are skipped, as upstream does ("a future version maybe knows what they are"). */
export function deserializePathElement(s: string): PathElement | undefined {
  if (s.length < 2 || s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return field(body);
    case 'v':
      return { kind: 'value', value: JSON.parse(body) as Json };
    case 'k': {
      const obj: unknown = JSON.parse(body);
      if (!isObject(obj)) throw new Error(`expected an object: ${s}`);
      return keyElement(Object.entries(obj) as [string, Json][]);
    }
    case 'i': {
      const index = Number(body);
      if (!Number.isInteger(index)) throw new Error(`invalid index: ${s}`);
      return { kind: 'index', index };
    }
    default:
      return undefined;
  }
}

export function keyElement(fields: [string, Json][]): PathElement {
  return { kind: 'key', fields: [...fields].sort(([a], [b]) => compareStrings(a, b)) };
}

/** Go's %q for the strings that appear in paths and manager names. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** value.ToString: strings quoted, numbers and booleans bare. */
function valueToString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  return Object.entries(v)
    .map(([k, x]) => `${k}=${valueToString(x)}`)
    .join('');
}

/** fieldpath.Path.String, as conflict messages print it: `.spec.containers[name="web"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      switch (pe.kind) {
        case 'field':
          return `.${pe.name}`;
        case 'key':
          return `[${pe.fields.map(([k, v]) => `${k}=${valueToString(v)}`).join(',')}]`;
        case 'value':
          return `[=${valueToString(pe.value)}]`;
        case 'index':
          return `[${pe.index}]`;
      }
    })
    .join('');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const typeRank = (v: Json): number =>
  typeof v === 'number'
    ? 0
    : typeof v === 'string'
      ? 1
      : typeof v === 'boolean'
        ? 2
        : Array.isArray(v)
          ? 3
          : v === null
            ? 5
            : 4;

/** value.Compare's total order: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: Json, b: Json): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i] as Json, b[i] as Json);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).sort(compareStrings);
    const kb = Object.keys(b).sort(compareStrings);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c =
        compareStrings(ka[i] as string, kb[i] as string) ||
        compareValues(a[ka[i] as string] as Json, b[kb[i] as string] as Json);
      if (c !== 0) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

/** PathElement.Compare: field names, then keys, then set values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const rank = { field: 0, key: 1, value: 2, index: 3 } as const;
  if (a.kind !== b.kind) return rank[a.kind] - rank[b.kind];
  if (a.kind === 'field' && b.kind === 'field') return compareStrings(a.name, b.name);
  if (a.kind === 'value' && b.kind === 'value') return compareValues(a.value, b.value);
  if (a.kind === 'index' && b.kind === 'index') return a.index - b.index;
  if (a.kind === 'key' && b.kind === 'key') {
    for (let i = 0; i < Math.min(a.fields.length, b.fields.length); i++) {
      const [an, av] = a.fields[i] as readonly [string, Json];
      const [bn, bv] = b.fields[i] as readonly [string, Json];
      const c = compareStrings(an, bn) || compareValues(av, bv);
      if (c !== 0) return c;
    }
    return a.fields.length - b.fields.length;
  }
  return 0;
}

/** value.Equals: numbers by value, maps regardless of key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Sets

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * fieldpath.Set: members are fields in the set; children hold the subsets below a path element
 * (being a child does not make the element a member). Operations return new sets.
 */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** The empty path (the whole object) is never tracked, as upstream. */
  insert(path: Path): void {
    if (path.length === 0) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) s = s.descend(path[i] as PathElement);
    const last = path[path.length - 1] as PathElement;
    s.members.set(serializePathElement(last), last);
  }

  private descend(pe: PathElement): FieldSet {
    const key = serializePathElement(pe);
    let child = this.children.get(key);
    if (!child) {
      child = { pe, set: new FieldSet() };
      this.children.set(key, child);
    }
    return child.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && s; i++)
      s = s.children.get(serializePathElement(path[i] as PathElement))?.set;
    return !!s && s.members.has(serializePathElement(path[path.length - 1] as PathElement));
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** The subset below `pe`, without the prefix. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  private static build(
    members: Iterable<[string, PathElement]>,
    children: Iterable<[string, Child]>,
  ): FieldSet {
    const s = new FieldSet();
    for (const [k, pe] of members) s.members.set(k, pe);
    for (const [k, c] of children) if (!c.set.isEmpty()) s.children.set(k, c);
    return s;
  }

  union(o: FieldSet): FieldSet {
    const children = new Map(this.children);
    for (const [k, c] of o.children) {
      const mine = children.get(k);
      children.set(k, mine ? { pe: mine.pe, set: mine.set.union(c.set) } : c);
    }
    return FieldSet.build([...this.members, ...o.members], children);
  }

  intersection(o: FieldSet): FieldSet {
    const children: [string, Child][] = [];
    for (const [k, c] of this.children) {
      const theirs = o.children.get(k);
      if (theirs) children.push([k, { pe: c.pe, set: c.set.intersection(theirs.set) }]);
    }
    return FieldSet.build(
      [...this.members].filter(([k]) => o.members.has(k)),
      children,
    );
  }

  /** Leaf-wise difference: a member of `o` does not remove this set's children below it. */
  difference(o: FieldSet): FieldSet {
    const children: [string, Child][] = [];
    for (const [k, c] of this.children) {
      const theirs = o.children.get(k);
      children.push([k, theirs ? { pe: c.pe, set: c.set.difference(theirs.set) } : c]);
    }
    return FieldSet.build(
      [...this.members].filter(([k]) => !o.members.has(k)),
      children,
    );
  }

  /** Like difference, but a member of `o` removes everything below it too. */
  recursiveDifference(o: FieldSet): FieldSet {
    const children: [string, Child][] = [];
    for (const [k, c] of this.children) {
      if (o.members.has(k)) continue;
      const theirs = o.children.get(k);
      children.push([k, theirs ? { pe: c.pe, set: c.set.recursiveDifference(theirs.set) } : c]);
    }
    return FieldSet.build(
      [...this.members].filter(([k]) => !o.members.has(k)),
      children,
    );
  }

  equals(o: FieldSet): boolean {
    if (this.members.size !== o.members.size || this.children.size !== o.children.size) return false;
    for (const k of this.members.keys()) if (!o.members.has(k)) return false;
    for (const [k, c] of this.children) {
      const theirs = o.children.get(k);
      if (!theirs || !c.set.equals(theirs.set)) return false;
    }
    return true;
  }

  sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  sortedChildren(): Child[] {
    return [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /** Every member path in Set.Iterate's order: this level's members, then each child's, depth first. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = this.sortedMembers().map((pe) => [...prefix, pe]);
    for (const c of this.sortedChildren()) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// FieldsV1

/** The FieldsV1 JSON of a set; `.` marks an element that is a member and also has children. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  return emit(set, false);
}

function emit(set: FieldSet, includeSelf: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const members = set.sortedMembers();
  const children = set.sortedChildren();
  if (includeSelf && (members.length > 0 || children.length > 0)) out['.'] = {};
  let mi = 0;
  let ci = 0;
  while (mi < members.length || ci < children.length) {
    const m = members[mi];
    const c = children[ci];
    const cmp = m && c ? comparePathElements(m, c.pe) : m ? -1 : 1;
    if (cmp < 0 && m) {
      out[serializePathElement(m)] = {};
      mi++;
    } else if (c) {
      out[serializePathElement(c.pe)] = emit(c.set, cmp === 0);
      if (cmp === 0) mi++;
      ci++;
    }
  }
  return out;
}

/** Reads FieldsV1 JSON; an empty object marks a member, as does a `.` key. */
export function fromFieldsV1(json: unknown): FieldSet {
  return readV1(json).set ?? new FieldSet();
}

function readV1(json: unknown): { set: FieldSet | undefined; isMember: boolean } {
  if (!isObject(json)) throw new Error('FieldsV1 must be a JSON object');
  let set: FieldSet | undefined;
  let isMember = false;
  for (const [key, value] of Object.entries(json)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    const pe = deserializePathElement(key);
    if (!pe) continue;
    const child = readV1(value);
    set ??= new FieldSet();
    if (child.isMember) set.insert([pe]);
    if (child.set) {
      for (const p of child.set.paths()) set.insert([pe, ...p]);
    }
  }
  if (!set) isMember = true;
  return { set, isMember };
}

// ---------------------------------------------------------------------------------------------
// Typed views of values

/** How a value is handled at a node: as one leaf, as a granular map, or as a list merged by items. */
export type Shape = 'leaf' | 'map' | 'list';

export function shapeOf(node: TypeNode, ...values: unknown[]): Shape {
  const present = values.filter((v) => v !== undefined && v !== null);
  const allMaps = present.every(isObject);
  const allLists = present.every(Array.isArray);
  switch (node.kind) {
    case 'scalar':
      return 'leaf';
    case 'untyped':
      return present.length > 0 && allMaps ? 'map' : 'leaf';
    case 'struct':
      return structDef(node)?.atomic || !allMaps ? 'leaf' : 'map';
    case 'map':
      return node.atomic || !allMaps ? 'leaf' : 'map';
    case 'list':
      return node.list.type === 'atomic' || !allLists ? 'leaf' : 'list';
  }
}

export const elementType = (node: TypeNode): TypeNode => (node.kind === 'list' ? node.elem : node);

export class TypedError extends Error {}

/**
 * The path element of a list item (listItemToPathElement): a key of the list-map keys the item has
 * (falling back to the schema's defaults), or the value itself for sets.
 */
export function itemElement(node: TypeNode, item: unknown): PathElement {
  if (node.kind !== 'list' || node.list.type === 'atomic')
    throw new TypedError('invalid indexing of non-associative list');
  const keys = node.list.keys ?? [];
  if (node.list.type === 'map' && keys.length > 0) {
    if (item === null) throw new TypedError('associative list with keys may not have a null element');
    if (!isObject(item)) throw new TypedError('associative list with keys may not have non-map elements');
    const fields: [string, Json][] = [];
    for (const k of keys) {
      if (k in item) fields.push([k, item[k] as Json]);
      else if (node.keyDefaults && k in node.keyDefaults) fields.push([k, node.keyDefaults[k] as Json]);
    }
    if (fields.length === 0) {
      throw new TypedError(
        `associative list with keys has an element that omits all key fields [${keys.map(goQuote).join(' ')}] (and doesn't have default values for any key fields)`,
      );
    }
    return keyElement(fields);
  }
  if (isObject(item)) throw new TypedError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new TypedError('not supported: associative list with lists as elements');
  if (item === null)
    throw new TypedError("associative list without keys has an element that's an explicit null");
  return { kind: 'value', value: item as Json };
}

/** typed.ToFieldSet: every leaf, every list item, and map keys that are unnamed, null or empty. */
export function toFieldSet(value: unknown, node: TypeNode): FieldSet {
  const set = new FieldSet();
  walkFieldSet(value, node, [], set);
  return set;
}

function walkFieldSet(value: unknown, node: TypeNode, path: Path, set: FieldSet): void {
  const shape = shapeOf(node, value);
  if (shape === 'leaf') {
    set.insert(path);
    return;
  }
  if (shape === 'map') {
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const childPath = [...path, field(key)];
      walkFieldSet(child, fieldType(node, key), childPath, set);
      if (
        child === null ||
        (isObject(child) && Object.keys(child).length === 0) ||
        !isNamedField(node, key)
      ) {
        set.insert(childPath);
      }
    }
    return;
  }
  if (!Array.isArray(value)) return;
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const pes = value.map((item) => itemElement(node, item));
  for (const pe of pes) {
    const k = serializePathElement(pe);
    if (seen.has(k) && !duplicates.has(k)) {
      set.insert([...path, pe]);
      duplicates.add(k);
    }
    seen.add(k);
  }
  value.forEach((item, i) => {
    const pe = pes[i] as PathElement;
    if (duplicates.has(serializePathElement(pe))) return;
    walkFieldSet(item, elementType(node), [...path, pe], set);
    set.insert([...path, pe]);
  });
}

export interface Comparison {
  removed: FieldSet;
  modified: FieldSet;
  added: FieldSet;
}

/** typed.Compare: which fields `rhs` added, modified or removed relative to `lhs`. */
export function compareTyped(lhs: unknown, rhs: unknown, node: TypeNode): Comparison {
  const out: Comparison = { removed: new FieldSet(), modified: new FieldSet(), added: new FieldSet() };
  walkCompare(lhs, rhs, node, [], out);
  return out;
}

function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function walkCompare(lhs: unknown, rhs: unknown, node: TypeNode, path: Path, out: Comparison): void {
  const shape = shapeOf(node, lhs, rhs);
  // Both sides empty or null is compared as a leaf, which keeps the empty/null distinction.
  if (shape === 'leaf' || (isEmptyValue(lhs) && isEmptyValue(rhs))) {
    if (lhs === undefined) out.added.insert(path);
    else if (rhs === undefined) out.removed.insert(path);
    else if (!jsonEqual(lhs, rhs)) out.modified.insert(path);
    return;
  }
  if (shape === 'map') {
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    for (const key of new Set([...Object.keys(l), ...Object.keys(r)])) {
      walkCompare(l[key], r[key], fieldType(node, key), [...path, field(key)], out);
    }
  } else {
    compareListItems(Array.isArray(lhs) ? lhs : [], Array.isArray(rhs) ? rhs : [], node, path, out);
  }
  if (lhs === undefined) out.added.insert(path);
  else if (rhs === undefined) out.removed.insert(path);
}

function groupItems(node: TypeNode, list: unknown[]): Map<string, { pe: PathElement; items: unknown[] }> {
  const groups = new Map<string, { pe: PathElement; items: unknown[] }>();
  for (const item of list) {
    const pe = itemElement(node, item);
    const k = serializePathElement(pe);
    const g = groups.get(k);
    if (g) g.items.push(item);
    else groups.set(k, { pe, items: [item] });
  }
  return groups;
}

function compareListItems(lhs: unknown[], rhs: unknown[], node: TypeNode, path: Path, out: Comparison): void {
  const l = groupItems(node, lhs);
  const r = groupItems(node, rhs);
  const elem = elementType(node);
  for (const k of new Set([...l.keys(), ...r.keys()])) {
    const lg = l.get(k);
    const rg = r.get(k);
    const pe = (lg ?? rg)?.pe as PathElement;
    const li = lg?.items ?? [];
    const ri = rg?.items ?? [];
    const itemPath = [...path, pe];
    if (li.length <= 1 && ri.length <= 1) {
      walkCompare(li[0], ri[0], elem, itemPath, out);
    } else if (li.length >= 2 && ri.length >= 2) {
      // Duplicates on both sides are compared like an atomic value.
      if (!jsonEqual(li, ri)) out.modified.insert(itemPath);
    } else if (li.length >= 2) {
      if (ri.length > 0) walkCompare(undefined, ri[0], elem, itemPath, out);
      out.removed.insert(itemPath);
    } else {
      if (li.length > 0) walkCompare(li[0], undefined, elem, itemPath, out);
      out.added.insert(itemPath);
    }
  }
}

/**
 * Set.EnsureNamedFieldsAreMembers: also count as members the named fields that only have children,
 * so that pruning can drop a struct once nothing below it is owned.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: TypeNode): FieldSet {
  const out = new FieldSet();
  for (const pe of set.sortedMembers()) out.insert([pe]);
  for (const c of set.sortedChildren()) {
    let childType: TypeNode | undefined;
    if (c.pe.kind === 'field' && (node.kind === 'struct' || node.kind === 'untyped' || node.kind === 'map')) {
      if (isNamedField(node, c.pe.name)) out.insert([c.pe]);
      childType = fieldType(node, c.pe.name);
    } else if (c.pe.kind === 'key' && node.kind === 'list') {
      childType = node.elem;
    }
    const sub = childType ? ensureNamedFieldsAreMembers(c.set, childType) : c.set;
    for (const p of sub.paths()) out.insert([c.pe, ...p]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Managed fields entries

export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

/** fieldpath.ManagedFields plus the entries' times, keyed by manager identifier. */
export interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string | undefined>;
}

export const emptyManaged = (): Managed => ({ fields: new Map(), times: new Map() });

export function cloneManaged(m: Managed): Managed {
  return {
    fields: new Map([...m.fields].map(([k, v]) => [k, { ...v }])),
    times: new Map(m.times),
  };
}

export interface ManagerInfo {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  subresource?: string;
}

/**
 * BuildManagerIdentifier: the entry minus its fields and time, as Go marshals it (struct field
 * order, empty strings omitted). Appliers leave out the API version so that they keep one entry
 * whatever version they apply with.
 */
export function managerIdentifier(info: ManagerInfo): string {
  const parts = [`"manager":${goJson(info.manager)}`, `"operation":${goJson(info.operation)}`];
  if (info.operation === 'Update' && info.apiVersion) parts.push(`"apiVersion":${goJson(info.apiVersion)}`);
  if (info.subresource) parts.push(`"subresource":${goJson(info.subresource)}`);
  return `{${parts.join(',')}}`;
}

export function parseIdentifier(id: string): ManagerInfo | undefined {
  try {
    const v: unknown = JSON.parse(id);
    if (!isObject(v) || typeof v.manager !== 'string') return undefined;
    return {
      manager: v.manager,
      operation: v.operation === 'Apply' ? 'Apply' : 'Update',
      ...(typeof v.apiVersion === 'string' ? { apiVersion: v.apiVersion } : {}),
      ...(typeof v.subresource === 'string' ? { subresource: v.subresource } : {}),
    };
  } catch {
    return undefined;
  }
}

/** DecodeManagedFields; throws on the entries upstream rejects. */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[]): Managed {
  const managed = emptyManaged();
  entries.forEach((e, i) => {
    if (e.operation !== 'Apply' && e.operation !== 'Update')
      throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (!e.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1')
      throw new Error(`invalid fieldsType "${e.fieldsType}" in managed fields entry ${i}`);
    const id = managerIdentifier({
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.subresource ? { subresource: e.subresource } : {}),
    });
    managed.fields.set(id, {
      set: e.fieldsV1 === undefined ? new FieldSet() : fromFieldsV1(e.fieldsV1),
      apiVersion: e.apiVersion,
      applied: e.operation === 'Apply',
    });
    managed.times.set(id, e.time);
  });
  return managed;
}

const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/** encodeManagedFields: Apply entries first, then oldest first, then by manager, version, subresource. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const info = parseIdentifier(id);
    const time = managed.times.get(id);
    entries.push({
      manager: info?.manager ?? '',
      operation: vs.applied ? 'Apply' : (info?.operation ?? 'Update'),
      apiVersion: vs.apiVersion,
      ...(time ? { time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(vs.set),
      ...(info?.subresource ? { subresource: info.subresource } : {}),
    });
  }
  return entries.sort(
    (p, q) =>
      compareStrings(p.operation ?? '', q.operation ?? '') ||
      seconds(p.time) - seconds(q.time) ||
      compareStrings(p.manager ?? '', q.manager ?? '') ||
      compareStrings(p.apiVersion ?? '', q.apiVersion ?? '') ||
      compareStrings(p.subresource ?? '', q.subresource ?? ''),
  );
}
