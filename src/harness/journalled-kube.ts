/**
 * The Kubernetes client that scenarios, faults and hooks get. Reads go straight through;
 * every mutation is checked against the blast radius, journalled with its undo, then made.
 */
import type { KubernetesObject, V1Node, V1Secret } from '@kubernetes/client-node';
import { type BlastRadius, checkMutation } from './blast-radius.ts';
import { inverseMergePatch } from './inverse-patch.ts';
import type { Journal, JournalScope, Mutation, Undo } from './journal.ts';
import { CLAIM_ATTEMPTS, claimOf, claimPatch, isConflict, NodeClaimedError, nodeRef } from './node-claim.ts';
import { backupName, backupSecret, secretDigest, withoutContents } from './secret-backup.ts';
import { isSecretRef } from './secret-guard.ts';
import {
  type EvictionOutcome,
  type KubeApi,
  KubeApiError,
  type ListOptions,
  toKubeError,
} from './kube-api.ts';
import { type KubeRef, refOf } from './kube-ref.ts';

export const RUN_LABEL = 'scars.dev/run-id';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

export interface Kube {
  read<T extends KubernetesObject = KubernetesObject>(ref: KubeRef): Promise<T | undefined>;
  list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    options?: ListOptions,
  ): Promise<T[]>;
  /** Creates the object (labelled with the run id); undone by deleting it. */
  create<T extends KubernetesObject = KubernetesObject>(obj: KubernetesObject): Promise<T>;
  /** Merge or strategic-merge patch; undone by the inverse merge patch of what it touched. */
  patch<T extends KubernetesObject = KubernetesObject>(
    ref: KubeRef,
    patch: Record<string, unknown>,
    strategy?: 'merge' | 'strategic',
  ): Promise<T>;
  /** Deletes the object. With `restore`, revert recreates it; without, the deletion is the fault (a controller replaces it). */
  delete(ref: KubeRef, options?: { restore?: boolean; gracePeriodSeconds?: number }): Promise<void>;
  /** The eviction subresource (PDB-aware); a refusal is returned, not thrown. */
  evict(namespace: string, name: string): Promise<EvictionOutcome>;
  /**
   * Claims a node for this run (see node-claim.ts) before a fault acts on it without patching it
   * (memory pressure); a node patch claims by itself. Throws NodeClaimedError if another run has it.
   */
  claimNode(name: string): Promise<void>;
  /** A container's log text (pods/log); read-only, so not journalled. */
  logs(namespace: string, pod: string, options?: { container?: string; previous?: boolean }): Promise<string>;
  /** GET through the pod proxy (pods/<name>:<port>/proxy/<path>); read-only, so not journalled. */
  proxyGet(namespace: string, pod: string, path: string, port?: number): Promise<string>;
}

export class JournalledKube implements Kube {
  constructor(
    private readonly api: KubeApi,
    private readonly journal: Journal,
    private readonly runId: string,
    private readonly radius: BlastRadius,
    private readonly scope: () => JournalScope,
  ) {}

  read<T extends KubernetesObject = KubernetesObject>(ref: KubeRef): Promise<T | undefined> {
    return this.api.read<T>(ref);
  }

  list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    options?: ListOptions,
  ): Promise<T[]> {
    return this.api.list<T>(apiVersion, kind, options);
  }

  logs(
    namespace: string,
    pod: string,
    options: { container?: string; previous?: boolean } = {},
  ): Promise<string> {
    return this.api.logs(namespace, pod, options);
  }

  proxyGet(namespace: string, pod: string, path: string, port?: number): Promise<string> {
    return this.api.proxyGet(namespace, pod, path, port);
  }

  async create<T extends KubernetesObject = KubernetesObject>(obj: KubernetesObject): Promise<T> {
    const labelled = withRunLabel(obj, this.runId);
    const ref = refOf(labelled);
    return this.mutate({ verb: 'create', ref }, { op: 'delete', ref }, async () => {
      const created = await this.api.create<T>(labelled);
      return { result: created, uid: created.metadata?.uid };
    });
  }

  async patch<T extends KubernetesObject = KubernetesObject>(
    ref: KubeRef,
    patch: Record<string, unknown>,
    strategy: 'merge' | 'strategic' = 'merge',
  ): Promise<T> {
    checkMutation(this.radius, ref);
    if (ref.kind === 'Node' && !ref.namespace) await this.claimNode(ref.name);
    const before = await this.api.read(ref);
    if (!before)
      throw new KubeApiError('PATCH', `${ref.kind}/${ref.name}`, 404, 'NotFound', 'object not found');
    if (isSecretRef(ref)) return this.patchSecret<T>(ref, before as V1Secret, patch, strategy);
    const undo: Undo = {
      op: 'patch',
      ref,
      patch: inverseMergePatch(before as Record<string, unknown>, patch),
    };
    return this.mutate({ verb: 'patch', ref, patch, strategy }, undo, async () => ({
      result: await this.api.patch<T>(ref, patch, strategy),
    }));
  }

  async delete(
    ref: KubeRef,
    options: { restore?: boolean; gracePeriodSeconds?: number } = {},
  ): Promise<void> {
    checkMutation(this.radius, ref);
    if (ref.kind === 'Node' && !ref.namespace) await this.claimNode(ref.name);
    let undo: Undo = { op: 'none', reason: 'deletion is the fault; its controller replaces the object' };
    if (options.restore) {
      const before = await this.api.read(ref);
      if (!before) return;
      if (isSecretRef(ref)) {
        const backup = await this.backup(before as V1Secret);
        undo = { op: 'recreate-secret', ref, ...backup, object: withoutContents(restorable(before)) };
      } else {
        undo = { op: 'create', object: restorable(before) };
      }
    }
    await this.mutate({ verb: 'delete', ref }, undo, async () => {
      await this.api.delete(
        ref,
        options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds },
      );
      return { result: undefined };
    });
  }

  async evict(namespace: string, name: string): Promise<EvictionOutcome> {
    const ref: KubeRef = { apiVersion: 'v1', kind: 'Pod', namespace, name };
    return this.mutate(
      { verb: 'evict', ref },
      { op: 'none', reason: 'an evicted pod is replaced by its controller' },
      async () => ({ result: await this.api.evict(namespace, name) }),
    );
  }

  async claimNode(name: string): Promise<void> {
    const ref = nodeRef(name);
    checkMutation(this.radius, ref);
    for (let attempt = 1; ; attempt++) {
      const node = await this.api.read<V1Node>(ref);
      if (!node) throw new KubeApiError('PATCH', `Node/${name}`, 404, 'NotFound', `node ${name} not found`);
      const claim = claimOf(node);
      if (claim?.runId === this.runId) return;
      if (claim) throw new NodeClaimedError(name, claim);
      try {
        await this.mutate(
          { verb: 'claim', ref },
          { op: 'release-claim', ref, runId: this.runId },
          async () => ({ result: await this.api.patch(ref, claimPatch(node, this.runId), 'merge') }),
        );
        return;
      } catch (err) {
        // The node changed since it was read (another run's claim, or only its kubelet's status): read again.
        if (!isConflict(err) || attempt >= CLAIM_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * A Secret patch: its data goes to a backup Secret first, and the journal keeps the backup's
   * name and digest, the patch's field names and the inverse of whatever else it touched.
   */
  private async patchSecret<T extends KubernetesObject>(
    ref: KubeRef,
    before: V1Secret,
    patch: Record<string, unknown>,
    strategy: 'merge' | 'strategic',
  ): Promise<T> {
    const { data, stringData, ...rest } = patch;
    const redacted = [
      ...Object.keys(isRecord(data) ? data : {}).map((k) => `data.${k}`),
      ...Object.keys(isRecord(stringData) ? stringData : {}).map((k) => `stringData.${k}`),
    ];
    const backup = await this.backup(before);
    const inverse = inverseMergePatch(before as Record<string, unknown>, rest);
    const undo: Undo = {
      op: 'restore-secret',
      ref,
      ...backup,
      ...(Object.keys(inverse).length ? { patch: inverse } : {}),
    };
    const mutation: Mutation = {
      verb: 'patch',
      ref,
      patch: rest,
      strategy,
      ...(redacted.length ? { redacted } : {}),
    };
    return this.mutate(mutation, undo, async () => ({
      result: await this.api.patch<T>(ref, patch, strategy),
    }));
  }

  /** Copies a Secret's data into a new backup Secret (journalled); returns what the journal may keep of it. */
  private async backup(secret: V1Secret): Promise<{ backup: KubeRef; sha256: string }> {
    const of = refOf(secret as KubernetesObject);
    const obj = withRunLabel(backupSecret(secret, backupName(of.name)), this.runId);
    const ref = refOf(obj);
    await this.mutate({ verb: 'create', ref }, { op: 'drop-backup', ref, of }, async () => {
      const created = await this.api.create(obj);
      return { result: created, uid: created.metadata?.uid };
    });
    return { backup: ref, sha256: secretDigest(secret.data) };
  }

  private async mutate<R>(
    mutation: Parameters<Journal['intend']>[1],
    undo: Undo,
    call: () => Promise<{ result: R; uid?: string | undefined }>,
  ): Promise<R> {
    checkMutation(this.radius, mutation.ref);
    const seq = this.journal.intend(this.scope(), mutation, undo);
    try {
      const { result, uid } = await call();
      this.journal.done(seq, uid);
      return result;
    } catch (err) {
      const apiErr = toKubeError(
        err,
        mutation.verb.toUpperCase(),
        `${mutation.ref.kind}/${mutation.ref.name}`,
      );
      // Only a definite answer proves nothing changed; a lost connection leaves the intent to be undone.
      if (apiErr.answered) this.journal.failed(seq, apiErr.message);
      throw apiErr;
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function withRunLabel(obj: KubernetesObject, runId: string): KubernetesObject {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata?.labels, [RUN_LABEL]: runId, [MANAGED_BY_LABEL]: 'scars' },
    },
  };
}

/** A copy of a live object that can be created again: server-set fields dropped. */
export function restorable(obj: KubernetesObject): KubernetesObject {
  const { status: _status, ...rest } = obj as KubernetesObject & { status?: unknown };
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    generation: _g,
    managedFields: _m,
    ...metadata
  } = obj.metadata ?? {};
  return { ...rest, metadata };
}
