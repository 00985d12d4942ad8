/**
 * Events as client-go's recorder writes them (tools/record): core/v1 Events named
 * `<object>.<hex nanoseconds>`, in the object's namespace (`default` for cluster-scoped objects),
 * with `source`, `reportingComponent` and `reportingInstance`, passed through the
 * EventCorrelator: the same event again bumps `count` and `lastTimestamp` on the existing Event;
 * the tenth distinct message for one object and reason within ten minutes becomes one
 * "(combined from similar events)" Event; and each source may write 25 events per object, then
 * one per five minutes (the spam filter), so a ReplicaSet creating 100 pods writes about a
 * dozen Events, as on a real cluster.
 */
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { EVENTS } from '../kinds/resources.ts';
import type { KubeObject, Writable } from '../object.ts';
import { ignoreGone } from './controller.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** `kubelet`, `default-scheduler`, `deployment-controller`, … */
  component: string;
  /** The node, for the kubelet's events. */
  host?: string;
}

// client-go's EventCorrelator keeps an LRU of 4096 recent events for deduplication.
const MAX_REMEMBERED = 4096;

/** An ObjectReference to `obj`, as reference.GetReference makes it. */
export function referenceTo(obj: KubeObject, fieldPath?: string): ObjectReference {
  return {
    kind: obj.kind,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    apiVersion: obj.apiVersion,
    resourceVersion: obj.metadata.resourceVersion ?? '',
    ...(fieldPath ? { fieldPath } : {}),
  };
}

/** The kubelet refers to its Node with the node name as uid (kubelet.go nodeRef). */
export function nodeReference(nodeName: string): ObjectReference {
  return { kind: 'Node', name: nodeName, uid: nodeName };
}

/** A token bucket in simulated time (client-go's spam filter uses flowcontrol's rate limiter). */
interface Bucket {
  tokens: number;
  at: number;
}

// EventSourceObjectSpamFilter defaults: a burst of 25 events per source and object, then one per 5 minutes.
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;
// EventAggregator defaults: past 10 distinct messages for one object and reason in 10 minutes, one combined event.
const MAX_SIMILAR = 10;
const AGGREGATE_WINDOW_MS = 600_000;

/** An LRU of bounded size: the most recently used entries survive, like client-go's lru caches. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

export class EventRecorder {
  private readonly recent = new Map<string, { namespace: string; name: string }>();
  private readonly similar = new Map<string, { messages: Set<string>; last: number }>();
  private readonly spam = new Map<string, Bucket>();
  private sequence = 0;

  constructor(private readonly registry: Registry) {}

  /**
   * Records an event about `involved` (an object, or a reference such as a node's), through the
   * EventCorrelator's three stages: aggregation of similar events, deduplication of identical
   * ones, and the per-object spam filter.
   */
  record(
    source: EventSource,
    involved: KubeObject | ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    fieldPath?: string,
    /** AnnotatedEventf's annotations (the kubelet's eviction events carry some). */
    annotations?: Record<string, string>,
  ): void {
    const ref: ObjectReference =
      'metadata' in involved
        ? referenceTo(involved, fieldPath)
        : { ...involved, ...(fieldPath ? { fieldPath } : {}) };
    const namespace = ref.namespace || 'default';
    const nowMs = this.registry.clock.now();
    const objectKey = [
      source.component,
      source.host ?? '',
      ref.kind,
      namespace,
      ref.name,
      ref.uid,
      ref.apiVersion ?? '',
    ].join('\u0000');

    // Aggregation: the key leaves out the message (and the field path, as upstream's does).
    const aggregateKey = `${objectKey}\u0000${type}\u0000${reason}`;
    let group = this.similar.get(aggregateKey);
    if (!group || nowMs - group.last > AGGREGATE_WINDOW_MS) group = { messages: new Set(), last: nowMs };
    group.messages.add(message);
    group.last = nowMs;
    remember(this.similar, aggregateKey, group);
    let dedupKey = `${aggregateKey}\u0000${ref.fieldPath ?? ''}\u0000${message}`;
    let shown = message;
    if (group.messages.size >= MAX_SIMILAR) {
      // Keep the set from growing; every further similar event updates one combined Event.
      const first = group.messages.values().next().value;
      if (first !== undefined) group.messages.delete(first);
      dedupKey = aggregateKey;
      shown = `(combined from similar events): ${message}`;
    }

    if (!this.allow(objectKey, nowMs)) return;

    const now = this.registry.clock.timestamp(nowMs);
    const seen = this.recent.get(dedupKey);
    if (seen) {
      const live = this.registry.find(EVENTS, seen.namespace, seen.name) as (Event & KubeObject) | undefined;
      if (live) {
        const next = structuredClone(live) as Writable<Event> & KubeObject;
        next.count = (live.count ?? 1) + 1;
        next.lastTimestamp = now;
        next.message = shown;
        ignoreGone(() => this.registry.replace(EVENTS, live, next, { manager: source.component }));
        remember(this.recent, dedupKey, seen);
        return;
      }
      this.recent.delete(dedupKey);
    }
    const nanos = BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const name = `${ref.name}.${nanos.toString(16)}`;
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, ...(annotations ? { annotations: { ...annotations } } : {}) },
      involvedObject: ref,
      reason,
      message: shown,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null as unknown as string,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    try {
      this.registry.create(EVENTS, namespace, event, { manager: source.component });
    } catch {
      // Like the recorder, an event that cannot be written (namespace terminating) is dropped.
      return;
    }
    remember(this.recent, dedupKey, { namespace, name });
  }

  /** The spam filter: false when this source has spent its burst on this object. */
  private allow(key: string, nowMs: number): boolean {
    const bucket = this.spam.get(key) ?? { tokens: SPAM_BURST, at: nowMs };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (nowMs - bucket.at) / SPAM_REFILL_MS);
    bucket.at = nowMs;
    const ok = bucket.tokens >= 1;
    if (ok) bucket.tokens -= 1;
    remember(this.spam, key, bucket);
    return ok;
  }
}
