/**
 * A simulated cluster started by the caller, handed to the runner through its `cluster` option,
 * as the `sim` provider would hand over its own; the runner's dispose does not stop it, so one
 * cluster serves many runs and the caller decides when it ends.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ProvisionedCluster } from '../../src/cluster/provider.ts';
import { run } from '../../src/harness/runner.ts';
import type { LoadedScenario } from '../../src/harness/scenario-loader.ts';
import type { RunReport } from '../../src/report/model.ts';
import type { SimCluster } from '../../src/sim/cluster.ts';
import { SIM_CONTEXT } from '../../src/sim/names.ts';

export function sharedSimCluster(sim: SimCluster, name = 'sim-shared'): ProvisionedCluster {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(JSON.stringify(sim.kubeconfig()));
  return {
    name,
    provider: 'sim',
    simulated: true,
    kubeConfig,
    context: SIM_CONTEXT,
    server: sim.url,
    locator: { provider: 'sim', name, inProcess: true, server: sim.url },
    clock: sim.clock,
    dispose: async () => {},
  };
}

/** One run of `scenarios` with their controls on the shared cluster, reporting nothing but its result. */
export function runWithControls(
  cluster: ProvisionedCluster,
  scenarios: readonly LoadedScenario[],
  journalDir: string,
): Promise<RunReport> {
  return run({
    scenarios,
    provider: 'sim',
    providerOptions: { allowContexts: [] },
    control: true,
    reporters: [],
    journalDir,
    cluster,
  });
}
