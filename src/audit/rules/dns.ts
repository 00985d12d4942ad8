/**
 * ndots: with dnsPolicy ClusterFirst the pod's resolv.conf says `ndots:5` and lists the cluster's
 * search domains. A name with fewer dots than ndots is tried with every search domain first, each
 * for A and AAAA, so one lookup of `api.example.com` costs at least 8 queries to CoreDNS before the
 * real one: the amplification behind many CoreDNS overloads.
 */
import { isIP } from 'node:net';
import { defineRule } from '../rule.ts';
import type { FieldPath, RuleHit } from '../types.ts';
import { describeObject, type Workload } from '../workloads.ts';

/** The kubelet writes ndots:5 for ClusterFirst pods unless dnsConfig overrides it. */
export const KUBELET_NDOTS = 5;

/** Top-level domains that make a dotted word look like a public host name (plus two-letter country codes). */
const GENERIC_TLDS = new Set(
  'com net org io dev app cloud ai co info biz me tech xyz online site tv us eu uk de fr nl jp cn ru in au ca br edu gov mil int internal'.split(
    ' ',
  ),
);
/** Two-letter file extensions that are also country codes: `run.sh` is a script, not a host in Saint Helena. */
const FILE_EXTENSIONS = new Set(
  'sh py js ts md rb go pl so db gz xz cc hh pm rs kt cs ps mk ml tf'.split(' '),
);
/** Suffixes that only exist inside the cluster (or on the local link). */
const CLUSTER_SUFFIXES = ['.svc', '.cluster.local', '.local'];

/** The effective ndots of a pod, or undefined when its resolv.conf does not come from the cluster DNS. */
export function effectiveNdots(spec: Workload['podSpec']): number | undefined {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const fromCluster =
    policy === 'ClusterFirstWithHostNet' ||
    (policy === 'ClusterFirst' && !spec.hostNetwork) ||
    policy === 'None';
  if (!fromCluster) return undefined;
  const override = spec.dnsConfig?.options?.find((o) => o.name === 'ndots');
  if (override?.value !== undefined && /^\d+$/.test(override.value)) return Number(override.value);
  // dnsPolicy None has only what dnsConfig gives it: the resolver's own default is ndots:1.
  return policy === 'None' ? 1 : KUBELET_NDOTS;
}

const URL_HOST = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?(\[[^\]\s]*\]|[^/\s:?#,;'"]+)/gi;
const BARE_HOST =
  /(?<![\w.@/:-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?)(?=$|[\s:,;'")]|\?)/g;

/** Host names a string mentions: URL hosts, and bare dotted lower-case words that end in a known TLD. */
export function hostNames(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_HOST)) if (m[1]) out.push(m[1].toLowerCase());
  const withoutUrls = text.replace(URL_HOST, ' ');
  for (const m of withoutUrls.matchAll(BARE_HOST)) if (m[1]) out.push(m[1]);
  return out;
}

/** Whether a name is resolved through the search list first, and looks like it lives outside the cluster. */
export function expandsExternally(name: string, ndots: number, namespaces: ReadonlySet<string>): boolean {
  if (name.endsWith('.') || isIP(name.replace(/^\[|\]$/g, ''))) return false; // absolute, or an address
  const labels = name.split('.');
  const dots = labels.length - 1;
  if (dots === 0 || dots >= ndots) return false;
  if (CLUSTER_SUFFIXES.some((s) => name.endsWith(s))) return false;
  const tld = labels[labels.length - 1] as string;
  if (!/^[a-z]+$/.test(tld)) return false;
  if (!(GENERIC_TLDS.has(tld) || (tld.length === 2 && !FILE_EXTENSIONS.has(tld)))) return false;
  // `service.namespace` is the in-cluster short form when that namespace is one of the audited ones.
  if (dots === 1 && namespaces.has(tld)) return false;
  return true;
}

interface Mention {
  name: string;
  field: FieldPath;
}

function mentions(w: Workload): { ref: Workload['containers'][number]; found: Mention[] }[] {
  return w.containers.map((ref) => {
    const found: Mention[] = [];
    const scan = (text: unknown, field: FieldPath) => {
      if (typeof text !== 'string') return;
      for (const name of hostNames(text)) found.push({ name, field });
    };
    (ref.container.env ?? []).forEach((e, i) => scan(e.value, [...ref.path, 'env', i, 'value']));
    (ref.container.command ?? []).forEach((a, i) => scan(a, [...ref.path, 'command', i]));
    (ref.container.args ?? []).forEach((a, i) => scan(a, [...ref.path, 'args', i]));
    return { ref, found };
  });
}

export const ndotsExternalNames = defineRule({
  id: 'ndots-external-names',
  family: 'dns',
  severity: 'warning',
  title: 'External host names resolved through the ndots:5 search list',
  why: 'With the default ndots:5 every lookup of a name with fewer than 5 dots first walks the cluster search domains (A and AAAA each): 8 or more queries per lookup hit CoreDNS instead of 2, which under load saturates it and slows or fails DNS for the whole cluster.',
  fix: 'Set spec.dnsConfig.options [{name: ndots, value: "2"}] (or 1) on the pod, or write external names fully qualified with a trailing dot (api.example.com.).',
  check(index) {
    const hits: RuleHit[] = [];
    const namespaces = index.namespaces();
    for (const w of index.workloads) {
      const ndots = effectiveNdots(w.podSpec);
      if (ndots === undefined) continue;
      for (const { ref, found } of mentions(w)) {
        const external = found.filter((m) => expandsExternally(m.name, ndots, namespaces));
        const first = external[0];
        if (!first) continue;
        const names = [...new Set(external.map((m) => m.name))];
        const shown =
          names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
        const override = w.podSpec.dnsConfig?.options?.some((o) => o.name === 'ndots');
        hits.push({
          manifest: w.manifest,
          field: first.field,
          message:
            `${describeObject(w.manifest)}: container "${ref.container.name ?? '?'}" looks up ${shown} with ndots:${ndots}` +
            `${override ? '' : ' (the default)'}: each lookup walks the cluster search domains first`,
        });
      }
    }
    return hits;
  },
});
