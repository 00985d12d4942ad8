/** Names the CLI shows without loading the simulator (a second of module loading per start). */

/** The kubeconfig context of a simulated cluster. */
export const SIM_CONTEXT = 'scars-sim';

/**
 * Where a simulated cluster publishes its clock (kube-public, readable like cluster-info): a run in
 * another process (`--provider context` against `scars sim serve`) times its holds and timeouts in
 * the cluster's time, and its report says the cluster is simulated.
 */
export const SIM_CLOCK_CONFIG_MAP = { namespace: 'kube-public', name: 'scars-sim-clock' } as const;
