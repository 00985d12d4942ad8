/** The removed-API table's consistency, and the manifest scan on sample manifests. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { apiVersionOf, REMOVED_APIS, removedApiFor, servedAt } from '../../src/upgrade/removed-apis.ts';
import { formatFinding, scanManifests, statusAt } from '../../src/upgrade/scan.ts';
import { compareMinor, parseMinor } from '../../src/upgrade/versions.ts';
import { REPO } from '../support/cli.ts';

describe('removed-API table', () => {
  it('every row is deprecated before it is removed, in 1.NN form, with a replacement', () => {
    for (const r of REMOVED_APIS) {
      const where = `${apiVersionOf(r)} ${r.kind}`;
      expect(r.removedIn, where).toMatch(/^1\.\d+$/);
      expect(r.deprecatedIn, where).toMatch(/^1\.\d+$/);
      expect(compareMinor(parseMinor(r.deprecatedIn), parseMinor(r.removedIn)), where).toBeLessThan(0);
      expect(r.replacement, where).not.toBe('');
      expect(r.version, where).toMatch(/^v\d+(alpha|beta)\d+$/);
      expect(r.kind, where).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });

  it('has one row per group, version and kind', () => {
    const keys = REMOVED_APIS.map((r) => `${apiVersionOf(r)}/${r.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('holds the removals the deprecation guide lists', () => {
    const removedIn = (gv: string, kind: string) => removedApiFor(gv, kind)?.removedIn;
    expect(removedIn('policy/v1beta1', 'PodDisruptionBudget')).toBe('1.25');
    expect(removedIn('policy/v1beta1', 'PodSecurityPolicy')).toBe('1.25');
    expect(removedIn('batch/v1beta1', 'CronJob')).toBe('1.25');
    expect(removedIn('autoscaling/v2beta1', 'HorizontalPodAutoscaler')).toBe('1.25');
    expect(removedIn('autoscaling/v2beta2', 'HorizontalPodAutoscaler')).toBe('1.26');
    expect(removedIn('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema')).toBe('1.26');
    expect(removedIn('storage.k8s.io/v1beta1', 'CSIStorageCapacity')).toBe('1.27');
    expect(removedIn('flowcontrol.apiserver.k8s.io/v1beta2', 'PriorityLevelConfiguration')).toBe('1.29');
    expect(removedIn('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema')).toBe('1.32');
    expect(removedIn('extensions/v1beta1', 'Ingress')).toBe('1.22');
    expect(removedIn('networking.k8s.io/v1beta1', 'Ingress')).toBe('1.22');
    // GA versions are not in it.
    expect(removedApiFor('policy/v1', 'PodDisruptionBudget')).toBeUndefined();
    expect(removedApiFor('apps/v1', 'Deployment')).toBeUndefined();
  });

  it('servedAt and statusAt draw the line at removedIn and deprecatedIn', () => {
    const pdb = removedApiFor('policy/v1beta1', 'PodDisruptionBudget');
    if (!pdb) throw new Error('row missing');
    expect(servedAt(pdb, '1.24')).toBe(true);
    expect(servedAt(pdb, '1.25')).toBe(false);
    expect(statusAt(pdb, parseMinor('1.20'))).toBeUndefined();
    expect(statusAt(pdb, parseMinor('1.21'))).toBe('deprecated');
    expect(statusAt(pdb, parseMinor('1.24'))).toBe('deprecated');
    expect(statusAt(pdb, parseMinor('1.25'))).toBe('removed');
  });
});

describe('manifest scan', () => {
  const legacy = 'test/fixtures/upgrade/legacy';

  it('reports each removed API with file:line and its replacement (List items included)', async () => {
    const r = await scanManifests([legacy], parseMinor('1.32'), { cwd: REPO });
    expect(r.objects).toBe(5);
    expect(r.findings.map((f) => [f.file, f.line, f.status, f.apiVersion, f.kind, f.name])).toEqual([
      [`${legacy}/pdb.yaml`, 2, 'removed', 'policy/v1beta1', 'PodDisruptionBudget', 'web'],
      [`${legacy}/platform.yaml`, 4, 'removed', 'batch/v1beta1', 'CronJob', 'nightly-report'],
      [
        `${legacy}/platform.yaml`,
        18,
        'removed',
        'flowcontrol.apiserver.k8s.io/v1beta3',
        'FlowSchema',
        'batch-jobs',
      ],
      [
        `${legacy}/platform.yaml`,
        27,
        'removed',
        'flowcontrol.apiserver.k8s.io/v1beta3',
        'PriorityLevelConfiguration',
        'workload-low',
      ],
    ]);
    expect(formatFinding(r.findings[0]!)).toBe(
      `${legacy}/pdb.yaml:2: removed in 1.25: policy/v1beta1 PodDisruptionBudget web → use policy/v1 (an empty spec.selector ({}) selects every pod of the namespace in policy/v1 (none in v1beta1))`,
    );
  });

  it('the target decides removed, deprecated or nothing', async () => {
    const at = async (v: string) =>
      (await scanManifests([legacy], parseMinor(v), { cwd: REPO })).findings.map(
        (f) => `${f.kind}:${f.status}`,
      );
    // 1.24: the v1beta1 PDB and CronJob are deprecated, not removed; flowcontrol v1beta3 does not exist yet.
    expect(await at('1.24')).toEqual(['PodDisruptionBudget:deprecated', 'CronJob:deprecated']);
    expect(await at('1.29')).toEqual([
      'PodDisruptionBudget:removed',
      'CronJob:removed',
      'FlowSchema:deprecated',
      'PriorityLevelConfiguration:deprecated',
    ]);
  });

  it('clean manifests have no findings', async () => {
    const r = await scanManifests(['test/fixtures/upgrade/clean'], parseMinor('1.33'), { cwd: REPO });
    expect(r.objects).toBe(3);
    expect(r.findings).toEqual([]);
  });

  it('reads stdin, and bad YAML is one InputError naming file and line', async () => {
    const stdin = Readable.from(['apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: shop}\n']);
    const r = await scanManifests(['-'], parseMinor('1.22'), { cwd: REPO, stdin });
    expect(r.findings.map((f) => `${f.file}:${f.line} ${f.replacement}`)).toEqual([
      '<stdin>:1 networking.k8s.io/v1',
    ]);
    const bad = Readable.from(['apiVersion: v1\nkind: [unclosed\n']);
    await expect(scanManifests(['-'], parseMinor('1.32'), { cwd: REPO, stdin: bad })).rejects.toThrow(
      /^<stdin>:3: not valid YAML: Flow sequence/,
    );
  });
});
