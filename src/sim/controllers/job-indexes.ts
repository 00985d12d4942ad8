/**
 * Completion indexes of Indexed Jobs (pkg/controller/job/indexed_job_utils.go): the index a pod
 * carries in its annotation, and sets of indexes written as `status.completedIndexes` text
 * ("1,3-5,7": runs of three or more are compressed to first-last).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

/** batch.JobCompletionIndexAnnotation (also a label, with PodIndexLabel). */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** getCompletionIndex: the pod's index, or -1 when absent or not a non-negative integer. */
export function completionIndexOf(pod: Pod): number {
  const text = pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return -1;
  const n = Number(text);
  return n <= 2_147_483_647 ? n : -1;
}

/** parseIndexesFromString: indexes below `completions`; malformed parts are skipped. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const [first, last] = part.split('-');
    const from = Number(first);
    const to = last === undefined ? from : Number(last);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0) continue;
    for (let i = from; i <= to && i < completions; i++) out.add(i);
  }
  return out;
}

/** orderedIntervals.String: ascending, consecutive runs of three or more as `a-b`. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    const last = sorted[j] as number;
    if (j - i >= 2) parts.push(`${first}-${last}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so that names stay within 63 characters. */
export function generateNameWithIndex(job: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = `${job}${suffix}`;
  // names.MaxGeneratedNameLength: 63 minus the 5 random characters.
  return prefix.length > 58 ? `${prefix.slice(0, 58 - suffix.length)}${suffix}` : prefix;
}
