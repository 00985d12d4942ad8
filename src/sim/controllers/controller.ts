/**
 * What the sim's controllers share: they watch the store like an informer and do their work
 * through the registry, never inside the store's commit (work is queued and run after it), and
 * stop without leaving timers behind.
 */
import { ApiError } from '../api/rest/status.ts';
import type { ResourceType } from '../kinds/registry.ts';
import type { Registry } from '../api/rest/registry.ts';
import type { StoreEvent, WatchEventType } from '../store/object-store.ts';

export interface Controller {
  readonly name: string;
  start(): void;
  stop(): void;
}

export type EventHandler = (type: WatchEventType, event: StoreEvent) => void;

/** Subscribes to every change of `resource`; handlers run on a later tick, in order. */
export function subscribe(registry: Registry, resource: ResourceType, handler: EventHandler): () => void {
  const queue: [WatchEventType, StoreEvent][] = [];
  let scheduled = false;
  let stopped = false;
  const drain = () => {
    scheduled = false;
    // Walk by index and drop the processed prefix once: shift() per event is quadratic on a
    // backlog of 100,000 pod events.
    let next = 0;
    while (!stopped && next < queue.length) {
      const [type, event] = queue[next++] as [WatchEventType, StoreEvent];
      try {
        handler(type, event);
      } catch (error) {
        console.error(`scars sim: controller error on ${event.resource}:`, error);
      }
    }
    queue.splice(0, next);
  };
  const unwatch = registry.store.watch({
    resource: registry.storeKey(resource),
    deliver: (type, event) => {
      queue.push([type, event]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
  });
  return () => {
    stopped = true;
    unwatch();
  };
}

/**
 * Runs a controller write that may lose a race: the object already gone (404) or changed under
 * it (409) is the normal outcome of acting on a watch event, not an error; the next event retries.
 */
export function ignoreGone(write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!(error instanceof ApiError && (error.code === 404 || error.code === 409))) throw error;
  }
}
