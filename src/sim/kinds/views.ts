/**
 * Resources served as converted views of another resource's storage, as the apiserver serves
 * several versions of one stored kind: events.k8s.io/v1 Events over core/v1 Events, and
 * autoscaling/v1 HorizontalPodAutoscalers over autoscaling/v2.
 */
import type { KubeObject } from '../object.ts';
import { coreEventToEventsV1, eventsFieldToCore, eventsV1ToCoreEvent } from './event-conversion.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './hpa-conversion.ts';
import { type ResourceType, resourceAt } from './registry.ts';

export interface View {
  storage: ResourceType;
  toView(obj: KubeObject): KubeObject;
  toStorage(obj: KubeObject): KubeObject;
  fieldToStorage(label: string): string;
}

const VIEWS = new Map<string, View>();

function add(apiVersion: string, plural: string, view: Omit<View, 'storage'>): void {
  const r = resourceAt(apiVersion, plural);
  const storage = r?.storage ? resourceAt(r.storage.slice(0, r.storage.lastIndexOf('/')), plural) : undefined;
  if (r && storage) VIEWS.set(`${apiVersion}/${plural}`, { storage, ...view });
}

add('events.k8s.io/v1', 'events', {
  toView: coreEventToEventsV1,
  toStorage: eventsV1ToCoreEvent,
  fieldToStorage: eventsFieldToCore,
});
add('autoscaling/v1', 'horizontalpodautoscalers', {
  toView: hpaV2ToV1,
  toStorage: hpaV1ToV2,
  fieldToStorage: (label) => label,
});

export function viewOf(r: ResourceType): View | undefined {
  return r.storage ? VIEWS.get(`${r.apiVersion}/${r.plural}`) : undefined;
}
