/**
 * A cluster served by `scars sim serve` (or a test's sim) runs on simulated time, published in
 * ConfigMap kube-public/scars-sim-clock. A `context` run against it follows that clock, so holds,
 * settles and step timeouts mean the same cluster time as in a `sim` run, and the report says the
 * cluster is simulated. Any other cluster has no such ConfigMap and keeps the wall clock.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { SimClock } from '../sim/clock.ts';
import { SIM_CLOCK_CONFIG_MAP } from '../sim/names.ts';

export async function servedSimClock(kc: KubeConfig): Promise<SimClock | undefined> {
  let data: Record<string, string> | undefined;
  try {
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({
      name: SIM_CLOCK_CONFIG_MAP.name,
      namespace: SIM_CLOCK_CONFIG_MAP.namespace,
    });
    data = cm.data;
  } catch {
    // Absent (a real cluster) or not readable: the wall clock is the cluster's clock.
    return undefined;
  }
  const timeScale = Number(data?.timeScale);
  const wallMs = Number(data?.wallMs);
  const simMs = Number(data?.simMs);
  if (
    !(timeScale > 0) ||
    !Number.isFinite(timeScale) ||
    !Number.isFinite(wallMs) ||
    !Number.isFinite(simMs)
  ) {
    return undefined;
  }
  return SimClock.following({ timeScale, wallMs, simMs });
}
