import type { ProviderName } from '../harness/scenario.ts';
import { contextProvider } from './context.ts';
import type { ClusterProvider } from './provider.ts';
import { simProvider } from './sim.ts';
import { unavailableProvider } from './unavailable.ts';

const providers: Record<ProviderName, ClusterProvider> = {
  sim: simProvider(),
  kind: unavailableProvider(
    'kind',
    'the kind provider is not built yet (tracked as "Real clusters and the three uses"); create the cluster with `kind create cluster` and use --provider context --context kind-<name>',
  ),
  context: contextProvider,
};

export function providerFor(name: ProviderName): ClusterProvider {
  return providers[name];
}

export type { ClusterProvider, ProvisionedCluster, ProvisionOptions } from './provider.ts';
