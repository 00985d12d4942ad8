/**
 * events.k8s.io/v1 Events are a view of the same stored objects as core/v1 Events, converted
 * field by field as pkg/apis/events/v1/conversion.go does: regarding ↔ involvedObject,
 * note ↔ message, reportingController ↔ reportingComponent, and the deprecated* fields ↔ the
 * core series fields (source, firstTimestamp, lastTimestamp, count).
 */
import { isObject, type KubeObject } from '../object.ts';

const RENAMES: readonly (readonly [events: string, core: string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: KubeObject, apiVersion: string, from: 0 | 1): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: obj.metadata };
  const map = new Map(RENAMES.map((pair) => [pair[from], pair[from === 0 ? 1 : 0]]));
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || value === undefined) continue;
    out[map.get(key) ?? key] = value;
  }
  return out;
}

export function coreEventToEventsV1(obj: KubeObject): KubeObject {
  return rename(obj, 'events.k8s.io/v1', 1);
}

export function eventsV1ToCoreEvent(obj: KubeObject): KubeObject {
  const out = rename(obj, 'v1', 0);
  // The core type has no home for these two when they are empty objects; keep the shape simple.
  if (isObject(out.series) && Object.keys(out.series).length === 0) delete out.series;
  return out;
}

/** events.k8s.io field selector labels in terms of the stored core Event. */
export function eventsFieldToCore(label: string): string {
  if (label.startsWith('regarding.')) return `involvedObject.${label.slice('regarding.'.length)}`;
  if (label === 'reportingController') return 'reportingComponent';
  return label;
}
