/**
 * The `kind` provider: a kind cluster created through the kind CLI (or an existing one adopted
 * with `reuse`), its kubeconfig exported to a file, nodes waited Ready through the API, addons
 * applied and the agent image loaded. Like kind's own create: any failure after the cluster was
 * created deletes it again unless `retain`, and the original error is the one reported.
 * `dispose()` deletes only a cluster this process created.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError, errorMessage, UsageError } from '../errors.ts';
import { type AddonName, applyAddons, checkAddons } from './kind/addons.ts';
import { dockerUnavailable, ensureAgentImage } from './kind/agent-image.ts';
import { type KindConfigFile, readKindConfig } from './kind/config-file.ts';
import {
  atLeast,
  KIND_NETWORK_POLICY_SINCE,
  type KindVersion,
  kindClusters,
  kindContext,
  kindCreate,
  kindDelete,
  kindKubeconfig,
  kindLoadImage,
  kindVersion,
} from './kind/kind-cli.ts';
import { imageVersion, type NodeImage, nodeImageFor } from './kind/node-images.ts';
import { type NodeFacts, waitForNodesReady } from './kind/nodes.ts';
import {
  CREATE_TIMEOUT_MS,
  type KindSettings,
  kubeconfigPathFor,
  type ResolvedKindSettings,
  resolveKindSettings,
} from './kind/settings.ts';
import { runTool } from './kind/tools.ts';
import type { ClusterProvider, ProvisionedCluster, ProvisionOptions } from './provider.ts';

/** kind's rule for cluster names (they become container names and the `kind-<name>` context). */
const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export interface KindUpRequest {
  settings?: KindSettings | undefined;
  /** `1.NN`: the node image from clusters/kind/node-images.yaml (default: the config's, else kind's). */
  kubernetesVersion?: string | undefined;
  /** Built if missing and `kind load`ed onto the nodes; nothing is loaded without it. */
  agentImage?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface KindCluster {
  name: string;
  context: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  server: string;
  /** False for an adopted cluster (`reuse`): nothing of it is ever deleted by scars. */
  created: boolean;
  nodes: NodeFacts[];
  nodeImage: NodeImage | undefined;
  addons: readonly AddonName[];
  kind: KindVersion;
}

/** Checks everything that can be checked without a tool: exit 2 before kind is ever called. */
export interface KindPlan {
  settings: ResolvedKindSettings;
  config: KindConfigFile;
  nodeImage: NodeImage | undefined;
}

export function planKind(request: KindUpRequest): KindPlan {
  const settings = resolveKindSettings(request.settings);
  if (!NAME_RE.test(settings.name)) {
    throw new UsageError(
      `--name: expected a kind cluster name (lowercase letters, digits, "-" and "."), got "${settings.name}"`,
    );
  }
  const config = readKindConfig(settings.config, settings.cwd);
  const nodeImage = request.kubernetesVersion ? nodeImageFor(request.kubernetesVersion) : undefined;
  if (nodeImage) {
    // kind's --image overrides every node's image; a config pinned to another version is a mistake.
    const other = config.nodes.find((n) => n.image && imageVersion(n.image) !== nodeImage.version);
    if (other?.image) {
      throw new UsageError(
        `--k8s-version ${nodeImage.version} contradicts ${config.shown}: its nodes run ${other.image}; drop --k8s-version or use clusters/kind/workers.yaml`,
      );
    }
  }
  checkAddons(settings.addons, config);
  return { settings, config, nodeImage };
}

export async function kindUp(request: KindUpRequest): Promise<KindCluster> {
  const plan = planKind(request);
  const { settings, config, nodeImage } = plan;
  const { log, name } = settings;
  const signal = request.signal;

  const kind = await kindVersion(signal);
  if (!atLeast(kind, KIND_NETWORK_POLICY_SINCE)) {
    log(
      `warning: kind ${kind.version} does not enforce NetworkPolicy (kindnet does since v0.24.0): network-policy scenarios will not hold; upgrade kind or use --config clusters/kind/workers-calico.yaml --addons calico`,
    );
  }
  if (nodeImage && nodeImage.kind !== kind.version) {
    log(
      `note: ${nodeImage.image.split('@')[0]} was built for kind ${nodeImage.kind}; this is kind ${kind.version} (best effort)`,
    );
  }
  if (settings.addons.length > 0) await requireKubectl(signal);

  const exists = (await kindClusters(signal)).includes(name);
  if (exists && !settings.reuse) {
    throw new ClusterError(
      `a kind cluster named "${name}" already exists: pass --reuse to adopt it, or delete it first with \`scars cluster down --name ${name}\``,
    );
  }
  let created = false;
  if (exists) {
    log(`reusing kind cluster "${name}" (it stays when scars is done)`);
  } else {
    const unavailable = await dockerUnavailable(signal);
    if (unavailable) throw new ClusterError(`kind needs a running Docker engine (${unavailable})`);
    log(
      `creating kind cluster "${name}" from ${config.shown}${nodeImage ? ` with ${nodeImage.image.split('@')[0]}` : ''}`,
    );
    created = true;
  }

  try {
    if (created) {
      await kindCreate(
        { name, configPath: config.path, image: nodeImage?.image, retain: settings.retain },
        { onLine: log, signal, timeoutMs: CREATE_TIMEOUT_MS },
      );
    }
    return await prepare({ ...plan, kind, created, agentImage: request.agentImage, signal });
  } catch (err) {
    if (created) await deleteAfterFailure(name, settings, err);
    throw err;
  }
}

async function prepare(
  input: KindPlan & {
    kind: KindVersion;
    created: boolean;
    agentImage: string | undefined;
    signal: AbortSignal | undefined;
  },
): Promise<KindCluster> {
  const { settings, config, signal } = input;
  const { name, log } = settings;
  const context = kindContext(name);
  const kubeconfigPath = await exportKubeconfig(name, settings.stateDir, signal);
  const kubeConfig = loadContext(kubeconfigPath, context);
  const server = kubeConfig.getCurrentCluster()?.server ?? '';

  const cnis = settings.addons.filter((a) => a === 'calico');
  const others = settings.addons.filter((a) => a !== 'calico');
  // Without kindnet, nodes turn Ready only once the CNI runs: apply it before waiting.
  if (cnis.length) await applyAddons(cnis, { kubeconfigPath, context, log, signal });
  const nodes = await waitForNodesReady(kubeConfig, {
    expected: input.created ? config.nodes.length : 1,
    timeoutMs: settings.readyTimeoutMs,
    signal,
    log,
  });
  if (others.length) await applyAddons(others, { kubeconfigPath, context, log, signal });

  if (input.agentImage) {
    const source = await ensureAgentImage(input.agentImage, { log, ...(signal ? { signal } : {}) });
    if (source !== 'registry') {
      log(`loading ${input.agentImage} onto the nodes of "${name}"`);
      await kindLoadImage(input.agentImage, name, { onLine: log, signal });
    }
  }
  return {
    name,
    context,
    kubeconfigPath,
    kubeConfig,
    server,
    created: input.created,
    nodes,
    nodeImage: input.nodeImage,
    addons: settings.addons,
    kind: input.kind,
  };
}

async function deleteAfterFailure(
  name: string,
  settings: ResolvedKindSettings,
  cause: unknown,
): Promise<void> {
  const { log } = settings;
  if (settings.retain) {
    log(
      `keeping the failed cluster "${name}" (--retain): inspect it with \`kind export logs --name ${name}\`, remove it with \`scars cluster down --name ${name}\``,
    );
    return;
  }
  log(`creating "${name}" failed (${errorMessage(cause).split('\n')[0]}); deleting the half-made cluster`);
  try {
    await kindDelete(name, { onLine: log });
  } catch (err) {
    // The original failure is what the user needs; a failed cleanup is said, not thrown over it.
    log(`could not delete "${name}": ${errorMessage(err)}; run \`kind delete cluster --name ${name}\``);
  }
  rmSync(kubeconfigPathFor(settings.stateDir, name), { force: true });
}

/** `kind get kubeconfig` into `<stateDir>/<name>.kubeconfig` (0600): the journal points `scars cleanup` at it. */
export async function exportKubeconfig(
  name: string,
  stateDir: string,
  signal?: AbortSignal,
): Promise<string> {
  const text = await kindKubeconfig(name, signal);
  mkdirSync(stateDir, { recursive: true });
  const path = kubeconfigPathFor(stateDir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

export function loadContext(kubeconfigPath: string, context: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new ClusterError(
      `kind wrote a kubeconfig scars cannot read (${kubeconfigPath}): ${errorMessage(err)}`,
    );
  }
  if (!kc.getContexts().some((c) => c.name === context)) {
    throw new ClusterError(`the kubeconfig from kind (${kubeconfigPath}) has no context "${context}"`);
  }
  kc.setCurrentContext(context);
  return kc;
}

/** Deletes the cluster (`kind delete cluster`) and its exported kubeconfig; false when there was none. */
export async function kindDown(settings: KindSettings, signal?: AbortSignal): Promise<boolean> {
  const s = resolveKindSettings(settings);
  const exists = (await kindClusters(signal)).includes(s.name);
  if (exists) {
    s.log(`deleting kind cluster "${s.name}"`);
    await kindDelete(s.name, { onLine: s.log, signal });
  }
  rmSync(kubeconfigPathFor(s.stateDir, s.name), { force: true });
  return exists;
}

async function requireKubectl(signal?: AbortSignal): Promise<void> {
  const r = await runTool('kubectl', ['version', '--client'], { timeoutMs: 20_000, signal });
  if (r.exitCode !== 0) throw new ClusterError(`\`kubectl version --client\` failed (exit ${r.exitCode})`);
}

export function kindProvider(): ClusterProvider {
  return {
    name: 'kind',
    async provision(options: ProvisionOptions): Promise<ProvisionedCluster> {
      options.signal?.throwIfAborted();
      // A run adopts the cluster `scars cluster up` made; only one it had to create is deleted after.
      const cluster = await kindUp({
        settings: { reuse: true, ...options.kind },
        kubernetesVersion: options.kubernetesVersion,
        agentImage: options.agentImage,
        signal: options.signal,
      });
      let disposed = false;
      return {
        name: cluster.name,
        provider: 'kind',
        simulated: false,
        kubeConfig: cluster.kubeConfig,
        context: cluster.context,
        server: cluster.server,
        locator: {
          provider: 'kind',
          name: cluster.name,
          inProcess: false,
          kubeconfigPath: cluster.kubeconfigPath,
          context: cluster.context,
          server: cluster.server,
        },
        dispose: async () => {
          if (disposed || !cluster.created) return;
          disposed = true;
          await kindDown({ ...options.kind, name: cluster.name });
        },
      };
    },
  };
}
