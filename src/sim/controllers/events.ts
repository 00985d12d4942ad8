/**
 * Events as client-go's recorder writes them (tools/record): core/v1 Events named
 * `<object>.<hex nanoseconds>`, in the object's namespace (`default` for cluster-scoped objects),
 * with `source`, `reportingComponent` and `reportingInstance`, and the EventCorrelator's
 * deduplication: the same event again (same object, type, reason, message and source) bumps
 * `count` and `lastTimestamp` on the existing Event instead of creating a new one.
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

export class EventRecorder {
  private readonly recent = new Map<string, { namespace: string; name: string }>();
  private sequence = 0;

  constructor(
    private readonly registry: Registry,
    private readonly manager = 'scars-sim',
  ) {}

  /** Records an event about `involved` (an object, or a reference such as a node's). */
  record(
    source: EventSource,
    involved: KubeObject | ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    fieldPath?: string,
  ): void {
    const ref: ObjectReference =
      'metadata' in involved
        ? referenceTo(involved, fieldPath)
        : { ...involved, ...(fieldPath ? { fieldPath } : {}) };
    const namespace = ref.namespace || 'default';
    const now = this.registry.clock.timestamp();
    const key = [
      source.component,
      source.host ?? '',
      ref.kind,
      namespace,
      ref.name,
      ref.uid,
      ref.fieldPath ?? '',
      type,
      reason,
      message,
    ].join('\u0000');
    const seen = this.recent.get(key);
    if (seen) {
      const live = this.registry.find(EVENTS, seen.namespace, seen.name) as (Event & KubeObject) | undefined;
      if (live) {
        const next = structuredClone(live) as Writable<Event> & KubeObject;
        next.count = (live.count ?? 1) + 1;
        next.lastTimestamp = now;
        ignoreGone(() => this.registry.replace(EVENTS, live, next, { manager: source.component }));
        // Most recently used moves to the back, so the oldest is evicted first.
        this.recent.delete(key);
        this.recent.set(key, seen);
        return;
      }
      this.recent.delete(key);
    }
    const nanos =
      BigInt(Math.floor(this.registry.clock.now())) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const name = `${ref.name}.${nanos.toString(16)}`;
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
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
      this.registry.create(EVENTS, namespace, event, {
        manager: this.manager === 'scars-sim' ? source.component : this.manager,
      });
    } catch {
      // Like the recorder, an event that cannot be written (namespace terminating) is dropped.
      return;
    }
    this.recent.set(key, { namespace, name });
    if (this.recent.size > MAX_REMEMBERED) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
