/**
 * Node claims: two runs on one cluster must not change the same node at once. If run A cordons a
 * node and run B then cordons it too, B's inverse patch says "cordoned", so B's revert re-cordons
 * the node A has just uncordoned: the node is left cordoned by nobody. A claim prevents that.
 *
 * Before a run changes a node (cordon, drain) or drives it into a condition (memory pressure) it
 * writes `scars.dev/claimed-by: <runId>` on the node with a resourceVersion precondition, so of
 * two runs racing for one node exactly one wins. The claim is journalled like any mutation and
 * released at revert (or by `scars cleanup` after a crash) only while it is still this run's.
 * Node pickers skip nodes another run has claimed; a scenario naming such a node fails preflight.
 *
 * A claim whose run died stays until that run's journal is replayed (`scars cleanup --run ID`):
 * taking it over would let the dead run's cleanup later undo a change the new run relies on.
 */
import { hostname } from 'node:os';
import type { V1Node } from '@kubernetes/client-node';
import { ScarsError, ExitCode } from '../errors.ts';
import type { KubeApi } from './kube-api.ts';
import { KubeApiError } from './kube-api.ts';
import type { KubeRef } from './kube-ref.ts';

export const CLAIM_ANNOTATION = 'scars.dev/claimed-by';
/** `<pid>@<host>` of the run's process, so a message can say whether the claimant still runs. */
export const CLAIM_PROCESS_ANNOTATION = 'scars.dev/claimed-by-process';

/** Writes to a node race its kubelet's status updates (409 on the precondition): retried this often. */
export const CLAIM_ATTEMPTS = 10;

export interface NodeClaim {
  runId: string;
  pid?: number;
  host?: string;
}

export function nodeRef(name: string): KubeRef {
  return { apiVersion: 'v1', kind: 'Node', name };
}

export function claimOf(node: V1Node | undefined): NodeClaim | undefined {
  const annotations = node?.metadata?.annotations ?? {};
  const runId = annotations[CLAIM_ANNOTATION];
  if (!runId) return undefined;
  const m = /^(\d+)@(.+)$/.exec(annotations[CLAIM_PROCESS_ANNOTATION] ?? '');
  return m ? { runId, pid: Number(m[1]), host: m[2] as string } : { runId };
}

/** A claim held by another run than `runId`, if any. */
export function foreignClaim(node: V1Node | undefined, runId: string): NodeClaim | undefined {
  const claim = claimOf(node);
  return claim && claim.runId !== runId ? claim : undefined;
}

/** Whether the claimant's process still runs: known only for this host; elsewhere assume it does. */
export function claimantAlive(claim: NodeClaim): boolean | undefined {
  if (claim.pid === undefined || claim.host !== hostname()) return undefined;
  try {
    process.kill(claim.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One line saying who holds the node and what to do about it. */
export function describeClaim(node: string, claim: NodeClaim): string {
  const alive = claimantAlive(claim);
  const where = claim.pid !== undefined ? ` (pid ${claim.pid} on ${claim.host})` : '';
  const hint =
    alive === false
      ? `; that process is gone: run \`scars cleanup --run ${claim.runId}\` to revert what it left`
      : alive === undefined
        ? `; if that run is gone, \`scars cleanup --run ${claim.runId}\` where it ran (or \`kubectl annotate node ${node} ${CLAIM_ANNOTATION}- ${CLAIM_PROCESS_ANNOTATION}-\`) frees it`
        : ', which is still running';
  return `node ${node} is claimed by scars run ${claim.runId}${where}${hint}`;
}

/** Another run holds the node: this run must not change it. A cluster condition, not bad input. */
export class NodeClaimedError extends ScarsError {
  constructor(
    readonly node: string,
    readonly claim: NodeClaim,
  ) {
    super(describeClaim(node, claim), ExitCode.clusterFailure);
  }
}

/** The merge patch that claims `node` for `runId`; its resourceVersion makes it fail if the node changed since read. */
export function claimPatch(node: V1Node, runId: string): Record<string, unknown> {
  return {
    metadata: {
      resourceVersion: node.metadata?.resourceVersion,
      annotations: {
        [CLAIM_ANNOTATION]: runId,
        [CLAIM_PROCESS_ANNOTATION]: `${process.pid}@${hostname()}`,
      },
    },
  };
}

/**
 * Removes the claim annotations. When they were the node's only annotations the map goes too, so
 * the node reads as it did before the claim (a merge patch would leave an empty map behind).
 */
export function releasePatch(node: V1Node): Record<string, unknown> {
  const others = Object.keys(node.metadata?.annotations ?? {}).filter(
    (k) => k !== CLAIM_ANNOTATION && k !== CLAIM_PROCESS_ANNOTATION,
  );
  return {
    metadata: {
      resourceVersion: node.metadata?.resourceVersion,
      annotations: others.length ? { [CLAIM_ANNOTATION]: null, [CLAIM_PROCESS_ANNOTATION]: null } : null,
    },
  };
}

export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.code === 409;

/** Releases `runId`'s claim on the node; a claim now held by another run (or none) is left alone. */
export async function releaseClaim(
  api: KubeApi,
  ref: KubeRef,
  runId: string,
): Promise<{ result: 'reverted' | 'already-gone' | 'skipped'; note?: string }> {
  for (let attempt = 1; ; attempt++) {
    const node = await api.read<V1Node>(ref);
    if (!node) return { result: 'already-gone' };
    const claim = claimOf(node);
    if (!claim) return { result: 'skipped', note: `node ${ref.name} carries no claim` };
    if (claim.runId !== runId)
      return { result: 'skipped', note: `node ${ref.name} is claimed by run ${claim.runId} now; left alone` };
    try {
      await api.patch(ref, releasePatch(node), 'merge');
      return { result: 'reverted' };
    } catch (err) {
      if (!isConflict(err) || attempt >= CLAIM_ATTEMPTS) throw err;
    }
  }
}
