/**
 * Reading a Deployment's ReplicaSets (deployment_util.go, controller_utils.go): which one is new,
 * which are old or active, the orders the controller sorts them in, and status sums.
 */
import { equalIgnoreHash } from './template-hash.ts';
import { DESIRED_REPLICAS, replicasOf, type SimDeployment, type SimReplicaSet } from './types.ts';

const created = (rs: SimReplicaSet): number => {
  const ms = Date.parse(rs.metadata.creationTimestamp ?? '');
  return Number.isFinite(ms) ? ms : 0;
};

/** ReplicaSetsByCreationTimestamp: older first, then by name. */
export function byCreation(a: SimReplicaSet, b: SimReplicaSet): number {
  const diff = created(a) - created(b);
  if (diff !== 0) return diff;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: larger first, older first among equals (scaling down). */
export const bySizeOlder = (a: SimReplicaSet, b: SimReplicaSet): number =>
  replicasOf(a) !== replicasOf(b) ? replicasOf(b) - replicasOf(a) : byCreation(a, b);

/** ReplicaSetsBySizeNewer: larger first, newer first among equals (scaling up). */
export const bySizeNewer = (a: SimReplicaSet, b: SimReplicaSet): number =>
  replicasOf(a) !== replicasOf(b) ? replicasOf(b) - replicasOf(a) : byCreation(b, a);

/** FilterActiveReplicaSets: those with spec.replicas > 0. */
export const activeReplicaSets = (list: (SimReplicaSet | undefined)[]): SimReplicaSet[] =>
  list.filter((rs): rs is SimReplicaSet => rs !== undefined && replicasOf(rs) > 0);

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: SimDeployment, rsList: SimReplicaSet[]): SimReplicaSet | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets' second result: every ReplicaSet but the new one. */
export function findOldReplicaSets(d: SimDeployment, rsList: SimReplicaSet[]): SimReplicaSet[] {
  const newRS = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active. */
export function findActiveOrLatest(
  newRS: SimReplicaSet | undefined,
  oldRSs: SimReplicaSet[],
): SimReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

const sum = (list: (SimReplicaSet | undefined)[], read: (rs: SimReplicaSet) => number): number =>
  list.reduce((n, rs) => n + (rs ? read(rs) : 0), 0);

/** GetReplicaCountForReplicaSets: Σ spec.replicas. */
export const totalReplicas = (list: (SimReplicaSet | undefined)[]): number => sum(list, replicasOf);
/** GetActualReplicaCountForReplicaSets: Σ status.replicas. */
export const actualReplicas = (list: (SimReplicaSet | undefined)[]): number =>
  sum(list, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (list: (SimReplicaSet | undefined)[]): number =>
  sum(list, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (list: (SimReplicaSet | undefined)[]): number =>
  sum(list, (rs) => rs.status?.availableReplicas ?? 0);

/** getIntFromAnnotation (strconv.Atoi). */
export function intAnnotation(rs: SimReplicaSet, key: string): number | undefined {
  const text = rs.metadata.annotations?.[key];
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  return Number(text);
}

/** IsSaturated: the new ReplicaSet holds, and has available, every desired replica. */
export function isSaturated(d: SimDeployment, rs: SimReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS);
  if (desired === undefined) return false;
  const replicas = replicasOf(d);
  return (
    replicasOf(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas
  );
}
