/**
 * `scars cluster up|down|status` and `run --provider kind` through the CLI — the real binary in a
 * child process for the main paths, main() in-process for the rest — with recording stand-ins for kind, docker and kubectl alone on PATH. The kubeconfig the
 * stand-in kind prints points at a sim API server, so waiting for nodes Ready and `status` talk
 * to a real API.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimCluster, startSimCluster } from '../../src/sim/cluster.ts';
import { VERSION } from '../../src/version.ts';
import { cli, cliInProcess, REPO } from '../support/cli.ts';
import { kindKubeconfigFor, makeStandIns, type StandIns } from './stand-ins.ts';

const IMAGE_132 =
  'kindest/node:v1.32.5@sha256:e3b2327e3a5ab8c76f5ece68936e4cafaa82edf58486b769727ab0b3b97a5b0d';
const AGENT = `scars-agent:${VERSION}`;
const WORKERS = join(REPO, 'clusters/kind/workers.yaml');

let sim: SimCluster;
let kubeconfig: string;
let tools: StandIns;
let cwd: string;

beforeAll(async () => {
  sim = await startSimCluster({ nodes: 4 });
  kubeconfig = await kindKubeconfigFor(sim);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  tools = makeStandIns();
  tools.setState({ kubeconfig });
  cwd = mkdtempSync(join(tmpdir(), 'scars-kind-cwd-'));
});
afterEach(() => {
  tools.cleanup();
  rmSync(cwd, { recursive: true, force: true });
});

/** In-process (main() with the stand-ins' PATH): most tests; `scarsChild` runs bin/scars.js as users do. */
const scars = (args: string[], env: Record<string, string> = tools.env) => cliInProcess(args, { cwd, env });
const scarsChild = (args: string[], env: Record<string, string> = tools.env) => cli(args, { cwd, env });

describe('scars cluster (stand-in kind, docker and kubectl on PATH)', () => {
  it('up creates with --name, --config and the --image of --k8s-version, waits for Ready nodes, builds and loads the agent image', async () => {
    const r = await scarsChild(['cluster', 'up', '--k8s-version', '1.32']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(tools.lines('kind')).toEqual([
      'version',
      'get clusters',
      `create cluster --name scars --config ${WORKERS} --image ${IMAGE_132}`,
      'get kubeconfig --name scars',
      `load docker-image ${AGENT} --name scars`,
    ]);
    expect(tools.lines('docker')).toEqual([
      'info',
      `image inspect --format {{.Id}} ${AGENT}`,
      'info',
      `build -f images/agent/Dockerfile -t ${AGENT} .`,
    ]);
    // Built from the repository root, whatever the working directory.
    expect(tools.calls().find((c) => c.argv[0] === 'build')?.cwd).toBe(REPO.replace(/\/$/, ''));
    expect(tools.lines('kubectl')).toEqual([]);
    // kind's own progress reaches the user on stderr; the result on stdout.
    expect(r.stderr).toContain('scars: kind: Creating cluster "scars" ...');
    expect(r.stderr).toMatch(/scars: kind: 4\/4 node\(s\) Ready after/);
    expect(r.stdout).toContain('kind cluster "scars" is up: 4/4 node(s) Ready');
    expect(r.stdout).toContain('kubeconfig: .scars/kind/scars.kubeconfig (context kind-scars)');
    const written = readFileSync(join(cwd, '.scars/kind/scars.kubeconfig'), 'utf8');
    expect(written).toContain(`server: ${sim.url}`);
    expect(tools.state().clusters).toEqual(['scars']);
  });

  it('up skips the build when docker image inspect finds the agent image, and applies --addons with kubectl', async () => {
    tools.setState({ images: [AGENT] });
    const r = await scars([
      'cluster',
      'up',
      '--name',
      'lab',
      '--config',
      join(REPO, 'clusters/kind/single.yaml'),
      '--addons',
      'nodelocaldns',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(tools.lines('docker')).toEqual(['info', `image inspect --format {{.Id}} ${AGENT}`]);
    expect(tools.lines('kind')).toContain(
      `create cluster --name lab --config ${join(REPO, 'clusters/kind/single.yaml')}`,
    );
    expect(tools.lines('kubectl')).toEqual([
      'version --client',
      `--kubeconfig ${join(cwd, '.scars/kind/lab.kubeconfig')} --context kind-lab apply --server-side --force-conflicts -f ${join(REPO, 'clusters/addons/nodelocaldns.yaml')}`,
    ]);
  });

  it('up --reuse adopts an existing cluster without creating one; without --reuse it is exit 3', async () => {
    tools.setState({ clusters: ['scars'], images: [AGENT] });
    const refused = await scars(['cluster', 'up']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('a kind cluster named "scars" already exists: pass --reuse');
    expect(tools.lines('kind').some((l) => l.startsWith('create'))).toBe(false);

    const r = await scars(['cluster', 'up', '--reuse']);
    expect(r.code, r.stderr).toBe(0);
    expect(tools.lines('kind').some((l) => l.startsWith('create'))).toBe(false);
    expect(tools.lines('kind')).toContain(`load docker-image ${AGENT} --name scars`);
    expect(r.stdout).toContain('kind cluster "scars" is adopted');
  });

  it('a failed create deletes the half-made cluster; with --retain it keeps it', async () => {
    tools.setState({ failCreate: true });
    const r = await scars(['cluster', 'up']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('failed to init node with kubeadm');
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^scars: `kind create cluster --name scars .*` failed \(exit 1\): ERROR: failed to create cluster/,
    );
    expect(tools.lines('kind').at(-1)).toBe('delete cluster --name scars');
    expect(existsSync(join(cwd, '.scars/kind/scars.kubeconfig'))).toBe(false);

    const kept = makeStandIns();
    try {
      kept.setState({ failCreate: true, kubeconfig });
      const retained = await scars(['cluster', 'up', '--retain'], kept.env);
      expect(retained.code).toBe(3);
      expect(kept.lines('kind')).toContain(`create cluster --name scars --config ${WORKERS} --retain`);
      expect(kept.lines('kind').some((l) => l.startsWith('delete'))).toBe(false);
      expect(kept.state().clusters).toEqual(['scars']);
      expect(retained.stderr).toContain('keeping the failed cluster "scars" (--retain)');
    } finally {
      kept.cleanup();
    }
  });

  it('nodes that never all register Ready within --wait: exit 3 and the created cluster is deleted', async () => {
    // Two of the four nodes workers.yaml asks for: the workers never joined.
    const empty = await startSimCluster({ nodes: 2 });
    try {
      tools.setState({ kubeconfig: await kindKubeconfigFor(empty), images: [AGENT] });
      const r = await scars(['cluster', 'up', '--wait', '3s']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('scars: kind: waiting for nodes: 2/4 node(s) Ready');
      expect(r.stderr).toContain('scars: nodes not Ready within 3s (2/4 node(s) Ready)');
      expect(tools.lines('kind').at(-1)).toBe('delete cluster --name scars');
      expect(tools.lines('kind').some((l) => l.startsWith('load'))).toBe(false);
      expect(tools.state().clusters).toEqual([]);
    } finally {
      await empty.stop();
    }
  });

  it('down deletes the cluster and its kubeconfig; a second down has nothing to delete', async () => {
    tools.setState({ clusters: ['scars', 'other'] });
    mkdirSync(join(cwd, '.scars/kind'), { recursive: true });
    writeFileSync(join(cwd, '.scars/kind/scars.kubeconfig'), kubeconfig);
    const r = await scars(['cluster', 'down']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('kind cluster "scars" deleted\n');
    expect(tools.lines('kind')).toEqual(['get clusters', 'delete cluster --name scars']);
    expect(tools.state().clusters).toEqual(['other']);
    expect(existsSync(join(cwd, '.scars/kind/scars.kubeconfig'))).toBe(false);

    const again = await scars(['cluster', 'down']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('no kind cluster named "scars": nothing to delete\n');
    expect(tools.lines('kind').filter((l) => l.startsWith('delete'))).toHaveLength(1);
  });

  it('status prints nodes, version and addons from the API; a missing cluster is exit 3', async () => {
    tools.setState({ clusters: ['scars'] });
    const r = await scars(['cluster', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cluster {5}scars \(context kind-scars, https:\/\/127\.0\.0\.1:\d+\)$/m);
    expect(r.stdout).toContain('kind        v0.29.0');
    expect(r.stdout).toMatch(/^kubernetes {2}v1\.\d+\.\d+/m);
    expect(r.stdout).toContain('nodes       4/4 Ready');
    expect(r.stdout).toMatch(/^ {2}scars-control-plane +control-plane +Ready /m);
    expect(r.stdout).toMatch(/^addons {6}/m);
    expect(r.stdout).toContain(`agent       ${AGENT} on `);

    const missing = await scars(['cluster', 'status', '--name', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no kind cluster named "nope" (kind clusters: scars)');
  });

  it('missing kind, docker or kubectl: exit 3 naming what to install', async () => {
    const noKind = makeStandIns(['docker', 'kubectl']);
    const noDocker = makeStandIns(['kind', 'kubectl']);
    const noKubectl = makeStandIns(['kind', 'docker']);
    try {
      for (const t of [noKind, noDocker, noKubectl]) t.setState({ kubeconfig });
      const a = await scarsChild(['cluster', 'up'], noKind.env);
      expect(a.code).toBe(3);
      expect(a.stderr).toBe(
        'scars: kind is not on PATH: install kind (v0.24.0 or later): https://kind.sigs.k8s.io/docs/user/quick-start/#installation\n',
      );
      const b = await scars(['cluster', 'up'], noDocker.env);
      expect(b.code).toBe(3);
      expect(b.stderr).toContain(
        'scars: docker is not on PATH: install Docker and start its engine: https://docs.docker.com/engine/install/',
      );
      expect(noDocker.lines('kind').some((l) => l.startsWith('create'))).toBe(false);
      const c = await scars(['cluster', 'up', '--addons', 'nodelocaldns'], noKubectl.env);
      expect(c.code).toBe(3);
      expect(c.stderr).toContain(
        'scars: kubectl is not on PATH: install kubectl: https://kubernetes.io/docs/tasks/tools/',
      );
      expect(noKubectl.lines('kind').some((l) => l.startsWith('create'))).toBe(false);
    } finally {
      for (const t of [noKind, noDocker, noKubectl]) t.cleanup();
    }
  });

  it('no Docker engine: exit 3 before kind create', async () => {
    tools.setState({ dockerEngine: false });
    const r = await scars(['cluster', 'up']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'kind needs a running Docker engine (`docker info` failed: Cannot connect to the Docker daemon',
    );
    expect(tools.lines('kind').some((l) => l.startsWith('create'))).toBe(false);
  });

  it.each([
    ['broken.yaml', 'kind: Cluster\nnodes: [\n', /^scars: broken\.yaml:3: not valid YAML: /],
    [
      'wrong-kind.yaml',
      'kind: Pod\napiVersion: kind.x-k8s.io/v1alpha4\n',
      /^scars: wrong-kind\.yaml:1: kind: expected "Cluster"$/,
    ],
    [
      'old-api.yaml',
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n',
      /^scars: old-api\.yaml:2: apiVersion: expected "kind\.x-k8s\.io\/v1alpha4"$/,
    ],
    [
      'bad-role.yaml',
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n  - role: master\n',
      /^scars: bad-role\.yaml:5: nodes\.1\.role: expected control-plane or worker$/,
    ],
  ])(
    'a bad --config (%s) is exit 2 with file, line and field, before any tool runs',
    async (file, text, expected) => {
      writeFileSync(join(cwd, file), text);
      const r = await scars(['cluster', 'up', '--config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(expected);
      expect(tools.calls()).toEqual([]);
    },
  );

  it('an unknown --k8s-version is exit 2 listing the known versions', async () => {
    const r = await scars(['cluster', 'up', '--k8s-version', '1.26']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'scars: --k8s-version: no kind node image for Kubernetes 1.26 in clusters/kind/node-images.yaml; known: 1.33, 1.32, 1.31, 1.30, 1.29, 1.28, 1.27',
    );
    const malformed = await scars(['cluster', 'up', '--k8s-version', 'latest']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      '--k8s-version: expected a Kubernetes minor version such as 1.32, got "latest"',
    );
    expect(tools.calls()).toEqual([]);
  });

  it('run --provider kind creates the cluster, journals its kubeconfig, runs against it and deletes it at the end', async () => {
    tools.setState({ images: [AGENT] });
    writeFileSync(
      join(cwd, 'scars.config.yaml'),
      `scenarioDirs: [${JSON.stringify(join(REPO, 'scenarios'))}]\n`,
    );
    const out = join(cwd, 'out');
    const r = await scarsChild([
      'run',
      'oom-limits',
      '--provider',
      'kind',
      '--reporter',
      'json',
      '--out',
      out,
    ]);
    expect(tools.lines('kind')).toEqual([
      'version',
      'get clusters',
      `create cluster --name scars --config ${WORKERS}`,
      'get kubeconfig --name scars',
      `load docker-image ${AGENT} --name scars`,
      'get clusters',
      'delete cluster --name scars',
    ]);
    expect(tools.state().clusters).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      runId: string;
      provider: string;
      scenarios: { verdict: string; reason?: string }[];
    };
    expect(report.provider).toBe('kind');
    // The sim's nodes do not list images a real kind node lists after `kind load`, so the
    // scenario stops at its agent-image preflight: an error verdict, never a pass.
    expect(report.scenarios.map((x) => x.verdict)).toEqual(['error']);
    expect(r.code).toBe(3);
    const journal = readFileSync(join(cwd, '.scars/journal', `${report.runId}.jsonl`), 'utf8');
    expect(journal).toContain(
      JSON.stringify({
        type: 'cluster',
        cluster: {
          provider: 'kind',
          name: 'scars',
          inProcess: false,
          kubeconfigPath: join(cwd, '.scars/kind/scars.kubeconfig'),
          context: 'kind-scars',
          server: sim.url,
        },
      }),
    );
  });

  it('run --provider kind --suite smoke --dry-run plans without touching kind', async () => {
    const r = await cli(['run', '--provider', 'kind', '--suite', 'smoke', '--dry-run'], { env: tools.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('provider: kind (not contacted)');
    expect(r.stdout).toContain('imds-block');
    expect(tools.calls()).toEqual([]);
  });
});
