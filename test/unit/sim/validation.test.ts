import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../src/sim/kinds/defaults.ts';
import {
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  parseQuantityExact,
  quantityError,
} from '../../../src/kube/quantity.ts';
import {
  cronScheduleError,
  type FieldCause,
  invalidMessage,
  quantityDecodeError,
  validateObject,
} from '../../../src/sim/kinds/validation.ts';
import type { KubeObject } from '../../../src/sim/object.ts';

type Json = Record<string, unknown>;

const SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Builds, defaults (as the server does before validating) and validates. */
function check(
  apiVersion: string,
  kind: string,
  body: Json,
  metadata: Json = { name: 'x', namespace: 'default' },
): FieldCause[] {
  const o = { apiVersion, kind, metadata, ...body } as KubeObject;
  applyDefaults(apiVersion, kind, o);
  return validateObject(apiVersion, kind, o);
}

const lines = (causes: FieldCause[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

const container = (over: Json = {}): Json => ({ name: 'app', image: 'nginx:1.27', ...over });
const podBody = (spec: Json = {}): Json => ({ spec: { containers: [container()], ...spec } });

describe('quantities (resource.ParseQuantity / String)', () => {
  it.each([
    ['100m', '100m', 0.1],
    ['1Gi', '1Gi', 1073741824],
    ['1024Mi', '1Gi', 1073741824],
    ['1.5Gi', '1536Mi', 1610612736],
    ['512Mi', '512Mi', 536870912],
    ['0.5', '500m', 0.5],
    ['1.5', '1500m', 1.5],
    ['1e3', '1e3', 1000],
    ['1000e0', '1e3', 1000],
    ['2000', '2k', 2000],
    ['1500', '1500', 1500],
    ['0.5Ki', '512', 512],
    ['-100m', '-100m', -0.1],
    ['1E', '1E', 1e18],
    ['0.0000000001', '1n', 1e-9],
    ['0', '0', 0],
    // The int64 fast path keeps canonical-looking input verbatim, sign and leading zero included.
    ['+1', '+1', 1],
    ['01', '01', 1],
    ['.', '0', 0],
  ])('%s → %s (%d)', (text, canonical, value) => {
    expect(canonicalQuantity(text)).toBe(canonical);
    expect(parseQuantity(text)).toBe(value);
  });

  it.each([
    ['', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1.5.5', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['abc', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1K', "unable to parse quantity's suffix"],
    ['1ki', "unable to parse quantity's suffix"],
    ['1e', "unable to parse quantity's suffix"],
  ])('refuses %j', (text, message) => {
    expect(parseQuantity(text)).toBeUndefined();
    expect(quantityError(text)).toBe(message);
  });

  it('compares exactly across formats', () => {
    expect(compareQuantities(parseQuantityExact('1Gi'), parseQuantityExact('1024Mi'))).toBe(0);
    expect(compareQuantities(parseQuantityExact('1'), parseQuantityExact('1000m'))).toBe(0);
    expect(compareQuantities(parseQuantityExact('1G'), parseQuantityExact('1Gi'))).toBe(-1);
    expect(compareQuantities(parseQuantityExact('-1'), parseQuantityExact('0'))).toBe(-1);
  });

  it('reports undecodable quantities as the decoder does', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [container({ resources: { limits: { cpu: 'lots' } } })] },
    };
    expect(quantityDecodeError('v1', 'Pod', pod as KubeObject)).toBe(
      `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        template: { spec: { containers: [container({ resources: { requests: { memory: '1K' } } })] } },
      },
    };
    expect(quantityDecodeError('apps/v1', 'Deployment', dep as KubeObject)).toBe(
      `Deployment in version "v1" cannot be handled as a Deployment: unable to parse quantity's suffix`,
    );
    expect(
      quantityDecodeError('v1', 'Pod', {
        ...pod,
        spec: { containers: [container({ resources: { limits: { cpu: 2 } } })] },
      } as KubeObject),
    ).toBeUndefined();
  });
});

describe('invalidMessage (errors.NewInvalid)', () => {
  const a: FieldCause = { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' };
  const b: FieldCause = {
    reason: 'FieldValueInvalid',
    field: 'spec.replicas',
    message: 'Invalid value: -1: must be greater than or equal to 0',
  };
  it('has no brackets for one cause, brackets for several, and drops duplicates', () => {
    expect(invalidMessage('Deployment.apps', 'web', [a])).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Required value',
    );
    expect(invalidMessage('Deployment.apps', 'web', [a, b, a])).toBe(
      'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]',
    );
    expect(invalidMessage('Pod', 'p', [])).toBe('Pod "p" is invalid');
  });
});

describe('object metadata', () => {
  it('requires a name', () => {
    expect(lines(check('v1', 'ConfigMap', {}, { namespace: 'default' }))).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
  });

  it('uses the DNS subdomain rule for most kinds and the label rule for namespaces and services', () => {
    expect(lines(check('v1', 'ConfigMap', {}, { name: 'Bad_Name', namespace: 'default' }))).toEqual([
      `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_ERR}`,
    ]);
    expect(check('v1', 'ConfigMap', {}, { name: 'a.b', namespace: 'default' })).toEqual([]);
    expect(lines(check('v1', 'Namespace', {}, { name: 'a.b' }))).toEqual([
      'metadata.name: Invalid value: "a.b": must not contain dots',
    ]);
    expect(lines(check('v1', 'Namespace', {}, { name: 'A' }))).toEqual([
      `metadata.name: Invalid value: "A": ${LABEL_ERR}`,
    ]);
    expect(
      lines(
        check(
          'v1',
          'Service',
          { spec: { ports: [{ port: 80 }] } },
          { name: 'web.svc', namespace: 'default' },
        ),
      ),
    ).toEqual(['metadata.name: Invalid value: "web.svc": must not contain dots']);
  });

  it('checks name length', () => {
    const name = 'a'.repeat(254);
    expect(lines(check('v1', 'ConfigMap', {}, { name, namespace: 'default' }))).toEqual([
      `metadata.name: Invalid value: "${name}": must be no more than 253 characters`,
    ]);
    const cj = 'c'.repeat(53);
    expect(
      lines(
        check(
          'batch/v1',
          'CronJob',
          {
            spec: {
              schedule: '@hourly',
              jobTemplate: {
                spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } } },
              },
            },
          },
          { name: cj, namespace: 'default' },
        ),
      ),
    ).toEqual([`metadata.name: Invalid value: "${cj}": must be no more than 52 characters`]);
  });

  it('validates generateName as a prefix (a trailing dash is fine)', () => {
    expect(
      check('v1', 'ConfigMap', {}, { name: 'web-abcde', generateName: 'web-', namespace: 'default' }),
    ).toEqual([]);
    expect(
      lines(check('v1', 'ConfigMap', {}, { name: 'x', generateName: 'Web-', namespace: 'default' })),
    ).toEqual([`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_ERR}`]);
  });

  it('requires a namespace on namespaced kinds and refuses one on cluster-scoped kinds', () => {
    expect(lines(check('v1', 'ConfigMap', {}, { name: 'x' }))).toEqual([
      'metadata.namespace: Required value',
    ]);
    expect(lines(check('v1', 'Namespace', {}, { name: 'x', namespace: 'y' }))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('validates label keys and values and annotation keys', () => {
    expect(
      lines(
        check(
          'v1',
          'ConfigMap',
          {},
          {
            name: 'x',
            namespace: 'd',
            labels: { 'app!': 'ok', ok: 'bad value' },
            annotations: { 'Example.com/Key': 'fine', '/x': 'y' },
          },
        ),
      ),
    ).toEqual([
      "metadata.labels: Invalid value: \"app!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'metadata.annotations: Invalid value: "/x": prefix part must be non-empty',
    ]);
  });

  it('limits annotations to 256 KiB in total', () => {
    expect(
      lines(
        check('v1', 'ConfigMap', {}, { name: 'x', namespace: 'd', annotations: { big: 'x'.repeat(262142) } }),
      ),
    ).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
  });

  it('keeps immutable metadata on update', () => {
    const old = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'd', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' },
    } as KubeObject;
    const next = { ...old, metadata: { ...old.metadata, uid: 'u2' } } as KubeObject;
    expect(lines(validateObject('v1', 'ConfigMap', next, old))).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });
});

describe('pods', () => {
  it('accepts a defaulted pod', () => {
    expect(check('v1', 'Pod', podBody())).toEqual([]);
  });

  it('requires containers', () => {
    expect(lines(check('v1', 'Pod', { spec: { containers: [] } }))).toEqual([
      'spec.containers: Required value',
    ]);
  });

  it('validates container names, uniqueness and images', () => {
    expect(
      lines(
        check('v1', 'Pod', {
          spec: {
            containers: [container({ name: 'App' }), container(), container({ name: 'app', image: '' })],
          },
        }),
      ),
    ).toEqual([
      `spec.containers[0].name: Invalid value: "App": ${LABEL_ERR}`,
      'spec.containers[2].name: Duplicate value: "app"',
      'spec.containers[2].image: Required value',
    ]);
  });

  it('flags init containers that reuse a container name', () => {
    expect(lines(check('v1', 'Pod', podBody({ initContainers: [container()] })))).toEqual([
      'spec.initContainers[0].name: Duplicate value: "app"',
    ]);
  });

  it('refuses unknown restart and pull policies', () => {
    expect(lines(check('v1', 'Pod', podBody({ restartPolicy: 'Sometimes' })))).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
    expect(
      lines(check('v1', 'Pod', { spec: { containers: [container({ imagePullPolicy: 'Maybe' })] } })),
    ).toEqual([
      'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
    ]);
  });

  it('requires requests not to exceed limits, and quantities not to be negative', () => {
    expect(
      lines(
        check('v1', 'Pod', {
          spec: { containers: [container({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] },
        }),
      ),
    ).toEqual([
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]);
    expect(
      lines(
        check('v1', 'Pod', {
          spec: { containers: [container({ resources: { requests: { memory: '-1Mi' } } })] },
        }),
      ),
    ).toEqual([
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
    ]);
    expect(
      lines(
        check('v1', 'Pod', { spec: { containers: [container({ resources: { limits: { gpu: '1' } } })] } }),
      ),
    ).toEqual([
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]);
  });

  it('validates ports', () => {
    expect(
      lines(
        check('v1', 'Pod', {
          spec: { containers: [container({ ports: [{ containerPort: 70000, protocol: 'ICMP' }] })] },
        }),
      ),
    ).toEqual([
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ]);
  });

  it('requires liveness probes to succeed once', () => {
    expect(
      lines(
        check('v1', 'Pod', {
          spec: {
            containers: [container({ livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } })],
          },
        }),
      ),
    ).toEqual(['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']);
    expect(
      lines(
        check('v1', 'Pod', { spec: { containers: [container({ readinessProbe: { periodSeconds: 5 } })] } }),
      ),
    ).toEqual(['spec.containers[0].readinessProbe: Required value: must specify a handler type']);
  });

  it('validates tolerations', () => {
    expect(
      lines(
        check(
          'v1',
          'Pod',
          podBody({
            tolerations: [
              { key: 'k', operator: 'Maybe' },
              { operator: 'Equal', value: 'v' },
            ],
          }),
        ),
      ),
    ).toEqual([
      'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
      'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ]);
  });

  describe('updates', () => {
    const stored = (): KubeObject => {
      const o = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'd' },
        ...podBody(),
      } as KubeObject;
      applyDefaults('v1', 'Pod', o);
      o.metadata.uid = 'u1';
      return o;
    };
    const FORBIDDEN =
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

    it('allows image changes and added tolerations', () => {
      const old = stored();
      const next = structuredClone(old);
      ((next.spec as Json).containers as Json[])[0]!.image = 'nginx:1.28';
      (next.spec as Json).tolerations = [
        ...((old.spec as Json).tolerations as Json[]),
        { key: 'x', operator: 'Exists' },
      ];
      expect(validateObject('v1', 'Pod', next, old)).toEqual([]);
    });

    it('forbids other spec changes', () => {
      const old = stored();
      const next = structuredClone(old);
      ((next.spec as Json).containers as Json[])[0]!.ports = [{ containerPort: 81, protocol: 'TCP' }];
      expect(lines(validateObject('v1', 'Pod', next, old))).toEqual([FORBIDDEN]);
    });

    it('forbids adding containers and changing existing tolerations', () => {
      const old = stored();
      const more = structuredClone(old);
      ((more.spec as Json).containers as Json[]).push({
        ...container({ name: 'b' }),
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      });
      expect(lines(validateObject('v1', 'Pod', more, old))).toEqual([
        'spec.containers: Forbidden: pod updates may not add or remove containers',
      ]);
      const fewer = structuredClone(old);
      (fewer.spec as Json).tolerations = [];
      expect(lines(validateObject('v1', 'Pod', fewer, old))).toEqual([
        'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
      ]);
    });

    it('only lets activeDeadlineSeconds shrink', () => {
      const old = stored();
      (old.spec as Json).activeDeadlineSeconds = 60;
      const next = structuredClone(old);
      (next.spec as Json).activeDeadlineSeconds = 120;
      expect(lines(validateObject('v1', 'Pod', next, old))).toEqual([
        'spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
      ]);
      (next.spec as Json).activeDeadlineSeconds = 30;
      expect(validateObject('v1', 'Pod', next, old)).toEqual([]);
    });
  });
});

const deployment = (spec: Json): Json => ({
  spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container()] } }, ...spec },
});

describe('apps/v1', () => {
  it('accepts a Deployment whose selector matches its template', () => {
    expect(check('apps/v1', 'Deployment', deployment({ selector: { matchLabels: { app: 'web' } } }))).toEqual(
      [],
    );
  });

  it('requires a selector, and a missing one matches no template', () => {
    expect(invalidMessage('Deployment.apps', 'x', check('apps/v1', 'Deployment', deployment({})))).toBe(
      'Deployment.apps "x" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`]',
    );
  });

  it('reports a selector that does not match the template labels', () => {
    expect(
      lines(check('apps/v1', 'Deployment', deployment({ selector: { matchLabels: { app: 'api' } } }))),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('refuses an empty selector, negative replicas and a non-Always restart policy', () => {
    expect(lines(check('apps/v1', 'Deployment', deployment({ selector: {}, replicas: -1 })))).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ]);
    const d = deployment({ selector: { matchLabels: { app: 'web' } } });
    ((d.spec as Json).template as Json).spec = { containers: [container()], restartPolicy: 'Never' };
    expect(lines(check('apps/v1', 'Deployment', d))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('reports template label problems under spec.template.labels, as upstream does', () => {
    const d = deployment({ selector: { matchLabels: { app: 'web' } } });
    ((d.spec as Json).template as Json).metadata = { labels: { app: 'web', bad: 'a b' } };
    expect(lines(check('apps/v1', 'Deployment', d))[0]).toMatch(
      /^spec\.template\.labels: Invalid value: "a b": a valid label must be/,
    );
  });

  it('refuses rollingUpdate on a Recreate Deployment and 0/0 rolling updates', () => {
    expect(
      lines(
        check(
          'apps/v1',
          'Deployment',
          deployment({
            selector: { matchLabels: { app: 'web' } },
            strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
          }),
        ),
      ),
    ).toEqual([
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]);
    expect(
      lines(
        check(
          'apps/v1',
          'Deployment',
          deployment({
            selector: { matchLabels: { app: 'web' } },
            strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
          }),
        ),
      ),
    ).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0',
    ]);
  });

  it('keeps the Deployment selector immutable', () => {
    const old = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', namespace: 'd', uid: 'u' },
      ...deployment({ selector: { matchLabels: { app: 'web' } } }),
    } as KubeObject;
    applyDefaults('apps/v1', 'Deployment', old);
    const next = structuredClone(old);
    (next.spec as Json).selector = { matchLabels: { app: 'web', tier: 'fe' } };
    ((next.spec as Json).template as Json).metadata = { labels: { app: 'web', tier: 'fe' } };
    expect(lines(validateObject('apps/v1', 'Deployment', next, old))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"fe"}}: field is immutable',
    ]);
  });

  it('ReplicaSet and DaemonSet selectors', () => {
    expect(
      lines(check('apps/v1', 'ReplicaSet', deployment({ selector: { matchLabels: { app: 'db' } } }))),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
    expect(check('apps/v1', 'DaemonSet', deployment({ selector: { matchLabels: { app: 'web' } } }))).toEqual(
      [],
    );
    expect(
      lines(
        check(
          'apps/v1',
          'DaemonSet',
          deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }),
        ),
      ),
    ).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  it('StatefulSet: a DNS label name, and most of spec fixed after creation', () => {
    expect(
      lines(
        check('apps/v1', 'StatefulSet', deployment({ selector: { matchLabels: { app: 'web' } } }), {
          name: 'db.main',
          namespace: 'd',
        }),
      ),
    ).toEqual(['metadata.name: Invalid value: "db.main": must not contain dots']);
    const old = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'd', uid: 'u' },
      ...deployment({ selector: { matchLabels: { app: 'web' } }, serviceName: 'db' }),
    } as KubeObject;
    applyDefaults('apps/v1', 'StatefulSet', old);
    const scaled = structuredClone(old);
    (scaled.spec as Json).replicas = 3;
    expect(validateObject('apps/v1', 'StatefulSet', scaled, old)).toEqual([]);
    const renamed = structuredClone(old);
    (renamed.spec as Json).serviceName = 'db2';
    expect(lines(validateObject('apps/v1', 'StatefulSet', renamed, old))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
});

describe('batch/v1', () => {
  const jobBody = (podSpec: Json = { restartPolicy: 'Never' }): Json => ({
    spec: { template: { spec: { containers: [container()], ...podSpec } } },
  });

  it('accepts a Job with a generated selector', () => {
    expect(check('batch/v1', 'Job', jobBody(), { name: 'pi', namespace: 'd' })).toEqual([]);
  });

  it('requires OnFailure or Never', () => {
    expect(lines(check('batch/v1', 'Job', jobBody({}), { name: 'pi', namespace: 'd' }))).toEqual([
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
  });

  it('requires a manual selector to match the template', () => {
    expect(
      lines(
        check('batch/v1', 'Job', {
          spec: {
            manualSelector: true,
            selector: { matchLabels: { a: 'b' } },
            template: {
              metadata: { labels: { a: 'c' } },
              spec: { restartPolicy: 'Never', containers: [container()] },
            },
          },
        }),
      ),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: {"a":"c"}: `selector` does not match template `labels`',
    ]);
  });

  it('keeps the template immutable', () => {
    const old = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'd' },
      ...jobBody(),
    } as KubeObject;
    applyDefaults('batch/v1', 'Job', old);
    const next = structuredClone(old);
    ((((next.spec as Json).template as Json).spec as Json).containers as Json[])[0]!.image = 'perl:2';
    const causes = lines(validateObject('batch/v1', 'Job', next, old));
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatch(/^spec\.template: Invalid value: \{.*\}: field is immutable$/);
  });

  it('CronJob: schedule and job template', () => {
    const cron = (schedule: string): Json => ({
      spec: {
        schedule,
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container()] } } },
        },
      },
    });
    expect(check('batch/v1', 'CronJob', cron('*/5 * * * *'))).toEqual([]);
    expect(check('batch/v1', 'CronJob', cron('@daily'))).toEqual([]);
    expect(lines(check('batch/v1', 'CronJob', cron('* * *')))).toEqual([
      'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
    ]);
    expect(
      lines(
        check('batch/v1', 'CronJob', {
          spec: {
            jobTemplate: {
              spec: { template: { spec: { restartPolicy: 'Never', containers: [container()] } } },
            },
          },
        }),
      ),
    ).toEqual(['spec.schedule: Required value']);
  });

  it.each([
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['@sometimes', 'unrecognized descriptor: @sometimes'],
    ['0 9 * jan-mar mon', undefined],
  ])('cron %j', (schedule, error) => {
    expect(cronScheduleError(schedule)).toBe(error);
  });
});

describe('other kinds', () => {
  it('Service ports', () => {
    expect(check('v1', 'Service', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } })).toEqual([]);
    expect(lines(check('v1', 'Service', { spec: { ports: [] } }))).toEqual(['spec.ports: Required value']);
    expect(
      lines(check('v1', 'Service', { spec: { ports: [{ port: 80 }, { port: 0, name: 'b' }] } })),
    ).toEqual([
      'spec.ports[0].name: Required value',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(lines(check('v1', 'Service', { spec: { type: 'Magic', ports: [{ port: 80 }] } }))).toEqual([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
  });

  it('Service clusterIP may not change', () => {
    const old = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'd', uid: 'u' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      },
    } as KubeObject;
    const next = structuredClone(old);
    (next.spec as Json).clusterIP = '10.96.0.11';
    expect(lines(validateObject('v1', 'Service', next, old))).toEqual([
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set',
    ]);
  });

  it('PodDisruptionBudget: not both minAvailable and maxUnavailable; percentages up to 100%', () => {
    expect(
      check('policy/v1', 'PodDisruptionBudget', {
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
      }),
    ).toEqual([]);
    expect(
      check('policy/v1', 'PodDisruptionBudget', { spec: { selector: { matchLabels: { app: 'web' } } } }),
    ).toEqual([]);
    expect(
      lines(check('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: 1, maxUnavailable: 1 } })),
    ).toEqual([
      'spec: Invalid value: {"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set',
    ]);
    expect(lines(check('policy/v1', 'PodDisruptionBudget', { spec: { maxUnavailable: '120%' } }))).toEqual([
      'spec.maxUnavailable: Invalid value: 120%: must not be greater than 100%',
    ]);
  });

  it('HorizontalPodAutoscaler bounds and target', () => {
    expect(
      lines(
        check('autoscaling/v2', 'HorizontalPodAutoscaler', {
          spec: { minReplicas: 3, maxReplicas: 2, scaleTargetRef: { kind: 'Deployment', name: '' } },
        }),
      ),
    ).toEqual([
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
      'spec.scaleTargetRef.name: Required value',
    ]);
  });

  it('Secret and ConfigMap keys, types and immutability', () => {
    expect(lines(check('v1', 'Secret', { data: { 'a b': 'eA==' } }))).toEqual([
      "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(lines(check('v1', 'Secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }))).toEqual([
      'data[tls.key]: Required value',
    ]);
    const old = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'd', uid: 'u' },
      immutable: true,
      data: { a: '1' },
    } as KubeObject;
    const next = { ...old, data: { a: '2' } } as KubeObject;
    expect(lines(validateObject('v1', 'ConfigMap', next, old))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  it('Node taints', () => {
    expect(
      lines(check('v1', 'Node', { spec: { taints: [{ key: 'k', effect: 'NoWay' }] } }, { name: 'n' })),
    ).toEqual([
      'spec.taints[0].effect: Unsupported value: "NoWay": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });
});
