/**
 * Discovery documents: legacy (/api, /apis, /api/v1, /apis/g/v — one request per group version)
 * and aggregated (apidiscovery.k8s.io v2 / v2beta1, the whole tree in two requests), chosen by
 * the Accept header exactly as client-go negotiates it. kubectl drain looks for `pods/eviction`
 * (group policy, version v1) here; without it, drain silently deletes instead of evicting.
 */
import { groupVersions, type ResourceType } from '../kinds/registry.ts';
import { SIM_DEFAULT_VERSION, servedVersion, type VersionInfo } from './served-version.ts';

/** The default release's /version document; a cluster started for another release serves its own. */
export const SERVER_VERSION: VersionInfo = servedVersion(SIM_DEFAULT_VERSION).info;

/** Which resources a cluster serves (all, unless its release removed some API versions). */
export type Serves = (r: ResourceType) => boolean;
const ALL: Serves = () => true;

/** Group versions with the resources `serves` keeps; a group version left empty is not served at all. */
function servedGroupVersions(
  serves: Serves,
): { group: string; version: string; resources: ResourceType[] }[] {
  return groupVersions()
    .map((gv) => ({ ...gv, resources: gv.resources.filter(serves) }))
    .filter((gv) => gv.resources.length > 0);
}

function resourceEntries(r: ResourceType): Record<string, unknown>[] {
  const main = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    storageVersionHash: hash(`${r.apiVersion}/${r.kind}`),
  };
  const subs = r.subresources.map((s) => ({
    name: `${r.plural}/${s.name}`,
    singularName: '',
    namespaced: r.namespaced,
    ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
    kind: s.kind,
    verbs: s.verbs,
  }));
  return [main, ...subs];
}

/** A stable short hash; clients only compare it for change. */
function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return Buffer.from(Uint32Array.of(h >>> 0, (h * 31) >>> 0).buffer).toString('base64');
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(serves: Serves = ALL): unknown {
  const groups = new Map<string, string[]>();
  for (const gv of servedGroupVersions(serves)) {
    if (gv.group === '') continue;
    groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const docs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: docs, preferredVersion: docs[0] };
    }),
  };
}

export function apiGroup(group: string, serves: Serves = ALL): unknown {
  const versions = servedGroupVersions(serves).filter((gv) => gv.group === group && group !== '');
  if (versions.length === 0) return undefined;
  const docs = versions.map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: docs, preferredVersion: docs[0] };
}

export function apiResourceList(group: string, version: string, serves: Serves = ALL): unknown {
  const gv = servedGroupVersions(serves).find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: gv.resources.flatMap(resourceEntries),
  };
}

/** The apidiscovery version a client asked for, or undefined for legacy discovery. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const entry of (accept ?? '').split(',')) {
    const params = new Map(
      entry
        .split(';')
        .slice(1)
        .map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]),
    );
    if (params.get('g') !== 'apidiscovery.k8s.io' || params.get('as') !== 'APIGroupDiscoveryList') continue;
    const v = params.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

/** apidiscovery.k8s.io APIGroupDiscoveryList for /api (core) or /apis (named groups). */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1', serves: Serves = ALL): unknown {
  const byGroup = new Map<string, { version: string; resources: ResourceType[] }[]>();
  for (const gv of servedGroupVersions(serves)) {
    if ((gv.group === '') !== core) continue;
    byGroup.set(gv.group, [
      ...(byGroup.get(gv.group) ?? []),
      { version: gv.version, resources: gv.resources },
    ]);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...byGroup].map(([group, versions]) => ({
      metadata: group ? { name: group } : {},
      versions: versions.map((v) => ({
        version: v.version,
        freshness: 'Current',
        resources: v.resources.map((r) => ({
          resource: r.plural,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
          ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length ? { categories: r.categories } : {}),
          ...(r.subresources.length
            ? {
                subresources: r.subresources.map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
                  verbs: s.verbs,
                })),
              }
            : {}),
        })),
      })),
    })),
  };
}
