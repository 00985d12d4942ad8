/**
 * Binding a pod to a node (POST pods/{name}/binding or bindings): what the scheduler does.
 * Sets spec.nodeName once, with the PodScheduled condition (pkg/registry/core/pod/storage assignPod);
 * the write itself is `bindPod`, shared with the sim's scheduler.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resourceAt } from '../../kinds/registry.ts';
import { isObject, type KubeObject } from '../../object.ts';
import { readObjectBody, sendJson } from '../http.ts';
import { bindPod } from '../rest/binding.ts';
import { badRequest, successStatus } from '../rest/status.ts';
import type { ResourceCall } from './context.ts';

const PODS = resourceAt('v1', 'pods');

export async function bind(call: ResourceCall): Promise<void> {
  const { registry } = call.ctx;
  const body = await readObjectBody(call.req);
  if (!isObject(body)) throw badRequest('the body of a binding must be a v1 Binding');
  const binding = body as { metadata?: { name?: string }; target?: { kind?: string; name?: string } };
  const name =
    call.info.name && call.info.plural === 'pods' ? call.info.name : (binding.metadata?.name ?? '');
  if (call.info.name && binding.metadata?.name && binding.metadata.name !== call.info.name) {
    throw badRequest('name in URL does not match name in Binding object');
  }
  if (!PODS) throw badRequest('pods are not served');
  const node = binding.target?.name;
  if (!node || (binding.target?.kind && binding.target.kind !== 'Node')) {
    throw badRequest(
      `target.kind: Unsupported value: "${binding.target?.kind ?? ''}": supported values: "Node"`,
    );
  }
  const pod = registry.get(PODS, call.info.namespace, name) as Pod & KubeObject;
  bindPod(registry, pod, node, { dryRun: call.dryRun });
  sendJson(call.res, 201, successStatus(201));
}
