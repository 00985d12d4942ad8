/**
 * Events expire. kube-apiserver stores every Event under an etcd lease of --event-ttl (default
 * 1 h), and each write of the Event takes a fresh lease, so an Event disappears an hour (cluster
 * time here) after it was last recorded — in every namespace, including `default` and
 * `kube-system`, where Events about nodes would otherwise pile up for as long as the cluster lives.
 *
 * Expiry is storage's doing, not a deletion through the API: no graceful deletion and no
 * finalizers, just the DELETED watch event. Checked once a minute, so an Event lives up to a
 * minute past its TTL.
 */
import type { Registry } from '../api/rest/registry.ts';
import { EVENTS } from '../kinds/resources.ts';
import { type Controller, subscribe } from './controller.ts';
import { keyOf, splitKey } from './work-queue.ts';

/** kube-apiserver's default --event-ttl. */
export const DEFAULT_EVENT_TTL_MS = 60 * 60_000;
const SWEEP_MS = 60_000;

export class EventTtl implements Controller {
  readonly name = 'event-ttl';
  /** `namespace/name` → cluster ms of the Event's last write. */
  private readonly lastWrite = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly ttlMs = DEFAULT_EVENT_TTL_MS,
  ) {}

  start(): void {
    const now = this.registry.clock.now();
    for (const e of this.registry.list(EVENTS, {}).items)
      this.lastWrite.set(keyOf(e.metadata.namespace, e.metadata.name ?? ''), now);
    this.unsubscribe = subscribe(this.registry, EVENTS, (type, event) => {
      const key = keyOf(event.object.metadata.namespace, event.object.metadata.name ?? '');
      if (type === 'DELETED') this.lastWrite.delete(key);
      else this.lastWrite.set(key, this.registry.clock.now());
    });
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) this.registry.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.registry.clock.setTimeout(() => {
      this.sweep();
      if (this.unsubscribe) this.schedule();
    }, SWEEP_MS);
  }

  private sweep(): void {
    const now = this.registry.clock.now();
    for (const [key, at] of this.lastWrite) {
      if (now - at < this.ttlMs) continue;
      this.lastWrite.delete(key);
      const { namespace, name } = splitKey(key);
      const live = this.registry.find(EVENTS, namespace, name);
      if (live) this.registry.removeNow(EVENTS, live);
    }
  }
}
