/**
 * The files a container sees through its Secret and ConfigMap volumes (also as projected
 * sources): every key as a file named after it, or only the listed `items` at their `path`;
 * Secret `data` base64-decoded (the API has already merged `stringData` into it), ConfigMap
 * `data` and `binaryData`. A `subPath` mount shows one file or directory of the volume.
 *
 * Reads look the object up at read time, so a changed Secret is seen on the next read. The real
 * kubelet refreshes volume contents on its periodic sync (up to about a minute plus its cache
 * TTL); subPath mounts never see updates at all, which is modelled: they keep what the volume
 * held when the container started.
 *
 * Not modelled: a missing, non-optional Secret or ConfigMap keeps a real pod in
 * ContainerCreating (FailedMount); here the volume is simply empty. Other volume types hold no
 * files (an emptyDir is empty anyway).
 */
import { posix } from 'node:path';
import type { Container, KeyToPath, Volume } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/rest/registry.ts';
import type { SimPod } from '../kinds/pod.ts';
import { resourceAt, type ResourceType } from '../kinds/registry.ts';

const SECRETS = resourceAt('v1', 'secrets') as ResourceType;
const CONFIG_MAPS = resourceAt('v1', 'configmaps') as ResourceType;

/** Relative path in the volume → content. */
export type VolumeTree = Map<string, Buffer>;

interface KeyedObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

function filesOf(
  values: Map<string, Buffer> | undefined,
  items: readonly KeyToPath[] | undefined,
  into: VolumeTree,
): void {
  if (!values) return;
  if (!items || items.length === 0) {
    for (const [key, value] of values) into.set(key, value);
    return;
  }
  for (const item of items) {
    const value = values.get(item.key);
    if (value !== undefined) into.set(posix.normalize(item.path), value);
  }
}

function secretValues(registry: Registry, namespace: string, name: string): Map<string, Buffer> | undefined {
  const secret = registry.find(SECRETS, namespace, name) as KeyedObject | undefined;
  if (!secret) return undefined;
  return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

function configMapValues(
  registry: Registry,
  namespace: string,
  name: string,
): Map<string, Buffer> | undefined {
  const cm = registry.find(CONFIG_MAPS, namespace, name) as KeyedObject | undefined;
  if (!cm) return undefined;
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) values.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) values.set(k, Buffer.from(v, 'base64'));
  return values;
}

/** What the volume holds now. */
export function volumeTree(volume: Volume, namespace: string, registry: Registry): VolumeTree {
  const tree: VolumeTree = new Map();
  if (volume.secret)
    filesOf(secretValues(registry, namespace, volume.secret.secretName ?? ''), volume.secret.items, tree);
  else if (volume.configMap)
    filesOf(configMapValues(registry, namespace, volume.configMap.name ?? ''), volume.configMap.items, tree);
  else if (volume.projected)
    for (const source of volume.projected.sources ?? []) {
      if (source.secret)
        filesOf(secretValues(registry, namespace, source.secret.name ?? ''), source.secret.items, tree);
      if (source.configMap)
        filesOf(
          configMapValues(registry, namespace, source.configMap.name ?? ''),
          source.configMap.items,
          tree,
        );
    }
  return tree;
}

export type VolumeRead = { content: Buffer } | { error: 'ENOENT' | 'EISDIR' } | undefined;

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** A container's view of its volume mounts. */
export class ContainerVolumes {
  /** subPath mounts keep the volume as it was at container start. */
  private readonly frozen = new Map<string, VolumeTree>();

  constructor(
    private readonly pod: SimPod,
    private readonly container: Container,
    private readonly registry: Registry,
  ) {
    for (const mount of container.volumeMounts ?? []) {
      if (!mount.subPath || this.frozen.has(mount.name)) continue;
      const volume = this.volume(mount.name);
      if (volume) this.frozen.set(mount.name, volumeTree(volume, this.namespace, registry));
    }
  }

  private get namespace(): string {
    return this.pod.metadata.namespace ?? 'default';
  }

  private volume(name: string): Volume | undefined {
    return (this.pod.spec?.volumes ?? []).find((v) => v.name === name);
  }

  /** The file at `path` if a mount covers it; undefined when no mount does. */
  read(path: string): VolumeRead {
    const target = trimSlash(posix.normalize(path));
    let best: { mountPath: string; name: string; subPath: string | undefined } | undefined;
    for (const mount of this.container.volumeMounts ?? []) {
      const mountPath = trimSlash(posix.normalize(mount.mountPath));
      const covers = target === mountPath || target.startsWith(mountPath === '/' ? '/' : `${mountPath}/`);
      if (covers && (!best || mountPath.length > best.mountPath.length))
        best = { mountPath, name: mount.name, subPath: mount.subPath || undefined };
    }
    if (!best) return undefined;
    const volume = this.volume(best.name);
    if (!volume) return { error: 'ENOENT' };
    const rest = target.slice(best.mountPath.length).replace(/^\/+/, '');
    const tree = best.subPath
      ? (this.frozen.get(best.name) ?? new Map())
      : volumeTree(volume, this.namespace, this.registry);
    const inVolume = posix.normalize(posix.join(best.subPath ?? '', rest || '.'));
    const content = tree.get(inVolume);
    if (content !== undefined) return { content };
    const dir = inVolume === '.' ? '' : `${inVolume}/`;
    if (inVolume === '.' || [...tree.keys()].some((k) => k.startsWith(dir))) return { error: 'EISDIR' };
    return { error: 'ENOENT' };
  }
}
