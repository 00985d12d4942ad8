/**
 * Bad input, fuzzed with fast-check (fixed seed; counts printed at the end): scars.config.yaml,
 * scenario files, kind configs, CLI flags of every command and manifests for `scars audit`. Each
 * case runs the CLI (main() in-process: the same parser, handlers and exit codes as the binary;
 * the real binary takes a sample in cli-sample.test.ts) and must end with exit 0, 1 or 2 (3 only
 * where a missing tool is the documented answer), one `scars: …` line for an error, no stack
 * trace, and no change to the cluster the project points at.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess, REPO } from '../support/cli.ts';
import { contextProject, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { makeStandIns } from '../kind/stand-ins.ts';
import { expectAnswered, SEED, summary } from './support.ts';

let tc: TestCluster;
let before: string;
let scratch: string;
/** Process warnings (a library printing to stderr by itself) would be a second line in a real run. */
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
beforeAll(async () => {
  process.on('warning', onWarning);
  tc = await startTestCluster();
  before = tc.server.snapshot();
  scratch = mkdtempSync(join(tmpdir(), 'scars-fuzz-'));
});
afterAll(async () => {
  process.off('warning', onWarning);
  expect(warnings.filter((w) => w.startsWith('YAMLWarning'))).toEqual([]);
  // No fuzz case may have changed the cluster the projects point at.
  expect(tc.server.snapshot()).toEqual(before);
  await tc.close();
  rmSync(scratch, { recursive: true, force: true });
  console.log(`fuzz cases (seed ${SEED}): ${summary()}`);
});

let serial = 0;
const fresh = (prefix: string) => {
  const dir = join(scratch, `${prefix}-${++serial}`);
  mkdirSync(dir);
  return dir;
};

/** Values of every shape YAML and JSON can carry, small. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);
const duration = fc.constantFrom('5s', '100ms', '1m', '2h', '0s', '-1s', '5', '5 s', '1x', '', '1e9h');
/** Paths are taken from a fixed pool: a fuzzed path must not point scars at the machine's files. */
const path = fc.constantFrom('scenarios', 'nope', 'reports', '.scars/journal', 'a b', '', 'x.yaml');
const orAny = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anyValue });

describe('scars.config.yaml', () => {
  const config = fc.record(
    {
      provider: orAny(fc.constantFrom('sim', 'kind', 'context', 'kube', 'SIM')),
      scenarioDirs: orAny(fc.array(path, { maxLength: 2 })),
      defaultSuite: orAny(fc.constantFrom('default', 'nightly', 'Nope', '', 'a_b')),
      suites: orAny(
        fc.dictionary(fc.constantFrom('mine', 'Bad Name', ''), fc.array(fc.string({ maxLength: 8 }))),
      ),
      reporters: orAny(
        fc.array(fc.constantFrom('console', 'json', 'junit', 'html', 'xml', ''), { maxLength: 4 }),
      ),
      out: orAny(path),
      journalDir: orAny(path),
      allowContexts: orAny(fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 })),
      timeouts: orAny(fc.dictionary(fc.constantFrom('hold', 'inject', 'revert', 'nope'), orAny(duration))),
      load: orAny(fc.constantFrom('auto', 'k6', 'builtin', 'jmeter')),
      sim: orAny(
        fc.record(
          {
            timeScale: orAny(fc.oneof(fc.double({ min: -10, max: 20_000 }), fc.integer())),
            topology: orAny(fc.constantFrom('default', 'memory-pressure', 'large', 'nope')),
            nodes: anyValue,
          },
          { requiredKeys: [] },
        ),
      ),
      agent: orAny(
        fc.record({ image: orAny(fc.constantFrom('scars-agent:1', 'ghcr.io/x/scars-agent', 'nginx')) }),
      ),
      bogus: anyValue,
    },
    { requiredKeys: [] },
  );
  const text = fc.oneof(
    { weight: 4, arbitrary: config.map((c) => stringify(c)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('[', 'a: [1', ': :', '- a\n- b', 'provider: !!binary xx', '\t- x'),
    },
  );

  it('list with a fuzzed config: exit 0 or 2, one line', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (yaml) => {
        const dir = fresh('cfg');
        writeFileSync(join(dir, 'scars.config.yaml'), yaml);
        mkdirSync(join(dir, 'scenarios'));
        const r = await cliInProcess(['list'], { cwd: dir });
        expectAnswered(r, [0, 2], `config:\n${yaml}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  }, 120_000);
});

describe('scenario files', () => {
  const field = fc.constantFrom(
    'name',
    'description',
    'workloads',
    'mitigation',
    'fault',
    'expect',
    'hold',
    'settle',
    'timeouts',
    'namespaces',
    'nodes',
    'control',
    'suites',
    'tags',
    'hooks',
    'observers',
    'runbook',
    'bogus',
  );
  const value = fc.oneof(anyValue, duration, fc.constantFrom('any', 'kube-system', 'Bad_Name', 'web-1'));
  /** A built-in scenario with one field replaced, or a scenario object made of JSON alone. */
  const source = fc.oneof(
    fc
      .tuple(field, value)
      .map(
        ([k, v]) =>
          `import base from '${REPO}/scenarios/pod-kill-availability.ts';\nimport { defineScenario } from '${REPO}/src/index.ts';\nexport default defineScenario({ ...base, ${JSON.stringify(k)}: ${JSON.stringify(v) ?? 'undefined'} });\n`,
      ),
    fc
      .dictionary(field, value, { maxKeys: 6 })
      .map(
        (o) =>
          `import { defineScenario } from '${REPO}/src/index.ts';\nexport default defineScenario(${JSON.stringify(o)});\n`,
      ),
    anyValue.map((v) => `export default ${JSON.stringify(v) ?? 'undefined'};\n`),
    fc.constant('export const notDefault = 1;\n'),
  );

  it('validate a fuzzed scenario file: exit 0 or 2, one line naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(source, async (code) => {
        const dir = fresh('scn');
        const file = join(dir, 'fuzzed.ts');
        writeFileSync(file, code);
        const r = await cliInProcess(['validate', file], { cwd: dir });
        expectAnswered(r, [0, 2], `scenario:\n${code}`);
        if (r.code === 2) expect(r.stderr).toContain('fuzzed.ts');
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);
});

describe('kind configs (stand-in kind, docker and kubectl on PATH; the Docker engine is down)', () => {
  const node = fc.record(
    {
      role: orAny(fc.constantFrom('control-plane', 'worker', 'master')),
      image: orAny(fc.constantFrom('kindest/node:v1.32.0', 'nginx')),
      labels: orAny(fc.dictionary(fc.constantFrom('a', 'tier'), fc.string({ maxLength: 5 }))),
      kubeadmConfigPatches: orAny(fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 })),
      extraPortMappings: anyValue,
    },
    { requiredKeys: [] },
  );
  const kindConfig = fc.record(
    {
      kind: orAny(fc.constantFrom('Cluster', 'Pod')),
      apiVersion: orAny(fc.constantFrom('kind.x-k8s.io/v1alpha4', 'v1')),
      name: orAny(fc.constantFrom('scars', 'Bad Name')),
      nodes: orAny(fc.array(node, { maxLength: 4 })),
      networking: orAny(
        fc.record(
          { disableDefaultCNI: orAny(fc.boolean()), podSubnet: orAny(fc.string()) },
          { requiredKeys: [] },
        ),
      ),
      featureGates: anyValue,
    },
    { requiredKeys: [] },
  );
  const text = fc.oneof(
    { weight: 4, arbitrary: kindConfig.map((c) => stringify(c)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

  it('cluster up --config with a fuzzed kind config: exit 2 (bad config) or 3 (no engine), one line, kind never creates', async () => {
    const tools = makeStandIns();
    tools.setState({ dockerEngine: false });
    try {
      await fc.assert(
        fc.asyncProperty(text, async (yaml) => {
          const dir = fresh('kind');
          writeFileSync(join(dir, 'kind.yaml'), yaml);
          const r = await cliInProcess(['cluster', 'up', '--config', 'kind.yaml'], {
            cwd: dir,
            env: tools.env,
          });
          expectAnswered(r, [2, 3], `kind config: \n${yaml}`);
          expect(tools.lines('kind').filter((l) => l.startsWith('create'))).toEqual([]);
        }),
        { seed: SEED, numRuns: 150 },
      );
    } finally {
      tools.cleanup();
    }
  }, 120_000);
});

describe('CLI flags of every command', () => {
  const values = fc.oneof(
    fc.constantFrom(
      '',
      '0',
      '-1',
      '1e309',
      'NaN',
      'abc',
      'sim',
      'kind',
      'context',
      'json',
      'console,xml',
      'html',
    ),
    fc.constantFrom(
      '1.31',
      '1.99',
      'nightly',
      'fixture-web',
      'md',
      'sarif',
      'warning',
      '5',
      '65536',
      'x.yaml',
    ),
    fc.string({ maxLength: 10 }),
  );
  const flags = fc.constantFrom(
    '--suite',
    '--provider',
    '--reporter',
    '--control',
    '--step',
    '--kubeconfig',
    '--context',
    '--topology',
    '--time-scale',
    '--load',
    '--baseline',
    '--yes',
    '--format',
    '--fail-on',
    '--cert-days',
    '--from',
    '--to',
    '--manifests',
    '--run',
    '--all',
    '--json',
    '--config',
    '--nodes',
    '--bogus',
    '-x',
  );
  const command = fc.constantFrom(
    ['run'],
    ['list'],
    ['validate'],
    ['audit'],
    ['runbook'],
    ['report'],
    ['upgrade-check'],
    ['cleanup'],
    ['nonsense'],
    [],
  );
  const positional = fc.constantFrom('fixture-web', 'nope', 'x.yaml', 'scenarios', '1.32');
  const argv = fc
    .tuple(
      command,
      fc.array(positional, { maxLength: 2 }),
      fc.array(fc.tuple(flags, fc.option(values, { nil: undefined })), { maxLength: 4 }),
    )
    .map(([cmd, pos, fl]) => {
      const args = [...cmd, ...pos, ...fl.flatMap(([f, v]) => (v === undefined ? [f] : [f, v]))];
      // Commands that would do real work with valid flags stay on their no-cluster path.
      if (cmd[0] === 'run') args.push('--dry-run');
      if (cmd[0] === 'upgrade-check') args.push('--scan-only');
      return args;
    });

  it('fuzzed argv: exit 0, 1 or 2, one line, no journal, cluster unchanged', async () => {
    const project = contextProject(tc, ['reporters: [console]']);
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const r = await cliInProcess(args, { cwd: project });
        expectAnswered(r, [0, 1, 2], `cli flags: ${JSON.stringify(args)}`);
      }),
      { seed: SEED, numRuns: 400 },
    );
    const journals = join(project, '.scars', 'journal');
    expect(readdirSyncSafe(journals)).toEqual([]);
  }, 120_000);
});

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('manifests for scars audit', () => {
  const deployment = (patch: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.27', resources: { limits: { memory: '128Mi' } }, ...patch },
          ],
          ...patch,
        },
      },
      ...patch,
    },
  });
  const fieldName = fc.constantFrom(
    'replicas',
    'resources',
    'livenessProbe',
    'readinessProbe',
    'dnsConfig',
    'selector',
    'template',
    'containers',
    'hostNetwork',
    'automountServiceAccountToken',
  );
  const doc = fc.oneof(
    fc.dictionary(fieldName, anyValue, { maxKeys: 3 }).map((p) => stringify(deployment(p))),
    fc
      .record(
        {
          apiVersion: orAny(fc.constantFrom('v1', 'policy/v1', 'apps/v1')),
          kind: orAny(fc.constantFrom('Pod', 'PodDisruptionBudget', 'Secret', 'NetworkPolicy')),
          metadata: orAny(fc.record({ name: orAny(fc.constant('x')) })),
          spec: anyValue,
          data: anyValue,
        },
        { requiredKeys: [] },
      )
      .map((o) => stringify(o)),
    fc.string({ maxLength: 80 }),
  );
  const file = fc.array(doc, { minLength: 1, maxLength: 3 }).map((docs) => docs.join('\n---\n'));

  it('audit a fuzzed manifest file: exit 0, 1 or 2, one line for a bad file', async () => {
    await fc.assert(
      fc.asyncProperty(file, async (text) => {
        const dir = fresh('audit');
        writeFileSync(join(dir, 'm.yaml'), text);
        const r = await cliInProcess(['audit', 'm.yaml', '--format', 'json'], { cwd: dir });
        expectAnswered(r, [0, 1, 2], `manifest:\n${text}`);
      }),
      { seed: SEED, numRuns: 400 },
    );
  }, 120_000);
});
