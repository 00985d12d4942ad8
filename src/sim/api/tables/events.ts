/**
 * Events: printEvent in pkg/printers/internalversion/printers.go. core/v1 and events.k8s.io/v1 share
 * one storage and one internal type, so both print through it; events.k8s.io objects are first mapped
 * back the way pkg/apis/events/v1 Convert_v1_Event_To_core_Event does.
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsEvent } from 'kubernetes-types/events/v1.js';
import type { KubeObject } from '../../object.ts';
import { NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { parseTime, since } from './duration.ts';

const COLUMNS = [
  column('Last Seen', 'string', DOC['Event.lastTimestamp']),
  column('Type', 'string', DOC['Event.type']),
  column('Reason', 'string', DOC['Event.reason']),
  column('Object', 'string', DOC['Event.involvedObject']),
  wide('Subobject', 'string', DOC['ObjectReference.fieldPath']),
  wide('Source', 'string', DOC['Event.source']),
  column('Message', 'string', DOC['Event.message']),
  wide('First Seen', 'string', DOC['Event.firstTimestamp']),
  wide('Count', 'string', DOC['Event.count']),
  { ...NAME, priority: 1 },
];

/** The fields printEvent reads, under their core/v1 names. */
function asCore(obj: KubeObject): CoreEvent {
  if (!obj.apiVersion.startsWith('events.k8s.io/')) return obj as unknown as CoreEvent;
  const e = obj as unknown as EventsEvent;
  return {
    metadata: e.metadata ?? {},
    involvedObject: e.regarding ?? {},
    source: e.deprecatedSource ?? {},
    message: e.note ?? '',
    firstTimestamp: e.deprecatedFirstTimestamp ?? '',
    lastTimestamp: e.deprecatedLastTimestamp ?? '',
    count: e.deprecatedCount ?? 0,
    eventTime: e.eventTime ?? '',
    series: e.series,
    type: e.type ?? '',
    reason: e.reason ?? '',
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
}

function eventCells(obj: KubeObject, now: number): unknown[] {
  const e = asCore(obj);
  const firstTimestamp =
    parseTime(e.firstTimestamp) === undefined ? since(e.eventTime, now) : since(e.firstTimestamp, now);
  let lastTimestamp = parseTime(e.lastTimestamp) === undefined ? firstTimestamp : since(e.lastTimestamp, now);
  let count = e.count ?? 0;
  if (e.series) {
    lastTimestamp = since(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    // Singleton events don't have a count set in the new API.
    count = 1;
  }
  const involved = e.involvedObject ?? {};
  const kind = (involved.kind ?? '').toLowerCase();
  const target = involved.name ? `${kind}/${involved.name}` : kind;
  // formatEventSource: the legacy source, else the reporting controller and instance.
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return [
    lastTimestamp,
    e.type ?? '',
    e.reason ?? '',
    target,
    involved.fieldPath ?? '',
    instance === '' ? component : `${component}, ${instance}`,
    (e.message ?? '').trim(),
    firstTimestamp,
    count,
    e.metadata?.name ?? '',
  ];
}

export const events = printer<KubeObject>(COLUMNS, eventCells);
