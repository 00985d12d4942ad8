/**
 * A cluster provider yields a kubeconfig; everything after that is the same code path.
 * No provider is ever substituted silently: a provider that cannot run says why (exit 3).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterLocator } from '../harness/journal.ts';
import type { ProviderName } from '../harness/scenario.ts';
import type { Clock } from '../harness/timeline.ts';
import type { KindSettings } from './kind/settings.ts';
import type { SimTopology } from '../sim/topology/types.ts';

export interface ProvisionedCluster {
  name: string;
  provider: ProviderName;
  /** Sim verdicts are labelled simulated in every report. */
  simulated: boolean;
  kubeConfig: KubeConfig;
  context: string;
  server: string;
  /** Written to the journal so `scars cleanup` can reach the cluster again from another process. */
  locator: ClusterLocator;
  /** The cluster's clock (the sim may run faster than wall time); wall clock when absent. */
  clock?: Clock;
  /** Tears down what the provider created (nothing, for an existing context). Idempotent. */
  dispose(): Promise<void>;
}

export interface ProvisionOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  allowContexts: readonly string[];
  signal?: AbortSignal;
  /** The run this cluster serves (providers label what they create with it). */
  runId?: string;
  /** For the sim provider: nodes and kubelets, and simulated seconds per wall second. */
  sim?: { topology?: SimTopology | undefined; timeScale?: number | undefined };
  /** Kubernetes minor version (`1.32`) to provision: kind picks its node image by it. */
  kubernetesVersion?: string | undefined;
  /** The agent image the run deploys: the kind provider builds it if needed and loads it onto the nodes. */
  agentImage?: string | undefined;
  /** For the kind provider: which cluster, from which config, reused or created, and where progress goes. */
  kind?: KindSettings | undefined;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  provision(options: ProvisionOptions): Promise<ProvisionedCluster>;
}
