/**
 * A small in-memory Kubernetes API server, written for the tests only.
 *
 * This is NOT the project's cluster simulator (src/sim) and not a conformant apiserver. It exists so
 * that runner tests can point real HTTP clients (@kubernetes/client-node's KubernetesObjectApi,
 * kubectl, a spawned CLI process) at loopback HTTP instead of mocking the client library, which would
 * hide URL, content-type and error-shape bugs. It speaks just enough of the real REST shapes for that:
 * discovery, CRUD, list selectors, the three patch types, pod eviction and `Status` error bodies.
 *
 * Deliberately missing: auth, TLS, watch, admission/validation beyond object names, controllers,
 * garbage collection (except that deleting a Namespace drops its contents at once), server-side apply,
 * protobuf and YAML request bodies (so kubectl's typed generators such as `kubectl create namespace x`
 * get a 415; `kubectl apply -f` sends JSON and works). Readiness is faked instead of reconciled: with
 * `readyOnCreate` a workload gets an "everything is ready" status as soon as it is created or its spec
 * changes. The store starts empty: not even the `default` namespace exists until a test creates it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';

type Obj = Record<string, unknown>;

export interface KubeRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface RequestLogEntry {
  method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  path: string;
  /** Raw query string without the leading `?`, e.g. `labelSelector=app%3Dweb`; '' when absent. */
  query: string;
  contentType?: string;
  status: number;
}

export interface MemoryApiServerOptions {
  /** When true, Deployments/StatefulSets/DaemonSets/ReplicaSets get a status that says all replicas are ready/available as soon as they are created or their spec changes, and Pods get phase Running with a Ready=True condition. Default true. */
  readyOnCreate?: boolean;
}

export interface MemoryApiServer {
  readonly url: string;
  readonly requests: RequestLogEntry[];
  /** Writes a kubeconfig (YAML or JSON both fine) with cluster `memory`, user `memory` (no auth), context `memory` (current-context) pointing at url; returns the path. */
  writeKubeconfig(dir: string, contextName?: string): string;
  /** Store an object directly (no request logged); fills uid/resourceVersion/creationTimestamp. */
  seed(obj: Record<string, unknown>): void;
  get(ref: KubeRef): Record<string, unknown> | undefined;
  list(apiVersion: string, kind: string, namespace?: string): Record<string, unknown>[];
  /** Canonical dump for before/after comparisons: every object sorted by apiVersion/kind/namespace/name, with metadata.uid, resourceVersion, creationTimestamp, generation, managedFields and the whole `status` removed, as a JSON string (stable key order). */
  snapshot(): string;
  /** Number of mutating requests (POST/PUT/PATCH/DELETE) served so far. */
  mutations(): number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Kind table

type ReadyModel = 'replicas' | 'daemon' | 'pod';
type SubresourceName = 'status' | 'scale' | 'eviction';

interface KindInfo {
  readonly apiVersion: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Kinds with a spec carry metadata.generation, which rollout checks compare to status.observedGeneration. */
  readonly hasSpec: boolean;
  /** Kinds with a `status` subresource ignore status in main-resource writes, as the real apiserver does. */
  readonly subresources: readonly SubresourceName[];
  readonly shortNames: readonly string[];
  readonly ready?: ReadyModel;
}

interface KindOptions {
  namespaced?: boolean;
  spec?: boolean;
  sub?: readonly SubresourceName[];
  short?: readonly string[];
  ready?: ReadyModel;
}

function defineKind(apiVersion: string, kind: string, plural: string, o: KindOptions = {}): KindInfo {
  const slash = apiVersion.indexOf('/');
  return {
    apiVersion,
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind,
    plural,
    namespaced: o.namespaced ?? true,
    hasSpec: o.spec ?? false,
    subresources: o.sub ?? [],
    shortNames: o.short ?? [],
    ready: o.ready,
  };
}

// One line per kind, so supporting another kind is one more line. Short names matter for kubectl
// (`kubectl get deploy`), which only learns them from discovery.
// biome-ignore format: a table reads best with one kind per line
const KINDS: readonly KindInfo[] = [
  defineKind('v1', 'Namespace', 'namespaces', { namespaced: false, sub: ['status'], short: ['ns'] }),
  defineKind('v1', 'Node', 'nodes', { namespaced: false, spec: true, sub: ['status'], short: ['no'] }),
  defineKind('v1', 'Pod', 'pods', { spec: true, sub: ['status', 'eviction'], short: ['po'], ready: 'pod' }),
  defineKind('v1', 'Service', 'services', { spec: true, sub: ['status'], short: ['svc'] }),
  defineKind('v1', 'ConfigMap', 'configmaps', { short: ['cm'] }),
  defineKind('v1', 'Secret', 'secrets'),
  defineKind('v1', 'Event', 'events', { short: ['ev'] }),
  defineKind('v1', 'ServiceAccount', 'serviceaccounts', { short: ['sa'] }),
  defineKind('apps/v1', 'Deployment', 'deployments', {
    spec: true,
    sub: ['status', 'scale'],
    short: ['deploy'],
    ready: 'replicas',
  }),
  defineKind('apps/v1', 'ReplicaSet', 'replicasets', {
    spec: true,
    sub: ['status', 'scale'],
    short: ['rs'],
    ready: 'replicas',
  }),
  defineKind('apps/v1', 'DaemonSet', 'daemonsets', {
    spec: true,
    sub: ['status'],
    short: ['ds'],
    ready: 'daemon',
  }),
  defineKind('apps/v1', 'StatefulSet', 'statefulsets', {
    spec: true,
    sub: ['status', 'scale'],
    short: ['sts'],
    ready: 'replicas',
  }),
  defineKind('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', {
    spec: true,
    sub: ['status'],
    short: ['pdb'],
  }),
  defineKind('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', { spec: true, short: ['netpol'] }),
];

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const SUBRESOURCE_DISCOVERY: Record<SubresourceName, (k: KindInfo) => Obj> = {
  status: (k) => ({
    name: `${k.plural}/status`,
    singularName: '',
    namespaced: k.namespaced,
    kind: k.kind,
    verbs: ['get', 'patch', 'update'],
  }),
  scale: (k) => ({
    name: `${k.plural}/scale`,
    singularName: '',
    namespaced: k.namespaced,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    verbs: ['get', 'patch', 'update'],
  }),
  eviction: (k) => ({
    name: `${k.plural}/eviction`,
    singularName: '',
    namespaced: k.namespaced,
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
  }),
};

function findKind(apiVersion: string, kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
}

// ---------------------------------------------------------------------------------------------------
// Errors as Kubernetes Status bodies

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
  ) {
    super(message);
  }

  toStatus(): Obj {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

// The real apiserver qualifies non-core resources with their group (`deployments.apps "x" not found`);
// clients and humans grep for exactly that text, so mimic it.
const resourceLabel = (k: KindInfo): string => (k.group ? `${k.plural}.${k.group}` : k.plural);
const errorDetails = (k: KindInfo, name: string): Obj => ({
  name,
  ...(k.group ? { group: k.group } : {}),
  kind: k.plural,
});
const notFound = (k: KindInfo, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${resourceLabel(k)} "${name}" not found`, errorDetails(k, name));
const alreadyExists = (k: KindInfo, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${resourceLabel(k)} "${name}" already exists`, errorDetails(k, name));
const conflict = (k: KindInfo, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resourceLabel(k)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    errorDetails(k, name),
  );
const invalid = (k: KindInfo, name: string, why: string): ApiError =>
  new ApiError(422, 'Invalid', `${k.kind} "${name}" is invalid: ${why}`, errorDetails(k, name));
const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
const unknownPath = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
const methodNotAllowed = (): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

class PatchError extends Error {}

// ---------------------------------------------------------------------------------------------------
// JSON helpers

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const key of Object.keys(v).sort()) {
    if (v[key] !== undefined) out[key] = canonical(v[key]);
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function metadataOf(obj: Obj): Obj {
  if (!isObj(obj.metadata)) obj.metadata = {};
  return obj.metadata as Obj;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// Real timestamps have second precision; keeping that shape avoids surprises in client-side parsing.
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`invalid JSON in request body: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * kubectl's typed commands (`kubectl create namespace x`, ...) send protobuf; decoding that would need
 * the full schema, so answer 415 with a message that says why instead of a confusing JSON parse error.
 */
function jsonBody(call: { body: string; contentType: string | undefined }): Obj {
  const mediaType = mediaTypeOf(call.contentType);
  if (mediaType !== '' && mediaType !== 'application/json') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the in-memory test API server only accepts application/json bodies, not ${mediaType}`,
      {},
    );
  }
  const value = parseJson(call.body);
  if (!isObj(value)) throw badRequest('request body must be a JSON object');
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Patches

/** RFC 7386. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const result: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isNamedList(list: unknown[]): list is Obj[] {
  return list.length > 0 && list.every((e) => isObj(e) && typeof e.name === 'string');
}

/**
 * Strategic merge patch without the Go struct tags the real server reads: lists whose elements all
 * have a `name` merge element-wise (that covers containers, env, volumes, ports-by-name), every other
 * list is replaced. `$patch: delete` on a list element is honoured because kubectl emits it when a
 * container or env var is removed; other `$` directives are dropped.
 */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) {
    if (!Array.isArray(target) || !isNamedList(patch)) return patch.map((e) => strategicMerge(undefined, e));
    const result: unknown[] = [...target];
    for (const element of patch) {
      const index = result.findIndex((e) => isObj(e) && e.name === element.name);
      if (element.$patch === 'delete') {
        if (index >= 0) result.splice(index, 1);
      } else if (index >= 0) {
        result[index] = strategicMerge(result[index], element);
      } else {
        result.push(strategicMerge(undefined, element));
      }
    }
    return result;
  }
  if (!isObj(patch)) return clone(patch);
  const replace = patch.$patch === 'replace';
  const result: Obj = isObj(target) && !replace ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete result[key];
    else result[key] = strategicMerge(result[key], value);
  }
  return result;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index ${JSON.stringify(token)}`);
  const index = Number(token);
  if (index > length || (index === length && !allowEnd))
    throw new PatchError(`array index ${index} out of range`);
  return index;
}

function pointerGet(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const token of path) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isObj(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new PatchError(`path /${path.join('/')} does not exist`);
  }
  return node;
}

function pointerAdd(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = pointerGet(root, path.slice(0, -1));
  const token = path[path.length - 1] ?? '';
  if (Array.isArray(parent)) {
    parent.splice(token === '-' ? parent.length : arrayIndex(token, parent.length, true), 0, value);
  } else if (isObj(parent)) {
    parent[token] = value;
  } else {
    throw new PatchError(`cannot add at /${path.join('/')}: parent is not a container`);
  }
  return root;
}

function pointerRemove(root: unknown, path: readonly string[]): unknown {
  if (path.length === 0) throw new PatchError('cannot remove the whole document');
  const parent = pointerGet(root, path.slice(0, -1));
  const token = path[path.length - 1] ?? '';
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false), 1);
  else if (isObj(parent) && Object.hasOwn(parent, token)) delete parent[token];
  else throw new PatchError(`path /${path.join('/')} does not exist`);
  return root;
}

/** RFC 6902. */
function jsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations');
  let root = clone(doc);
  for (const op of operations) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new PatchError(`malformed JSON patch operation ${JSON.stringify(op)}`);
    }
    const path = parsePointer(op.path);
    const from = typeof op.from === 'string' ? parsePointer(op.from) : undefined;
    const needValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needValue && !('value' in op)) throw new PatchError(`operation ${op.op} needs a value`);
    if ((op.op === 'move' || op.op === 'copy') && from === undefined) {
      throw new PatchError(`operation ${op.op} needs a from`);
    }
    switch (op.op) {
      case 'add':
        root = pointerAdd(root, path, clone(op.value));
        break;
      case 'remove':
        root = pointerRemove(root, path);
        break;
      case 'replace':
        pointerGet(root, path);
        root =
          path.length === 0 ? clone(op.value) : pointerAdd(pointerRemove(root, path), path, clone(op.value));
        break;
      case 'test':
        if (!deepEqual(pointerGet(root, path), op.value))
          throw new PatchError(`test operation failed at ${op.path}`);
        break;
      case 'move': {
        const value = pointerGet(root, from ?? []);
        root = pointerAdd(pointerRemove(root, from ?? []), path, value);
        break;
      }
      case 'copy':
        root = pointerAdd(root, path, clone(pointerGet(root, from ?? [])));
        break;
      default:
        throw new PatchError(`unsupported JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------
// Selectors

type Predicate<T> = (value: T) => boolean;

/** Splits on commas outside parentheses, so `env in (a,b),tier` is two requirements. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const LABEL_KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const LABEL_VALUE = '[-A-Za-z0-9_.]*';
const RE_NOT_EXISTS = new RegExp(`^!\\s*(${LABEL_KEY})$`);
const RE_SET = new RegExp(`^(${LABEL_KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const RE_EQUALITY = new RegExp(`^(${LABEL_KEY})\\s*(!=|==|=)\\s*(${LABEL_VALUE})$`);
const RE_NUMERIC = new RegExp(`^(${LABEL_KEY})\\s*(<|>)\\s*(-?\\d+)$`);
const RE_EXISTS = new RegExp(`^(${LABEL_KEY})$`);

function compileLabelRequirement(expr: string): Predicate<Obj> {
  const label = (labels: Obj, key: string): string | undefined => {
    const v = labels[key];
    return typeof v === 'string' ? v : undefined;
  };
  let m = RE_NOT_EXISTS.exec(expr);
  if (m) {
    const key = m[1] ?? '';
    return (labels) => label(labels, key) === undefined;
  }
  m = RE_SET.exec(expr);
  if (m) {
    const key = m[1] ?? '';
    const values = (m[3] ?? '').split(',').map((v) => v.trim());
    return m[2] === 'in'
      ? (labels) => values.includes(label(labels, key) ?? '\0absent')
      : (labels) => !values.includes(label(labels, key) ?? '\0absent');
  }
  m = RE_EQUALITY.exec(expr);
  if (m) {
    const key = m[1] ?? '';
    const value = m[3] ?? '';
    // As in the real apiserver, `!=` also matches objects that lack the label entirely.
    return m[2] === '!='
      ? (labels) => label(labels, key) !== value
      : (labels) => label(labels, key) === value;
  }
  m = RE_NUMERIC.exec(expr);
  if (m) {
    const key = m[1] ?? '';
    const bound = Number(m[3]);
    const greater = m[2] === '>';
    return (labels) => {
      const v = label(labels, key);
      if (v === undefined || !/^-?\d+$/.test(v)) return false;
      return greater ? Number(v) > bound : Number(v) < bound;
    };
  }
  m = RE_EXISTS.exec(expr);
  if (m) {
    const key = m[1] ?? '';
    return (labels) => label(labels, key) !== undefined;
  }
  throw badRequest(`unable to parse requirement: ${JSON.stringify(expr)}`);
}

function compileLabelSelector(selector: string): Predicate<Obj> {
  const requirements = splitRequirements(selector).map(compileLabelRequirement);
  return (obj) => {
    const labels = isObj(obj.metadata) && isObj(obj.metadata.labels) ? obj.metadata.labels : {};
    return requirements.every((r) => r(labels));
  };
}

function fieldValue(obj: Obj, path: string): string {
  let node: unknown = obj;
  for (const part of path.split('.')) node = isObj(node) ? node[part] : undefined;
  return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean'
    ? String(node)
    : '';
}

/**
 * Any dotted path is accepted (the real server only allows a per-kind whitelist such as metadata.name,
 * metadata.namespace, spec.nodeName, status.phase); being lenient keeps the fake from rejecting a
 * query that a test deliberately sends.
 */
function compileFieldSelector(selector: string): Predicate<Obj> {
  const requirements = splitRequirements(selector).map((expr): Predicate<Obj> => {
    const m = /^([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*)$/.exec(expr);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(expr)}`);
    const path = m[1] ?? '';
    const value = (m[3] ?? '').trim();
    return m[2] === '!=' ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value;
  });
  return (obj) => requirements.every((r) => r(obj));
}

// ---------------------------------------------------------------------------------------------------
// The store and the REST semantics

interface Reply {
  status: number;
  body: unknown;
  /** Plain-text answer for the health endpoints, which the real server also answers in text. */
  text?: string;
}

interface Call {
  method: string;
  url: URL;
  body: string;
  contentType: string | undefined;
  dryRun: boolean;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function keyOf(apiVersion: string, kind: string, namespace: string, name: string): string {
  return JSON.stringify([apiVersion, kind, namespace, name]);
}

function identity(obj: Obj): { apiVersion: string; kind: string; namespace: string; name: string } {
  const m = isObj(obj.metadata) ? obj.metadata : {};
  return {
    apiVersion: String(obj.apiVersion ?? ''),
    kind: String(obj.kind ?? ''),
    namespace: str(m.namespace) ?? '',
    name: str(m.name) ?? '',
  };
}

function compareIdentity(a: Obj, b: Obj): number {
  const x = identity(a);
  const y = identity(b);
  for (const field of ['apiVersion', 'kind', 'namespace', 'name'] as const) {
    if (x[field] !== y[field]) return x[field] < y[field] ? -1 : 1;
  }
  return 0;
}

function readyStatus(k: KindInfo, obj: Obj): Obj | undefined {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const observedGeneration = metadataOf(obj).generation;
  switch (k.ready) {
    case 'replicas': {
      const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
      return {
        observedGeneration,
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
      };
    }
    case 'daemon':
      // updatedNumberScheduled/currentNumberScheduled are what `kubectl rollout status ds` compares.
      return {
        observedGeneration,
        currentNumberScheduled: 1,
        desiredNumberScheduled: 1,
        numberMisscheduled: 0,
        numberReady: 1,
        numberAvailable: 1,
        updatedNumberScheduled: 1,
      };
    case 'pod':
      return { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIP: '10.244.0.10' };
    default:
      return undefined;
  }
}

class Backend {
  private readonly objects = new Map<string, Obj>();
  private revision = 0;
  serverAddress = '127.0.0.1:0';

  constructor(private readonly readyOnCreate: boolean) {}

  // --- direct access for the test-facing API -------------------------------------------------------

  seed(input: Obj): void {
    const obj = clone(input);
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      throw new Error('seed(): apiVersion and kind are required');
    }
    const m = metadataOf(obj);
    if (str(m.name) === undefined) throw new Error('seed(): metadata.name is required');
    const k = findKind(obj.apiVersion, obj.kind);
    if (k?.namespaced && str(m.namespace) === undefined) m.namespace = 'default';
    if (k && !k.namespaced) delete m.namespace;
    m.uid ??= randomUUID();
    m.creationTimestamp ??= now();
    m.resourceVersion ??= this.nextResourceVersion();
    if (m.generation === undefined && (k ? k.hasSpec : isObj(obj.spec))) m.generation = 1;
    // Seeding a workload without a status behaves like creating it; an explicit status is kept so
    // tests can seed unready or failed objects.
    if (k && obj.status === undefined) this.initialStatus(k, obj);
    this.store(obj);
  }

  get(ref: KubeRef): Obj | undefined {
    const k = findKind(ref.apiVersion, ref.kind);
    const namespace = k && !k.namespaced ? '' : (ref.namespace ?? (k ? 'default' : ''));
    const obj = this.objects.get(keyOf(ref.apiVersion, ref.kind, namespace, ref.name));
    return obj && clone(obj);
  }

  list(apiVersion: string, kind: string, namespace?: string): Obj[] {
    return this.all()
      .filter((o) => {
        const id = identity(o);
        return (
          id.apiVersion === apiVersion &&
          id.kind === kind &&
          (namespace === undefined || id.namespace === namespace)
        );
      })
      .map(clone);
  }

  snapshot(): string {
    const objects = this.all().map((o) => {
      const copy = clone(o);
      const m = metadataOf(copy);
      for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) {
        delete m[field];
      }
      delete copy.status;
      return canonical(copy);
    });
    return JSON.stringify(objects, null, 2);
  }

  // --- HTTP routing ---------------------------------------------------------------------------------

  handle(call: Call): Reply {
    let segments: string[];
    try {
      segments = call.url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      throw badRequest('malformed URL path');
    }
    const watch = call.url.searchParams.get('watch');
    if (watch !== null && watch !== '0' && watch !== 'false') {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'watch is not supported by the in-memory test API server',
        {},
      );
    }

    const [root, ...rest] = segments;
    if (rest.length === 0 && (root === 'healthz' || root === 'livez' || root === 'readyz')) {
      return { ...this.discovery(call, {}), text: 'ok' };
    }
    if (root === 'version' && rest.length === 0) {
      return this.discovery(call, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-memory',
        platform: 'linux/amd64',
      });
    }
    if (root === 'openapi' && rest[0] === 'v3') return this.discovery(call, openApiV3(rest.slice(1)));
    if (root === 'api') {
      const [version, ...tail] = rest;
      if (version === undefined) {
        return this.discovery(call, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress }],
        });
      }
      return this.routeGroupVersion(call, '', version, tail);
    }
    if (root === 'apis') {
      const [group, version, ...tail] = rest;
      if (group === undefined) {
        return this.discovery(call, { kind: 'APIGroupList', apiVersion: 'v1', groups: groupDocuments() });
      }
      if (version === undefined) {
        const doc = groupDocuments().find((g) => g.name === group);
        if (!doc) throw unknownPath();
        return this.discovery(call, { kind: 'APIGroup', apiVersion: 'v1', ...doc });
      }
      return this.routeGroupVersion(call, group, version, tail);
    }
    throw unknownPath();
  }

  private discovery(call: Call, body: Obj): Reply {
    if (call.method !== 'GET') throw methodNotAllowed();
    return { status: 200, body };
  }

  private routeGroupVersion(call: Call, group: string, version: string, tail: string[]): Reply {
    const kinds = KINDS.filter((k) => k.group === group && k.version === version);
    if (kinds.length === 0) throw unknownPath();
    if (tail.length === 0) {
      const resources: Obj[] = [];
      for (const k of kinds) {
        resources.push({
          name: k.plural,
          singularName: k.kind.toLowerCase(),
          namespaced: k.namespaced,
          kind: k.kind,
          verbs: [...ALL_VERBS],
          ...(k.shortNames.length > 0 ? { shortNames: [...k.shortNames] } : {}),
        });
        for (const sub of k.subresources) resources.push(SUBRESOURCE_DISCOVERY[sub](k));
      }
      const groupVersion = group ? `${group}/${version}` : version;
      return this.discovery(call, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources });
    }

    // `/api/v1/namespaces/<ns>/status` is the Namespace's own subresource, not a resource called
    // "status" inside namespace <ns>.
    const namespaceSub =
      tail.length === 3 && tail[0] === 'namespaces' && (tail[2] === 'status' || tail[2] === 'finalize');
    let namespace: string | undefined;
    let parts = tail;
    if (tail[0] === 'namespaces' && tail.length >= 3 && !namespaceSub) {
      namespace = tail[1];
      parts = tail.slice(2);
    }
    const [plural, name, sub, ...extra] = parts;
    const k = kinds.find((x) => x.plural === plural);
    if (!k || extra.length > 0) throw unknownPath();
    if (namespace !== undefined && !k.namespaced) throw unknownPath();
    if (namespace === undefined && k.namespaced && name !== undefined) throw unknownPath();

    if (name === undefined) return this.collection(call, k, namespace);
    if (sub === undefined) return this.item(call, k, namespace ?? '', name);
    if (!(k.subresources as readonly string[]).includes(sub)) throw unknownPath();
    if (sub === 'status') return this.statusSubresource(call, k, namespace ?? '', name);
    if (sub === 'scale') return this.scaleSubresource(call, k, namespace ?? '', name);
    return this.evict(call, k, namespace ?? '', name);
  }

  private collection(call: Call, k: KindInfo, namespace: string | undefined): Reply {
    switch (call.method) {
      case 'GET':
        return { status: 200, body: this.listBody(k, this.select(call, k, namespace)) };
      case 'POST':
        // Namespaced kinds can be listed across namespaces but only written inside one.
        if (k.namespaced && namespace === undefined) throw methodNotAllowed();
        return this.create(call, k, namespace ?? '');
      case 'DELETE': {
        if (k.namespaced && namespace === undefined) throw methodNotAllowed();
        const doomed = this.select(call, k, namespace);
        if (!call.dryRun) for (const obj of doomed) this.remove(k, obj);
        return { status: 200, body: this.listBody(k, doomed) };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private item(call: Call, k: KindInfo, namespace: string, name: string): Reply {
    switch (call.method) {
      case 'GET':
        return { status: 200, body: clone(this.require(k, namespace, name)) };
      case 'PUT': {
        const old = this.require(k, namespace, name);
        const body = this.checkBody(k, jsonBody(call), namespace, name);
        return { status: 200, body: this.commitUpdate(call, k, old, body, 'main') };
      }
      case 'PATCH': {
        const old = this.require(k, namespace, name);
        const next = this.checkBody(k, this.applyPatch(call, k, old), namespace, name);
        return { status: 200, body: this.commitUpdate(call, k, old, next, 'main') };
      }
      case 'DELETE': {
        const old = this.require(k, namespace, name);
        if (!call.dryRun) this.remove(k, old);
        return { status: 200, body: clone(old) };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private statusSubresource(call: Call, k: KindInfo, namespace: string, name: string): Reply {
    const old = this.require(k, namespace, name);
    switch (call.method) {
      case 'GET':
        return { status: 200, body: clone(old) };
      case 'PUT': {
        const body = this.checkBody(k, jsonBody(call), namespace, name);
        return { status: 200, body: this.commitUpdate(call, k, old, body, 'status') };
      }
      case 'PATCH': {
        const next = this.checkBody(k, this.applyPatch(call, k, old), namespace, name);
        return { status: 200, body: this.commitUpdate(call, k, old, next, 'status') };
      }
      default:
        throw methodNotAllowed();
    }
  }

  /** Just enough of autoscaling/v1 Scale for `kubectl scale` and scale clients. */
  private scaleSubresource(call: Call, k: KindInfo, namespace: string, name: string): Reply {
    const old = this.require(k, namespace, name);
    const toScale = (obj: Obj): Obj => {
      const m = metadataOf(obj);
      const spec = isObj(obj.spec) ? obj.spec : {};
      const status = isObj(obj.status) ? obj.status : {};
      const selector =
        isObj(spec.selector) && isObj(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
          creationTimestamp: m.creationTimestamp,
        },
        spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
        status: {
          replicas: typeof status.replicas === 'number' ? status.replicas : 0,
          selector: Object.entries(selector)
            .map(([key, value]) => `${key}=${String(value)}`)
            .join(','),
        },
      };
    };
    let desired: Obj;
    switch (call.method) {
      case 'GET':
        return { status: 200, body: toScale(old) };
      case 'PUT':
        desired = jsonBody(call);
        break;
      case 'PATCH':
        desired = this.applyPatch(call, k, toScale(old));
        break;
      default:
        throw methodNotAllowed();
    }
    const replicas = isObj(desired.spec) ? desired.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid(k, name, 'spec.replicas: Invalid value: must be a non-negative integer');
    }
    const next = clone(old);
    next.spec = { ...(isObj(next.spec) ? next.spec : {}), replicas };
    metadataOf(next).resourceVersion = metadataOf(desired).resourceVersion;
    return { status: 200, body: toScale(this.commitUpdate(call, k, old, next, 'main')) };
  }

  private evict(call: Call, k: KindInfo, namespace: string, name: string): Reply {
    if (call.method !== 'POST') throw methodNotAllowed();
    const body = jsonBody(call);
    const bodyName = isObj(body.metadata) ? str(body.metadata.name) : undefined;
    if (bodyName !== undefined && bodyName !== name)
      throw badRequest('name in URL does not match name in Eviction object');
    const pod = this.require(k, namespace, name);
    if (!call.dryRun) this.remove(k, pod);
    return {
      status: 201,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201, metadata: {} },
    };
  }

  // --- operations ------------------------------------------------------------------------------------

  private create(call: Call, k: KindInfo, namespace: string): Reply {
    const obj = jsonBody(call);
    this.checkTypeMeta(k, obj);
    const m = metadataOf(obj);
    if (k.namespaced) {
      const bodyNamespace = str(m.namespace);
      if (bodyNamespace !== undefined && bodyNamespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      m.namespace = namespace;
      if (!this.objects.has(keyOf('v1', 'Namespace', '', namespace))) {
        throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
          name: namespace,
          kind: 'namespaces',
        });
      }
    } else {
      delete m.namespace;
    }

    let name = str(m.name);
    if (name === undefined) {
      const prefix = str(m.generateName);
      if (prefix === undefined)
        throw invalid(k, '', 'metadata.name: Required value: name or generateName is required');
      name = this.generateName(k, namespace, prefix);
      m.name = name;
    }
    // Real clusters reject names that are not DNS subdomains; catching that here surfaces runner bugs
    // that would otherwise only show up against a real cluster.
    if (name.length > 253 || !NAME_RE.test(name)) {
      throw invalid(
        k,
        name,
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain is required`,
      );
    }
    if (this.objects.has(keyOf(k.apiVersion, k.kind, namespace, name))) throw alreadyExists(k, name);

    m.uid = randomUUID();
    m.creationTimestamp = now();
    m.resourceVersion = call.dryRun ? String(this.revision) : this.nextResourceVersion();
    if (k.hasSpec) m.generation = 1;
    else delete m.generation;
    delete m.managedFields;
    if (k.kind === 'Namespace') {
      m.labels = { ...(isObj(m.labels) ? m.labels : {}), 'kubernetes.io/metadata.name': name };
    }
    this.initialStatus(k, obj);
    if (!call.dryRun) this.store(obj);
    return {
      status: 201,
      body: clone(this.objects.get(keyOf(k.apiVersion, k.kind, namespace, name)) ?? obj),
    };
  }

  /** Status is server-owned for kinds with a status subresource, so create resets it like the real server does. */
  private initialStatus(k: KindInfo, obj: Obj): void {
    if (k.kind === 'Namespace') obj.status = { phase: 'Active' };
    else if (this.readyOnCreate && k.ready) obj.status = readyStatus(k, obj);
    else if (k.ready === 'pod') obj.status = { phase: 'Pending' };
    else if (k.ready) obj.status = {};
  }

  private commitUpdate(call: Call, k: KindInfo, old: Obj, next: Obj, mode: 'main' | 'status'): Obj {
    const oldMeta = metadataOf(old);
    const name = String(oldMeta.name);
    const requested = metadataOf(next).resourceVersion;
    if (requested !== undefined && requested !== '' && requested !== oldMeta.resourceVersion)
      throw conflict(k, name);

    let result: Obj;
    if (mode === 'status') {
      // A status write may change nothing but status, whatever else the client sent.
      result = clone(old);
      if (next.status === undefined) delete result.status;
      else result.status = clone(next.status);
    } else {
      result = next;
      result.apiVersion = k.apiVersion;
      result.kind = k.kind;
      const m = metadataOf(result);
      m.uid = oldMeta.uid;
      m.creationTimestamp = oldMeta.creationTimestamp;
      if (k.subresources.includes('status')) {
        if (old.status === undefined) delete result.status;
        else result.status = clone(old.status);
      }
      const specChanged = !deepEqual(old.spec, result.spec);
      if (k.hasSpec) {
        const previous = typeof oldMeta.generation === 'number' ? oldMeta.generation : 1;
        m.generation = specChanged ? previous + 1 : previous;
      } else if (oldMeta.generation === undefined) {
        delete m.generation;
      } else {
        m.generation = oldMeta.generation;
      }
      if (specChanged && this.readyOnCreate && k.ready) result.status = readyStatus(k, result);
    }
    metadataOf(result).resourceVersion = call.dryRun ? oldMeta.resourceVersion : this.nextResourceVersion();
    if (call.dryRun) return clone(result);
    this.store(result);
    return clone(this.require(k, identity(result).namespace, identity(result).name));
  }

  private applyPatch(call: Call, k: KindInfo, old: Obj): Obj {
    const mediaType = mediaTypeOf(call.contentType);
    let apply: (target: unknown, patch: unknown) => unknown;
    if (mediaType === 'application/merge-patch+json') apply = mergePatch;
    else if (mediaType === 'application/strategic-merge-patch+json') apply = strategicMerge;
    else if (mediaType === 'application/json-patch+json') apply = jsonPatch;
    else {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
        {},
      );
    }
    const patch = parseJson(call.body);
    let result: unknown;
    try {
      result = apply(clone(old), patch);
    } catch (err) {
      if (err instanceof PatchError) throw invalid(k, String(metadataOf(old).name), err.message);
      throw err;
    }
    if (!isObj(result)) throw invalid(k, String(metadataOf(old).name), 'patch did not produce an object');
    return result;
  }

  // --- helpers ---------------------------------------------------------------------------------------

  private checkTypeMeta(k: KindInfo, obj: Obj): void {
    if (obj.apiVersion === undefined) obj.apiVersion = k.apiVersion;
    else if (obj.apiVersion !== k.apiVersion) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${k.apiVersion})`,
      );
    }
    if (obj.kind === undefined) obj.kind = k.kind;
    else if (obj.kind !== k.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${k.kind})`,
      );
    }
  }

  /** Body of an update must address the object named by the URL. */
  private checkBody(k: KindInfo, obj: Obj, namespace: string, name: string): Obj {
    this.checkTypeMeta(k, obj);
    const m = metadataOf(obj);
    const bodyName = str(m.name);
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    m.name = name;
    if (k.namespaced) {
      const bodyNamespace = str(m.namespace);
      if (bodyNamespace !== undefined && bodyNamespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    return obj;
  }

  private require(k: KindInfo, namespace: string, name: string): Obj {
    const obj = this.objects.get(keyOf(k.apiVersion, k.kind, namespace, name));
    if (!obj) throw notFound(k, name);
    return obj;
  }

  private select(call: Call, k: KindInfo, namespace: string | undefined): Obj[] {
    const labels = compileLabelSelector(call.url.searchParams.get('labelSelector') ?? '');
    const fields = compileFieldSelector(call.url.searchParams.get('fieldSelector') ?? '');
    return this.all().filter((o) => {
      const id = identity(o);
      return (
        id.apiVersion === k.apiVersion &&
        id.kind === k.kind &&
        (namespace === undefined || id.namespace === namespace) &&
        labels(o) &&
        fields(o)
      );
    });
  }

  private listBody(k: KindInfo, items: Obj[]): Obj {
    return {
      kind: `${k.kind}List`,
      apiVersion: k.apiVersion,
      metadata: { resourceVersion: String(this.revision) },
      items: items.map(clone),
    };
  }

  private remove(k: KindInfo, obj: Obj): void {
    const id = identity(obj);
    this.objects.delete(keyOf(id.apiVersion, id.kind, id.namespace, id.name));
    // No Terminating phase and no namespace controller: contents vanish with the namespace, which is
    // the end state tests care about.
    if (k.kind === 'Namespace' && k.apiVersion === 'v1') {
      for (const [key, other] of this.objects) {
        if (identity(other).namespace === id.name) this.objects.delete(key);
      }
    }
    this.nextResourceVersion();
  }

  private store(obj: Obj): void {
    const id = identity(obj);
    // Same leading keys as real responses, so dumps and `kubectl get -o yaml` read naturally.
    const { apiVersion, kind, metadata, ...rest } = obj;
    this.objects.set(keyOf(id.apiVersion, id.kind, id.namespace, id.name), {
      apiVersion,
      kind,
      metadata,
      ...rest,
    });
  }

  private all(): Obj[] {
    return [...this.objects.values()].sort(compareIdentity);
  }

  private nextResourceVersion(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private generateName(k: KindInfo, namespace: string, prefix: string): string {
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 5; i += 1) {
        suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
      }
      const name = `${prefix}${suffix}`;
      if (!this.objects.has(keyOf(k.apiVersion, k.kind, namespace, name))) return name;
    }
  }
}

interface GroupDocument {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion: { groupVersion: string; version: string };
}

function groupDocuments(): GroupDocument[] {
  const groups = new Map<string, string[]>();
  for (const k of KINDS) {
    if (k.group === '') continue;
    const versions = groups.get(k.group) ?? [];
    if (!versions.includes(k.version)) versions.push(k.version);
    groups.set(k.group, versions);
  }
  return [...groups].map(([name, versions]) => {
    const docs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return {
      name,
      versions: docs,
      preferredVersion: docs[0] ?? { groupVersion: `${name}/v1`, version: 'v1' },
    };
  });
}

/**
 * A skeletal OpenAPI v3: no schemas, only a PATCH operation per resource that declares the
 * `fieldValidation` query parameter. That is what `kubectl apply` probes to decide the server validates
 * fields itself; without it kubectl refuses to apply ("failed to download openapi") unless run with
 * --validate=false. kubectl falls back to its compiled-in types for strategic-merge-patch metadata.
 */
function openApiV3(rest: string[]): Obj {
  const gvPath = (k: KindInfo): string => (k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`);
  if (rest.length === 0) {
    const paths: Obj = {};
    for (const k of KINDS) paths[gvPath(k)] = { serverRelativeURL: `/openapi/v3/${gvPath(k)}` };
    return { paths };
  }
  const kinds = KINDS.filter((k) => gvPath(k) === rest.join('/'));
  if (kinds.length === 0) throw unknownPath();
  const paths: Obj = {};
  for (const k of kinds) {
    const scope = k.namespaced ? '/namespaces/{namespace}' : '';
    paths[`/${gvPath(k)}${scope}/${k.plural}/{name}`] = {
      patch: {
        'x-kubernetes-group-version-kind': { group: k.group, version: k.version, kind: k.kind },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'in-memory test API server', version: 'v1.32.0-memory' },
    paths,
    components: { schemas: {} },
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP plumbing

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const text = reply.text ?? JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.text === undefined ? 'application/json' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startMemoryApiServer(options: MemoryApiServerOptions = {}): Promise<MemoryApiServer> {
  const backend = new Backend(options.readyOnCreate ?? true);
  const requests: RequestLogEntry[] = [];
  let mutationCount = 0;

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const contentType = req.headers['content-type'];
    // Logged on arrival so the log is in request order even if bodies finish streaming out of order.
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: url.search.slice(1),
      ...(contentType !== undefined ? { contentType } : {}),
      status: 0,
    };
    requests.push(entry);
    // Counted whatever the outcome: a "must not write" assertion should also catch failed writes.
    if (MUTATING_METHODS.has(method)) mutationCount += 1;

    let reply: Reply;
    try {
      const body = await readBody(req);
      const dryRun = url.searchParams.getAll('dryRun').some((v) => v !== '');
      reply = backend.handle({ method, url, body, contentType, dryRun });
    } catch (err) {
      const error =
        err instanceof ApiError
          ? err
          : new ApiError(
              500,
              'InternalError',
              `in-memory API server failure: ${err instanceof Error ? err.stack : String(err)}`,
            );
      reply = { status: error.code, body: error.toStatus() };
    }
    entry.status = reply.status;
    send(res, reply);
  };

  const server = createServer((req, res) => {
    void serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('memory apiserver: unexpected listen address');
  backend.serverAddress = `127.0.0.1:${address.port}`;
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    requests,
    writeKubeconfig(dir: string, contextName = 'memory'): string {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `kubeconfig-${contextName.replace(/[^\w.-]/g, '_')}.json`);
      // JSON is valid YAML, so both kubectl and client-node read it.
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        // client-node 1.x refuses plain http:// unless TLS verification is explicitly skipped.
        clusters: [{ name: 'memory', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'memory', user: {} }],
        contexts: [{ name: contextName, context: { cluster: 'memory', user: 'memory' } }],
        'current-context': contextName,
        preferences: {},
      };
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
      return file;
    },
    seed: (obj) => backend.seed(obj),
    get: (ref) => backend.get(ref),
    list: (apiVersion, kind, namespace) => backend.list(apiVersion, kind, namespace),
    snapshot: () => backend.snapshot(),
    mutations: () => mutationCount,
    close: () =>
      new Promise<void>((resolve) => {
        // close() alone waits for keep-alive sockets from the client's agent; tests must not hang on them.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
