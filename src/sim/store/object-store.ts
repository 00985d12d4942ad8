/**
 * In-memory storage with etcd's observable behaviour: one global, monotonic resourceVersion;
 * lists in key order with limit/continue; a bounded event history so watches can resume from a
 * resourceVersion and get 410 Expired once it has been compacted away.
 *
 * The store knows nothing of Kubernetes semantics (defaulting, validation, graceful deletion):
 * that is the REST layer's job, as in the apiserver's generic registry over storage.
 */
import type { KubeObject } from '../object.ts';
import { objectKey } from '../object.ts';
import { ResourceTable } from './resource-table.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** `<apiVersion>/<plural>` of the table the object lives in. */
  resource: string;
  rv: number;
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED). */
  previous?: KubeObject;
  /** Serialized watch lines, filled lazily by whoever encodes the event, so N watchers cost one stringify. */
  encoded?: Record<string, string>;
  /** `previous` at this event's resourceVersion, for watchers the object stopped matching. */
  previousAtRv?: KubeObject;
}

export interface Selection {
  namespace?: string | undefined;
  labels?: LabelSelector | undefined;
  fields?: FieldSelector | undefined;
}

export interface ListOptions extends Selection {
  limit?: number | undefined;
  /** The last key of the previous page. */
  after?: string | undefined;
  /**
   * Read the list as it was at this resourceVersion (a continue token's), by undoing the retained
   * history after it; ExpiredError once that history is gone.
   */
  atRv?: number | undefined;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: number;
  /** Key of the last item returned, when more remain. */
  lastKey?: string;
  remaining?: number;
}

export interface Watcher extends Selection {
  resource: string;
  /**
   * Called synchronously at commit, in resourceVersion order, with the type as this watcher sees
   * it and the object to send (the previous state, at the event's version, when the object
   * stopped matching the watcher's selector).
   */
  deliver(type: WatchEventType, event: StoreEvent, object: KubeObject): void;
}

export class ExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

// Booleans read as "false" when absent in a field selector, so an index over raw values would miss them.
const UNINDEXED_FIELDS = new Set(['spec.unschedulable', 'spec.hostNetwork']);

export interface ObjectStoreOptions {
  /** Events kept for watch resumption (the apiserver's watch cache holds a comparable window). */
  historySize?: number;
  /**
   * Compaction by time, as kube-apiserver compacts etcd every --etcd-compaction-interval (5 min):
   * each compaction drops the history up to the resourceVersion the previous one saw, so between
   * one and two intervals of history stay. Without it a long-lived cluster (a soak, `scars sim
   * serve` for a day) holds `historySize` full objects. Needs `now`; 0 turns it off.
   */
  compactionIntervalMs?: number;
  /** The cluster's clock for compaction (cluster ms). */
  now?: () => number;
}

/** kube-apiserver's default --etcd-compaction-interval. */
export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;

export class ObjectStore {
  private rv = 1;
  private readonly tables = new Map<string, ResourceTable>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  /** The newest resourceVersion that is no longer in history; watches from before it are expired. */
  private compactedRv = 1;
  private readonly historySize: number;
  private readonly compactionIntervalMs: number;
  private readonly now: (() => number) | undefined;
  private nextCompactionAt: number | undefined;
  /** The resourceVersion the last time compaction ran: the next one compacts up to it. */
  private compactionMarkRv = 0;

  constructor(options: ObjectStoreOptions = {}) {
    this.historySize = options.historySize ?? 100_000;
    this.compactionIntervalMs = options.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    this.now = options.now;
    if (this.now && this.compactionIntervalMs > 0)
      this.nextCompactionAt = this.now() + this.compactionIntervalMs;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Registers a resource table; must happen before any object of it is stored. */
  register(resource: string, fieldLabels: readonly string[], clusterScoped = false): void {
    if (!this.tables.has(resource)) {
      const indexed = fieldLabels.filter((f) => !UNINDEXED_FIELDS.has(f));
      this.tables.set(resource, new ResourceTable(indexed, clusterScoped));
    }
  }

  private table(resource: string): ResourceTable {
    const table = this.tables.get(resource);
    if (!table) throw new Error(`resource ${resource} is not registered in the store`);
    return table;
  }

  count(resource: string): number {
    return this.table(resource).size;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(resource).get(objectKey(namespace, name));
  }

  /** Stores a new version of an object; the caller has already decided create vs update. */
  put(resource: string, obj: KubeObject): StoreEvent {
    const table = this.table(resource);
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    const previous = table.put(obj);
    const event: StoreEvent = previous
      ? { type: 'MODIFIED', resource, rv, object: obj, previous }
      : { type: 'ADDED', resource, rv, object: obj };
    this.commit(event);
    return event;
  }

  /**
   * Removes an object. Like etcd, the DELETED event carries the object at the deletion's
   * resourceVersion, so a watcher can resume from it.
   */
  remove(resource: string, namespace: string | undefined, name: string): StoreEvent | undefined {
    const table = this.table(resource);
    const previous = table.remove(objectKey(namespace, name));
    if (!previous) return undefined;
    const rv = ++this.rv;
    const object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    const event: StoreEvent = { type: 'DELETED', resource, rv, object, previous };
    this.commit(event);
    return event;
  }

  list(resource: string, options: ListOptions = {}): ListResult {
    const table = this.table(resource);
    const past =
      options.atRv !== undefined && options.atRv < this.rv ? this.stateAt(resource, options.atRv) : undefined;
    const lookup = (key: string) => (past?.has(key) ? past.get(key) : table.get(key));
    const candidates = this.candidates(table, options);
    let keys: readonly string[] = candidates === undefined ? table.sortedKeys() : [...candidates].sort();
    if (past)
      keys = [...new Set([...keys, ...[...past].filter(([, o]) => o !== undefined).map(([k]) => k)])].sort();
    const items: KubeObject[] = [];
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    let start = 0;
    if (options.after !== undefined) start = upperBound(keys, options.after);
    let lastKey: string | undefined;
    let i = start;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      const obj = lookup(key);
      if (!obj || !matches(obj, options)) continue;
      if (items.length === limit) break;
      items.push(obj);
      lastKey = key;
    }
    const result: ListResult = { items, resourceVersion: past ? (options.atRv as number) : this.rv };
    if (i < keys.length && lastKey !== undefined) {
      result.lastKey = lastKey;
      // Like the apiserver, the count is only known (and only sent) when nothing but the key range filters.
      if (!options.labels || options.labels.empty) {
        if (!options.fields || options.fields.empty) result.remaining = keys.length - i;
      }
    }
    return result;
  }

  /**
   * The objects of `resource` that changed after `rv`, as they were at `rv` (undefined where
   * the object did not exist yet).
   */
  private stateAt(resource: string, rv: number): Map<string, KubeObject | undefined> {
    if (rv < this.compactedRv) throw new ExpiredError(rv, this.compactedRv + 1);
    const state = new Map<string, KubeObject | undefined>();
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const event = this.history[i] as StoreEvent;
      if (event.rv <= rv) break;
      if (event.resource !== resource) continue;
      const key = objectKey(event.object.metadata.namespace, event.object.metadata.name ?? '');
      // Walking newest to oldest, the last write wins: the state just before the oldest change.
      state.set(key, event.type === 'ADDED' ? undefined : event.previous);
    }
    return state;
  }

  /**
   * Starts a watch. With `sinceRv` the watcher first receives every retained event after it
   * (410 Expired if that history is gone); without it, only what happens from now on.
   */
  watch(watcher: Watcher, sinceRv?: number): () => void {
    if (sinceRv !== undefined) {
      if (sinceRv < this.compactedRv) throw new ExpiredError(sinceRv, this.compactedRv + 1);
      for (let i = this.historyStart; i < this.history.length; i++) {
        const event = this.history[i] as StoreEvent;
        if (event.rv > sinceRv && event.resource === watcher.resource) this.offer(watcher, event);
      }
    }
    let set = this.watchers.get(watcher.resource);
    if (!set) this.watchers.set(watcher.resource, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
    };
  }

  watcherCount(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  private candidates(table: ResourceTable, s: Selection): ReadonlySet<string> | undefined {
    let best: ReadonlySet<string> | undefined;
    const consider = (set: ReadonlySet<string> | undefined) => {
      if (set !== undefined && (best === undefined || set.size < best.size)) best = set;
    };
    if (s.namespace) consider(table.keysInNamespace(s.namespace));
    for (const [k, v] of s.labels?.equalities() ?? []) consider(table.keysWithLabel(k, v));
    for (const [label, value] of s.fields?.equalities() ?? []) {
      if (label === 'metadata.name') {
        // The key needs the namespace; across all namespaces the name alone does not locate it.
        if (s.namespace === undefined && !table.clusterScoped) continue;
        const key = objectKey(s.namespace, value);
        consider(table.get(key) ? new Set([key]) : new Set());
      } else {
        consider(table.keysWithField(label, value));
      }
    }
    return best;
  }

  private commit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historySize) {
      this.compactedRv = (this.history[this.historyStart] as StoreEvent).rv;
      this.historyStart++;
      // Shift in bulk so compaction stays amortized O(1).
      if (this.historyStart > this.historySize) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    this.compactOnSchedule();
    const set = this.watchers.get(event.resource);
    if (set) for (const watcher of set) this.offer(watcher, event);
    // Retained history keeps objects, not their serializations (watchers resuming later re-encode).
    delete event.encoded;
  }

  /** Runs on writes, not on a timer: a store nobody writes to has nothing new to compact. */
  private compactOnSchedule(): void {
    if (this.nextCompactionAt === undefined || !this.now) return;
    const t = this.now();
    if (t < this.nextCompactionAt) return;
    const upTo = this.compactionMarkRv;
    while (this.historyStart < this.history.length) {
      const oldest = this.history[this.historyStart] as StoreEvent;
      if (oldest.rv > upTo) break;
      this.compactedRv = oldest.rv;
      this.historyStart++;
    }
    if (this.historyStart * 2 > this.history.length) {
      this.history.splice(0, this.historyStart);
      this.historyStart = 0;
    }
    this.compactionMarkRv = this.rv;
    this.nextCompactionAt = t + this.compactionIntervalMs;
  }

  /**
   * The apiserver's cacher semantics for filtered watches: an object that starts matching is
   * ADDED, one that stops matching is DELETED, so a selector watch stays a consistent view.
   */
  private offer(watcher: Watcher, event: StoreEvent): void {
    const now = event.type !== 'DELETED' && matches(event.object, watcher);
    const before = event.previous !== undefined && matches(event.previous, watcher);
    if (event.type === 'DELETED') {
      if (before) watcher.deliver('DELETED', event, event.object);
    } else if (now && before) watcher.deliver('MODIFIED', event, event.object);
    else if (now) watcher.deliver('ADDED', event, event.object);
    else if (before) {
      // cacheWatcher.convertToWatchEvent: the object as the watcher last matched it, at the new version.
      const previous = event.previous as KubeObject;
      event.previousAtRv ??= {
        ...previous,
        metadata: { ...previous.metadata, resourceVersion: String(event.rv) },
      };
      watcher.deliver('DELETED', event, event.previousAtRv);
    }
  }
}

function matches(obj: KubeObject, s: Selection): boolean {
  if (s.namespace && obj.metadata.namespace !== s.namespace) return false;
  if (s.labels && !s.labels.empty && !s.labels.matches(obj.metadata.labels)) return false;
  if (s.fields && !s.fields.empty && !s.fields.matches(obj)) return false;
  return true;
}

/** Index of the first key strictly greater than `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
