/**
 * Secret contents never reach the rollback journal. The journal itself refuses any record that
 * would hold a Secret's `data`/`stringData` (defence in depth); the journalled client keeps them in
 * an in-cluster backup Secret instead and journals a reference plus a sha256 digest; revert (and a
 * resumed journal, as `scars cleanup` replays it) restores from the backup and then drops it — but
 * keeps the backup while its restore has not succeeded.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, readJournal } from '../../src/harness/journal.ts';
import { JournalledKube, RUN_LABEL } from '../../src/harness/journalled-kube.ts';
import { KubeApi } from '../../src/harness/kube-api.ts';
import { revertEntries } from '../../src/harness/revert.ts';
import { SECRET_BACKUP_LABEL, secretDigest } from '../../src/harness/secret-backup.ts';
import { SecretInJournalError, secretDataIn } from '../../src/harness/secret-guard.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';

const CANARY = 'canary-5f1d0c2e-never-in-a-journal';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const scope = { scenario: 's', arm: 'main' as const, step: 'inject' };
const secretRef = (name: string, namespace = 'sec') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace,
  name,
});

describe('the journal refuses Secret contents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-secret-journal-'));

  it.each([
    [
      'a forward patch of a Secret with data',
      { verb: 'patch' as const, ref: secretRef('a'), patch: { data: { k: b64(CANARY) } } },
      { op: 'none' as const, reason: 'x' },
      'mutation.patch.data',
    ],
    [
      'an inverse patch of a Secret with stringData',
      { verb: 'patch' as const, ref: secretRef('a'), patch: { metadata: { labels: { x: '1' } } } },
      { op: 'patch' as const, ref: secretRef('a'), patch: { stringData: { k: CANARY } } },
      'undo.patch.stringData',
    ],
    [
      'a Secret object to recreate, data and all',
      { verb: 'delete' as const, ref: secretRef('a') },
      { op: 'create' as const, object: { apiVersion: 'v1', kind: 'Secret', data: { k: b64(CANARY) } } },
      'undo.object.data',
    ],
    [
      'a Secret nested in a list inside a ConfigMap patch',
      {
        verb: 'patch' as const,
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sec', name: 'c' },
        patch: { items: [{ kind: 'Secret', stringData: { k: CANARY } }] },
      },
      { op: 'none' as const, reason: 'x' },
      'mutation.patch.items[0].stringData',
    ],
  ])('%s: refused, and nothing of it is written', (_what, mutation, undo, path) => {
    const j = Journal.open(dir, `refuse-${path}`, '0.0.0');
    const before = readFileSync(j.file, 'utf8');
    expect(secretDataIn(mutation, undo)).toBe(path);
    expect(() => j.intend(scope, mutation, undo)).toThrow(SecretInJournalError);
    expect(() => j.intend(scope, mutation, undo)).toThrow(
      /refusing to record Secret data .* never to the journal/,
    );
    j.close(true);
    const text = readFileSync(j.file, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(b64(CANARY));
    expect(readJournal(j.file).entries).toEqual([]);
  });

  it('lets through what holds no contents: a Secret label patch, a ConfigMap data patch, a null data field', () => {
    const j = Journal.open(dir, 'allowed', '0.0.0');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sec', name: 'c' };
    j.intend(
      scope,
      { verb: 'patch', ref: secretRef('a'), patch: { metadata: { labels: { x: '1' } } } },
      { op: 'patch', ref: secretRef('a'), patch: { metadata: { labels: { x: null } } } },
    );
    j.intend(
      scope,
      { verb: 'patch', ref: cm, patch: { data: { k: 'v' } } },
      { op: 'patch', ref: cm, patch: { data: null } },
    );
    j.intend(
      scope,
      { verb: 'patch', ref: secretRef('a'), patch: { data: null } },
      { op: 'none', reason: 'x' },
    );
    j.close(true);
    expect(readJournal(j.file).entries).toHaveLength(3);
  });
});

describe('the journalled client backs Secrets up in the cluster (in-memory API server)', () => {
  let tc: TestCluster;
  let api: KubeApi;
  const dir = mkdtempSync(join(tmpdir(), 'scars-secret-backup-'));

  beforeAll(async () => {
    tc = await startTestCluster();
    api = new KubeApi(tc.cluster.kubeConfig);
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sec' } });
  });
  afterAll(() => tc?.close());

  const original = (name: string): V1Secret => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: 'sec', labels: { app: 'web' } },
    data: { 'tls.crt': b64('CERT'), 'tls.key': b64(CANARY), extra: b64(`${CANARY}-extra`) },
  });

  function kubeFor(runId: string) {
    const journal = Journal.open(dir, runId, '0.0.0');
    const kube = new JournalledKube(
      api,
      journal,
      runId,
      { runNamespace: 'sec', namespaces: [], nodes: [] },
      () => ({ ...scope }),
    );
    return { journal, kube };
  }
  const backups = async (runId: string) =>
    api.list<V1Secret>('v1', 'Secret', {
      namespace: 'sec',
      labelSelector: `${SECRET_BACKUP_LABEL}=true,${RUN_LABEL}=${runId}`,
    });
  const read = (name: string) => api.read<V1Secret>(secretRef(name));

  it('a patch: backup holds the data, the journal a digest; revert restores byte for byte and drops the backup', async () => {
    await api.create(original('web-tls'));
    const { journal, kube } = kubeFor('run-patch');
    await kube.patch(secretRef('web-tls'), {
      metadata: { labels: { swapped: 'yes' } },
      data: { 'tls.key': b64('NEW-KEY'), added: b64('x') },
    });
    const [backup] = await backups('run-patch');
    expect(backup?.data).toEqual(original('x').data);
    expect(backup?.type).toBe('Opaque');
    expect(backup?.metadata?.annotations?.['scars.dev/backup-type']).toBe('kubernetes.io/tls');

    const text = readFileSync(journal.file, 'utf8');
    for (const s of [CANARY, b64(CANARY), b64(`${CANARY}-extra`), b64('NEW-KEY')])
      expect(text).not.toContain(s);
    const entries = readJournal(journal.file).entries;
    expect(entries.map((e) => [e.mutation.verb, e.undo.op])).toEqual([
      ['create', 'drop-backup'],
      ['patch', 'restore-secret'],
    ]);
    const restore = entries[1]!.undo;
    expect(restore).toMatchObject({
      op: 'restore-secret',
      backup: { name: backup?.metadata?.name },
      sha256: secretDigest(original('x').data),
      patch: { metadata: { labels: { swapped: null } } },
    });
    expect(entries[1]!.mutation.redacted).toEqual(['data.tls.key', 'data.added']);

    const r = await revertEntries(api, journal, journal.pending());
    expect(r.failed).toEqual([]);
    const restored = await read('web-tls');
    expect(restored?.data).toEqual(original('x').data);
    expect(restored?.metadata?.labels).toEqual({ app: 'web' });
    expect(await backups('run-patch')).toEqual([]);
  });

  it('a delete with restore: recreated from the backup; the journal keeps the object without its data', async () => {
    await api.create(original('gone'));
    const { journal, kube } = kubeFor('run-delete');
    await kube.delete(secretRef('gone'), { restore: true });
    expect(await read('gone')).toBeUndefined();
    const text = readFileSync(journal.file, 'utf8');
    expect(text).not.toContain(b64(CANARY));
    expect(text).toContain('"op":"recreate-secret"');
    // What `scars cleanup` does after a crash: a resumed journal replays the same way.
    journal.abandon();
    const resumed = Journal.resume(journal.file);
    const r = await revertEntries(api, resumed, resumed.pending());
    expect(r.failed).toEqual([]);
    expect((await read('gone'))?.data).toEqual(original('x').data);
    expect((await read('gone'))?.type).toBe('kubernetes.io/tls');
    expect(await backups('run-delete')).toEqual([]);
  });

  it('a backup that no longer matches its digest is not restored, and is kept (the next cleanup retries)', async () => {
    await api.create(original('tampered'));
    const { journal, kube } = kubeFor('run-tamper');
    await kube.patch(secretRef('tampered'), { data: { 'tls.key': b64('NEW-KEY') } });
    const [backup] = await backups('run-tamper');
    await api.patch(secretRef(backup!.metadata!.name!), { data: { 'tls.key': b64('SOMETHING-ELSE') } });

    const r = await revertEntries(api, journal, journal.pending());
    expect(r.failed.map((f) => f.error)).toEqual([
      expect.stringMatching(/does not match the sha256 the journal recorded .*not restored/),
      expect.stringMatching(
        /kept Secret\/tampered-scars-backup-\S+ -n sec: the restore of Secret\/tampered -n sec from it has not succeeded yet/,
      ),
    ]);
    expect((await read('tampered'))?.data?.['tls.key']).toBe(b64('NEW-KEY'));
    expect(await backups('run-tamper')).toHaveLength(1);
    // Both stay pending for the next replay.
    expect(journal.pending().map((e) => e.undo.op)).toEqual(['restore-secret', 'drop-backup']);

    await api.patch(secretRef(backup!.metadata!.name!), {
      data: original('x').data as Record<string, string>,
    });
    const again = await revertEntries(api, journal, journal.pending());
    expect(again.failed).toEqual([]);
    expect((await read('tampered'))?.data).toEqual(original('x').data);
    expect(await backups('run-tamper')).toEqual([]);
  });
});
