/**
 * The generic registry: Kubernetes object semantics over the store (uid, generation,
 * optimistic concurrency, defaulting, validation, status subresources, finalizers and graceful
 * deletion). HTTP handlers and the sim's controllers both go through it, so a controller write
 * is indistinguishable from a client's.
 */
import { randomUUID } from 'node:crypto';
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import type { SimClock } from '../../clock.ts';
import { applyDefaults } from '../../kinds/defaults.ts';
import { type ResourceType, RESOURCES, resourceForKind } from '../../kinds/registry.ts';
import { viewOf } from '../../kinds/views.ts';
import { parseFieldSelector } from '../../store/selectors.ts';
import { quantityDecodeError, validateObject } from '../../kinds/validation.ts';
import { cloneJson, isObject, type KubeObject, semanticEqual } from '../../object.ts';
import type { ListOptions, ListResult, ObjectStore } from '../../store/object-store.ts';
import { recordUpdate } from '../patch/server-side-apply.ts';
import { ClusterIpAllocator, NodePortAllocator } from './allocators.ts';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  forbidden,
  invalid,
  modifiedConflict,
  notFound,
} from './status.ts';
import {
  gracePeriodFor,
  hasStatus,
  initialStatus,
  prepareStatusUpdate,
  prepareTemplateGeneration,
  tracksGeneration,
} from './strategy.ts';

export interface WriteOptions {
  dryRun?: boolean;
  /** Who is writing, for managedFields (`fieldManager` or derived from the User-Agent). */
  manager?: string;
  subresource?: string;
}

export interface DeleteResult {
  object: KubeObject;
  /** False when the object is still there, terminating (grace period or finalizers). */
  deleted: boolean;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const storeKey = (r: ResourceType): string => r.storage ?? `${r.apiVersion}/${r.plural}`;

// fields.EscapeValue: the characters the selector grammar gives meaning to.
const escapeFieldValue = (v: string): string => v.replace(/[\\,=]/g, (c) => `\\${c}`);

function randomSuffix(): string {
  // generateName suffixes come from math/rand upstream (utilrand.String): unlikely to clash, not secret.
  let out = '';
  for (let i = 0; i < 5; i++)
    out += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return out;
}

export class Registry {
  private readonly clusterIps = new ClusterIpAllocator();
  private readonly nodePorts = new NodePortAllocator();

  constructor(
    readonly store: ObjectStore,
    readonly clock: SimClock,
  ) {
    for (const r of RESOURCES)
      if (r.kind !== 'Binding' && !r.storage) store.register(storeKey(r), r.fieldLabels, !r.namespaced);
  }

  storeKey(r: ResourceType): string {
    return storeKey(r);
  }

  find(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(storeKey(r), r.namespaced ? namespace : undefined, name);
    return obj && this.present(r, obj);
  }

  /** A stored object as resource `r` shows it (converted when `r` is a view of other storage). */
  present(r: ResourceType, obj: KubeObject): KubeObject {
    const view = viewOf(r);
    return view ? view.toView(obj) : obj;
  }

  /** A selection on resource `r` in terms of its storage (field labels of a view are renamed). */
  storageSelection<T extends ListOptions>(r: ResourceType, selection: T): T {
    const view = viewOf(r);
    const fields = selection.fields;
    if (!view || !fields || fields.empty) return selection;
    const text = fields.requirements
      .map((q) => `${view.fieldToStorage(q.field)}${q.operator}${escapeFieldValue(q.value)}`)
      .join(',');
    return { ...selection, fields: parseFieldSelector(text, view.storage.fieldLabels) };
  }

  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.find(r, namespace, name);
    if (!obj) throw notFound(r, name);
    return obj;
  }

  list(r: ResourceType, options: ListOptions): ListResult {
    const result = this.store.list(storeKey(r), {
      ...this.storageSelection(r, options),
      namespace: r.namespaced ? options.namespace : undefined,
    });
    const view = viewOf(r);
    return view ? { ...result, items: result.items.map(view.toView) } : result;
  }

  create(
    r: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const view = viewOf(r);
    if (view)
      return view.toView(
        this.create(view.storage, namespace, view.toStorage(this.checkBody(r, body)), options),
      );
    const obj = this.checkBody(r, body);
    const meta = obj.metadata;
    if (r.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace ?? meta.namespace ?? 'default';
      this.admitNamespace(meta.namespace, r, meta.name ?? meta.generateName ?? '');
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    // System fields come first: some defaulting derives from the uid (a Job's controller-uid selector).
    meta.uid = randomUUID();
    const badQuantity = quantityDecodeError(r.apiVersion, r.kind, obj);
    if (badQuantity) throw badRequest(badQuantity);
    applyDefaults(r.apiVersion, r.kind, obj, true);
    prepareTemplateGeneration(r, obj);
    this.validate(r, obj);
    if (this.find(r, meta.namespace, meta.name ?? '')) throw alreadyExists(r, meta.name ?? '');

    meta.creationTimestamp = this.clock.timestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (tracksGeneration(r)) meta.generation = 1;
    else delete meta.generation;
    if (hasStatus(r) || obj.status !== undefined) {
      const status = initialStatus(r, obj);
      if (status === undefined) delete obj.status;
      else obj.status = status;
    }
    if (r.kind === 'Service' && r.group === '') this.allocateServiceAddresses(obj as Service & KubeObject);
    const stored = options.manager
      ? (recordUpdate(undefined, obj, {
          manager: options.manager,
          now: this.clock.timestamp(),
        }) as KubeObject)
      : obj;
    if (options.dryRun) return stored;
    return this.store.put(storeKey(r), stored).object;
  }

  /**
   * PUT. The body replaces the object, except what the client may not change through this
   * endpoint: status on the main resource, everything but status on /status.
   */
  update(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const view = viewOf(r);
    if (view) {
      const converted = view.toStorage(this.checkBody(r, body));
      return view.toView(this.update(view.storage, namespace, name, converted, options));
    }
    const live = this.get(r, namespace, name);
    const obj = this.checkBody(r, body);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    // A uid in the body is a precondition (rest.BeforeUpdate → objectMetaAndKindUpdate checks it as one).
    const sentUid = obj.metadata.uid;
    if (sentUid && sentUid !== live.metadata.uid) {
      throw conflict(
        r,
        name,
        `Precondition failed: UID in precondition: ${sentUid}, UID in object meta: ${live.metadata.uid}`,
      );
    }
    const sentRv = obj.metadata.resourceVersion;
    if (sentRv && sentRv !== live.metadata.resourceVersion) throw modifiedConflict(r, name);
    return this.replace(r, live, obj, options);
  }

  /**
   * Stores `next` as the new version of `live`, applying the update strategy. Used by PUT, by
   * every PATCH type once the patch is applied, and by subresources.
   */
  replace(r: ResourceType, live: KubeObject, next: KubeObject, options: WriteOptions = {}): KubeObject {
    const view = viewOf(r);
    if (view) {
      const stored =
        this.store.get(storeKey(r), live.metadata.namespace, live.metadata.name ?? '') ??
        view.toStorage(live);
      return view.toView(this.replace(view.storage, stored, view.toStorage(next), options));
    }
    const name = live.metadata.name ?? '';
    let obj: KubeObject;
    if (options.subresource === 'status') {
      obj = prepareStatusUpdate(r, live, next);
    } else {
      obj = next;
      // Immutable metadata is carried over, whatever the client sent.
      const m = obj.metadata;
      const l = live.metadata;
      m.name = l.name;
      if (r.namespaced) m.namespace = l.namespace;
      else delete m.namespace;
      m.uid = l.uid;
      m.creationTimestamp = l.creationTimestamp;
      if (l.deletionTimestamp) m.deletionTimestamp = l.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (l.deletionGracePeriodSeconds !== undefined)
        m.deletionGracePeriodSeconds = l.deletionGracePeriodSeconds;
      else delete m.deletionGracePeriodSeconds;
      if (l.generateName) m.generateName = l.generateName;
      // PrepareForUpdate of every strategy with a status subresource (nodes included): status is /status's.
      if (hasStatus(r) && options.subresource === undefined) obj.status = cloneJson(live.status);
      if (r.kind === 'Namespace' && r.group === '') {
        // namespaceStrategy: spec.finalizers change only through /finalize, which in turn keeps status.
        if (options.subresource === 'finalize') obj.status = cloneJson(live.status);
        else obj.spec = cloneJson(live.spec);
      }
      if (l.deletionTimestamp) {
        const added = (m.finalizers ?? []).filter((f) => !(l.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw invalid(r, name, [
            {
              reason: 'FieldValueForbidden',
              field: 'metadata.finalizers',
              message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`,
            },
          ]);
        }
      }
      applyDefaults(r.apiVersion, r.kind, obj, false);
      prepareTemplateGeneration(r, obj, live);
    }
    // Binding is the scheduler's write of the otherwise immutable spec.nodeName (assignPod skips update validation).
    if (options.subresource !== 'binding') this.validate(r, obj, live);
    if (tracksGeneration(r)) {
      const specChanged =
        !semanticEqual(live.spec, obj.spec) ||
        (live.metadata.deletionTimestamp === undefined) !== (obj.metadata.deletionTimestamp === undefined) ||
        // deploymentStrategy.PrepareForUpdate also counts annotation changes (rollback requests live there).
        (r.kind === 'Deployment' &&
          options.subresource === undefined &&
          !semanticEqual(live.metadata.annotations, obj.metadata.annotations));
      obj.metadata.generation = (live.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    } else {
      delete obj.metadata.generation;
    }
    const withFields = options.manager
      ? (recordUpdate(live, obj, {
          manager: options.manager,
          now: this.clock.timestamp(),
          ...(options.subresource ? { subresource: options.subresource } : {}),
        }) as KubeObject)
      : obj;
    if (options.dryRun) return withFields;
    if (
      semanticEqual(
        { ...live, metadata: { ...live.metadata, resourceVersion: '' } },
        { ...withFields, metadata: { ...withFields.metadata, resourceVersion: '' } },
      )
    ) {
      // A no-op write does not bump resourceVersion or wake watchers (the apiserver skips the etcd write).
      return live;
    }
    const stored = this.store.put(storeKey(r), withFields).object;
    if (this.finalizable(stored)) return this.removeNow(r, stored);
    return stored;
  }

  delete(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
    write: WriteOptions = {},
  ): DeleteResult {
    const view = viewOf(r);
    if (view) {
      const result = this.delete(view.storage, namespace, name, options, write);
      return { ...result, object: view.toView(result.object) };
    }
    const live = this.get(r, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== live.metadata.uid) {
      throw conflict(
        r,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
      throw conflict(
        r,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`,
      );
    }
    const policy =
      options.propagationPolicy ??
      (options.orphanDependents === true
        ? 'Orphan'
        : options.orphanDependents === false
          ? 'Background'
          : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw invalid(r, name, [
        {
          reason: 'FieldValueNotSupported',
          field: 'propagationPolicy',
          message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        },
      ]);
    }
    const obj = cloneJson(live);
    const meta = obj.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (policy === 'Background') {
      finalizers.delete('orphan');
      finalizers.delete('foregroundDeletion');
    }
    const isNamespace = r.kind === 'Namespace' && r.group === '';
    const grace = gracePeriodFor(r, live, options.gracePeriodSeconds ?? undefined);

    if (meta.deletionTimestamp) {
      if (isNamespace) {
        throw conflict(
          r,
          name,
          'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
        );
      }
      // rest.BeforeDelete: only an explicit, shorter grace period moves the deadline, to
      // old deadline − old grace + new grace, and never before now.
      const current = meta.deletionGracePeriodSeconds ?? 0;
      if (
        options.gracePeriodSeconds !== undefined &&
        options.gracePeriodSeconds !== null &&
        grace < current
      ) {
        const deadline = Date.parse(meta.deletionTimestamp) - current * 1000 + grace * 1000;
        meta.deletionGracePeriodSeconds = grace;
        meta.deletionTimestamp = this.clock.timestamp(Math.max(deadline, this.clock.now()));
        if (write.dryRun) return { object: obj, deleted: false };
        const stored = this.store.put(storeKey(r), obj).object;
        if (this.finalizable(stored)) return { object: this.removeNow(r, stored), deleted: true };
        return { object: stored, deleted: false };
      }
      return { object: live, deleted: false };
    }
    const held =
      finalizers.size > 0 ||
      grace > 0 ||
      (isNamespace && ((obj as Namespace).spec?.finalizers ?? []).length > 0);
    if (!held) {
      if (write.dryRun) return { object: live, deleted: true };
      return { object: this.removeNow(r, live), deleted: true };
    }
    meta.finalizers = [...finalizers];
    if (meta.finalizers.length === 0) delete meta.finalizers;
    meta.deletionTimestamp = this.clock.timestamp(this.clock.now() + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
    if (isNamespace) (obj as Namespace).status = { ...(obj as Namespace).status, phase: 'Terminating' };
    if (tracksGeneration(r)) meta.generation = (meta.generation ?? 1) + 1;
    if (write.dryRun) return { object: obj, deleted: false };
    return { object: this.store.put(storeKey(r), obj).object, deleted: false };
  }

  /** Removes the object from storage now (grace period over, finalizers done). */
  removeNow(r: ResourceType, obj: KubeObject): KubeObject {
    const event = this.store.remove(storeKey(r), obj.metadata.namespace, obj.metadata.name ?? '');
    if (r.kind === 'Service' && r.group === '') {
      const svc = obj as Service;
      this.clusterIps.release(svc.spec?.clusterIP);
      for (const p of svc.spec?.ports ?? []) this.nodePorts.release(p.nodePort);
    }
    return event?.object ?? obj;
  }

  private finalizable(obj: KubeObject): boolean {
    const meta = obj.metadata;
    if (!meta.deletionTimestamp || (meta.finalizers ?? []).length > 0) return false;
    if (obj.kind === 'Namespace' && ((obj as Namespace).spec?.finalizers ?? []).length > 0) return false;
    return (meta.deletionGracePeriodSeconds ?? 0) === 0;
  }

  private checkBody(r: ResourceType, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest("Object 'Kind' is missing in 'null'");
    // Like the apiserver's decoder, missing apiVersion/kind default to the endpoint's; present ones must agree.
    const apiVersion = body.apiVersion ?? r.apiVersion;
    const kind = body.kind ?? r.kind;
    if (apiVersion !== r.apiVersion) {
      throw badRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${r.apiVersion})`,
      );
    }
    if (kind !== r.kind) {
      const other = typeof kind === 'string' ? resourceForKind(r.apiVersion, kind) : undefined;
      throw badRequest(
        other
          ? `the kind in the data (${String(kind)}) does not match the expected kind (${r.kind})`
          : `no kind "${String(kind)}" is registered for version "${r.apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
      );
    }
    // Stored objects lead with apiVersion and kind, as the apiserver serializes them.
    const { apiVersion: _a, kind: _k, ...rest } = body;
    const obj = { apiVersion: r.apiVersion, kind: r.kind, ...rest } as KubeObject;
    if (!isObject(obj.metadata)) obj.metadata = {};
    return obj;
  }

  private validate(r: ResourceType, obj: KubeObject, old?: KubeObject): void {
    const causes = validateObject(r.apiVersion, r.kind, obj, old);
    if (causes.length > 0) throw invalid(r, obj.metadata.name ?? obj.metadata.generateName ?? '', causes);
  }

  /** NamespaceLifecycle admission: no new content in a missing or terminating namespace. */
  private admitNamespace(namespace: string, r: ResourceType, name: string): void {
    const nsType = RESOURCES[0] as ResourceType;
    const ns = this.find(nsType, undefined, namespace);
    if (!ns)
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    if (ns.metadata.deletionTimestamp) {
      // The NamespaceLifecycle admission plugin's refusal (errors.NewForbidden with a NamespaceTerminating cause).
      throw forbidden(
        r,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      );
    }
  }

  private allocateServiceAddresses(svc: Service & KubeObject): void {
    const spec = (svc.spec ??= {});
    const type = spec.type ?? 'ClusterIP';
    if (type !== 'ExternalName' && spec.clusterIP !== 'None') {
      spec.clusterIP = this.clusterIps.allocate(spec.clusterIP || undefined);
      spec.clusterIPs = [spec.clusterIP];
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    }
    if (type === 'NodePort' || type === 'LoadBalancer') {
      for (const port of spec.ports ?? [])
        port.nodePort = this.nodePorts.allocate(port.nodePort || undefined);
    }
  }
}
