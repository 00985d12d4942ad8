/**
 * The Kubernetes release a simulated cluster presents: what `/version` and the nodes report, and
 * which API versions discovery and the REST paths serve. The sim's behaviour is modelled on 1.32
 * whatever it reports (docs/sim-fidelity.md); what changes with the version is what a client can
 * see of the API surface: an API version the release no longer serves (src/upgrade/removed-apis.ts)
 * is absent from discovery and answers 404 like on a real API server.
 */
import { removedApiFor, servedAt } from '../../upgrade/removed-apis.ts';
import { formatMinor, type Minor, tryParseMinor } from '../../upgrade/versions.ts';
import type { ResourceType } from '../kinds/registry.ts';

/** Releases the sim can present: every GA API version it serves exists from 1.23 (autoscaling/v2). */
export const SIM_MIN_VERSION = '1.23';
export const SIM_MAX_VERSION = '1.34';
export const SIM_DEFAULT_VERSION = '1.32';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface ServedVersion {
  /** `1.32` */
  release: string;
  /** `v1.32.0` */
  gitVersion: string;
  /** The /version document. */
  info: VersionInfo;
  serves(r: Pick<ResourceType, 'apiVersion' | 'kind'>): boolean;
}

/** Whether the sim can present `release`; the range is [SIM_MIN_VERSION, SIM_MAX_VERSION]. */
export function simSupportsVersion(release: string): boolean {
  const v = tryParseMinor(release);
  const min = tryParseMinor(SIM_MIN_VERSION) as Minor;
  const max = tryParseMinor(SIM_MAX_VERSION) as Minor;
  return v !== undefined && v.major === 1 && v.minor >= min.minor && v.minor <= max.minor;
}

export function servedVersion(release: string = SIM_DEFAULT_VERSION): ServedVersion {
  if (!simSupportsVersion(release)) {
    throw new RangeError(
      `the simulated cluster presents Kubernetes ${SIM_MIN_VERSION} to ${SIM_MAX_VERSION}, not ${JSON.stringify(release)}`,
    );
  }
  const v = tryParseMinor(release) as Minor;
  const name = formatMinor(v);
  const gitVersion = `v${name}.0`;
  return {
    release: name,
    gitVersion,
    info: {
      major: String(v.major),
      minor: String(v.minor),
      gitVersion: `${gitVersion}+scars-sim`,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      // The sim is one build whatever release it presents; the toolchain field says which.
      goVersion: 'go1.23.4',
      compiler: 'gc',
      platform: 'linux/amd64',
    },
    serves: (r) => {
      const removed = removedApiFor(r.apiVersion, r.kind);
      return removed === undefined || servedAt(removed, name);
    },
  };
}
