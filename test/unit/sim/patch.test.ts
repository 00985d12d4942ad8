/**
 * The simulated API server's three PATCH content types, checked against upstream.
 *
 * Every expected result and error below was produced by running upstream's own code on the same input:
 * strategicpatch.StrategicMergeMapPatch from k8s.io/apimachinery v0.33.0 over Go structs carrying the
 * patchStrategy/patchMergeKey tags of k8s.io/api, and evanphx/json-patch v4.12.0 (Patch.Apply,
 * MergePatch), with the status codes the apiserver maps their errors to; where upstream panics, the
 * apiserver answers 500. The kubectl-apply patches are strategicpatch.CreateThreeWayMergePatch's output,
 * the body client-side `kubectl apply` sends.
 */

import { describe, expect, it } from 'vitest';
import {
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  supportsStrategicMerge,
} from '../../../src/sim/api/patch/index.ts';
import { patchStrategyAt } from '../../../src/sim/kinds/patch-strategy.ts';

const GVK = {
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  Pod: { apiVersion: 'v1', kind: 'Pod' },
  Service: { apiVersion: 'v1', kind: 'Service' },
  Node: { apiVersion: 'v1', kind: 'Node' },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap' },
  PodDisruptionBudget: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
} as const;

type Outcome = { want: unknown } | { error: [number, string] };
type Case = { name: string; doc: unknown; patch: unknown } & Outcome;
type SmpCase = Case & { kind: keyof typeof GVK };

const PANIC = 'This request caused apiserver to panic. Look in the logs for details.';

/** Frozen inputs make any mutation of the caller's values throw. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const e of Object.values(v)) deepFreeze(e);
    Object.freeze(v);
  }
  return v;
}

function check(c: Case, apply: (doc: unknown, patch: unknown) => unknown): void {
  const doc = deepFreeze(structuredClone(c.doc));
  const patch = deepFreeze(structuredClone(c.patch));
  if ('want' in c) {
    expect(apply(doc, patch)).toEqual(c.want);
    return;
  }
  let thrown: unknown;
  try {
    apply(doc, patch);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PatchError);
  const err = thrown as PatchError;
  expect([err.code, err.message]).toEqual(c.error);
}

const SMP_CASES: SmpCase[] = [
  {
    name: 'containers merge on name: a changed entry is merged, a new one appended',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1', args: ['x'] },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:2' },
              { name: 'c', image: 'c:1' },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { args: ['x'], image: 'a:2', name: 'a' },
              { image: 'c:1', name: 'c' },
              { image: 'b:1', name: 'b' },
            ],
          },
        },
      },
    },
  },
  {
    name: 'env merges on name; a null field is deleted',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                image: 'a:1',
                env: [
                  { name: 'A', value: '1' },
                  { name: 'B', value: '2', valueFrom: null },
                ],
              },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                env: [
                  { name: 'B', value: null },
                  { name: 'C', value: '3' },
                ],
              },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                env: [{ name: 'A', value: '1' }, { name: 'B' }, { name: 'C', value: '3' }],
                image: 'a:1',
                name: 'a',
              },
            ],
          },
        },
      },
    },
  },
  {
    name: 'ports merge on containerPort, an int64 key never matches a float or a string',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: { containers: [{ name: 'a', image: 'a:1', ports: [{ containerPort: 80, name: 'http' }] }] },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                ports: [
                  { containerPort: 80, protocol: 'TCP' },
                  { containerPort: '80', name: 'str' },
                  { containerPort: 80.5 },
                ],
              },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                image: 'a:1',
                name: 'a',
                ports: [
                  { containerPort: 80, name: 'http', protocol: 'TCP' },
                  { containerPort: '80', name: 'str' },
                  { containerPort: 80.5 },
                ],
              },
            ],
          },
        },
      },
    },
  },
  {
    name: 'volumeMounts merge on mountPath',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: { containers: [{ name: 'a', image: 'a:1', volumeMounts: [{ name: 'v', mountPath: '/a' }] }] },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'a', volumeMounts: [{ name: 'w', mountPath: '/a', readOnly: true }] }],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { image: 'a:1', name: 'a', volumeMounts: [{ mountPath: '/a', name: 'w', readOnly: true }] },
            ],
          },
        },
      },
    },
  },
  {
    name: 'ownerReferences merge on uid',
    kind: 'ConfigMap',
    doc: {
      metadata: { name: 'c', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' }] },
    },
    patch: {
      metadata: {
        ownerReferences: [
          { uid: 'u1', name: 'p2' },
          { apiVersion: 'v1', kind: 'Pod', name: 'q', uid: 'u2' },
        ],
      },
    },
    want: {
      metadata: {
        name: 'c',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Pod', name: 'p2', uid: 'u1' },
          { apiVersion: 'v1', kind: 'Pod', name: 'q', uid: 'u2' },
        ],
      },
    },
  },
  {
    name: 'Service ports merge on port',
    kind: 'Service',
    doc: { spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }, { port: 443 }] } },
    patch: {
      spec: {
        ports: [
          { port: 80, targetPort: 9090 },
          { port: 53, protocol: 'UDP' },
        ],
      },
    },
    want: {
      spec: {
        ports: [
          { port: 80, protocol: 'TCP', targetPort: 9090 },
          { port: 53, protocol: 'UDP' },
          { port: 443 },
        ],
      },
    },
  },
  {
    name: 'status conditions merge on type',
    kind: 'Pod',
    doc: {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    want: {
      status: {
        conditions: [
          { status: 'True', type: 'Ready' },
          { status: 'True', type: 'PodScheduled' },
        ],
      },
    },
  },
  {
    name: 'the same key twice in a patch list merges into one element',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'b', image: 'b:1' },
              { name: 'b', args: ['x'] },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { args: ['x'], image: 'b:1', name: 'b' },
              { image: 'a:1', name: 'a' },
            ],
          },
        },
      },
    },
  },
  {
    name: '$patch: delete removes the element with that key',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
              { name: 'c', image: 'c:1' },
            ],
          },
        },
      },
    },
    patch: { spec: { template: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } } } },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { image: 'a:1', name: 'a' },
              { image: 'c:1', name: 'c' },
            ],
          },
        },
      },
    },
  },
  {
    name: '$patch: delete of a missing element is a no-op',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { template: { spec: { containers: [{ name: 'zz', $patch: 'delete' }] } } } },
    want: { spec: { template: { spec: { containers: [{ image: 'a:1', name: 'a' }] } } } },
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'c:1' }, { $patch: 'replace' }] } } },
    },
    want: { spec: { template: { spec: { containers: [{ image: 'c:1', name: 'c' }] } } } },
  },
  {
    name: '$patch: replace on a map replaces the map',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: { containers: [{ name: 'a', resources: { $patch: 'replace', limits: { memory: '1Gi' } } }] },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: { containers: [{ image: 'a:1', name: 'a', resources: { limits: { memory: '1Gi' } } }] },
        },
      },
    },
  },
  {
    name: '$patch: delete on a map empties it',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1' }], nodeSelector: { zone: 'a' } } },
      },
    },
    patch: { spec: { template: { spec: { nodeSelector: { $patch: 'delete' } } } } },
    want: { spec: { template: { spec: { containers: [{ image: 'a:1', name: 'a' }], nodeSelector: {} } } } },
  },
  {
    name: '$patch: merge in a list is refused',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'merge' }] } } } },
    error: [500, 'merging lists cannot yet be specified in the patch'],
  },
  {
    name: 'an unknown $patch is refused',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'frob' }] } } } },
    error: [500, 'unknown patch type: frob in map: map[$patch:frob name:a]'],
  },
  {
    name: 'an element without the merge key is refused',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { template: { spec: { containers: [{ image: 'nginx' }] } } } },
    error: [500, 'map: map[image:nginx] does not contain declared merge key: name'],
  },
  {
    name: 'a new list drops its $patch elements and nulls',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: {
      spec: {
        template: {
          spec: {
            volumes: [
              { name: 'gone', $patch: 'delete' },
              { name: 'v', emptyDir: { medium: null } },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: { containers: [{ image: 'a:1', name: 'a' }], volumes: [{ emptyDir: {}, name: 'v' }] },
        },
      },
    },
  },
  {
    name: '$setElementOrder reorders a merge list',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
              { name: 'c', image: 'c:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] } },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { image: 'c:1', name: 'c' },
              { image: 'a:1', name: 'a' },
              { image: 'b:1', name: 'b' },
            ],
          },
        },
      },
    },
  },
  {
    name: '$setElementOrder keeps server-only items next to their live neighbours',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'sidecar', image: 'sidecar:1' },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'b' }, { name: 'new' }, { name: 'a' }],
            containers: [{ name: 'new', image: 'new:1' }],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { image: 'sidecar:1', name: 'sidecar' },
              { image: 'b:1', name: 'b' },
              { image: 'new:1', name: 'new' },
              { image: 'a:1', name: 'a' },
            ],
          },
        },
      },
    },
  },
  {
    name: "$setElementOrder after a delete and an add: the add lands in the live list's spare slot (Go slice aliasing)",
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'x', image: 'x:1' },
              { name: 's', image: 's:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }],
            containers: [
              { name: 'n', image: 'n:1' },
              { name: 'x', $patch: 'delete' },
            ],
          },
        },
      },
    },
    want: {
      spec: {
        template: {
          spec: {
            containers: [
              { image: 'a:1', name: 'a' },
              { image: 's:1', name: 's' },
              { image: 'n:1', name: 'n' },
            ],
          },
        },
      },
    },
  },
  {
    name: '$setElementOrder must list the patch items in the same order',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        template: {
          spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', image: 'b:2' }] },
        },
      },
    },
    error: [
      500,
      "The order in patch list:\n[map[image:b:2 name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n",
    ],
  },
  {
    name: '$setElementOrder on a primitive list',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'x', 'a', 'b'], finalizers: ['x'] } },
    want: { metadata: { finalizers: ['c', 'x', 'a', 'b'] } },
  },
  {
    name: 'a malformed $setElementOrder key is a bad request',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { template: { spec: { $setElementOrder: [] } } } },
    error: [400, 'invalid patch format of setElementOrder list'],
  },
  {
    name: 'finalizers merge as a set: union, deduplicated',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c', 'b', 'c'] } },
    want: { metadata: { finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes every copy',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: ['a', 'b', 'c', 'b'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'absent'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList on a missing list adds nothing',
    kind: 'ConfigMap',
    doc: { metadata: { name: 'c' } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { name: 'c' } },
  },
  {
    name: '$deleteFromPrimitiveList also works on a replace list',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1', args: ['--x', '--y', '--z'] }] } },
      },
    },
    patch: {
      spec: { template: { spec: { containers: [{ name: 'a', '$deleteFromPrimitiveList/args': ['--y'] }] } } },
    },
    want: {
      spec: { template: { spec: { containers: [{ args: ['--x', '--z'], image: 'a:1', name: 'a' }] } } },
    },
  },
  {
    name: 'a malformed $deleteFromPrimitiveList key is a bad request',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: ['a'] } },
    patch: { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } },
    error: [400, 'invalid patch format of primitive list'],
  },
  {
    name: 'Node podCIDRs merge as a primitive set',
    kind: 'Node',
    doc: { spec: { podCIDRs: ['10.0.0.0/24'] } },
    patch: { spec: { podCIDRs: ['fd00::/64'] } },
    want: { spec: { podCIDRs: ['fd00::/64', '10.0.0.0/24'] } },
  },
  {
    name: '$retainKeys clears the fields it does not list (Deployment strategy)',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      },
    },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: {
      spec: {
        strategy: { type: 'Recreate' },
        template: { spec: { containers: [{ image: 'a:1', name: 'a' }] } },
      },
    },
  },
  {
    name: '$retainKeys on a volume switches its source',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'a', image: 'a:1' }],
            volumes: [{ name: 'data', hostPath: { path: '/srv' } }],
          },
        },
      },
    },
    patch: {
      spec: {
        template: { spec: { volumes: [{ name: 'data', $retainKeys: ['emptyDir', 'name'], emptyDir: {} }] } },
      },
    },
    want: {
      spec: {
        template: {
          spec: { containers: [{ image: 'a:1', name: 'a' }], volumes: [{ emptyDir: {}, name: 'data' }] },
        },
      },
    },
  },
  {
    name: '$retainKeys must name every field the patch sets',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } },
        strategy: { type: 'RollingUpdate' },
      },
    },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } },
    error: [400, 'invalid patch format of retainKeys'],
  },
  {
    name: '$retainKeys must be a list',
    kind: 'Deployment',
    doc: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } },
    patch: { spec: { $retainKeys: 'replicas' } },
    error: [400, 'invalid patch format of retainKeys'],
  },
  {
    name: 'args and command are replaced whole',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1', command: ['sh'], args: ['-c', 'x'] }] } },
      },
    },
    patch: { spec: { template: { spec: { containers: [{ name: 'a', args: ['-c', 'y'] }] } } } },
    want: {
      spec: {
        template: { spec: { containers: [{ args: ['-c', 'y'], command: ['sh'], image: 'a:1', name: 'a' }] } },
      },
    },
  },
  {
    name: 'tolerations have no strategy: replaced whole',
    kind: 'Deployment',
    doc: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'a', image: 'a:1' }],
            tolerations: [{ key: 'a', operator: 'Exists' }],
          },
        },
      },
    },
    patch: { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } } },
    want: {
      spec: {
        template: {
          spec: {
            containers: [{ image: 'a:1', name: 'a' }],
            tolerations: [{ key: 'b', operator: 'Exists' }],
          },
        },
      },
    },
  },
  {
    name: 'PodDisruptionBudget selector is patchStrategy replace',
    kind: 'PodDisruptionBudget',
    doc: { spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } } },
    patch: { spec: { selector: { matchLabels: { tier: 'b' } } } },
    want: { spec: { minAvailable: 1, selector: { matchLabels: { tier: 'b' } } } },
  },
  {
    name: 'null deletes a field and a map key; nulls in a new map are dropped',
    kind: 'Deployment',
    doc: {
      metadata: { name: 'web', labels: { a: '1', b: '2' } },
      spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } }, replicas: 2 },
    },
    patch: {
      metadata: { labels: { a: null }, annotations: { x: null, y: 'z' } },
      spec: { replicas: null, paused: null },
    },
    want: {
      metadata: { annotations: { y: 'z' }, labels: { b: '2' }, name: 'web' },
      spec: { template: { spec: { containers: [{ image: 'a:1', name: 'a' }] } } },
    },
  },
  {
    name: 'a value of another type replaces the field',
    kind: 'Deployment',
    doc: {
      spec: {
        template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } },
        strategy: { type: 'Recreate' },
      },
    },
    patch: { spec: { strategy: 'Recreate' } },
    want: {
      spec: { strategy: 'Recreate', template: { spec: { containers: [{ image: 'a:1', name: 'a' }] } } },
    },
  },
  {
    name: 'lists of lists are unprocessable',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: [] } },
    patch: { metadata: { finalizers: [['b']] } },
    error: [422, 'lists of lists are not supported'],
  },
  {
    name: 'list elements of different types are refused',
    kind: 'ConfigMap',
    doc: { metadata: { finalizers: ['a'] } },
    patch: { metadata: { finalizers: [1] } },
    error: [500, 'list element types are not identical: [[a] [1]]'],
  },
];

const KUBECTL_APPLY: Case[] = [
  {
    name: 'kubectl apply: image changed and an env var removed',
    doc: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'u-1',
        resourceVersion: '42',
        generation: 1,
        annotations: {
          'deployment.kubernetes.io/revision': '1',
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"env":[{"name":"MODE","value":"prod"},{"name":"DEBUG","value":"false"}],"image":"nginx:1.25","name":"web"}]}}}}\n',
        },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.25',
                env: [
                  { name: 'MODE', value: 'prod' },
                  { name: 'DEBUG', value: 'false' },
                ],
                imagePullPolicy: 'IfNotPresent',
              },
            ],
            restartPolicy: 'Always',
            dnsPolicy: 'ClusterFirst',
          },
        },
      },
      status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
    },
    patch: {
      metadata: {
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"env":[{"name":"MODE","value":"prod"}],"image":"nginx:1.26","name":"web"}]}}}}\n',
        },
      },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'MODE' }],
                env: [{ $patch: 'delete', name: 'DEBUG' }],
                image: 'nginx:1.26',
                name: 'web',
              },
            ],
          },
        },
      },
    },
    want: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        annotations: {
          'deployment.kubernetes.io/revision': '1',
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"env":[{"name":"MODE","value":"prod"}],"image":"nginx:1.26","name":"web"}]}}}}\n',
        },
        generation: 1,
        name: 'web',
        namespace: 'default',
        resourceVersion: '42',
        uid: 'u-1',
      },
      spec: {
        progressDeadlineSeconds: 600,
        replicas: 2,
        revisionHistoryLimit: 10,
        selector: { matchLabels: { app: 'web' } },
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                env: [{ name: 'MODE', value: 'prod' }],
                image: 'nginx:1.26',
                imagePullPolicy: 'IfNotPresent',
                name: 'web',
              },
            ],
            dnsPolicy: 'ClusterFirst',
            restartPolicy: 'Always',
          },
        },
      },
      status: { conditions: [{ status: 'True', type: 'Available' }], replicas: 2 },
    },
  },
  {
    name: 'kubectl apply: strategy Recreate and a volume switched to emptyDir ($retainKeys)',
    doc: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'db' },
      spec: {
        selector: { matchLabels: { app: 'db' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              { name: 'db', image: 'pg:16', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
            ],
            volumes: [
              { name: 'data', hostPath: { path: '/srv/db', type: '' } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
    patch: {
      spec: {
        strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/volumes': [{ name: 'data' }],
            volumes: [
              { $retainKeys: ['emptyDir', 'name'], emptyDir: {}, hostPath: null, name: 'data' },
              { $patch: 'delete', name: 'tmp' },
            ],
          },
        },
      },
    },
    want: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'db' },
      spec: {
        selector: { matchLabels: { app: 'db' } },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              { image: 'pg:16', name: 'db', volumeMounts: [{ mountPath: '/data', name: 'data' }] },
            ],
            volumes: [{ emptyDir: {}, name: 'data' }],
          },
        },
      },
    },
  },
];

const JSON_PATCH_CASES: Case[] = [
  {
    name: 'add to an object and at array indices, "-" and -1 append',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'add', path: '/metadata/labels/tier', value: 'web' },
      { op: 'add', path: '/spec/list/0', value: 0 },
      { op: 'add', path: '/spec/list/-', value: 4 },
      { op: 'add', path: '/spec/list/-1', value: 5 },
    ],
    want: {
      metadata: { labels: { app: 'a', tier: 'web' }, name: 'p' },
      spec: { list: [0, 1, 2, 3, 4, 5], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'add replaces an existing member; a missing value adds null',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'add', path: '/metadata/name', value: 'q' },
      { op: 'add', path: '/metadata/x' },
    ],
    want: {
      metadata: { labels: { app: 'a' }, name: 'q', x: null },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'add past the end is an invalid index',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'add', path: '/spec/list/4', value: 9 }],
    error: [
      422,
      "error in add for path: '/spec/list/4': Unable to access invalid index: 4: invalid index referenced",
    ],
  },
  {
    name: 'add below -(len+1) is an invalid index',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'add', path: '/spec/list/-5', value: 9 }],
    error: [
      422,
      "error in add for path: '/spec/list/-5': Unable to access invalid index: -5: invalid index referenced",
    ],
  },
  {
    name: 'add at a non-numeric index',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'add', path: '/spec/list/x', value: 9 }],
    error: [
      422,
      "error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
    ],
  },
  {
    name: 'add under a missing parent',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'add', path: '/status/phase', value: 'Running' }],
    error: [422, 'add operation does not apply: doc is missing path: "/status/phase": missing value'],
  },
  {
    name: 'remove a member and an index counted from the end',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'remove', path: '/metadata/labels/app' },
      { op: 'remove', path: '/spec/list/-1' },
    ],
    want: { metadata: { labels: {}, name: 'p' }, spec: { list: [1, 2], obj: { 'a/b': 1, 'c~d': 2 } } },
  },
  {
    name: 'remove a missing member',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'remove', path: '/metadata/labels/nope' }],
    error: [
      422,
      "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
    ],
  },
  {
    name: 'remove "-" is not an index',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'remove', path: '/spec/list/-' }],
    error: [422, 'error in remove for path: \'/spec/list/-\': strconv.Atoi: parsing "-": invalid syntax'],
  },
  {
    name: 'replace a missing object member adds it',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'replace', path: '/metadata/namespace', value: 'ns' }],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p', namespace: 'ns' },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'replace past the end of an array',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'replace', path: '/spec/list/3', value: 0 }],
    error: [422, 'replace operation does not apply: doc is missing key: /spec/list/3: missing value'],
  },
  {
    name: 'replace the whole document with a scalar does nothing',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'replace', path: '', value: 1 }],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'RFC 6901 escapes: ~1 is /, ~0 is ~',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'replace', path: '/spec/obj/a~1b', value: 10 },
      { op: 'remove', path: '/spec/obj/c~0d' },
      { op: 'add', path: '/spec/obj/~01', value: 'tilde-one' },
    ],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { list: [1, 2, 3], obj: { 'a/b': 10, '~1': 'tilde-one' } },
    },
  },
  {
    name: 'move and copy',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'move', from: '/spec/list/0', path: '/spec/first' },
      { op: 'copy', from: '/metadata/labels', path: '/spec/labels' },
    ],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { first: 1, labels: { app: 'a' }, list: [2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'move from a missing member',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'move', from: '/spec/nope', path: '/spec/x' }],
    error: [422, "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"],
  },
  {
    name: 'copy of a missing member adds null',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'copy', from: '/spec/nope', path: '/spec/x' }],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 }, x: null },
    },
  },
  {
    name: 'test passes, then the patch applies',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'test', path: '/spec/list', value: [1, 2, 3] },
      { op: 'replace', path: '/spec/list/1', value: 20 },
    ],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { list: [1, 20, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'test fails',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'test', path: '/metadata/name', value: 'other' },
      { op: 'remove', path: '/metadata' },
    ],
    error: [422, 'testing value /metadata/name failed: test failed'],
  },
  {
    name: 'test of a missing member with value null passes',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'test', path: '/metadata/namespace', value: null }],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'test of a missing member without a value panics upstream',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'test', path: '/metadata/namespace' }],
    error: [500, PANIC],
  },
  {
    name: 'walking through a null an earlier operation added panics upstream',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [
      { op: 'add', path: '/status', value: null },
      { op: 'add', path: '/status/phase', value: 'x' },
    ],
    error: [500, PANIC],
  },
  {
    name: 'an unknown op',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'frobnicate', path: '/spec' }],
    error: [422, 'Unexpected kind: frobnicate'],
  },
  {
    name: 'a path without a leading slash drops its first segment',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'add', path: 'spec/new', value: 1 }],
    want: {
      metadata: { labels: { app: 'a' }, name: 'p' },
      new: 1,
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
  },
  {
    name: 'an operation that is not an object is a bad request',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: ['add'],
    error: [400, 'json: cannot unmarshal string into Go value of type jsonpatch.Operation'],
  },
  {
    name: 'a patch that is not a list is a bad request',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: { op: 'add', path: '/x', value: 1 },
    error: [400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
  },
  {
    name: 'a non-string path',
    doc: {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { list: [1, 2, 3], obj: { 'a/b': 1, 'c~d': 2 } },
    },
    patch: [{ op: 'replace', path: 5, value: 1 }],
    error: [
      422,
      'replace operation failed to decode path: json: cannot unmarshal number into Go value of type string',
    ],
  },
];

const MERGE_PATCH_CASES: Case[] = [
  {
    name: 'merges objects, null deletes',
    doc: { a: { b: 1, c: 2 }, d: 'x' },
    patch: { a: { b: null, e: 3 }, d: null },
    want: { a: { c: 2, e: 3 } },
  },
  {
    name: 'nulls inside a new object are pruned',
    doc: { a: 1 },
    patch: { b: { c: null, d: { e: null, f: 1 } } },
    want: { a: 1, b: { d: { f: 1 } } },
  },
  {
    name: 'lists are replaced; nulls inside their objects are pruned, null elements kept',
    doc: { l: [1, 2] },
    patch: { l: [{ x: null, y: 1 }, null] },
    want: { l: [{ y: 1 }, null] },
  },
  {
    name: 'an object replaced by a list keeps the list as sent',
    doc: { a: { b: 1 } },
    patch: { a: [{ x: null }] },
    want: { a: [{ x: null }] },
  },
  { name: 'a null patch is a bad request', doc: { a: 1 }, patch: null, error: [400, 'Invalid JSON Patch'] },
  { name: 'a scalar patch is a bad request', doc: { a: 1 }, patch: 'x', error: [400, 'Invalid JSON Patch'] },
  { name: 'a list patch becomes the document', doc: { a: 1 }, patch: [{ a: null, b: 1 }], want: [{ b: 1 }] },
];

describe('strategic merge patch', () => {
  it.each(SMP_CASES)('$name', (c) =>
    check(c, (doc, patch) => applyStrategicMergePatch(doc, patch, GVK[c.kind])),
  );

  it.each(KUBECTL_APPLY)('$name', (c) =>
    check(c, (doc, patch) => applyStrategicMergePatch(doc, patch, GVK.Deployment)),
  );

  it('refuses a patch that is not an object, as the handler fails to decode it', () => {
    check(
      {
        name: 'list',
        doc: { metadata: { name: 'c' } },
        patch: [],
        error: [400, 'json: cannot unmarshal array into Go value of type map[string]interface {}'],
      },
      (doc, patch) => applyStrategicMergePatch(doc, patch, GVK.ConfigMap),
    );
  });

  it('answers 415 for a custom resource, which has no Go struct tags', () => {
    const gvk = { apiVersion: 'example.com/v1', kind: 'Widget' };
    expect(supportsStrategicMerge(gvk.apiVersion, gvk.kind)).toBe(false);
    expect(supportsStrategicMerge('apps/v1', 'Deployment')).toBe(true);
    expect(supportsStrategicMerge('v1', 'ConfigMap')).toBe(true);
    expect(supportsStrategicMerge('autoscaling/v1', 'Scale')).toBe(true);
    check(
      {
        name: 'crd',
        doc: {},
        patch: {},
        error: [
          415,
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        ],
      },
      (doc, patch) => applyStrategicMergePatch(doc, patch, gvk),
    );
  });
});

describe('JSON patch (RFC 6902)', () => {
  it.each(JSON_PATCH_CASES)('$name', (c) => check(c, applyJsonPatch));

  it('refuses more than 10000 operations with 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/a', value: 1 }));
    check(
      {
        name: 'many',
        doc: { a: 1 },
        patch: ops,
        error: [413, 'The allowed maximum operations in a JSON patch is 10000, got 10001'],
      },
      applyJsonPatch,
    );
  });

  it("stops copies past 3 MiB of accumulated growth (upstream's message, checked against v4.12.0)", () => {
    const ops = Array.from({ length: 4 }, (_, i) => ({ op: 'copy', from: '/big', path: `/c${i}` }));
    let thrown: unknown;
    try {
      applyJsonPatch({ big: 'x'.repeat(1024 * 1024) }, ops);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({
      code: 422,
      message:
        'Unable to complete the copy, the accumulated size increase of copy is 3145734, exceeding the limit 3145728',
    });
  });
});

describe('PatchError.status', () => {
  const failure = (fn: () => unknown): PatchError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof PatchError) return e;
    }
    throw new Error('expected a PatchError');
  };

  it('wraps each failure as the apiserver does', () => {
    expect(failure(() => applyJsonPatch({}, [{ op: 'remove', path: '/x' }])).status()).toEqual({
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    });
    expect(failure(() => applyJsonPatch({}, {})).status()).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    const tooMany = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/a' }));
    expect(failure(() => applyJsonPatch({}, tooMany)).status()).toEqual({
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    });
    const noKey = { spec: { template: { spec: { containers: [{ image: 'x' }] } } } };
    const live = { spec: { template: { spec: { containers: [{ name: 'a' }] } } } };
    expect(failure(() => applyStrategicMergePatch(live, noKey, GVK.Deployment)).status()).toEqual({
      code: 500,
      reason: '',
      message: 'map: map[image:x] does not contain declared merge key: name',
    });
    expect(failure(() => applyJsonPatch({}, [{ op: 'test', path: '/a' }])).status()).toBeUndefined();
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it.each(MERGE_PATCH_CASES)('$name', (c) => check(c, applyMergePatch));
});

describe('patchStrategyAt', () => {
  const at = (gvk: { apiVersion: string; kind: string }, path: string) =>
    patchStrategyAt(gvk.apiVersion, gvk.kind, path.split('.'));
  it.each([
    [GVK.Deployment, 'spec.template.spec.containers', { strategy: 'merge', mergeKey: 'name' }],
    [GVK.Deployment, 'spec.template.spec.containers.env', { strategy: 'merge', mergeKey: 'name' }],
    [GVK.Deployment, 'spec.template.spec.containers.ports', { strategy: 'merge', mergeKey: 'containerPort' }],
    [
      GVK.Deployment,
      'spec.template.spec.initContainers.volumeMounts',
      { strategy: 'merge', mergeKey: 'mountPath' },
    ],
    [GVK.Deployment, 'spec.template.spec.volumes', { strategy: 'merge,retainKeys', mergeKey: 'name' }],
    [GVK.Deployment, 'spec.template.spec.tolerations', undefined],
    [GVK.Deployment, 'spec.template.spec.containers.args', undefined],
    [GVK.Deployment, 'spec.strategy', { strategy: 'retainKeys' }],
    [GVK.Deployment, 'spec.template.metadata.finalizers', { strategy: 'merge' }],
    [GVK.Deployment, 'status.conditions', { strategy: 'merge', mergeKey: 'type' }],
    [GVK.ConfigMap, 'metadata.ownerReferences', { strategy: 'merge', mergeKey: 'uid' }],
    [GVK.ConfigMap, 'data', undefined],
    [GVK.Service, 'spec.ports', { strategy: 'merge', mergeKey: 'port' }],
    [GVK.Node, 'status.addresses', { strategy: 'merge', mergeKey: 'type' }],
    [GVK.Pod, 'spec.topologySpreadConstraints', { strategy: 'merge', mergeKey: 'topologyKey' }],
    [GVK.Pod, 'spec.imagePullSecrets', { strategy: 'merge', mergeKey: 'name' }],
    [GVK.Pod, 'spec.hostAliases', { strategy: 'merge', mergeKey: 'ip' }],
    [GVK.Pod, 'status.podIPs', { strategy: 'merge', mergeKey: 'ip' }],
    [GVK.PodDisruptionBudget, 'spec.selector', { strategy: 'replace' }],
    [
      { apiVersion: 'batch/v1', kind: 'CronJob' },
      'spec.jobTemplate.spec.template.spec.containers',
      { strategy: 'merge', mergeKey: 'name' },
    ],
    [{ apiVersion: 'example.com/v1', kind: 'Widget' }, 'metadata.finalizers', undefined],
  ] as const)('%o %s', (gvk, path, want) => {
    expect(at(gvk, path)).toEqual(want);
  });
});
