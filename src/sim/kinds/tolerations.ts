/** Whether tolerations tolerate a taint (core/v1 Toleration.ToleratesTaint), for the scheduler, the kubelet and controllers. */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** Toleration.ToleratesTaint: an empty effect or key matches any; `Exists` ignores the value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** v1helper.TolerationsTolerateTaint. */
export const tolerationsTolerate = (tolerations: readonly Toleration[] | undefined, taint: Taint): boolean =>
  (tolerations ?? []).some((t) => toleratesTaint(t, taint));
