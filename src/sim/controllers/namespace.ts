/**
 * Namespace lifecycle (pkg/controller/namespace): when a namespace is deleted, everything in it
 * is deleted, then the `kubernetes` finalizer is removed from spec.finalizers and the namespace
 * goes. New namespaces get their `default` ServiceAccount (the serviceaccounts controller's job).
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import { RESOURCES, resourceAt } from '../kinds/registry.ts';
import type { KubeObject } from '../object.ts';
import { type Controller, ignoreGone, subscribe } from './controller.ts';

const NAMESPACES = resourceAt('v1', 'namespaces');
const SERVICE_ACCOUNTS = resourceAt('v1', 'serviceaccounts');

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private stops: (() => void)[] = [];
  private readonly retry = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<string>();

  constructor(private readonly registry: Registry) {}

  start(): void {
    if (!NAMESPACES) return;
    this.stops.push(
      subscribe(this.registry, NAMESPACES, (type, event) => {
        const ns = event.object as Namespace & KubeObject;
        if (type === 'ADDED') this.ensureServiceAccount(ns);
        if (type !== 'DELETED' && ns.metadata.deletionTimestamp) this.queue(ns.metadata.name ?? '');
      }),
    );
    // Content deleted while a namespace terminates may free it: re-check on every deletion in it.
    for (const r of RESOURCES) {
      if (!r.namespaced || r.kind === 'Binding' || r.storage) continue;
      this.stops.push(
        subscribe(this.registry, r, (type, event) => {
          if (type !== 'DELETED') return;
          const ns = this.registry.find(NAMESPACES, undefined, event.object.metadata.namespace ?? '');
          if (ns?.metadata.deletionTimestamp) this.queue(ns.metadata.name ?? '');
        }),
      );
    }
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    for (const t of this.retry) clearTimeout(t);
    this.retry.clear();
    this.pending.clear();
  }

  /** One sync per namespace per tick, however many of its objects went in that tick. */
  private queue(name: string): void {
    if (this.pending.has(name)) return;
    this.pending.add(name);
    const timer = setTimeout(() => {
      this.retry.delete(timer);
      this.pending.delete(name);
      this.sync(name);
    }, 0);
    this.retry.add(timer);
  }

  private ensureServiceAccount(ns: Namespace & KubeObject): void {
    if (!SERVICE_ACCOUNTS || ns.metadata.deletionTimestamp) return;
    const name = ns.metadata.name ?? '';
    if (this.registry.find(SERVICE_ACCOUNTS, name, 'default')) return;
    ignoreGone(() =>
      this.registry.create(
        SERVICE_ACCOUNTS,
        name,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
        { manager: 'kube-controller-manager' },
      ),
    );
  }

  private sync(name: string): void {
    if (!NAMESPACES) return;
    let remaining = 0;
    for (const r of RESOURCES) {
      if (!r.namespaced || r.kind === 'Binding' || r.storage) continue;
      for (const obj of this.registry.list(r, { namespace: name }).items) {
        remaining++;
        if (!obj.metadata.deletionTimestamp) {
          ignoreGone(() =>
            this.registry.delete(r, name, obj.metadata.name ?? '', { propagationPolicy: 'Background' }),
          );
        }
      }
    }
    if (remaining > 0) return;
    const ns = this.registry.find(NAMESPACES, undefined, name) as (Namespace & KubeObject) | undefined;
    if (!ns || !(ns.spec?.finalizers ?? []).includes('kubernetes')) return;
    const next = structuredClone(ns);
    next.spec = { ...next.spec, finalizers: (next.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes') };
    ignoreGone(() =>
      this.registry.replace(NAMESPACES, ns, next, {
        subresource: 'finalize',
        manager: 'kube-controller-manager',
      }),
    );
  }
}
