/** The `kind` commands scars uses, with kind's output parsed where scars reads it. */
import { ClusterError } from '../../errors.ts';
import { lastWords, runTool, runToolOk } from './tools.ts';

/** kind's own NetworkPolicy enforcement (kindnetd + kube-network-policies) arrived in v0.24.0. */
export const KIND_NETWORK_POLICY_SINCE = { major: 0, minor: 24, patch: 0 };

export interface KindVersion {
  /** `v0.29.0` */
  version: string;
  major: number;
  minor: number;
  patch: number;
}

/** `kind version` prints `kind v0.29.0 go1.24.2 linux/amd64` (older releases: `kind v0.11.1 go1.16.4 …`). */
export function parseKindVersion(output: string): KindVersion | undefined {
  const m = /\bv(\d+)\.(\d+)\.(\d+)(?:-[\w.]+)?\b/.exec(output);
  if (!m) return undefined;
  return { version: m[0], major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function atLeast(v: KindVersion, min: { major: number; minor: number; patch: number }): boolean {
  if (v.major !== min.major) return v.major > min.major;
  if (v.minor !== min.minor) return v.minor > min.minor;
  return v.patch >= min.patch;
}

export async function kindVersion(signal?: AbortSignal): Promise<KindVersion> {
  const r = await runToolOk('kind', ['version'], { timeoutMs: 20_000, signal });
  const v = parseKindVersion(r.stdout);
  if (!v) throw new ClusterError(`cannot read the kind version from \`kind version\`: ${r.stdout.trim()}`);
  return v;
}

/** `kind get clusters`: one name per line on stdout ("No kind clusters found." goes to stderr). */
export async function kindClusters(signal?: AbortSignal): Promise<string[]> {
  const r = await runToolOk('kind', ['get', 'clusters'], { timeoutMs: 60_000, signal });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export interface CreateArgs {
  name: string;
  configPath: string;
  /** Overrides the node images of the config (`--image`). */
  image?: string | undefined;
  /** Keep the nodes of a failed create for debugging (`--retain`). */
  retain: boolean;
}

export function createClusterArgs(a: CreateArgs): string[] {
  return [
    'create',
    'cluster',
    '--name',
    a.name,
    '--config',
    a.configPath,
    ...(a.image ? ['--image', a.image] : []),
    ...(a.retain ? ['--retain'] : []),
  ];
}

/** `kind create cluster …`, kind's progress lines passed on as they come. */
export async function kindCreate(
  a: CreateArgs,
  options: { onLine: (line: string) => void; signal?: AbortSignal | undefined; timeoutMs: number },
): Promise<void> {
  const args = createClusterArgs(a);
  const r = await runTool('kind', args, options);
  if (r.exitCode !== 0)
    throw new ClusterError(`\`kind ${args.join(' ')}\` failed (exit ${r.exitCode})${lastWords(r)}`);
}

export async function kindDelete(
  name: string,
  options: { onLine?: (line: string) => void; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  await runToolOk('kind', ['delete', 'cluster', '--name', name], { timeoutMs: 180_000, ...options });
}

/** The admin kubeconfig of a cluster (host-reachable 127.0.0.1 endpoint, context `kind-<name>`). */
export async function kindKubeconfig(name: string, signal?: AbortSignal): Promise<string> {
  const r = await runToolOk('kind', ['get', 'kubeconfig', '--name', name], { timeoutMs: 60_000, signal });
  return r.stdout;
}

export async function kindLoadImage(
  image: string,
  name: string,
  options: { onLine?: (line: string) => void; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  await runToolOk('kind', ['load', 'docker-image', image, '--name', name], {
    timeoutMs: 600_000,
    ...options,
  });
}

export function kindContext(name: string): string {
  return `kind-${name}`;
}
