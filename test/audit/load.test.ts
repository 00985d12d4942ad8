/** Reading manifests: files, directories, multi-document YAML, Lists, JSON; and refusing bad or hostile input. */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { auditPaths } from '../../src/audit/index.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scars-audit-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n`;

async function inputError(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('reading manifests', () => {
  it('reads multi-document YAML, List items and JSON, recursively, skipping hidden folders and other files', async () => {
    write('tree/a.yaml', `${CM('a')}---\n# only a comment\n---\n${CM('b')}---\n`);
    write(
      'tree/nested/deeper/list.yml',
      `apiVersion: v1\nkind: List\nitems:\n  - ${CM('c').trim().split('\n').join('\n    ')}\n  - ${CM('d').trim().split('\n').join('\n    ')}\n`,
    );
    write(
      'tree/nested/e.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e' } }),
    );
    write('tree/.git/config.yaml', 'not: a manifest');
    write('tree/README.md', '# not yaml');
    const result = await auditPaths([join(dir, 'tree')], { cwd: dir });
    expect(result.files).toBe(3);
    expect(result.objects).toBe(5);
  });

  it('points findings inside a List item at the item’s own lines', async () => {
    const file = write(
      'list-finding.yaml',
      `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
        - name: c
          image: i
          resources: {requests: {cpu: 10m, memory: 10Mi}}
`,
    );
    const { findings } = await auditPaths([file], { cwd: dir });
    const f = findings.find((x) => x.ruleId === 'memory-limit-missing');
    expect(f).toMatchObject({ line: 11, column: 11, field: 'spec.containers[0].resources.limits.memory' });
  });

  it('reads stdin for -', async () => {
    const stdin = Readable.from([Buffer.from(CM('from-stdin'))]);
    const result = await auditPaths(['-'], { cwd: dir, stdin });
    expect(result).toMatchObject({ files: 1, objects: 1 });
  });

  it('reads YAML as kubectl does: YAML 1.1 merge keys', async () => {
    const file = write(
      'merge.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - &base
      name: a
      image: i
      resources: {requests: {cpu: 10m, memory: 10Mi}, limits: {memory: 10Mi}}
    - <<: *base
      name: b
`,
    );
    const { findings } = await auditPaths([file], { cwd: dir });
    expect(findings.filter((f) => f.ruleId.startsWith('memory') || f.ruleId === 'requests-missing')).toEqual(
      [],
    );
  });
});

describe('bad input is one InputError naming file and line', () => {
  it('a missing path', async () => {
    const err = await inputError(auditPaths(['nope/missing.yaml'], { cwd: dir }));
    expect(err.message).toBe('nope/missing.yaml: cannot read: no such file or directory');
  });

  it('invalid YAML, with its line', async () => {
    write('bad.yaml', `${CM('ok')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n`);
    const err = await inputError(auditPaths(['bad.yaml'], { cwd: dir }));
    expect(err.file).toBe('bad.yaml');
    expect(err.line).toBeGreaterThanOrEqual(7);
    expect(err.message).toMatch(/^bad\.yaml:\d+: not valid YAML: /);
  });

  it('a document that is not a manifest', async () => {
    write('values.yaml', `${CM('ok')}---\nreplicaCount: 2\nimage: nginx\n`);
    const err = await inputError(auditPaths(['values.yaml'], { cwd: dir }));
    expect(err.message).toBe(
      'values.yaml:5: not a Kubernetes manifest: apiVersion is missing or not a string',
    );
    write('scalar.yaml', 'just a string\n');
    expect((await inputError(auditPaths(['scalar.yaml'], { cwd: dir }))).message).toBe(
      'scalar.yaml:1: not a Kubernetes manifest: expected a mapping with apiVersion and kind, found the string "just a string"',
    );
  });

  it('a field of the wrong type, with the field and its line', async () => {
    write(
      'wrong-type.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      env: {A: b}\n`,
    );
    const err = await inputError(auditPaths(['wrong-type.yaml'], { cwd: dir }));
    expect(err.message).toBe(
      'wrong-type.yaml:7: Pod spec.containers[0].env: expected a list, found a mapping',
    );
  });

  it('a resource quantity the API server would reject', async () => {
    write(
      'bad-quantity.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      resources:\n        limits:\n          memory: 1gb\n`,
    );
    const err = await inputError(auditPaths(['bad-quantity.yaml'], { cwd: dir }));
    expect(err.message).toBe(
      'bad-quantity.yaml:9: Pod spec.containers[0].resources.limits.memory: not a Kubernetes quantity (e.g. 512Mi, 1Gi, 250m, 0.5)',
    );
  });

  it('a directory without manifests', async () => {
    mkdirSync(join(dir, 'empty'), { recursive: true });
    expect((await inputError(auditPaths(['empty'], { cwd: dir }))).message).toBe(
      'empty: no .yaml, .yml or .json files in this directory',
    );
  });
});

describe('hostile input is refused within a bound', () => {
  it('an alias bomb ("billion laughs")', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    write(
      'bomb.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`,
    );
    const started = performance.now();
    const err = await inputError(auditPaths(['bomb.yaml'], { cwd: dir }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.message).toMatch(
      /^bomb\.yaml:\d+: more than 100 alias expansions \(a YAML alias bomb\?\); refusing it$/,
    );
  });

  it('deep nesting', async () => {
    write(
      'deep.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    );
    const started = performance.now();
    const err = await inputError(auditPaths(['deep.yaml'], { cwd: dir }));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err.message).toMatch(
      /^deep\.yaml:4: (nested deeper than 100 levels|not valid YAML: nested too deeply)/,
    );
    write(
      'deep-ok.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: ${'['.repeat(150)}${']'.repeat(150)}\n`,
    );
    expect((await inputError(auditPaths(['deep-ok.yaml'], { cwd: dir }))).message).toMatch(
      /^deep-ok\.yaml:4: nested deeper than 100 levels; refusing it$/,
    );
  });

  it('a file over the size bound, before reading it', async () => {
    const file = write('huge.yaml', '');
    truncateSync(file, 9 * 1024 * 1024); // sparse: costs nothing to make
    const started = performance.now();
    const err = await inputError(auditPaths(['huge.yaml'], { cwd: dir }));
    expect(performance.now() - started).toBeLessThan(500);
    expect(err.message).toBe('huge.yaml: larger than 8 MiB (9 MiB); refusing to parse it');
  });

  it('stdin over the size bound, without buffering the rest', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(64 * 1024, 0x61));
      },
    });
    const err = await inputError(
      auditPaths(['-'], { cwd: dir, stdin: endless, limits: { maxFileBytes: 1024 * 1024 } }),
    );
    expect(err.message).toBe('<stdin>: larger than 1 MiB; refusing to parse it');
    expect(pulled).toBeLessThan(40);
  });
});
