/** The verbs on a resource URL: get, list, create, update, patch, delete, deletecollection. */
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import { isObject, type KubeObject } from '../../object.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../../store/selectors.ts';
import { boolParam, decodeBody, intParam, mediaType, readBody, readObjectBody, sendJson } from '../http.ts';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
  supportsStrategicMerge,
} from '../patch/index.ts';
import {
  ApplyConflictError,
  ApplyError,
  patchOptionsStatus,
  serverSideApply,
} from '../patch/server-side-apply.ts';
import {
  decodeContinue,
  encodeContinue,
  listOf,
  type ListMeta,
  partialMetadata,
  tableOf,
} from '../render.ts';
import { returnsDeletedObject } from '../rest/strategy.ts';
import {
  ApiError,
  badRequest,
  invalid,
  modifiedConflict,
  notFound,
  successStatus,
  unsupportedMediaType,
} from '../rest/status.ts';
import { ExpiredError, type Selection } from '../../store/object-store.ts';
import type { ResourceCall } from './context.ts';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

export function selectionOf(call: ResourceCall): Selection {
  try {
    const labels = call.query.get('labelSelector');
    const fields = call.query.get('fieldSelector');
    return {
      namespace: call.info.namespace,
      ...(labels ? { labels: parseLabelSelector(labels) } : {}),
      ...(fields
        ? {
            fields: parseFieldSelector(fields, call.resource.fieldLabels, {
              apiVersion: call.resource.apiVersion,
              kind: call.resource.kind,
            }),
          }
        : {}),
    };
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
}

/** Sends one object in the rendering the client asked for. */
export function sendObject(call: ResourceCall, status: number, obj: KubeObject): void {
  if (call.rendering === 'table') {
    const meta = { resourceVersion: obj.metadata.resourceVersion ?? '' };
    sendJson(
      call.res,
      status,
      tableOf(call.resource, [obj], meta, call.ctx.clock.now(), call.query.get('includeObject')),
    );
  } else if (call.rendering === 'partial-metadata') {
    sendJson(call.res, status, partialMetadata(obj));
  } else {
    sendJson(call.res, status, obj);
  }
}

export function get(call: ResourceCall): void {
  const obj = call.ctx.registry.get(call.resource, call.info.namespace, call.info.name ?? '');
  sendObject(call, 200, obj);
}

export function list(call: ResourceCall): void {
  const { registry, clock } = call.ctx;
  const token = call.query.get('continue');
  const rvParam = call.query.get('resourceVersion');
  if (token && rvParam) throw badRequest('specifying resource version is not allowed when using continue');
  const from = token ? decodeContinue(token) : undefined;
  let result;
  try {
    result = registry.list(call.resource, {
      ...selectionOf(call),
      limit: intParam(call.query, 'limit'),
      after: from?.start,
      atRv: from?.rv,
    });
  } catch (error) {
    if (error instanceof ExpiredError) {
      throw new ApiError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    throw error;
  }
  const meta: ListMeta = { resourceVersion: String(result.resourceVersion) };
  if (result.lastKey !== undefined) meta.continue = encodeContinue(result.resourceVersion, result.lastKey);
  if (result.remaining !== undefined) meta.remainingItemCount = result.remaining;
  if (call.rendering === 'table') {
    sendJson(
      call.res,
      200,
      tableOf(call.resource, result.items, meta, clock.now(), call.query.get('includeObject')),
    );
  } else if (call.rendering === 'partial-metadata') {
    sendJson(call.res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      items: result.items.map(partialMetadata),
    });
  } else {
    sendJson(call.res, 200, listOf(call.resource, result.items, meta));
  }
}

export async function create(call: ResourceCall): Promise<void> {
  const body = await bodyOf(call);
  const obj = call.ctx.registry.create(call.resource, call.info.namespace, body, writeOptions(call));
  sendObject(call, 201, obj);
}

export async function update(call: ResourceCall): Promise<void> {
  const body = await bodyOf(call);
  const obj = call.ctx.registry.update(call.resource, call.info.namespace, call.info.name ?? '', body, {
    ...writeOptions(call),
    ...(call.info.subresource ? { subresource: call.info.subresource } : {}),
  });
  sendObject(call, 200, obj);
}

export async function patch(call: ResourceCall): Promise<void> {
  const { registry, clock } = call.ctx;
  const r = call.resource;
  const name = call.info.name ?? '';
  const type = mediaType(call.req.headers['content-type']);
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(PATCH_TYPES);
  const patchBody = decodeBody(await readBody(call.req), type);
  const live = registry.find(r, call.info.namespace, name);

  const optionsProblem = patchOptionsStatus(
    type === 'application/apply-patch+yaml',
    call.query.get('fieldManager'),
    call.query.get('force'),
  );
  if (optionsProblem) throw ApiError.fromStatus(optionsProblem);

  if (type === 'application/apply-patch+yaml') {
    if (!isObject(patchBody))
      throw badRequest('error decoding YAML: the applied configuration must be an object');
    const applied = patchBody as KubeObject;
    if (applied.metadata?.name && applied.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    let result: KubeObject;
    try {
      result = serverSideApply(live, applied, {
        manager: call.manager,
        force: boolParam(call.query, 'force'),
        now: clock.timestamp(),
        target: { apiVersion: r.apiVersion, kind: r.kind },
        ...(call.info.subresource ? { subresource: call.info.subresource } : {}),
      });
    } catch (error) {
      if (error instanceof ApplyConflictError || error instanceof ApplyError)
        throw ApiError.fromStatus(error.status);
      throw error;
    }
    if (!live) {
      // Apply creates; managedFields were computed by the applier, so no Update entry is recorded.
      sendObject(call, 201, registry.create(r, call.info.namespace, result, { dryRun: call.dryRun }));
      return;
    }
    sendObject(call, 200, registry.replace(r, live, result, subresourceOptions(call, false)));
    return;
  }

  if (!live) throw notFound(r, name);
  let patched: unknown;
  try {
    if (type === 'application/json-patch+json') patched = applyJsonPatch(live, patchBody);
    else if (type === 'application/merge-patch+json') patched = applyMergePatch(live, patchBody);
    else {
      if (!supportsStrategicMerge(r.apiVersion, r.kind))
        throw unsupportedMediaType(PATCH_TYPES.filter((t) => !t.includes('strategic')));
      patched = applyStrategicMergePatch(live, patchBody, { apiVersion: r.apiVersion, kind: r.kind });
    }
  } catch (error) {
    if (error instanceof PatchError) throw patchFailure(error);
    throw error;
  }
  if (!isObject(patched)) throw badRequest('the patch did not produce an object');
  // The patch result is written through the same path as an update, so it is copied first:
  // patch functions may share unchanged subtrees with the stored object.
  const next = structuredClone(patched) as KubeObject;
  const rv = next.metadata?.resourceVersion;
  if (rv && rv !== live.metadata.resourceVersion) throw modifiedConflict(r, name);
  if (next.metadata?.uid !== live.metadata.uid) {
    throw invalid(r, name, [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.uid',
        message: `Invalid value: "${String(next.metadata?.uid ?? '')}": field is immutable`,
      },
    ]);
  }
  sendObject(call, 200, registry.replace(r, live, next, subresourceOptions(call, true)));
}

export async function remove(call: ResourceCall): Promise<void> {
  const options = await deleteOptionsOf(call);
  const result = call.ctx.registry.delete(call.resource, call.info.namespace, call.info.name ?? '', options, {
    dryRun: call.dryRun,
  });
  if (result.deleted && !returnsDeletedObject(call.resource)) {
    const r = call.resource;
    sendJson(
      call.res,
      200,
      successStatus(200, {
        name: result.object.metadata.name ?? '',
        ...(r.group ? { group: r.group } : {}),
        kind: r.plural,
        ...(result.object.metadata.uid ? { uid: result.object.metadata.uid } : {}),
      }),
    );
    return;
  }
  // The apiserver answers 202 only when the client explicitly asked not to orphan and the object remains.
  const status = !result.deleted && options.orphanDependents === false ? 202 : 200;
  sendObject(call, status, result.object);
}

export async function removeCollection(call: ResourceCall): Promise<void> {
  const options = await deleteOptionsOf(call);
  const selection = selectionOf(call);
  const { registry } = call.ctx;
  const items = registry.list(call.resource, selection).items;
  const deleted: KubeObject[] = [];
  for (const item of items) {
    try {
      deleted.push(
        registry.delete(call.resource, item.metadata.namespace, item.metadata.name ?? '', options, {
          dryRun: call.dryRun,
        }).object,
      );
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
  sendJson(
    call.res,
    200,
    listOf(call.resource, deleted, { resourceVersion: String(registry.store.resourceVersion) }),
  );
}

function writeOptions(call: ResourceCall): { dryRun: boolean; manager: string } {
  return { dryRun: call.dryRun, manager: call.manager };
}

function subresourceOptions(call: ResourceCall, record: boolean) {
  return {
    dryRun: call.dryRun,
    ...(record ? { manager: call.manager } : {}),
    ...(call.info.subresource ? { subresource: call.info.subresource } : {}),
  };
}

function bodyOf(call: ResourceCall): Promise<unknown> {
  return readObjectBody(call.req);
}

async function deleteOptionsOf(call: ResourceCall): Promise<DeleteOptions> {
  const body = (await readObjectBody(call.req)) ?? {};
  if (!isObject(body)) throw badRequest('DeleteOptions must be an object');
  const options = body as DeleteOptions;
  // kubectl --dry-run=server puts dryRun in the DeleteOptions body rather than the query.
  if (options.dryRun !== undefined) {
    checkDryRun(options.dryRun);
    if (options.dryRun.length > 0) call.dryRun = true;
  }
  const grace = intParam(call.query, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = call.query.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy;
  if (call.query.get('orphanDependents') !== null)
    options.orphanDependents = boolParam(call.query, 'orphanDependents');
  if (options.orphanDependents !== undefined && options.propagationPolicy !== undefined) {
    throw new ApiError(
      422,
      'Invalid',
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "' +
        options.propagationPolicy +
        '": orphanDependents and deletionPropagation cannot be both set',
      {
        kind: 'DeleteOptions',
        group: 'meta.k8s.io',
      },
    );
  }
  return options;
}

/** The Status the apiserver's patch handler sends for a failed patch (PatchError.status()). */
export function patchFailure(error: PatchError): ApiError {
  const status = error.status();
  if (!status) return new ApiError(500, 'InternalError', error.message);
  return new ApiError(status.code, status.reason, status.message);
}

/** The only dry-run mode the apiserver knows is "All". */
export function checkDryRun(values: readonly string[]): void {
  if (values.some((d) => d !== 'All')) {
    throw new ApiError(
      400,
      'BadRequest',
      `Invalid dryRun parameter: "${values.join(',')}": supported values: "All"`,
    );
  }
}
