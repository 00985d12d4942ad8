/**
 * Cluster addons `scars cluster up --addons …` applies from clusters/addons/ with kubectl.
 *
 * None is applied by default: kindnetd already enforces NetworkPolicy (kube-network-policies,
 * kind v0.24.0+), and NodeLocal DNSCache is the *mitigation* of coredns-flood-nodelocal, which
 * installs it in its main arm and needs a cluster without it for its control arm.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UsageError } from '../../errors.ts';
import { closest } from '../../harness/suggest.ts';
import { runToolOk } from './tools.ts';

export const ADDON_DIR = fileURLToPath(new URL('../../../clusters/addons/', import.meta.url));

export interface AddonSpec {
  /** Manifest under clusters/addons/. */
  file: string;
  description: string;
  /** The kube-system DaemonSet that shows the addon runs (status). */
  daemonSet: string;
  /** A CNI: needed when the config disables kindnet, and conflicting with kindnet otherwise. */
  cni: boolean;
  /** Where to get a manifest scars does not ship. */
  fetch?: string;
}

export const ADDONS = {
  nodelocaldns: {
    file: 'nodelocaldns.yaml',
    description: 'NodeLocal DNSCache',
    daemonSet: 'node-local-dns',
    cni: false,
  },
  calico: {
    file: 'calico.yaml',
    description: 'Calico CNI (enforces NetworkPolicy)',
    daemonSet: 'calico-node',
    cni: true,
    fetch: 'https://raw.githubusercontent.com/projectcalico/calico/<version>/manifests/calico.yaml',
  },
} as const satisfies Record<string, AddonSpec>;

export type AddonName = keyof typeof ADDONS;
export const ADDON_NAMES = Object.keys(ADDONS) as AddonName[];

/** DaemonSets `cluster status` recognises, addons of scars and kind's own. */
export const KNOWN_DAEMONSETS: Record<string, string> = {
  kindnet: 'kindnet CNI (enforces NetworkPolicy with kind v0.24.0+)',
  'kube-network-policies': 'kube-network-policies (NetworkPolicy)',
  'kube-proxy': 'kube-proxy',
  ...Object.fromEntries(Object.values(ADDONS).map((a) => [a.daemonSet, a.description])),
};

export function parseAddons(value: readonly string[] | undefined): AddonName[] {
  const names = (value ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(ADDON_NAMES as string[]).includes(n)) {
      const hint = closest(n, ADDON_NAMES);
      throw new UsageError(
        `--addons: unknown addon "${n}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected a comma-separated list of ${ADDON_NAMES.join(', ')}`,
      );
    }
  }
  return [...new Set(names as AddonName[])];
}

/** Addons against the config's networking: exactly one CNI, and the manifests present. */
export function checkAddons(
  addons: readonly AddonName[],
  config: { shown: string; disableDefaultCNI: boolean },
  addonDir = ADDON_DIR,
): void {
  const cnis = addons.filter((a) => ADDONS[a].cni);
  if (config.disableDefaultCNI && cnis.length === 0) {
    throw new InputError({
      file: config.shown,
      field: 'networking.disableDefaultCNI',
      expected: `true turns kindnet off and nodes never become Ready without a CNI: add --addons ${ADDON_NAMES.filter((a) => ADDONS[a].cni).join('|')}, or use clusters/kind/workers.yaml`,
    });
  }
  if (!config.disableDefaultCNI && cnis.length > 0) {
    throw new UsageError(
      `--addons ${cnis.join(',')}: ${config.shown} keeps kindnet as the CNI; a second CNI needs a config with networking.disableDefaultCNI: true (clusters/kind/workers-calico.yaml)`,
    );
  }
  for (const a of addons) {
    const spec: AddonSpec = ADDONS[a];
    const path = join(addonDir, spec.file);
    if (!existsSync(path)) {
      throw new InputError({
        file: relative(process.cwd(), path) || path,
        field: '--addons',
        expected: `manifest for "${a}" not found${spec.fetch ? `; scars does not ship it: download it from ${spec.fetch}` : ''}`,
      });
    }
  }
}

export interface ApplyOptions {
  kubeconfigPath: string;
  context: string;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
  addonDir?: string;
}

/** `kubectl apply --server-side` of each addon's manifest (server-side: Calico's CRDs exceed the annotation limit). */
export async function applyAddons(addons: readonly AddonName[], options: ApplyOptions): Promise<void> {
  for (const a of addons) {
    const spec: AddonSpec = ADDONS[a];
    const file = join(options.addonDir ?? ADDON_DIR, spec.file);
    options.log(`applying addon ${a} (${spec.description}) from clusters/addons/${spec.file}`);
    await runToolOk(
      'kubectl',
      [
        '--kubeconfig',
        options.kubeconfigPath,
        '--context',
        options.context,
        'apply',
        '--server-side',
        '--force-conflicts',
        '-f',
        file,
      ],
      { timeoutMs: 180_000, signal: options.signal, onLine: options.log },
    );
  }
}
