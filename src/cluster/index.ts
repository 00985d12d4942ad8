import type { ProviderName } from '../harness/scenario.ts';
import { contextProvider } from './context.ts';
import { kindProvider } from './kind.ts';
import type { ClusterProvider } from './provider.ts';
import { simProvider } from './sim.ts';

const providers: Record<ProviderName, ClusterProvider> = {
  sim: simProvider(),
  kind: kindProvider(),
  context: contextProvider,
};

export function providerFor(name: ProviderName): ClusterProvider {
  return providers[name];
}

export type { ClusterProvider, ProvisionedCluster, ProvisionOptions } from './provider.ts';
