/** What the kind provider is asked to do, and the defaults `scars cluster up` and `run --provider kind` share. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddonName } from './addons.ts';

export const DEFAULT_KIND_NAME = 'scars';
/** The packaged config, whatever the working directory (a project using scars has no clusters/ of its own). */
export const DEFAULT_KIND_CONFIG = fileURLToPath(
  new URL('../../../clusters/kind/workers.yaml', import.meta.url),
);
/** Nodes must be Ready within this after create (kind's own `--wait` is not used: scars waits through the API). */
export const DEFAULT_READY_TIMEOUT_MS = 300_000;
/** `kind create cluster` pulls the node image (about 1 GB) the first time. */
export const CREATE_TIMEOUT_MS = 900_000;

export interface KindSettings {
  /** Cluster name (default `scars`); the kubeconfig context is `kind-<name>`. */
  name?: string | undefined;
  /** Cluster config file (default clusters/kind/workers.yaml), resolved against `cwd`. */
  config?: string | undefined;
  /** Adopt an existing cluster of that name instead of failing; an adopted cluster is never deleted. */
  reuse?: boolean | undefined;
  /** Keep the nodes of a cluster whose creation failed, for `kind export logs` (kind's --retain). */
  retain?: boolean | undefined;
  addons?: readonly AddonName[] | undefined;
  /** Bound on waiting for nodes Ready. */
  readyTimeoutMs?: number | undefined;
  /** Where the exported kubeconfig goes (default `<cwd>/.scars/kind`); `scars cleanup` reads it from there. */
  stateDir?: string | undefined;
  cwd?: string | undefined;
  /** Progress lines for long steps (default: stderr, prefixed `scars: kind:`). */
  log?: ((line: string) => void) | undefined;
}

export interface ResolvedKindSettings {
  name: string;
  config: string;
  reuse: boolean;
  retain: boolean;
  addons: readonly AddonName[];
  readyTimeoutMs: number;
  stateDir: string;
  cwd: string;
  log: (line: string) => void;
}

export function resolveKindSettings(s: KindSettings = {}): ResolvedKindSettings {
  const cwd = s.cwd ?? process.cwd();
  return {
    name: s.name ?? DEFAULT_KIND_NAME,
    config: s.config ?? DEFAULT_KIND_CONFIG,
    reuse: s.reuse ?? false,
    retain: s.retain ?? false,
    addons: s.addons ?? [],
    readyTimeoutMs: s.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    stateDir: s.stateDir ?? join(cwd, '.scars', 'kind'),
    cwd,
    log: s.log ?? ((line) => process.stderr.write(`scars: kind: ${line}\n`)),
  };
}

export function kubeconfigPathFor(stateDir: string, name: string): string {
  return join(stateDir, `${name}.kubeconfig`);
}
