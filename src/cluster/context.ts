/** The `context` provider: an existing kubeconfig context, guarded, never created or deleted by scars. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { ClusterError, errorMessage, InputError } from '../errors.ts';
import { closest } from '../harness/suggest.ts';
import { checkContext } from './guard.ts';
import { servedSimClock } from './served-sim-clock.ts';
import type { ClusterProvider, ProvisionedCluster, ProvisionOptions } from './provider.ts';

export function loadKubeConfig(path: string | undefined): { kc: KubeConfig; path: string | undefined } {
  const kc = new KubeConfig();
  if (path) {
    const abs = resolve(path);
    if (!existsSync(abs))
      throw new InputError({ file: path, field: '--kubeconfig', expected: 'file not found' });
    try {
      kc.loadFromFile(abs);
    } catch (err) {
      throw new InputError({
        file: path,
        expected: `not a valid kubeconfig: ${errorMessage(err).split('\n')[0]}`,
      });
    }
    return { kc, path: abs };
  }
  const fromEnv = process.env.KUBECONFIG?.split(delimiter).find((p) => p && existsSync(p));
  const fallback = join(homedir(), '.kube', 'config');
  const found = fromEnv ?? (existsSync(fallback) ? fallback : undefined);
  if (!found) {
    throw new ClusterError(
      'no kubeconfig found (pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config)',
    );
  }
  return loadKubeConfig(found);
}

export const contextProvider: ClusterProvider = {
  name: 'context',
  async provision(options: ProvisionOptions): Promise<ProvisionedCluster> {
    const { kc, path } = loadKubeConfig(options.kubeconfig);
    const contextName = options.context ?? kc.getCurrentContext();
    const names = kc.getContexts().map((c) => c.name);
    if (!contextName || !names.includes(contextName)) {
      const hint = contextName ? closest(contextName, names) : undefined;
      throw new InputError({
        ...(path ? { file: path } : {}),
        field: '--context',
        expected: `no context "${contextName ?? ''}"${hint ? ` (did you mean "${hint}"?)` : ''}; contexts: ${names.join(', ') || 'none'}`,
      });
    }
    kc.setCurrentContext(contextName);
    const server = kc.getCurrentCluster()?.server ?? '';
    // The guard decides from the kubeconfig alone: nothing has been sent yet.
    checkContext({ context: contextName, server, allowContexts: options.allowContexts });

    try {
      await kc.makeApiClient(VersionApi).getCode();
    } catch (err) {
      const cause =
        err instanceof Error && err.cause instanceof Error ? err.cause.message : errorMessage(err);
      throw new ClusterError(`cannot reach the API server of context "${contextName}" (${server}): ${cause}`);
    }
    const clock = await servedSimClock(kc);
    return {
      name: contextName,
      provider: 'context',
      simulated: clock !== undefined,
      ...(clock ? { clock } : {}),
      kubeConfig: kc,
      context: contextName,
      server,
      locator: {
        provider: 'context',
        name: contextName,
        inProcess: false,
        context: contextName,
        server,
        ...(path ? { kubeconfigPath: path } : {}),
      },
      dispose: async () => {},
    };
  },
};
