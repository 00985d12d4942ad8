/**
 * Server-side apply and managedFields bookkeeping, after upstream's field manager
 * (k8s.io/apimachinery/pkg/util/managedfields/internal, wired in NewDefaultFieldManager) and the
 * merge algorithm of sigs.k8s.io/structured-merge-diff (merge/update.go, typed/merge.go,
 * typed/remove.go). The managers compose as upstream does:
 *
 *   VersionCheck → LastAppliedUpdater → LastAppliedManager → SkipNonApplied → CapManagers →
 *   BuildManagerInfo → ManagedFieldsUpdater → StripMeta → structured merge
 *
 * Everything here is pure: inputs are never mutated, and the server does its own defaulting,
 * validation, status resetting and storage afterwards.
 */
import { createHash } from 'node:crypto';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { fieldType, rootType, structDef, type TypeNode } from '../../kinds/list-types.ts';
import { resourceForKind } from '../../kinds/registry.ts';
import { cloneJson, isObject, type KubeObject } from '../../object.ts';
import {
  cloneManaged,
  compareTyped,
  decodeManagedFields,
  elementType,
  emptyManaged,
  encodeManagedFields,
  ensureNamedFieldsAreMembers,
  field,
  FieldSet,
  goJson,
  goQuote,
  itemElement,
  jsonEqual,
  managerIdentifier,
  parseIdentifier,
  pathString,
  serializePathElement,
  shapeOf,
  toFieldSet,
  TypedError,
  type Comparison,
  type Managed,
  type Path,
  type PathElement,
  type VersionedSet,
} from './managed-fields.ts';

// ---------------------------------------------------------------------------------------------
// Errors, shaped like the Status bodies the apiserver sends

export interface ApplyConflict {
  /** The manager name as recorded in managedFields. */
  manager: string;
  /** The field path as upstream prints it: `.spec.replicas`, `.spec.containers[name="web"].image`. */
  field: string;
  apiVersion: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
  /** The cause message: `conflict with "kubectl-client-side-apply" using apps/v1`. */
  message: string;
}

export interface StatusCause {
  type?: string;
  reason?: string;
  message: string;
  field: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason?: string;
  details?: { group?: string; kind?: string; causes: StatusCause[] };
  code: number;
}

/** 409 from an apply that would take fields other managers own (errors.NewApplyConflict). */
export class ApplyConflictError extends Error {
  readonly code = 409;
  readonly reason = 'Conflict';
  readonly conflicts: ApplyConflict[];

  constructor(conflicts: ApplyConflict[], message: string) {
    super(message);
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }

  // On the wire a cause's type is the JSON field `reason` (metav1.StatusCause.Type is tagged json:"reason").
  get causes(): StatusCause[] {
    return this.conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: c.message,
      field: c.field,
    }));
  }

  get status(): StatusBody {
    return failure(this.code, this.message, this.reason, { causes: this.causes });
  }
}

/** Any other rejected apply: 400 BadRequest, or 500 with no reason for upstream's untyped errors. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 500,
    readonly reason: 'BadRequest' | '',
  ) {
    super(message);
    this.name = 'ApplyError';
  }

  get status(): StatusBody {
    return failure(this.code, this.message, this.reason || undefined);
  }
}

function failure(
  code: number,
  message: string,
  reason?: string,
  details?: StatusBody['details'],
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/**
 * ValidatePatchOptions (apimachinery/pkg/api/validation): apply needs a fieldManager, and `force` is
 * only for apply. Both are 422 Invalid on PatchOptions, not 400. Returns undefined when valid.
 */
export function patchOptionsStatus(
  apply: boolean,
  fieldManager: string | null | undefined,
  force: string | null | undefined,
): StatusBody | undefined {
  let cause: StatusCause | undefined;
  if (!apply && force !== null && force !== undefined) {
    cause = {
      reason: 'FieldValueForbidden',
      message: 'Forbidden: may not be specified for non-apply patch',
      field: 'force',
    };
  } else if (apply && !fieldManager) {
    cause = {
      reason: 'FieldValueRequired',
      message: 'Required value: is required for apply patch',
      field: 'fieldManager',
    };
  }
  if (!cause) return undefined;
  return failure(422, `PatchOptions.meta.k8s.io "" is invalid: ${cause.field}: ${cause.message}`, 'Invalid', {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [cause],
  });
}

/** Thrown inside the merge when other managers own changed fields; turned into ApplyConflictError. */
class Conflicts extends Error {
  constructor(readonly sets: Map<string, VersionedSet>) {
    super('conflicts');
  }
}

// ---------------------------------------------------------------------------------------------
// Field managers

/**
 * handlers' prefixFromUserAgent: the part before the first '/', printable characters only, at most
 * 128 bytes (`kubectl/v1.31.0 (linux/amd64) kubernetes/abc` → `kubectl`). kubectl itself sends
 * `fieldManager=kubectl-client-side-apply`, `kubectl-edit`, `kubectl-create` and so on, so the
 * User-Agent only names clients that send none. Where nothing usable is left this returns
 * "unknown", the name buildManagerInfo records for an empty manager.
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > 128) break;
    out += ch;
    bytes += size;
  }
  return out || 'unknown';
}

const CURRENT_OPERATION = 'current-operation';
const BEFORE_FIRST_APPLY = 'before-first-apply';
const ANCIENT_CHANGES = 'ancient-changes';
const MAX_UPDATE_MANAGERS = 10;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** stripmeta.go: fields no manager ever owns. */
const STRIPPED = FieldSet.of(
  [field('apiVersion')],
  [field('kind')],
  [field('metadata')],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((f) => [field('metadata'), field(f)]),
);

interface Context {
  node: TypeNode;
  apiVersion: string;
  subresource: string | undefined;
  /** The strategy's reset fields (GetResetFields), excluded from every manager's set. */
  reset: FieldSet | undefined;
  now: string;
}

/**
 * The registry strategies' GetResetFields: the main resource never owns status, and the status
 * subresource owns neither spec nor what its PrepareForUpdate copies back from the old object.
 */
function resetFields(
  apiVersion: string,
  kind: string,
  subresource: string | undefined,
): FieldSet | undefined {
  const r = resourceForKind(apiVersion, kind);
  const hasStatus = r?.subresources.some((s) => s.name === 'status') ?? false;
  if (!subresource) return hasStatus ? FieldSet.of([field('status')]) : undefined;
  if (subresource !== 'status') return undefined;
  const paths: Path[] = [[field('spec')]];
  if (apiVersion === 'v1' && kind === 'Pod') {
    paths.push(
      [field('metadata'), field('deletionTimestamp')],
      [field('metadata'), field('ownerReferences')],
    );
  } else if (r?.group === 'apps') {
    paths.push([field('metadata'), field('labels')]);
  }
  return FieldSet.of(...paths);
}

function contextFor(apiVersion: string, kind: string, subresource: string | undefined, now: string): Context {
  return {
    node: rootType(apiVersion, kind),
    apiVersion,
    subresource,
    reset: resetFields(apiVersion, kind, subresource),
    now,
  };
}

const excludeReset = (ctx: Context, s: FieldSet): FieldSet =>
  ctx.reset ? s.recursiveDifference(ctx.reset) : s;

// ---------------------------------------------------------------------------------------------
// Typed values: Go's view of a stored object, merge and removal

/**
 * Upstream compares Go objects, in which non-pointer structs are `{}` and a few non-omitempty
 * fields null even when no client sent them. Filling those in keeps `.` (the field itself) out of
 * the sets for `spec`, `spec.template` and the like, as upstream's entries look.
 */
function withSkeleton(value: unknown, node: TypeNode): unknown {
  if (Array.isArray(value)) {
    return node.kind === 'list' && node.list.type !== 'atomic'
      ? value.map((item) => withSkeleton(item, node.elem))
      : value;
  }
  if (!isObject(value) || shapeOf(node, value) !== 'map') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = withSkeleton(v, fieldType(node, k));
  for (const f of structDef(node)?.always ?? []) {
    if (out[f] === undefined) out[f] = withSkeleton({}, fieldType(node, f));
  }
  for (const f of NULL_WHEN_EMPTY[node.kind === 'struct' ? node.name : ''] ?? []) {
    if (out[f] === undefined) out[f] = null;
  }
  return out;
}

/** Non-omitempty fields that Go writes as null: metav1.Time and slices without `omitempty`. */
const NULL_WHEN_EMPTY: Record<string, string[]> = {
  ObjectMeta: ['creationTimestamp'],
  PodSpec: ['containers'],
  EndpointSlice: ['endpoints'],
  LimitRangeSpec: ['limits'],
};

/** Drops what withSkeleton added and no one sent: `{}` at always-present fields, and nulls. */
function withoutSkeleton(value: unknown, raws: unknown[], node: TypeNode): unknown {
  if (Array.isArray(value)) {
    if (node.kind !== 'list' || node.list.type === 'atomic') return value;
    return value.map((item) => {
      const key = elementKey(node, item);
      const rawItems = raws.map((r) =>
        Array.isArray(r) && key ? r.find((x) => elementKey(node, x) === key) : undefined,
      );
      return withoutSkeleton(item, rawItems, node.elem);
    });
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  // Keys in the order the stored object, then the configuration, had them; merged maps are unordered.
  const order = new Set([...raws.flatMap((r) => (isObject(r) ? Object.keys(r) : [])), ...Object.keys(value)]);
  for (const k of order) {
    const v = value[k];
    // Go's decoding drops nulls (nil pointers, maps and slices are omitted when written back).
    if (v === undefined || v === null) continue;
    out[k] = withoutSkeleton(
      v,
      raws.map((r) => (isObject(r) ? r[k] : undefined)),
      fieldType(node, k),
    );
  }
  if (shapeOf(node, value) === 'map') {
    for (const f of structDef(node)?.always ?? []) {
      const v = out[f];
      if (isObject(v) && Object.keys(v).length === 0 && raws.every((r) => !isObject(r) || r[f] === undefined))
        delete out[f];
    }
  }
  return out;
}

function elementKey(node: TypeNode, item: unknown): string | undefined {
  try {
    return serializePathElement(itemElement(node, item));
  } catch {
    return undefined;
  }
}

function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** typed.Merge with ruleKeepRHS: the applied configuration wins, maps and associative lists merge. */
function merge(lhs: unknown, rhs: unknown, node: TypeNode): unknown {
  if (lhs === undefined && rhs === undefined) return undefined;
  const shape = shapeOf(node, lhs, rhs);
  if (shape === 'leaf' || (isEmptyValue(lhs) && isEmptyValue(rhs)))
    return cloneJson(rhs !== undefined ? rhs : lhs);
  if (shape === 'map') {
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(l), ...Object.keys(r)])) {
      const v = merge(l[key], r[key], fieldType(node, key));
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return mergeList(Array.isArray(lhs) ? lhs : [], Array.isArray(rhs) ? rhs : [], node);
}

/**
 * mergingWalker.visitListItems: items keep the live order, items only in the configuration go
 * where the configuration puts them relative to the items both have, and a live key that is
 * duplicated is replaced by the configuration's item.
 */
function mergeList(lhs: unknown[], rhs: unknown[], node: TypeNode): unknown[] | undefined {
  const elem = elementType(node);
  const key = (pe: PathElement): string => serializePathElement(pe);
  const rhsPEs = rhs.map((item) => itemElement(node, item));
  const lhsPEs = lhs.map((item) => itemElement(node, item));
  const observedRHS = new Map<string, unknown>();
  rhsPEs.forEach((pe, i) => observedRHS.set(key(pe), rhs[i]));
  const observedLHS = new Map<string, unknown>();
  lhsPEs.forEach((pe, i) => observedLHS.set(key(pe), observedLHS.has(key(pe)) ? null : lhs[i]));

  const sharedOrder = rhsPEs.filter((pe) => observedLHS.has(key(pe))).map(key);
  let nextShared = sharedOrder.shift();
  const mergedRHS = new Set<string>();
  const out: unknown[] = [];
  const push = (v: unknown): void => {
    if (v !== undefined) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  while (lI < lhsPEs.length || rI < rhsPEs.length) {
    if (lI < lhsPEs.length && rI < rhsPEs.length) {
      const k = key(lhsPEs[lI] as PathElement);
      if (k === key(rhsPEs[rI] as PathElement)) {
        mergedRHS.add(k);
        push(merge(observedLHS.get(k), observedRHS.get(k), elem));
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (observedRHS.has(k) && nextShared !== undefined && nextShared !== k) {
        lI++;
        continue;
      }
    }
    if (lI < lhsPEs.length) {
      const k = key(lhsPEs[lI] as PathElement);
      if (!observedRHS.has(k)) {
        push(merge(lhs[lI], undefined, elem));
        lI++;
        continue;
      } else if (mergedRHS.has(k)) {
        lI++;
      }
    }
    if (rI < rhsPEs.length) {
      const k = key(rhsPEs[rI] as PathElement);
      mergedRHS.add(k);
      push(merge(observedLHS.get(k), observedRHS.get(k), elem));
      rI++;
      if (nextShared === k) nextShared = sharedOrder.shift();
    }
  }
  return out.length > 0 ? out : undefined;
}

/** typed.RemoveItems: a container emptied by the removal becomes null, as upstream leaves it. */
function removeItems(value: unknown, toRemove: FieldSet, node: TypeNode): unknown {
  const shape = shapeOf(node, value);
  if (shape === 'leaf')
    return node.kind !== 'scalar' && (isObject(value) || Array.isArray(value)) ? null : value;
  if (shape === 'map') {
    if (!isObject(value) || Object.keys(value).length === 0) return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = field(k);
      if (toRemove.has([pe])) continue;
      const sub = toRemove.withPrefix(pe);
      out[k] = sub.isEmpty() ? v : removeItems(v, sub, fieldType(node, k));
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  if (!Array.isArray(value) || value.length === 0) return null;
  const items: unknown[] = [];
  for (const item of value) {
    const pe = itemElement(node, item);
    if (toRemove.has([pe])) continue;
    const sub = toRemove.withPrefix(pe);
    items.push(sub.isEmpty() ? item : removeItems(item, sub, elementType(node)));
  }
  return items.length > 0 ? items : null;
}

// ---------------------------------------------------------------------------------------------
// merge.Updater

/**
 * Updater.update: ownership of fields the new object changed leaves the other managers (or, for an
 * apply without force, is reported as conflicts); fields it removed leave everyone.
 */
function updateManagers(
  ctx: Context,
  live: unknown,
  next: unknown,
  fields: Map<string, VersionedSet>,
  workflow: string,
  force: boolean,
): Comparison {
  const raw = compareTyped(live, next, ctx.node);
  const cmp: Comparison = {
    removed: excludeReset(ctx, raw.removed),
    modified: excludeReset(ctx, raw.modified),
    added: excludeReset(ctx, raw.added),
  };
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, VersionedSet>();
  for (const [manager, vs] of fields) {
    if (manager === workflow) continue;
    // Sets recorded at other API versions would be converted first; the simulator has one version per kind.
    const c = vs.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(manager, { set: c, apiVersion: vs.apiVersion, applied: false });
  }
  if (!force && conflicts.size > 0) throw new Conflicts(conflicts);
  for (const [manager, c] of conflicts) {
    const vs = fields.get(manager) as VersionedSet;
    fields.set(manager, { ...vs, set: vs.set.difference(c.set) });
  }
  if (!cmp.removed.isEmpty()) {
    for (const [manager, vs] of fields) {
      if (manager !== workflow) fields.set(manager, { ...vs, set: vs.set.difference(cmp.removed) });
    }
  }
  for (const [manager, vs] of fields) if (vs.set.isEmpty()) fields.delete(manager);
  return cmp;
}

/** Updater.Update: the writer owns whatever it added or changed. */
function structuredUpdate(
  ctx: Context,
  live: unknown,
  next: unknown,
  fields: Map<string, VersionedSet>,
  manager: string,
): void {
  const cmp = updateManagers(ctx, live, next, fields, manager, true);
  const mine = fields.get(manager)?.set ?? new FieldSet();
  const set = excludeReset(ctx, mine.difference(cmp.removed).union(cmp.modified).union(cmp.added));
  if (set.isEmpty()) fields.delete(manager);
  else fields.set(manager, { set, apiVersion: ctx.apiVersion, applied: false });
}

/**
 * Updater.Apply: merge the configuration into the live object, make the applier own exactly what
 * it applied, prune what it owned before and dropped, and settle ownership with the others.
 * Returns undefined when the object did not change.
 */
function structuredApply(
  ctx: Context,
  live: unknown,
  config: unknown,
  fields: Map<string, VersionedSet>,
  manager: string,
  force: boolean,
): unknown {
  let merged = merge(live, config, ctx.node);
  const lastSet = fields.get(manager);
  fields.set(manager, {
    set: excludeReset(ctx, toFieldSet(config, ctx.node)),
    apiVersion: ctx.apiVersion,
    applied: true,
  });
  merged = prune(ctx, merged, fields, lastSet);
  updateManagers(ctx, live, merged, fields, manager, force);
  return jsonEqual(live, merged) ? undefined : merged;
}

/**
 * Updater.prune with addBackOwnedItems and addBackDanglingItems: remove a field or item iff the
 * applier applied it last time, does not apply it now, and no manager (applier or updater) owns it.
 */
function prune(
  ctx: Context,
  merged: unknown,
  fields: Map<string, VersionedSet>,
  lastSet: VersionedSet | undefined,
): unknown {
  if (!lastSet || lastSet.set.isEmpty()) return merged;
  const ensure = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, ctx.node);
  const last = ensure(lastSet.set);
  let pruned = removeItems(merged, last, ctx.node);

  let owned = new FieldSet();
  for (const vs of fields.values()) owned = owned.union(vs.set);
  const mergedSet = ensure(toFieldSet(merged, ctx.node));
  pruned = removeItems(
    merged,
    mergedSet.difference(ensure(toFieldSet(pruned, ctx.node)).union(ensure(owned))),
    ctx.node,
  );

  const prunedSet = ensure(toFieldSet(pruned, ctx.node));
  return removeItems(merged, mergedSet.difference(prunedSet).intersection(last), ctx.node);
}

// ---------------------------------------------------------------------------------------------
// The manager chain below SkipNonApplied

function stripMeta(m: Managed, id: string): void {
  const vs = m.fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(STRIPPED);
  if (set.isEmpty()) m.fields.delete(id);
  else m.fields.set(id, { ...vs, set });
}

const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/** capmanagers.go: merge the oldest Update entries into per-version "ancient-changes" buckets. */
function capUpdateManagers(m: Managed): void {
  const updaters = [...m.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(m.times.get(a)) - seconds(m.times.get(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i] as string;
    const vs = m.fields.get(id) as VersionedSet;
    const bucket = managerIdentifier({
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: vs.apiVersion,
    });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!m.fields.has(bucket)) {
      m.fields.set(bucket, m.fields.get(first) as VersionedSet);
      m.fields.delete(first);
    }
    m.fields.set(bucket, {
      set: vs.set.union((m.fields.get(bucket) as VersionedSet).set),
      apiVersion: vs.apiVersion,
      applied: vs.applied,
    });
    if (id !== bucket) m.fields.delete(id);
    length--;
    m.times.set(bucket, m.times.get(id));
  }
}

/**
 * CapManagers → BuildManagerInfo → ManagedFieldsUpdater → StripMeta → Updater.Update. The write is
 * recorded as "current-operation" and then merged into the manager's existing Update entry, whose
 * time moves only if the write changed something.
 */
function updateChain(ctx: Context, live: unknown, next: unknown, managed: Managed, manager: string): Managed {
  const m = cloneManaged(managed);
  const id = managerIdentifier({
    manager: manager || 'unknown',
    operation: 'Update',
    apiVersion: ctx.apiVersion,
    ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
  });
  structuredUpdate(ctx, live, next, m.fields, CURRENT_OPERATION);
  stripMeta(m, CURRENT_OPERATION);
  const current = m.fields.get(CURRENT_OPERATION);
  if (current) {
    m.fields.delete(CURRENT_OPERATION);
    const previous = m.fields.get(id);
    m.fields.set(id, previous ? { ...current, set: current.set.union(previous.set) } : current);
    m.times.set(id, ctx.now);
  }
  capUpdateManagers(m);
  return m;
}

/**
 * SkipNonApplied → CapManagers → BuildManagerInfo → ManagedFieldsUpdater → StripMeta →
 * Updater.Apply. An object nobody tracked yet is first attributed, field by field, to
 * "before-first-apply", so the first applier conflicts with what was already there.
 */
function applyChain(
  ctx: Context,
  live: unknown,
  config: unknown,
  managed: Managed,
  manager: string,
  force: boolean,
): { object: unknown; managed: Managed } {
  let m = cloneManaged(managed);
  if (m.fields.size === 0) m = updateChain(ctx, emptyObject(ctx), live, m, BEFORE_FIRST_APPLY);
  const id = managerIdentifier({
    manager: manager || 'unknown',
    operation: 'Apply',
    ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
  });
  let object = structuredApply(ctx, live, config, m.fields, id, force);
  stripMeta(m, id);
  if (object !== undefined) m.times.set(id, ctx.now);
  else object = live;
  return { object, managed: m };
}

/** objectCreater.New(gvk): the zero object, which has no apiVersion or kind. */
const emptyObject = (ctx: Context): unknown => withSkeleton({}, ctx.node);

// ---------------------------------------------------------------------------------------------
// Entry points

/** A shallow copy is enough: everything here builds new values and never mutates its inputs. */
function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata) return { ...obj };
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[] | undefined): KubeObject {
  const metadata = { ...(obj.metadata ?? {}) };
  if (entries) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...obj, metadata };
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const gv = typeof apiVersion === 'string' ? apiVersion : '';
  const [group, version] = gv.includes('/') ? (gv.split('/', 2) as [string, string]) : ['', gv];
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/** merge.Conflicts rendered by internal/conflict.go's NewConflictError. */
function conflictError(sets: Map<string, VersionedSet>): ApplyConflictError {
  const conflicts: ApplyConflict[] = [];
  const byManager: { label: string; paths: string[] }[] = [];
  for (const id of [...sets.keys()].sort()) {
    const vs = sets.get(id) as VersionedSet;
    const info = parseIdentifier(id);
    const label = printManager(id);
    const paths = vs.set.paths().map(pathString);
    byManager.push({ label, paths });
    for (const p of paths) {
      conflicts.push({
        manager: info?.manager ?? id,
        field: p,
        apiVersion: vs.apiVersion,
        operation: info?.operation ?? 'Update',
        ...(info?.subresource ? { subresource: info.subresource } : {}),
        message: `conflict with ${label}`,
      });
    }
  }
  const first = byManager[0];
  const message =
    conflicts.length === 1 && first
      ? `Apply failed with 1 conflict: conflict with ${first.label}: ${first.paths[0]}`
      : `Apply failed with ${conflicts.length} conflicts: ${byManager
          .map((g) => [`conflicts with ${g.label}:`, ...g.paths.map((p) => `- ${p}`)].join('\n'))
          .join('\n')}`;
  return new ApplyConflictError(conflicts, message);
}

/** printManager: `"kubectl"` for appliers, `"x" using apps/v1` for updaters, plus any subresource. */
function printManager(id: string): string {
  const info = parseIdentifier(id);
  if (!info) return goQuote(id);
  let s = goQuote(info.manager);
  if (info.subresource) s = `${s} with subresource ${goQuote(info.subresource)}`;
  return info.operation === 'Update' ? `${s} using ${info.apiVersion ?? ''}` : s;
}

/**
 * The structural checks of typed.AsTyped on the applied configuration: associative lists need
 * their keys and may not repeat one. Upstream answers these with a bare 500.
 */
function validateConfig(value: unknown, node: TypeNode, path: Path, errors: string[]): void {
  const shape = shapeOf(node, value);
  if (shape === 'map' && isObject(value)) {
    for (const [k, v] of Object.entries(value))
      validateConfig(v, fieldType(node, k), [...path, field(k)], errors);
  } else if (shape === 'list' && Array.isArray(value)) {
    const prefix = pathString(path);
    const at = (msg: string): string => (prefix ? `${prefix}: ${msg}` : msg);
    const seen = new Set<string>();
    value.forEach((item, i) => {
      let pe: PathElement;
      try {
        pe = itemElement(node, item);
      } catch (error) {
        errors.push(at(`element ${i}: ${(error as Error).message}`));
        return;
      }
      const k = serializePathElement(pe);
      if (seen.has(k)) {
        errors.push(at(`duplicate entries for key ${pathString([pe])}`));
        return;
      }
      seen.add(k);
      validateConfig(item, elementType(node), [...path, pe], errors);
    });
  }
}

/**
 * lastappliedmanager.go: for kubectl's own server-side apply, the fields whose live value still
 * matches the client-side apply annotation may be taken over without a conflict.
 */
function allowedFromLastApplied(
  ctx: Context,
  liveRaw: KubeObject | undefined,
  liveTyped: unknown,
): FieldSet | undefined {
  const annotation = liveRaw?.metadata?.annotations?.[LAST_APPLIED];
  if (!annotation) return undefined;
  try {
    const last: unknown = JSON.parse(annotation);
    if (!isObject(last) || last.apiVersion !== ctx.apiVersion) return undefined;
    const cmp = compareTyped(last, liveTyped, ctx.node);
    return toFieldSet(last, ctx.node).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/** Go's encoding of an unstructured object: sorted keys, HTML-safe escapes, trailing newline. */
function encodeUnstructured(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted(v[k])]),
          )
        : v;
  return `${goJson(sorted(value))}\n`;
}

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`). `live` is undefined when the
 * apply creates the object. Returns the merged object with its managedFields; throws
 * ApplyConflictError (409) or ApplyError (400/500).
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  options: {
    manager: string;
    force: boolean;
    now: string;
    /** For `PATCH …/status` with apply. */
    subresource?: string;
    /** The kind served at the URL; defaults to the live object's, or the applied one's on create. */
    target?: { apiVersion: string; kind: string };
  },
): KubeObject {
  const target = options.target ?? (live ? { apiVersion: live.apiVersion, kind: live.kind } : applied);
  if (applied.apiVersion !== target.apiVersion || applied.kind !== target.kind) {
    throw new ApplyError(
      `invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`,
      400,
      'BadRequest',
    );
  }
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields ?? []);
  } catch (error) {
    throw new ApplyError(`failed to decode managed fields: ${(error as Error).message}`, 500, '');
  }
  const appliedMeta: unknown = applied.metadata;
  if (
    isObject(appliedMeta) &&
    appliedMeta.managedFields !== undefined &&
    appliedMeta.managedFields !== null
  ) {
    throw new ApplyError('metadata.managedFields must be nil', 400, 'BadRequest');
  }
  const ctx = contextFor(target.apiVersion, target.kind, options.subresource, options.now);
  const errors: string[] = [];
  validateConfig(applied, ctx.node, [], errors);
  if (errors.length > 0) {
    const which = `${applied.metadata?.namespace ?? ''}/${applied.metadata?.name ?? ''}; ${gvkString(applied.apiVersion, applied.kind)}`;
    const detail = errors.length === 1 ? errors[0] : `errors:\n  ${errors.join('\n  ')}`;
    throw new ApplyError(`failed to create typed patch object (${which}): ${detail}`, 500, '');
  }

  const liveRaw = live ? withoutManagedFields(live) : undefined;
  const liveTyped = withSkeleton(liveRaw ?? {}, ctx.node);
  const config = cloneJson(applied);
  const run = (force: boolean): { object: unknown; managed: Managed } => {
    try {
      return applyChain(ctx, liveTyped, config, managed, options.manager, force);
    } catch (error) {
      if (error instanceof TypedError) throw new ApplyError(error.message, 500, '');
      throw error;
    }
  };

  let result: { object: unknown; managed: Managed };
  try {
    result = run(options.force);
  } catch (error) {
    if (!(error instanceof Conflicts)) throw error;
    // Only kubectl's own apply upgrades from client-side apply; other managers opt out by name.
    const allowed =
      options.manager === 'kubectl' ? allowedFromLastApplied(ctx, liveRaw, liveTyped) : undefined;
    if (!allowed) throw conflictError(error.sets);
    const remaining = new Map<string, VersionedSet>();
    for (const [id, vs] of error.sets) {
      const left = FieldSet.of(...vs.set.paths().filter((p) => !allowed.has(p)));
      if (!left.isEmpty()) remaining.set(id, { ...vs, set: left });
    }
    if (remaining.size > 0) throw conflictError(remaining);
    result = run(true);
  }

  let out = withoutSkeleton(result.object, [liveRaw, applied], ctx.node) as KubeObject;
  // lastappliedupdater.go: keep the client-side annotation in step so a later client-side apply agrees.
  const annotations = out.metadata?.annotations;
  if (options.manager === 'kubectl' && annotations?.[LAST_APPLIED]) {
    const lastApplied = cloneJson(applied);
    if (lastApplied.metadata?.annotations) {
      delete lastApplied.metadata.annotations[LAST_APPLIED];
      if (Object.keys(lastApplied.metadata.annotations).length === 0) delete lastApplied.metadata.annotations;
    }
    out = {
      ...out,
      metadata: {
        ...out.metadata,
        annotations: { ...annotations, [LAST_APPLIED]: encodeUnstructured(lastApplied) },
      },
    };
  }
  return withManagedFields(out, encodeManagedFields(result.managed));
}

/** isResetManagedFields: `[]` or `[{}]` from the client clears managedFields. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return (
    entries.length === 1 &&
    isObject(entries[0]) &&
    Object.values(entries[0]).every((v) => v === undefined || v === '' || v === null)
  );
}

function decodeOrEmpty(entries: readonly ManagedFieldsEntry[] | undefined): Managed {
  try {
    return decodeManagedFields(entries ?? []);
  } catch {
    return emptyManaged();
  }
}

/**
 * Records a non-apply write (create, update, patch) in managedFields: the fields it added or changed
 * move to `manager`'s Update entry. `before` is undefined for a create. As upstream's
 * decodeLiveOrNew, managedFields the client sent win over the stored ones (except on subresources),
 * and an object whose managedFields are empty is not tracked again until something applies to it.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  options: { manager: string; now: string; subresource?: string },
): KubeObject {
  const sent = after.metadata?.managedFields;
  // A create that sends no managedFields: the writer owns every field, so the entry depends on
  // the object's shape only, and objects made from one template (a ReplicaSet's pods, the
  // kubelet's events) share it. Computing it once per shape saves most of a create's cost.
  // Kept as a digest: the key is built by thousands of concatenations, and V8 keeps such a
  // string as a tree of its pieces (tens of KB per key), which 4096 cached shapes multiplied
  // into the soak's steady heap growth.
  const shape =
    before === undefined && (sent === undefined || sent === null)
      ? createHash('sha256')
          .update(
            `${String(after.apiVersion)}|${String(after.kind)}|${options.subresource ?? ''}|${options.manager}|${shapeKey(withoutManagedFields(after))}`,
          )
          .digest('base64')
      : undefined;
  const cached = shape === undefined ? undefined : createdEntries.get(shape);
  if (shape !== undefined && cached !== undefined) {
    // Least recently used goes first: a template still creating objects keeps its entry.
    createdEntries.delete(shape);
    createdEntries.set(shape, cached);
    const entries = (JSON.parse(cached) as ManagedFieldsEntry[]).map((e) => ({ ...e, time: options.now }));
    return withManagedFields(withoutManagedFields(after), entries);
  }
  const out = recordUpdateSlow(before, after, options);
  if (shape !== undefined) {
    createdEntries.set(shape, JSON.stringify(out.metadata?.managedFields ?? []));
    if (createdEntries.size > CREATED_SHAPES) {
      const oldest = createdEntries.keys().next().value;
      if (oldest !== undefined) createdEntries.delete(oldest);
    }
  }
  return out;
}

// A shape repeats while one template creates objects (a ReplicaSet's pods, a kubelet's events);
// an owner's uid is part of it, so each new owner adds shapes. 256 recent ones keep the hits, and a
// few KB of managedFields JSON each stay a bounded megabyte: at 4096 the cache took a soak's first
// twenty iterations to fill, and showed as ten-odd MB of steady heap growth.
const CREATED_SHAPES = 256;
/** digest of a shape key → the managedFields entries (JSON) a create of that shape records. */
const createdEntries = new Map<string, string>();

/**
 * What a field set is made of: map keys, null and empty-object members, and — since list items
 * are keyed by their values — whole lists. Leaf values do not matter, so it is cheaper than the
 * field set it stands for.
 */
function shapeKey(value: unknown): string {
  if (value === null) return 'n';
  if (Array.isArray(value)) return `A${JSON.stringify(value)}`;
  if (typeof value === 'object') {
    let out = '{';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      out += `${JSON.stringify(k)}:${shapeKey(v)},`;
    }
    return `${out}}`;
  }
  return typeof value === 'string' ? 's' : typeof value === 'number' ? 'd' : 'b';
}

function recordUpdateSlow(
  before: KubeObject | undefined,
  after: KubeObject,
  options: { manager: string; now: string; subresource?: string },
): KubeObject {
  const ctx = contextFor(after.apiVersion, after.kind, options.subresource, options.now);
  const sent = after.metadata?.managedFields;
  let managed: Managed;
  if (options.subresource) managed = decodeOrEmpty(before?.metadata?.managedFields);
  else if (isReset(sent)) managed = emptyManaged();
  else {
    managed = decodeOrEmpty(sent);
    if (managed.fields.size === 0) managed = decodeOrEmpty(before?.metadata?.managedFields);
  }
  const next = withoutManagedFields(after);
  if (managed.fields.size === 0 && before?.metadata?.uid) return next;
  try {
    const liveTyped = withSkeleton(before ? withoutManagedFields(before) : {}, ctx.node);
    const result = updateChain(ctx, liveTyped, withSkeleton(next, ctx.node), managed, options.manager);
    return withManagedFields(next, encodeManagedFields(result));
  } catch (error) {
    // UpdateNoErrors: a write is never refused over its bookkeeping; the stored entries stay.
    if (!(error instanceof TypedError)) throw error;
    return withManagedFields(next, before?.metadata?.managedFields);
  }
}
