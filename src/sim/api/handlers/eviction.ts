/**
 * POST pods/{name}/eviction, following pkg/registry/core/pod/storage/eviction.go: terminal or
 * already-deleting pods go at once; otherwise the one PodDisruptionBudget that selects the pod
 * must allow a disruption, which is recorded in its status (disruptedPods, disruptionsAllowed)
 * before the pod is deleted. Refusals are 429 with Kubernetes' message and cause, which is what
 * `kubectl drain` retries on every 5 seconds.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import { resourceAt } from '../../kinds/registry.ts';
import { isObject, type KubeObject, type Writable } from '../../object.ts';
import { labelSelectorFromSpec, SelectorError } from '../../store/selectors.ts';
import { readObjectBody, sendJson } from '../http.ts';
import type { Registry } from '../rest/registry.ts';
import { ApiError, badRequest, conflict, successStatus, tooManyRequests } from '../rest/status.ts';
import { checkDryRun } from './objects.ts';
import type { ResourceCall } from './context.ts';

const PDB = resourceAt('policy/v1', 'poddisruptionbudgets');
// More entries than this in status.disruptedPods and the budget refuses everything (MaxDisruptedPodSize).
const MAX_DISRUPTED_PODS = 2000;

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function evict(call: ResourceCall): Promise<void> {
  const { registry } = call.ctx;
  const name = call.info.name ?? '';
  const body = await readObjectBody(call.req);
  if (!isObject(body) || (body.kind !== undefined && body.kind !== 'Eviction')) {
    throw badRequest('the body of an eviction must be a policy/v1 Eviction');
  }
  const eviction = body as { metadata?: { name?: string }; deleteOptions?: DeleteOptions };
  if (eviction.metadata?.name !== name)
    throw badRequest('name in URL does not match name in Eviction object');
  const pod = registry.get(call.resource, call.info.namespace, name) as Pod & KubeObject;
  const options = structuredClone(eviction.deleteOptions ?? {});
  // kubectl drain --dry-run=server asks through the eviction's DeleteOptions.
  if (options.dryRun !== undefined) {
    checkDryRun(options.dryRun);
    if (options.dryRun.length > 0) call.dryRun = true;
  }
  const done = () => sendJson(call.res, 201, successStatus(201));

  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) {
    addConditionAndDeletePod(call, pod, options);
    return done();
  }
  const budgets = matchingBudgets(registry, pod);
  if (budgets.length > 1) {
    throw new ApiError(
      500,
      'InternalError',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = budgets[0];
  if (pdb) {
    const alwaysAllowUnhealthy = pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow';
    const status = pdb.status;
    const healthyBudget =
      status !== undefined && status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy;
    const skipBudget = !isReady(pod) && (alwaysAllowUnhealthy || healthyBudget);
    if (!skipBudget) checkAndDecrement(registry, pdb, name, call.dryRun);
  }
  addConditionAndDeletePod(call, pod, options);
  done();
}

/**
 * eviction.go addConditionAndDeletePod: the client's preconditions are checked against the pod
 * as it was, then carried over to the version the DisruptionTarget condition produced.
 */
function addConditionAndDeletePod(call: ResourceCall, pod: Pod & KubeObject, options: DeleteOptions): void {
  const { registry } = call.ctx;
  const name = pod.metadata.name ?? '';
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== pod.metadata.uid) {
    throw conflict(
      call.resource,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${pod.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion) {
    throw conflict(
      call.resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`,
    );
  }
  const marked = markDisruptionTarget(call, pod);
  if (pre?.resourceVersion && marked)
    options.preconditions = { ...pre, resourceVersion: marked.metadata.resourceVersion };
  registry.delete(call.resource, pod.metadata.namespace, name, options, { dryRun: call.dryRun });
}

function matchingBudgets(registry: Registry, pod: Pod & KubeObject): (PodDisruptionBudget & KubeObject)[] {
  if (!PDB) return [];
  const budgets = registry.list(PDB, { namespace: pod.metadata.namespace }).items as (PodDisruptionBudget &
    KubeObject)[];
  return budgets.filter((pdb) => {
    // Current eviction.go (policy/v1): a nil selector matches nothing and `{}` matches every pod;
    // an invalid selector does not match. (v1beta1-era code also skipped empty selectors.)
    try {
      return labelSelectorFromSpec(pdb.spec?.selector).matches(pod.metadata.labels);
    } catch (error) {
      if (error instanceof SelectorError) return false;
      throw error;
    }
  });
}

function checkAndDecrement(
  registry: Registry,
  pdb: PodDisruptionBudget & KubeObject,
  podName: string,
  dryRun: boolean,
): void {
  const name = pdb.metadata.name ?? '';
  const status = pdb.status;
  const message = "Cannot evict pod as it would violate the pod's disruption budget.";
  if (!status || (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
    throw tooManyRequests(
      message,
      [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${name} is still being processed by the server.`,
        },
      ],
      10,
    );
  }
  if (status.disruptionsAllowed < 0) {
    throw new ApiError(403, 'Forbidden', 'pdb disruptions allowed is negative');
  }
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw new ApiError(
      403,
      'Forbidden',
      'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
    );
  }
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(message, [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      },
    ]);
  }
  if (dryRun || !PDB) return;
  const next = structuredClone(pdb);
  const nextStatus = next.status as NonNullable<PodDisruptionBudget['status']>;
  nextStatus.disruptionsAllowed -= 1;
  nextStatus.disruptedPods = { ...nextStatus.disruptedPods, [podName]: registry.clock.timestamp() };
  registry.replace(PDB, pdb, next, { subresource: 'status' });
}

/** PodDisruptionConditions (GA 1.31): the pod is marked before it is deleted. */
function markDisruptionTarget(call: ResourceCall, pod: Pod & KubeObject): KubeObject | undefined {
  if (call.dryRun) return undefined;
  const { registry } = call.ctx;
  const next = structuredClone(pod) as Writable<Pod> & KubeObject;
  const conditions = (next.status ??= {}).conditions ?? [];
  next.status.conditions = [
    ...conditions.filter((c) => c.type !== 'DisruptionTarget'),
    {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: registry.clock.timestamp(),
    },
  ];
  return registry.replace(call.resource, pod, next, { subresource: 'status' });
}
