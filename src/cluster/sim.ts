/**
 * The `sim` provider: a simulated cluster started in this process for one run and stopped with
 * it. Scenarios reach it through a kubeconfig like any other cluster; nothing else is shared.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError, errorMessage, UsageError } from '../errors.ts';
import { SIM_MAX_VERSION, SIM_MIN_VERSION, simSupportsVersion } from '../sim/api/served-version.ts';
import { SIM_CONTEXT } from '../sim/names.ts';
import type { ClusterProvider, ProvisionedCluster, ProvisionOptions } from './provider.ts';

export function simProvider(): ClusterProvider {
  return {
    name: 'sim',
    async provision(options: ProvisionOptions): Promise<ProvisionedCluster> {
      options.signal?.throwIfAborted();
      const version = options.kubernetesVersion;
      if (version !== undefined && !simSupportsVersion(version)) {
        throw new UsageError(
          `Kubernetes version: the simulated cluster presents ${SIM_MIN_VERSION} to ${SIM_MAX_VERSION}, got ${JSON.stringify(version)}`,
        );
      }
      // Loaded here, not at start-up: commands that never start a sim skip its modules.
      const { startSimCluster } = await import('../sim/cluster.ts');
      let sim;
      try {
        sim = await startSimCluster({
          ...(options.sim?.topology ? { topology: options.sim.topology } : {}),
          ...(options.sim?.timeScale !== undefined ? { timeScale: options.sim.timeScale } : {}),
          ...(version !== undefined ? { kubernetesVersion: version } : {}),
        });
      } catch (error) {
        throw new ClusterError(`could not start the simulated cluster: ${errorMessage(error)}`);
      }
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(JSON.stringify(sim.kubeconfig()));
      return {
        name: `sim-${options.runId ?? 'adhoc'}`,
        provider: 'sim',
        simulated: true,
        kubeConfig,
        context: SIM_CONTEXT,
        server: sim.url,
        locator: {
          provider: 'sim',
          name: `sim-${options.runId ?? 'adhoc'}`,
          inProcess: true,
          server: sim.url,
        },
        clock: sim.clock,
        dispose: () => sim.stop(),
      };
    },
  };
}
