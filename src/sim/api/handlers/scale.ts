/**
 * The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets and StatefulSets:
 * `kubectl scale` PATCHes it, HPAs read it. status.selector is the label selector as a string.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { selectorString } from '../tables/format.ts';
import { isObject, type KubeObject } from '../../object.ts';
import { decodeBody, mediaType, readBody, readObjectBody, sendJson } from '../http.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../patch/index.ts';
import { ApiError, badRequest, modifiedConflict, unsupportedMediaType } from '../rest/status.ts';
import type { ResourceCall } from './context.ts';
import { PATCH_TYPES, patchFailure } from './objects.ts';

interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: KubeObject['metadata'];
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

function scaleOf(obj: KubeObject): Scale {
  const spec = obj.spec as { replicas?: number; selector?: LabelSelector } | undefined;
  const status = obj.status as { replicas?: number } | undefined;
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: spec?.replicas ?? 1 },
    // deployment/replicaset/statefulset scale: LabelSelectorAsSelector(spec.selector).String().
    status: { replicas: status?.replicas ?? 0, selector: selectorString(spec?.selector) ?? '' },
  };
}

export async function scale(call: ResourceCall): Promise<void> {
  const { registry } = call.ctx;
  const r = call.resource;
  const name = call.info.name ?? '';
  const live = registry.get(r, call.info.namespace, name);
  const method = call.req.method ?? 'GET';
  if (method === 'GET') return sendJson(call.res, 200, scaleOf(live));

  let next: unknown;
  const current = scaleOf(live);
  if (method === 'PUT') {
    next = await readObjectBody(call.req);
  } else {
    const type = mediaType(call.req.headers['content-type']);
    if (!PATCH_TYPES.includes(type) || type === 'application/apply-patch+yaml')
      throw unsupportedMediaType(PATCH_TYPES.slice(0, 3));
    const patch = decodeBody(await readBody(call.req), type);
    try {
      next =
        type === 'application/json-patch+json'
          ? applyJsonPatch(current, patch)
          : type === 'application/merge-patch+json'
            ? applyMergePatch(current, patch)
            : applyStrategicMergePatch(current, patch, { apiVersion: 'autoscaling/v1', kind: 'Scale' });
    } catch (error) {
      if (error instanceof PatchError) throw patchFailure(error);
      throw error;
    }
  }
  if (!isObject(next) || !isObject(next.spec))
    throw badRequest('the body of a scale update must be an autoscaling/v1 Scale');
  const replicas = next.spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
      {
        name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
            field: 'spec.replicas',
          },
        ],
      },
    );
  }
  const rv = (next.metadata as KubeObject['metadata'] | undefined)?.resourceVersion;
  if (rv && rv !== live.metadata.resourceVersion) throw modifiedConflict(r, name);
  const updated = structuredClone(live);
  (updated.spec as { replicas?: number }).replicas = replicas;
  const stored = registry.replace(r, live, updated, {
    dryRun: call.dryRun,
    manager: call.manager,
    subresource: 'scale',
  });
  sendJson(call.res, 200, scaleOf(stored));
}
