/**
 * PodDisruptionBudget status, as kube-controller-manager's disruption controller keeps it
 * (pkg/controller/disruption/disruption.go, 1.32): for each budget, the pods its selector picks
 * in its namespace give currentHealthy (Ready, not being deleted, not recently evicted),
 * desiredHealthy and expectedPods (from minAvailable / maxUnavailable, percentages of the
 * owning controllers' scale), disruptionsAllowed, the still-pending entries of disruptedPods
 * and the DisruptionAllowed condition. The eviction handler spends disruptionsAllowed and adds
 * to disruptedPods; this controller recomputes after it. A failed sync sets disruptionsAllowed
 * to 0 with condition reason SyncFailed ("fail safe").
 *
 * Also resets DisruptionTarget pod conditions left behind by a disruption that never happened
 * (2 minutes without a deletionTimestamp).
 *
 * Pod events are mapped to budgets through an in-memory index of the budgets of each namespace
 * (selectors evaluated against the pod's labels); a sync lists only the budget's pods, through
 * the label index.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Condition, OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { SimContext } from '../context.ts';
import { controllerRefOf, isPodReady, isPodTerminal, podCondition, type SimPod } from '../kinds/pod.ts';
import { resourceForKind } from '../kinds/registry.ts';
import { DEPLOYMENTS, PDBS, PODS, REPLICASETS, STATEFULSETS } from '../kinds/resources.ts';
import { type KubeObject, semanticEqual, type Writable } from '../object.ts';
import { goQuote, type LabelSelector, labelSelectorFromSpec, SelectorError } from '../store/selectors.ts';
import type { LabelSelector as LabelSelectorSpec } from 'kubernetes-types/meta/v1.js';
import { type Controller, ignoreGone, subscribe } from './controller.ts';
import type { EventSource } from './events.ts';
import { updatePodCondition } from './pod-condition.ts';
import { keyOf, splitKey, WorkQueue } from './work-queue.ts';

type Budget = PodDisruptionBudget & KubeObject;

/** An evicted pod not seen deleting within this long is taken to have survived (DeletionTimeout). */
const DELETION_TIMEOUT_MS = 2 * 60_000;
/** stalePodDisruptionTimeout: a DisruptionTarget condition with no deletion after it is reset. */
const STALE_DISRUPTION_TIMEOUT_MS = 2 * 60_000;
// The disruption controller's recorder is created with component "controllermanager".
const SOURCE: EventSource = { component: 'controllermanager' };
const MANAGER = 'kube-controller-manager';

/** A sync failure whose message goes into the SyncFailed condition. */
class SyncError extends Error {}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (!value.endsWith('%'))
    throw new SyncError('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new SyncError(
      `invalid value for IntOrString: invalid value ${goQuote(value)}: strconv.Atoi: parsing ${goQuote(digits)}: invalid syntax`,
    );
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** LabelSelector.String() of the generated protobuf code, as the UnmanagedPods event prints %v of it. */
export function formatLabelSelector(spec: LabelSelectorSpec | undefined): string {
  if (!spec) return 'nil';
  const labels = Object.keys(spec.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${spec.matchLabels?.[k] ?? ''},`)
    .join('');
  const expressions = (spec.matchExpressions ?? [])
    .map(
      (e) =>
        `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`,
    )
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

/** apimeta.SetStatusCondition on a copy of `conditions`. */
function setStatusCondition(
  conditions: readonly Condition[],
  update: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  const existing = out.find((c) => c.type === update.type) as Writable<Condition> | undefined;
  if (!existing) {
    out.push({
      type: update.type,
      status: update.status,
      observedGeneration: update.observedGeneration,
      lastTransitionTime: now,
      reason: update.reason,
      message: update.message,
    } as Condition);
    return out;
  }
  if (existing.status !== update.status) {
    existing.status = update.status;
    existing.lastTransitionTime = now;
  }
  existing.reason = update.reason;
  existing.message = update.message;
  existing.observedGeneration = update.observedGeneration;
  return out;
}

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  /** namespace → budget name → its selector (null when the selector does not parse). */
  private readonly budgets = new Map<string, Map<string, LabelSelector | null>>();
  private readonly queue: WorkQueue;
  private readonly staleQueue: WorkQueue;
  private stops: (() => void)[] = [];

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue('disruption', ctx.clock, (key) => this.sync(key));
    this.staleQueue = new WorkQueue('stale_pod_disruption', ctx.clock, (key) =>
      this.syncStalePodDisruption(key),
    );
  }

  start(): void {
    const { registry } = this.ctx;
    for (const pdb of registry.list(PDBS, {}).items) this.indexBudget(pdb as Budget);
    for (const pod of registry.list(PODS, {}).items) this.checkStaleCondition(pod as SimPod);
    this.stops.push(
      subscribe(registry, PDBS, (type, event) => {
        const pdb = event.object as Budget;
        if (type === 'DELETED') this.forgetBudget(pdb);
        else this.indexBudget(pdb);
      }),
      subscribe(registry, PODS, (type, event) => {
        const pod = event.object as SimPod;
        this.enqueueBudgetsOf(pod);
        if (type !== 'DELETED') this.checkStaleCondition(pod);
      }),
    );
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    this.queue.stop();
    this.staleQueue.stop();
  }

  private indexBudget(pdb: Budget): void {
    const namespace = pdb.metadata.namespace ?? '';
    let selector: LabelSelector | null;
    try {
      selector = labelSelectorFromSpec(pdb.spec?.selector);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      selector = null;
    }
    let inNamespace = this.budgets.get(namespace);
    if (!inNamespace) this.budgets.set(namespace, (inNamespace = new Map()));
    inNamespace.set(pdb.metadata.name ?? '', selector);
    this.queue.add(keyOf(namespace, pdb.metadata.name ?? ''));
  }

  private forgetBudget(pdb: Budget): void {
    const namespace = pdb.metadata.namespace ?? '';
    const inNamespace = this.budgets.get(namespace);
    inNamespace?.delete(pdb.metadata.name ?? '');
    if (inNamespace?.size === 0) this.budgets.delete(namespace);
  }

  /**
   * getPdbForPod: the budgets whose selector matches the pod's labels (a pod without labels
   * matches none, as the lister's GetPodPodDisruptionBudgets decides).
   */
  private enqueueBudgetsOf(pod: SimPod): void {
    const labels = pod.metadata.labels;
    if (!labels || Object.keys(labels).length === 0) return;
    const namespace = pod.metadata.namespace ?? '';
    const inNamespace = this.budgets.get(namespace);
    if (!inNamespace) return;
    const matching: string[] = [];
    for (const [name, selector] of inNamespace) if (selector?.matches(labels)) matching.push(name);
    if (matching.length === 0) return;
    matching.sort();
    if (matching.length > 1) {
      this.ctx.events.record(
        SOURCE,
        pod,
        'Warning',
        'MultiplePodDisruptionBudgets',
        `Pod ${goQuote(namespace)}/${goQuote(pod.metadata.name ?? '')} matches multiple PodDisruptionBudgets.  Chose ${goQuote(matching[0] ?? '')} arbitrarily.`,
      );
    }
    for (const name of matching) this.queue.add(keyOf(namespace, name));
  }

  private sync(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const pdb = this.ctx.registry.find(PDBS, namespace, name) as Budget | undefined;
    if (!pdb) return undefined;
    try {
      return this.trySync(pdb);
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      this.failSafe(pdb, error.message);
      return undefined;
    }
  }

  /** Returns when to look again: the moment the oldest pending disruptedPods entry expires. */
  private trySync(pdb: Budget): number | undefined {
    const { registry, events } = this.ctx;
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromSpec(pdb.spec?.selector);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      events.record(SOURCE, pdb, 'Warning', 'NoPods', `Failed to get pods: ${error.message}`);
      throw new SyncError(error.message);
    }
    const pods = registry.list(PODS, { namespace: pdb.metadata.namespace, labels: selector })
      .items as SimPod[];
    if (pods.length === 0) events.record(SOURCE, pdb, 'Normal', 'NoPods', 'No matching pods found');

    let expected: { expectedCount: number; desiredHealthy: number; unmanaged: string[] };
    try {
      expected = this.expectedPodCount(pdb, pods);
    } catch (error) {
      if (error instanceof SyncError) {
        events.record(
          SOURCE,
          pdb,
          'Warning',
          'CalculateExpectedPodCountFailed',
          `Failed to calculate the number of expected pods: ${error.message}`,
        );
      }
      throw error;
    }
    if (expected.unmanaged.length > 0) {
      events.record(
        SOURCE,
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${formatLabelSelector(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.ctx.clock.now();
    const { disrupted, recheckAt } = this.buildDisruptedPodMap(pdb, pods, now);
    const currentHealthy = countHealthyPods(pods, disrupted, now);
    this.updateStatus(pdb, currentHealthy, expected.desiredHealthy, expected.expectedCount, disrupted);
    return recheckAt === undefined ? undefined : Math.max(1, recheckAt - now);
  }

  private expectedPodCount(
    pdb: Budget,
    pods: SimPod[],
  ): { expectedCount: number; desiredHealthy: number; unmanaged: string[] } {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const { expectedCount, unmanaged } = this.expectedScale(pods);
      const maxUnavailable = scaledValue(spec.maxUnavailable, expectedCount, true);
      return { expectedCount, desiredHealthy: Math.max(0, expectedCount - maxUnavailable), unmanaged };
    }
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number')
        return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanaged: [] };
      const { expectedCount, unmanaged } = this.expectedScale(pods);
      return {
        expectedCount,
        desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true),
        unmanaged,
      };
    }
    return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
  }

  /**
   * getExpectedScale: the sum of the scale of every controller that owns a selected pod. Pods
   * without a controller are reported back; a controller that cannot be found fails the sync.
   */
  private expectedScale(pods: SimPod[]): { expectedCount: number; unmanaged: string[] } {
    const scaleByController = new Map<string, number>();
    const seenRefs = new Set<string>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name ?? '');
        continue;
      }
      if (seenRefs.has(ref.uid)) continue;
      const found = this.controllerScale(ref, pod.metadata.namespace ?? '');
      if (!found) throw new SyncError(`found no controllers for pod ${goQuote(pod.metadata.name ?? '')}`);
      seenRefs.add(ref.uid);
      scaleByController.set(found.uid, found.scale);
    }
    let expectedCount = 0;
    for (const scale of scaleByController.values()) expectedCount += scale;
    return { expectedCount, unmanaged };
  }

  /**
   * The finders, in upstream's order: ReplicationController (not served by the sim), the
   * Deployment of a ReplicaSet, a ReplicaSet without a Deployment, a StatefulSet, and then any
   * kind with a scale subresource.
   */
  private controllerScale(
    ref: OwnerReference,
    namespace: string,
  ): { uid: string; scale: number } | undefined {
    const { registry } = this.ctx;
    const group = ref.apiVersion.includes('/') ? (ref.apiVersion.split('/')[0] ?? '') : '';
    const isApps = group === 'apps' || group === 'extensions';
    const replicasOf = (obj: KubeObject): number =>
      ((obj.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
    if (ref.kind === 'ReplicationController' && group === '') return undefined;
    if (ref.kind === 'ReplicaSet' && isApps) {
      const rs = registry.find(REPLICASETS, namespace, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      const ownerGroup = owner?.apiVersion.split('/')[0];
      if (owner && owner.kind === 'Deployment' && (ownerGroup === 'apps' || ownerGroup === 'extensions')) {
        const deployment = registry.find(DEPLOYMENTS, namespace, owner.name);
        if (deployment && deployment.metadata.uid === owner.uid)
          return { uid: deployment.metadata.uid ?? '', scale: replicasOf(deployment) };
      }
      // No (live) Deployment above it: the ReplicaSet finder skips Deployment-owned sets, and the
      // scale finder then reads the ReplicaSet's own scale, so either way it is the set's replicas.
      return { uid: rs.metadata.uid ?? '', scale: replicasOf(rs) };
    }
    if (ref.kind === 'StatefulSet' && group === 'apps') {
      const ss = registry.find(STATEFULSETS, namespace, ref.name);
      if (!ss || ss.metadata.uid !== ref.uid) return undefined;
      return { uid: ss.metadata.uid ?? '', scale: replicasOf(ss) };
    }
    const r = resourceForKind(ref.apiVersion, ref.kind);
    if (!r)
      throw new SyncError(`no matches for kind ${goQuote(ref.kind)} in version ${goQuote(ref.apiVersion)}`);
    const obj = registry.find(r, namespace, ref.name);
    if (!r.subresources.some((s) => s.name === 'scale')) {
      throw new SyncError(
        `${r.group ? `${r.plural}.${r.group}` : r.plural} does not implement the scale subresource`,
      );
    }
    if (!obj || obj.metadata.uid !== ref.uid) return undefined;
    return { uid: obj.metadata.uid ?? '', scale: replicasOf(obj) };
  }

  /**
   * buildDisruptedPodMap: entries survive only for selected pods that are not yet being
   * deleted and whose eviction is younger than DeletionTimeout; an expired one means the pod
   * outlived its eviction, which is reported on the pod.
   */
  private buildDisruptedPodMap(
    pdb: Budget,
    pods: SimPod[],
    now: number,
  ): { disrupted: Record<string, string>; recheckAt: number | undefined } {
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    const previous = pdb.status?.disruptedPods ?? {};
    if (Object.keys(previous).length === 0) return { disrupted, recheckAt };
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const name = pod.metadata.name ?? '';
      const at = previous[name];
      if (at === undefined) continue;
      const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (expectedDeletion < now) {
        // Upstream prints the budget's namespace twice ("PDB %s/%s", pdb.Namespace, pdb.Namespace).
        const ns = pdb.metadata.namespace ?? '';
        this.ctx.events.record(
          SOURCE,
          pod,
          'Warning',
          'NotDeleted',
          `Pod was expected by PDB ${ns}/${ns} to be deleted but it wasn't`,
        );
      } else {
        if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
        disrupted[name] = at;
      }
    }
    return { disrupted, recheckAt };
  }

  private updateStatus(
    pdb: Budget,
    currentHealthy: number,
    desiredHealthy: number,
    expectedPods: number,
    disrupted: Record<string, string>,
  ): void {
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    // A budget matching no pods yet stays safe until its first pods are counted.
    if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const status = pdb.status;
    const generation = pdb.metadata.generation ?? 0;
    const condition = status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    // pdbhelper.ConditionsAreUpToDate: the stored condition agrees with the stored count.
    let conditionUpToDate = false;
    if (condition && (status?.observedGeneration ?? 0) === generation) {
      conditionUpToDate =
        (status?.disruptionsAllowed ?? 0) > 0
          ? condition.status === 'True' && condition.reason === 'SufficientPods'
          : condition.status === 'False' && condition.reason === 'InsufficientPods';
    }
    if (
      status &&
      status.currentHealthy === currentHealthy &&
      status.desiredHealthy === desiredHealthy &&
      status.expectedPods === expectedPods &&
      status.disruptionsAllowed === disruptionsAllowed &&
      semanticEqual(status.disruptedPods ?? {}, disrupted) &&
      (status.observedGeneration ?? 0) === generation &&
      conditionUpToDate
    ) {
      return;
    }
    const allowed = disruptionsAllowed > 0;
    const next: Writable<PodDisruptionBudgetStatus> = {
      ...(generation ? { observedGeneration: generation } : {}),
      ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: setStatusCondition(
        status?.conditions ?? [],
        {
          type: 'DisruptionAllowed',
          status: allowed ? 'True' : 'False',
          reason: allowed ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: generation,
        },
        this.ctx.clock.timestamp(),
      ),
    };
    this.writeStatus(pdb, next);
  }

  /** failSafe: at least stop evictions (disruptionsAllowed 0) and say why in the condition. */
  private failSafe(pdb: Budget, message: string): void {
    const status = pdb.status;
    const observedGeneration = status?.observedGeneration ?? 0;
    const next: Writable<PodDisruptionBudgetStatus> = {
      ...(status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
      disruptionsAllowed: 0,
      conditions: setStatusCondition(
        status?.conditions ?? [],
        {
          type: 'DisruptionAllowed',
          status: 'False',
          reason: 'SyncFailed',
          message,
          observedGeneration,
        },
        this.ctx.clock.timestamp(),
      ),
    };
    this.writeStatus(pdb, next);
  }

  private writeStatus(pdb: Budget, status: PodDisruptionBudgetStatus): void {
    const next = { ...structuredClone(pdb), status } as Budget;
    ignoreGone(() => this.ctx.registry.replace(PDBS, pdb, next, { subresource: 'status', manager: MANAGER }));
  }

  // -------------------------------------------------------------------------------------------
  // Stale DisruptionTarget conditions

  /**
   * nonTerminatingPodHasStaleDisruptionCondition: a DisruptionTarget=True condition (not the
   * kubelet's) on a live, non-terminal pod; returns how long until it counts as stale.
   */
  private staleConditionWait(pod: SimPod): number | undefined {
    if (pod.metadata.deletionTimestamp) return undefined;
    const cond = podCondition(pod, 'DisruptionTarget');
    if (!cond || cond.status !== 'True' || cond.reason === 'TerminationByKubelet' || isPodTerminal(pod))
      return undefined;
    const since = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
    return Math.max(0, STALE_DISRUPTION_TIMEOUT_MS - (this.ctx.clock.now() - since));
  }

  private checkStaleCondition(pod: SimPod): void {
    const wait = this.staleConditionWait(pod);
    if (wait !== undefined)
      this.staleQueue.addAfter(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''), wait);
  }

  private syncStalePodDisruption(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.registry.find(PODS, namespace, name) as SimPod | undefined;
    if (!pod) return undefined;
    const wait = this.staleConditionWait(pod);
    if (wait === undefined) return undefined;
    if (wait > 0) return wait;
    const next = structuredClone(pod) as Writable<Pod> & KubeObject;
    const status = (next.status ??= {}) as Writable<NonNullable<Pod['status']>>;
    if (
      !updatePodCondition(status, { type: 'DisruptionTarget', status: 'False' }, this.ctx.clock.timestamp())
    )
      return undefined;
    ignoreGone(() => this.ctx.registry.replace(PODS, pod, next, { subresource: 'status', manager: MANAGER }));
    return undefined;
  }
}

/** countHealthyPods: Ready pods not being deleted and not recently evicted. */
function countHealthyPods(pods: SimPod[], disrupted: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = disrupted[pod.metadata.name ?? ''];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}
