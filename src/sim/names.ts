/** Names the CLI shows without loading the simulator (a second of module loading per start). */

/** The kubeconfig context of a simulated cluster. */
export const SIM_CONTEXT = 'scars-sim';
