/**
 * The text of a scheduling failure, as framework.FitError.Error() builds it in 1.32:
 * `0/N nodes are available: <PreFilter message>.` or `0/N nodes are available: <histogram>.`
 * (each node's reasons counted, "count reason" strings sorted as Go's sort.Strings does), then
 * the PostFilter (DefaultPreemption) message after a space:
 * `preemption: 0/N nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.`
 */
import type { FilterStatus, StatusCode } from './filters.ts';

export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NO_NODES = 'no nodes available to schedule pods';

/** framework.NodeToStatus: explicit statuses, and one status for every node not listed. */
export interface NodeStatuses {
  explicit: Map<string, FilterStatus>;
  absent: FilterStatus;
}

export const absentStatus = (code: StatusCode, ...reasons: string[]): FilterStatus => ({
  plugin: undefined,
  code,
  reasons,
});

export function statusOf(statuses: NodeStatuses, node: string): FilterStatus {
  return statuses.explicit.get(node) ?? statuses.absent;
}

/** FitError.Error(). */
export function fitErrorMessage(
  numAllNodes: number,
  statuses: NodeStatuses,
  preFilterMessage?: string,
  postFilterMessage?: string,
): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMessage) {
    msg += ` ${preFilterMessage}.`;
  } else {
    const histogram = new Map<string, number>();
    for (const status of statuses.explicit.values()) {
      for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    }
    const absent = numAllNodes - statuses.explicit.size;
    if (absent > 0) {
      for (const reason of statuses.absent.reasons)
        histogram.set(reason, (histogram.get(reason) ?? 0) + absent);
    }
    // sort.Strings compares bytes: "10 x" sorts before "2 y", as upstream prints it.
    const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort(byBytes);
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMessage) msg += ` ${postFilterMessage}`;
  return msg;
}

function byBytes(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** What a dry run of preemption says about one node: it would fit once victims go, or why not. */
export type DryRunResult = 'fits' | FilterStatus;

/**
 * DefaultPreemption's PostFilter message when no node can be freed by preemption, or undefined
 * when some node could (upstream would then evict victims and nominate the node; the sim does not
 * preempt, so the pod simply stays pending with the filter message alone).
 */
export function preemptionMessage(
  preemptionPolicy: string | undefined,
  nodeNames: readonly string[],
  statuses: NodeStatuses,
  dryRun: (node: string) => DryRunResult,
): string | undefined {
  if (preemptionPolicy === 'Never') return `preemption: ${NOT_ELIGIBLE_NEVER}`;
  const result: NodeStatuses = {
    explicit: new Map(),
    absent: absentStatus('UnschedulableAndUnresolvable', NOT_HELPFUL),
  };
  for (const name of nodeNames) {
    // Only nodes that failed for a reason removing pods could fix are worth a dry run.
    if (statusOf(statuses, name).code !== 'Unschedulable') continue;
    const outcome = dryRun(name);
    if (outcome === 'fits') return undefined;
    result.explicit.set(name, outcome);
  }
  return `preemption: ${fitErrorMessage(nodeNames.length, result)}`;
}

/** The event note is capped at 1024 bytes (truncateMessage with validation.NoteLengthLimit). */
export function truncateEventMessage(message: string): string {
  const max = 1024;
  if (Buffer.byteLength(message) <= max) return message;
  const suffix = ' ...';
  return (
    Buffer.from(message)
      .subarray(0, max - suffix.length)
      .toString() + suffix
  );
}
