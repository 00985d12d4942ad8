/**
 * Providers whose implementation has not landed yet. They fail loudly with exit 3 and say what
 * to use instead: a run is never quietly moved to another provider.
 */
import { ClusterError } from '../errors.ts';
import type { ProviderName } from '../harness/scenario.ts';
import type { ClusterProvider } from './provider.ts';

export function unavailableProvider(name: ProviderName, why: string): ClusterProvider {
  return {
    name,
    async provision() {
      throw new ClusterError(`provider "${name}" is not available: ${why}`);
    },
  };
}
