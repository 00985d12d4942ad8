/**
 * Watch: a 200 response of newline-delimited `{"type","object"}` events
 * (docs: reference/using-api/api-concepts, apiserver cacher). resourceVersion unset or "0"
 * starts with synthetic ADDED events for the current state; a version older than the retained
 * history gets one ERROR event with a 410 Expired Status, then the stream closes. Bookmarks
 * are sent when asked for, and streaming lists (sendInitialEvents) end their initial events with
 * a bookmark annotated `k8s.io/initial-events-end`, which client-go 1.35+ waits for.
 */
import type { KubeObject } from '../../object.ts';
import { ExpiredError, type StoreEvent, type WatchEventType } from '../../store/object-store.ts';
import { boolParam, intParam } from '../http.ts';
import { partialMetadata, tableOf } from '../render.ts';
import { ApiError } from '../rest/status.ts';
import type { ResourceCall } from './context.ts';
import { selectionOf } from './objects.ts';

// Slow consumers are cut off rather than buffered without bound (the apiserver does the same).
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export function watch(call: ResourceCall): void {
  const { registry, clock } = call.ctx;
  const { query, res, resource } = call;
  const selection = selectionOf(call);
  const rvParam = query.get('resourceVersion') ?? '';
  const sendInitialEvents = query.get('sendInitialEvents');
  const bookmarks = boolParam(query, 'allowWatchBookmarks');
  if (sendInitialEvents !== null) {
    if (query.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks) {
      throw new ApiError(
        422,
        'Invalid',
        `ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan and allowWatchBookmarks is set`,
        { kind: 'ListOptions', group: 'meta.k8s.io' },
      );
    }
  }
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) {
    throw new ApiError(
      400,
      'BadRequest',
      `invalid resource version: strconv.ParseUint: parsing "${rvParam}": invalid syntax`,
    );
  }
  // Without sendInitialEvents, "" and "0" mean "current state first"; an explicit false means "changes only".
  const initial =
    sendInitialEvents === null ? rvParam === '' || rvParam === '0' : sendInitialEvents === 'true';
  const table = call.rendering === 'table';
  const includeObject = query.get('includeObject');
  let columnsSent = false;

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const write = (line: string): void => {
    if (res.destroyed) return;
    res.write(line);
    if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
  };
  const encode = (type: WatchEventType, object: KubeObject): string => {
    if (table) {
      const t = tableOf(
        resource,
        [object],
        { resourceVersion: object.metadata.resourceVersion ?? '' },
        clock.now(),
        includeObject,
        !columnsSent,
      );
      columnsSent = true;
      return `${JSON.stringify({ type, object: t })}\n`;
    }
    if (call.rendering === 'partial-metadata')
      return `${JSON.stringify({ type, object: partialMetadata(object) })}\n`;
    return `${JSON.stringify({ type, object })}\n`;
  };
  const deliver = (type: WatchEventType, event: StoreEvent, stored: KubeObject): void => {
    const object = registry.present(resource, stored);
    if (table || call.rendering === 'partial-metadata') return write(encode(type, object));
    // Plain JSON lines are encoded once per event, type and API version, whatever the number of watchers.
    const cache = (event.encoded ??= {});
    write((cache[`${resource.apiVersion} ${type}`] ??= encode(type, object)));
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    write(
      `${JSON.stringify({
        type: 'BOOKMARK',
        object: {
          kind: resource.kind,
          apiVersion: resource.apiVersion,
          metadata: {
            resourceVersion: String(registry.store.resourceVersion),
            ...(annotations ? { annotations } : {}),
          },
        },
      })}\n`,
    );
  };

  let unsubscribe: (() => void) | undefined;
  try {
    let since: number | undefined;
    if (initial) {
      const current = registry.list(resource, selection);
      for (const obj of current.items) write(encode('ADDED', obj));
      since = current.resourceVersion;
      if (sendInitialEvents === 'true') bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      since = rvParam === '' || rvParam === '0' ? registry.store.resourceVersion : Number(rvParam);
    }
    unsubscribe = registry.store.watch(
      { resource: registry.storeKey(resource), ...registry.storageSelection(resource, selection), deliver },
      since,
    );
  } catch (error) {
    if (error instanceof ExpiredError) {
      const status = new ApiError(410, 'Expired', error.message).toStatus();
      write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      res.end();
      return;
    }
    throw error;
  }

  const timers: NodeJS.Timeout[] = [];
  if (bookmarks) {
    const t = setInterval(() => bookmark(), call.ctx.bookmarkIntervalMs);
    t.unref();
    timers.push(t);
  }
  // Without timeoutSeconds the apiserver picks 30-60 minutes (minRequestTimeout 1800s, jittered).
  // timeoutSeconds=0 means "the server's default", as in the apiserver's watch handler.
  const timeoutSeconds = intParam(query, 'timeoutSeconds') || 1800 * (1 + Math.random());
  const end = setTimeout(() => res.end(), timeoutSeconds * 1000);
  end.unref();
  timers.push(end);
  const close = () => {
    unsubscribe?.();
    for (const t of timers) clearTimeout(t);
  };
  res.on('close', close);
  res.on('finish', close);
}
