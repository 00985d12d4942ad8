import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/object.ts';
import {
  labelSelectorFromSet,
  labelSelectorFromSpec,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../../src/sim/store/selectors.ts';

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return (e as Error).message;
  }
  throw new Error('expected a SelectorError');
};

const VALUE_REGEX_TAIL =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector (labels.Parse)', () => {
  it.each([
    ['', {}, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (db,cache)', { tier: 'cache' }, true],
    ['tier in (db,cache)', {}, false],
    ['tier notin (db)', {}, true],
    ['tier notin (db)', { tier: 'db' }, false],
    ['app', { app: '' }, true],
    ['!app', { app: '' }, false],
    ['!app', {}, true],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas>2', { replicas: '2' }, false],
    ['replicas<2', { replicas: 'x' }, false],
    ['app=web, tier in (db), !canary', { app: 'web', tier: 'db' }, true],
    ['example.com/role=x', { 'example.com/role': 'x' }, true],
    ['key=', { key: '' }, true],
    // "in" and "notin" are plain values inside a value list and after an operator.
    ['in in (in)', { in: 'in' }, true],
  ])('%j matches %j: %s', (text, labels, expected) => {
    expect(parseLabelSelector(text).matches(labels)).toBe(expected);
  });

  it('treats undefined labels as an empty set', () => {
    expect(parseLabelSelector('!a').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a').matches(undefined)).toBe(false);
  });

  it('is empty only without requirements', () => {
    expect(parseLabelSelector('').empty).toBe(true);
    expect(parseLabelSelector('  \t').empty).toBe(true);
    expect(parseLabelSelector('a').empty).toBe(false);
  });

  it('reports the exact-match requirements an index can use', () => {
    expect(parseLabelSelector('b=2,a==1,c in (3),d in (4,5),e!=6,f').equalities()).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('prints requirements sorted by key with sorted, de-duplicated values', () => {
    expect(parseLabelSelector('z notin (),x in (foo,,baz),y').toString()).toBe(
      'x in (,baz,foo),y,z notin ()',
    );
    expect(parseLabelSelector('b>1,a<2,!c').toString()).toBe('a<2,b>1,!c');
  });

  it.each([
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    [
      'a>x',
      "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
    ['app=a@b', `unable to parse requirement: values[0][app]: Invalid value: "a@b": ${VALUE_REGEX_TAIL}`],
    ['a>-1', `unable to parse requirement: values[0][a]: Invalid value: "-1": ${VALUE_REGEX_TAIL}`],
    [
      'a_b/c=d',
      "unable to parse requirement: <nil>: Invalid value: \"a_b/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    [
      'a/b/c',
      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
  ])('refuses %j', (text, message) => {
    expect(errorOf(() => parseLabelSelector(text))).toBe(message);
  });

  it('refuses label values over 63 characters', () => {
    expect(errorOf(() => parseLabelSelector(`a=${'x'.repeat(64)}`))).toBe(
      `unable to parse requirement: values[0][a]: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
    );
  });
});

describe('labelSelectorFromSpec (metav1.LabelSelectorAsSelector)', () => {
  it('matches nothing for a nil selector and everything for {}', () => {
    expect(labelSelectorFromSpec(undefined).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorFromSpec(undefined).empty).toBe(false);
    expect(labelSelectorFromSpec({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromSpec({}).empty).toBe(true);
    expect(labelSelectorFromSpec({ matchLabels: {}, matchExpressions: [] }).matches(undefined)).toBe(true);
  });

  it('can give {} the policy/v1beta1 meaning (match nothing)', () => {
    expect(labelSelectorFromSpec({}, { emptyMatchesNothing: true }).matches({ a: 'b' })).toBe(false);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    const s = labelSelectorFromSpec({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'Exists' },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
      ],
    });
    expect(s.matches({ app: 'web', tier: 'fe', zone: 'a' })).toBe(true);
    expect(s.matches({ app: 'web', tier: 'fe', zone: 'a', env: 'prod' })).toBe(false);
    expect(s.matches({ app: 'web', tier: 'fe', zone: 'a', canary: 'y' })).toBe(false);
    expect(s.matches({ app: 'web', tier: 'fe' })).toBe(false);
    expect(s.equalities()).toEqual([['app', 'web']]);
  });

  it('refuses unknown operators and empty In values', () => {
    expect(
      errorOf(() =>
        labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
      ),
    ).toBe('"Gt" is not a valid label selector operator');
    expect(
      errorOf(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })),
    ).toBe("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
  });

  it('reads a Service selector map like SelectorFromSet', () => {
    expect(labelSelectorFromSet(undefined).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromSet({ app: 'web' }).matches({ app: 'web', x: 'y' })).toBe(true);
    expect(labelSelectorFromSet({ app: 'web' }).matches({ app: 'db' })).toBe(false);
  });
});

const pod = (over: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { nodeName: 'node-a', restartPolicy: 'Always', containers: [] },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], podIP: '10.0.0.7' },
  ...over,
});

const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

describe('parseFieldSelector (fields.ParseSelector + field label conversion)', () => {
  const podCtx = { apiVersion: 'v1', kind: 'Pod' };

  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name==web-1', true],
    ['metadata.name!=web-1', false],
    ['metadata.namespace=default,status.phase=Running', true],
    ['status.phase!=Running', false],
    ['spec.nodeName=', false],
    ['spec.nodeName=node-a', true],
    ['status.podIP=10.0.0.7', true],
    // Absent booleans read as Go's formatted false.
    ['spec.hostNetwork=false', true],
    ['spec.hostNetwork=true', false],
    ['status.nominatedNodeName=', true],
    // Old clients' spec.host is converted to spec.nodeName.
    ['spec.host=node-a', true],
    ['', true],
  ])('%j on a pod: %s', (text, expected) => {
    expect(parseFieldSelector(text, POD_FIELDS, podCtx).matches(pod())).toBe(expected);
  });

  it('unescapes \\, \\= and \\\\ in values', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', []);
    expect(s.requirements).toEqual([{ field: 'metadata.name', operator: '=', value: 'a,b=c\\d' }]);
    expect(s.equalities()).toEqual([['metadata.name', 'a,b=c\\d']]);
  });

  it('reads node and job fields the way their strategies format them', () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: {} };
    expect(parseFieldSelector('spec.unschedulable=false', ['spec.unschedulable']).matches(node)).toBe(true);
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: {} };
    expect(parseFieldSelector('status.successful=0', ['status.successful']).matches(job)).toBe(true);
  });

  it('is empty without terms and lists the = terms as equalities', () => {
    expect(parseFieldSelector('', []).empty).toBe(true);
    expect(parseFieldSelector(',', []).empty).toBe(true);
    expect(parseFieldSelector('metadata.name!=a,metadata.namespace=b', []).equalities()).toEqual([
      ['metadata.namespace', 'b'],
    ]);
  });

  it.each([
    ['a', "invalid selector: 'a'; can't understand 'a'"],
    ['metadata.name=a,b', "invalid selector: 'metadata.name=a,b'; can't understand 'b'"],
    ['metadata.name=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['metadata.name=a\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('refuses %j', (text, message) => {
    expect(errorOf(() => parseFieldSelector(text, []))).toBe(message);
  });

  it('words an unsupported field label as the kind does', () => {
    expect(errorOf(() => parseFieldSelector('spec.foo=1', POD_FIELDS, podCtx))).toBe(
      'field label not supported: spec.foo',
    );
    expect(errorOf(() => parseFieldSelector('spec.foo=1', []))).toBe('field label not supported: spec.foo');
    expect(
      errorOf(() =>
        parseFieldSelector('foo.bar=baz', [], { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }),
      ),
    ).toBe('"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(
      errorOf(() =>
        parseFieldSelector('status.failed=1', ['status.successful'], { apiVersion: 'batch/v1', kind: 'Job' }),
      ),
    ).toBe('field label "status.failed" not supported for batchv1.Job');
    // Node's and Namespace's conversion funcs accept metadata.name only.
    expect(
      errorOf(() => parseFieldSelector('metadata.namespace=x', [], { apiVersion: 'v1', kind: 'Node' })),
    ).toBe('field label not supported: metadata.namespace');
  });

  it('checks labels after parsing the whole selector, in sorted term order', () => {
    expect(errorOf(() => parseFieldSelector('z=1,a=1', []))).toBe('field label not supported: a');
    expect(errorOf(() => parseFieldSelector('z=1,broken', []))).toBe(
      "invalid selector: 'z=1,broken'; can't understand 'broken'",
    );
  });
});
