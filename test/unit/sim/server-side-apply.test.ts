import { describe, expect, it } from 'vitest';
import { listTypeAt } from '../../../src/sim/kinds/list-types.ts';
import {
  FieldSet,
  field,
  fromFieldsV1,
  pathString,
  toFieldsV1,
} from '../../../src/sim/api/patch/managed-fields.ts';
import {
  ApplyConflictError,
  ApplyError,
  managerFromUserAgent,
  patchOptionsStatus,
  recordUpdate,
  serverSideApply,
} from '../../../src/sim/api/patch/server-side-apply.ts';
import type { KubeObject } from '../../../src/sim/object.ts';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:00:05Z';
const T2 = '2024-05-01T10:00:09Z';

interface DeploymentOptions {
  replicas?: number;
  image?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  env?: { name: string; value: string }[];
}

function deployment(o: DeploymentOptions = {}): KubeObject {
  const container: Record<string, unknown> = { name: 'web', image: o.image ?? 'nginx:1.25' };
  if (o.env) container.env = o.env;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: o.labels ?? { app: 'web' },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
    },
  };
}

/** What the store adds on create; apply and recordUpdate do not care where it came from. */
function stored(obj: KubeObject, uid = 'uid-1'): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid, resourceVersion: '7', creationTimestamp: T0 } };
}

function apply(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force = false,
  now = T1,
): KubeObject {
  return serverSideApply(live, applied, { manager, force, now });
}

function entry(obj: KubeObject, manager: string, operation = 'Apply') {
  return obj.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation);
}

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApplyConflictError) return error;
    throw error;
  }
  throw new Error('expected a conflict');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('server-side apply', () => {
  it('creates the object, owned by the applier', () => {
    const created = apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0);
    const { managedFields, ...metadata } = created.metadata;
    expect({ ...created, metadata }).toEqual(deployment({ replicas: 3 }));
    expect(Object.keys(created)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('removes fields the applier applied before and no longer applies', () => {
    const first = stored(
      apply(
        undefined,
        deployment({
          replicas: 3,
          labels: { app: 'web', team: 'a' },
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        }),
        'kubectl',
        false,
        T0,
      ),
    );
    const second = apply(
      first,
      deployment({ labels: { app: 'web' }, env: [{ name: 'A', value: '1' }] }),
      'kubectl',
    );
    expect(second.metadata.labels).toEqual({ app: 'web' });
    expect((second.spec as { replicas?: number }).replicas).toBeUndefined();
    expect(second.spec).toMatchObject({
      template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', value: '1' }] }] } },
    });
    // What the store set is nobody's and stays.
    expect(second.metadata.uid).toBe('uid-1');
    expect(entry(second, 'kubectl')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
    expect(JSON.stringify(entry(second, 'kubectl')?.fieldsV1)).not.toContain('f:replicas');
  });

  it('keeps a dropped field that another manager also owns', () => {
    const first = stored(
      apply(undefined, deployment({ replicas: 3, labels: { app: 'web', team: 'a' } }), 'kubectl', false, T0),
    );
    // Someone else applies the same label value: shared ownership, no conflict.
    const shared = apply(
      first,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'a' } } },
      'labeler',
    );
    const dropped = apply(shared, deployment({ replicas: 3, labels: { app: 'web' } }), 'kubectl', false, T2);
    expect(dropped.metadata.labels).toEqual({ app: 'web', team: 'a' });
    expect(entry(dropped, 'labeler')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:team': {} } } });
  });

  it('reports a conflict between two appliers, and force transfers ownership', () => {
    const live = stored(apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0));
    const hpa = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 5 },
    };
    const conflict = conflictOf(() => apply(live, hpa, 'autoscaler'));
    expect(conflict.code).toBe(409);
    expect(conflict.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(conflict.conflicts).toEqual([
      {
        manager: 'kubectl',
        field: '.spec.replicas',
        apiVersion: 'apps/v1',
        operation: 'Apply',
        message: 'conflict with "kubectl"',
      },
    ]);
    expect(conflict.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' },
        ],
      },
      code: 409,
    });

    const forced = apply(live, hpa, 'autoscaler', true, T2);
    expect((forced.spec as { replicas: number }).replicas).toBe(5);
    expect(entry(forced, 'autoscaler')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(JSON.stringify(entry(forced, 'kubectl')?.fieldsV1)).not.toContain('f:replicas');
    // The old owner now conflicts the other way round.
    expect(conflictOf(() => apply(stored(forced), deployment({ replicas: 3 }), 'kubectl')).message).toBe(
      'Apply failed with 1 conflict: conflict with "autoscaler": .spec.replicas',
    );
  });

  it('lists several conflicts grouped by manager', () => {
    const live = stored(apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0));
    const conflict = conflictOf(() => apply(live, deployment({ replicas: 4, image: 'nginx:2' }), 'ci'));
    expect(conflict.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
    expect(conflict.conflicts.map((c) => c.field)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name="web"].image',
    ]);
  });

  it('conflicts with a client-side Update by another manager on the fields it changed', () => {
    const created = stored(
      recordUpdate(undefined, deployment({ replicas: 3 }), { manager: 'kubectl-client-side-apply', now: T0 }),
    );
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} },
                },
              },
            },
          },
        },
      },
    ]);

    const conflict = conflictOf(() => apply(created, deployment({ replicas: 5 }), 'ci'));
    expect(conflict.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(conflict.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: '.spec.replicas',
      },
    ]);
    // Applying the values already there takes shared ownership without a conflict.
    const same = apply(created, deployment({ replicas: 3 }), 'ci');
    expect(entry(same, 'ci')).toBeDefined();
    expect(entry(same, 'kubectl-client-side-apply', 'Update')?.fieldsV1).toMatchObject({
      'f:spec': { 'f:replicas': {} },
    });
    // A no-op apply does not stamp a time (ManagedFieldsUpdater only does when the object changed).
    expect(entry(same, 'ci')?.time).toBeUndefined();
  });

  it("lets kubectl's own server-side apply take over fields still matching the last-applied annotation", () => {
    const lastApplied = JSON.stringify(deployment({ replicas: 3 }));
    const csa = deployment({
      replicas: 3,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
    });
    const created = stored(recordUpdate(undefined, csa, { manager: 'kubectl-client-side-apply', now: T0 }));
    const upgraded = apply(created, deployment({ replicas: 5 }), 'kubectl');
    expect((upgraded.spec as { replicas: number }).replicas).toBe(5);
    // The annotation follows the server-side applied configuration.
    const annotation =
      upgraded.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '';
    expect(annotation.endsWith('\n')).toBe(true);
    expect(JSON.parse(annotation)).toEqual(deployment({ replicas: 5 }));
    // Any other applier still conflicts.
    expect(() => apply(created, deployment({ replicas: 5 }), 'ci')).toThrow(ApplyConflictError);
  });

  it('conflicts with an Update that changed a field after the apply', () => {
    const applied = stored(apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0));
    const scaled = recordUpdate(
      applied,
      { ...applied, spec: { ...(applied.spec as object), replicas: 7 } },
      { manager: 'hpa-controller', now: T1 },
    );
    expect(entry(scaled, 'hpa-controller', 'Update')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(JSON.stringify(entry(scaled, 'kubectl')?.fieldsV1)).not.toContain('f:replicas');
    expect(conflictOf(() => apply(scaled, deployment({ replicas: 3 }), 'kubectl', false, T2)).message).toBe(
      'Apply failed with 1 conflict: conflict with "hpa-controller" using apps/v1: .spec.replicas',
    );
  });

  it('attributes an untracked object to before-first-apply', () => {
    const seeded = stored(deployment({ replicas: 2 }));
    const conflict = conflictOf(() => apply(seeded, deployment({ replicas: 4 }), 'ci'));
    expect(conflict.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
    const adopted = apply(seeded, deployment({ replicas: 2 }), 'ci');
    expect(adopted.metadata.managedFields?.map((e) => [e.manager, e.operation])).toEqual([
      ['ci', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
  });

  it('records Update ownership and merges the entries of one manager', () => {
    const created = stored(
      recordUpdate(undefined, deployment({ replicas: 1 }), { manager: 'kubectl-create', now: T0 }),
    );
    const edited = recordUpdate(created, deployment({ replicas: 2, labels: { app: 'web', tier: 'x' } }), {
      manager: 'kubectl-edit',
      now: T1,
    });
    const again = recordUpdate(
      stored(edited),
      deployment({ replicas: 2, labels: { app: 'web', tier: 'x' }, image: 'nginx:2' }),
      {
        manager: 'kubectl-edit',
        now: T2,
      },
    );
    const edits = again.metadata.managedFields?.filter((e) => e.manager === 'kubectl-edit') ?? [];
    expect(edits).toHaveLength(1);
    expect(edits[0]?.time).toBe(T2);
    expect(edits[0]?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } },
      },
    });
    expect(JSON.stringify(entry(again, 'kubectl-create', 'Update')?.fieldsV1)).not.toMatch(
      /f:replicas|f:image/,
    );
    // A write that changes nothing keeps the entry's time.
    const noop = recordUpdate(
      stored(again),
      deployment({ replicas: 2, labels: { app: 'web', tier: 'x' }, image: 'nginx:2' }),
      {
        manager: 'kubectl-edit',
        now: '2024-05-01T11:00:00Z',
      },
    );
    expect(entry(noop, 'kubectl-edit', 'Update')?.time).toBe(T2);
  });

  it('does not start tracking an existing object on a plain update', () => {
    const seeded = stored(deployment({ replicas: 2 }));
    const updated = recordUpdate(seeded, deployment({ replicas: 3 }), { manager: 'kubectl-edit', now: T1 });
    expect(updated.metadata.managedFields).toBeUndefined();
  });

  it('records status writes with their subresource and without spec', () => {
    const live = stored(apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0));
    const next = { ...live, status: { replicas: 3, conditions: [{ type: 'Available', status: 'True' }] } };
    const updated = recordUpdate(live, next, {
      manager: 'kube-controller-manager',
      now: T1,
      subresource: 'status',
    });
    expect(updated.metadata.managedFields?.find((e) => e.subresource === 'status')).toEqual({
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:status': {
          'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } },
          'f:replicas': {},
        },
      },
      subresource: 'status',
    });
  });

  it('never mutates its inputs', () => {
    const live = deepFreeze(stored(apply(undefined, deployment({ replicas: 3 }), 'kubectl', false, T0)));
    const applied = deepFreeze(deployment({ replicas: 4 }));
    expect(() => apply(live, applied, 'kubectl')).not.toThrow();
    expect(() => recordUpdate(live, applied, { manager: 'x', now: T1 })).not.toThrow();
  });

  it('rejects what upstream rejects', () => {
    const withFields = { ...deployment(), metadata: { ...deployment().metadata, managedFields: [] } };
    expect(() => apply(undefined, withFields, 'kubectl')).toThrow(
      new ApplyError('metadata.managedFields must be nil', 400, 'BadRequest'),
    );
    const live = stored(deployment());
    expect(() => apply(live, { ...deployment(), apiVersion: 'apps/v1beta1' }, 'kubectl')).toThrow(
      'invalid object type: apps/v1beta1, Kind=Deployment',
    );
    const dup = deployment({
      env: [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ],
    });
    expect(() => apply(undefined, dup, 'kubectl')).toThrow(
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].env: duplicate entries for key [name="A"]',
    );
    expect(patchOptionsStatus(true, '', null)?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    expect(patchOptionsStatus(false, undefined, 'true')?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    expect(patchOptionsStatus(true, 'kubectl', 'true')).toBeUndefined();
  });
});

describe('managedFields encoding', () => {
  it('writes f:, k:{…}, v:"…" and . keys, and reads them back', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        finalizers: ['example.com/cleanup'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u-1' }],
      },
      spec: {
        containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
      },
    };
    const created = apply(undefined, pod, 'kubectl', false, T0);
    const fieldsV1 = entry(created, 'kubectl')?.fieldsV1;
    expect(fieldsV1).toEqual({
      'f:metadata': {
        'f:finalizers': { 'v:"example.com/cleanup"': {} },
        'f:ownerReferences': { 'k:{"uid":"u-1"}': {} },
      },
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': {
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
            },
          },
        },
      },
    });
    expect(toFieldsV1(fromFieldsV1(fieldsV1))).toEqual(fieldsV1);
    expect(fromFieldsV1(fieldsV1).paths().map(pathString)).toContain(
      '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort',
    );
  });

  it('does set algebra like fieldpath.Set', () => {
    const a = FieldSet.of([field('spec'), field('replicas')], [field('spec'), field('paused')]);
    const b = FieldSet.of([field('spec')]);
    expect(a.difference(b).equals(a)).toBe(true);
    expect(a.recursiveDifference(b).isEmpty()).toBe(true);
    expect(
      a
        .intersection(FieldSet.of([field('spec'), field('paused')]))
        .paths()
        .map(pathString),
    ).toEqual(['.spec.paused']);
    expect(a.union(b).paths().map(pathString)).toEqual(['.spec', '.spec.paused', '.spec.replicas']);
  });
});

describe('list types', () => {
  it('describes the served kinds like their OpenAPI extensions', () => {
    expect(listTypeAt('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers'])).toEqual({
      type: 'map',
      keys: ['name'],
    });
    expect(listTypeAt('v1', 'Pod', ['spec', 'containers', 'ports'])).toEqual({
      type: 'map',
      keys: ['containerPort', 'protocol'],
    });
    expect(listTypeAt('v1', 'Service', ['spec', 'ports'])).toEqual({
      type: 'map',
      keys: ['port', 'protocol'],
    });
    expect(listTypeAt('v1', 'Pod', ['spec', 'tolerations'])).toEqual({ type: 'atomic' });
    expect(listTypeAt('v1', 'ConfigMap', ['metadata', 'finalizers'])).toEqual({ type: 'set' });
    expect(listTypeAt('v1', 'Node', ['status', 'conditions'])).toEqual({ type: 'map', keys: ['type'] });
    expect(listTypeAt('v1', 'Pod', ['spec', 'containers', 'args'])).toEqual({ type: 'atomic' });
    expect(listTypeAt('v1', 'Pod', ['spec', 'nodeName'])).toBeUndefined();
  });
});

describe('managerFromUserAgent', () => {
  it('takes the User-Agent up to the first slash, like upstream', () => {
    expect(managerFromUserAgent('kubectl/v1.31.0 (linux/amd64) kubernetes/9a6e2e8')).toBe('kubectl');
    expect(
      managerFromUserAgent(
        'kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/9a6e2e8/system:serviceaccount',
      ),
    ).toBe('kube-controller-manager');
    expect(managerFromUserAgent('my\u0007tool')).toBe('mytool');
    expect(managerFromUserAgent('x'.repeat(200))).toHaveLength(128);
    expect(managerFromUserAgent(undefined)).toBe('unknown');
  });
});
