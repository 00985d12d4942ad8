/**
 * Recording stand-ins for `kind`, `docker` and `kubectl`: small node programs put alone on PATH
 * (no system directories, so a real kind or docker is never reached). Each appends its argv as
 * one JSON line to a log, checks its arguments the way the real tool would, keeps the tool's
 * state (clusters, images) in a JSON file, and prints the real tool's output formats: kind's
 * progress on stderr, `kind get clusters` lines, the kubeconfig from `kind get kubeconfig`
 * (pointed at a sim API server), docker's errors, kubectl's apply lines.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { SimCluster } from '../../src/sim/cluster.ts';
import { issueLeaf } from '../support/certs.ts';

export interface StandInState {
  clusters: string[];
  images: string[];
  /** `kind get kubeconfig` output, `__NAME__` standing for the cluster name. */
  kubeconfig: string;
  /** `kind create cluster` fails at kubeadm init (after the node containers exist). */
  failCreate?: boolean;
  /** `docker build` fails in its RUN npm ci step. */
  failBuild?: boolean;
  /** `docker info` reaches an engine. */
  dockerEngine: boolean;
  kindVersion?: string;
}

export interface Call {
  tool: 'kind' | 'docker' | 'kubectl';
  argv: string[];
  cwd: string;
}

export interface StandIns {
  /** The only directory on PATH. */
  bin: string;
  dir: string;
  env: Record<string, string>;
  calls(): Call[];
  /** The argv of each call of one tool, joined with spaces. */
  lines(tool: Call['tool']): string[];
  state(): StandInState;
  setState(patch: Partial<StandInState>): void;
  cleanup(): void;
}

const COMMON = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const argv = process.argv.slice(2);
const STATE = process.env.STANDIN_STATE;
const state = JSON.parse(fs.readFileSync(STATE, 'utf8'));
const save = () => fs.writeFileSync(STATE, JSON.stringify(state));
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify({ tool: TOOL, argv, cwd: process.cwd() }) + '\n');
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const die = (msg, code = 1) => { process.stderr.write(msg + '\n'); process.exit(code); };
`;

const KIND = String.raw`
const TOOL = 'kind';
${COMMON}
const [a, b] = argv;
if (a === 'version') { process.stdout.write((state.kindVersion || 'kind v0.29.0 go1.24.2 linux/amd64') + '\n'); process.exit(0); }
if (a === 'get' && b === 'clusters') {
  if (state.clusters.length === 0) process.stderr.write('No kind clusters found.\n');
  else process.stdout.write(state.clusters.join('\n') + '\n');
  process.exit(0);
}
const name = flag('--name') || 'kind';
if (a === 'create' && b === 'cluster') {
  const config = flag('--config');
  if (config !== undefined) {
    if (!path.isAbsolute(config) && !fs.existsSync(config)) die('ERROR: failed to create cluster: error reading file: open ' + config + ': no such file or directory');
    const text = fs.readFileSync(config, 'utf8');
    if (!/^kind: Cluster$/m.test(text) || !/^apiVersion: kind\.x-k8s\.io\/v1alpha4$/m.test(text)) die('ERROR: failed to create cluster: unknown apiVersion');
  }
  const image = flag('--image');
  if (image !== undefined && !/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/.test(image)) die('ERROR: stand-in: unexpected --image ' + image);
  if (state.clusters.includes(name)) die('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "' + name + '"');
  process.stderr.write('Creating cluster "' + name + '" ...\n');
  process.stderr.write(' ✓ Ensuring node image (' + (image ? image.split('@')[0] : 'kindest/node:v1.33.1') + ') 🖼\n');
  process.stderr.write(' ✓ Preparing nodes 📦 📦 📦 📦  \n');
  process.stderr.write(' ✓ Writing configuration 📜 \n');
  if (state.failCreate) {
    process.stderr.write(' ✗ Starting control-plane 🕹️\n');
    if (argv.includes('--retain')) { state.clusters.push(name); save(); }
    die('ERROR: failed to create cluster: failed to init node with kubeadm: command "docker exec --privileged ' + name + '-control-plane kubeadm init --config=/kind/kubeadm.conf --skip-token-print --v=6" failed with error: exit status 1');
  }
  process.stderr.write(' ✓ Starting control-plane 🕹️ \n ✓ Installing CNI 🔌 \n ✓ Installing StorageClass 💾 \n ✓ Joining worker nodes 🚜 \n');
  process.stderr.write('Set kubectl context to "kind-' + name + '"\nYou can now use your cluster with:\n\nkubectl cluster-info --context kind-' + name + '\n\nHave a nice day! 👋\n');
  state.clusters.push(name); save();
  process.exit(0);
}
if (a === 'get' && b === 'kubeconfig') {
  if (!state.clusters.includes(name)) die("ERROR: could not locate any control plane nodes for cluster named '" + name + "'. Use the --name option to select a different cluster");
  process.stdout.write(state.kubeconfig.replaceAll('__NAME__', name));
  process.exit(0);
}
if (a === 'delete' && b === 'cluster') {
  process.stderr.write('Deleting cluster "' + name + '" ...\n');
  if (state.clusters.includes(name)) {
    process.stderr.write('Deleted nodes: ["' + name + '-control-plane"]\n');
    state.clusters = state.clusters.filter((c) => c !== name); save();
  }
  process.exit(0);
}
if (a === 'load' && b === 'docker-image') {
  const image = argv[2];
  if (!state.clusters.includes(name)) die("ERROR: no nodes found for cluster \"" + name + "\"");
  if (!state.images.includes(image)) die('ERROR: image: "' + image + '" not present locally');
  process.stderr.write('Image: "' + image + '" with ID "sha256:4f0c9a7e" not yet present on node "' + name + '-control-plane", loading...\n');
  process.exit(0);
}
die('ERROR: unknown command "' + argv.join(' ') + '" for "kind"');
`;

const DOCKER = String.raw`
const TOOL = 'docker';
${COMMON}
if (argv[0] === 'info') {
  if (!state.dockerEngine) die('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  process.stdout.write('Client:\n Version:    28.2.2\n Context:    default\n\nServer:\n Containers: 4\n Server Version: 28.2.2\n');
  process.exit(0);
}
if (argv[0] === 'image' && argv[1] === 'inspect') {
  const image = argv[argv.length - 1];
  if (!state.images.includes(image)) die('Error response from daemon: No such image: ' + image);
  process.stdout.write('sha256:4f0c9a7e1b2c\n');
  process.exit(0);
}
if (argv[0] === 'build') {
  const file = flag('-f'); const tag = flag('-t');
  if (argv[argv.length - 1] !== '.') die('ERROR: stand-in: expected the build context "."');
  if (!fs.existsSync(path.join(process.cwd(), file))) die('ERROR: failed to read dockerfile: open ' + file + ': no such file or directory');
  process.stderr.write('#0 building with "default" instance using docker driver\n#1 [internal] load build definition from Dockerfile\n');
  if (state.failBuild) die('ERROR: failed to solve: process "/bin/sh -c npm ci --no-audit --no-fund" did not complete successfully: exit code: 1');
  process.stderr.write('#14 naming to docker.io/library/' + tag + ' done\n');
  state.images.push(tag); save();
  process.exit(0);
}
die('docker: unknown command: docker ' + argv.join(' '));
`;

const KUBECTL = String.raw`
const TOOL = 'kubectl';
${COMMON}
if (argv[0] === 'version') { process.stdout.write('Client Version: v1.33.1\nKustomize Version: v5.6.0\n'); process.exit(0); }
const kubeconfig = flag('--kubeconfig'); const context = flag('--context');
if (!kubeconfig || !fs.existsSync(kubeconfig)) die('error: stat ' + kubeconfig + ': no such file or directory');
if (!fs.readFileSync(kubeconfig, 'utf8').includes('name: ' + context)) die('error: context "' + context + '" does not exist');
if (argv.includes('apply')) {
  const file = flag('-f');
  if (!fs.existsSync(file)) die('error: the path "' + file + '" does not exist');
  for (const doc of fs.readFileSync(file, 'utf8').split(/^---$/m)) {
    const kind = /^kind: (\S+)/m.exec(doc); const name = /^  name: (\S+)/m.exec(doc);
    if (kind && name) process.stdout.write(kind[1].toLowerCase() + '/' + name[1] + ' serverside-applied\n');
  }
  process.exit(0);
}
die('error: unknown command "' + argv.join(' ') + '" for "kubectl"');
`;

export function makeStandIns(tools: Call['tool'][] = ['kind', 'docker', 'kubectl']): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'scars-kind-standins-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.jsonl');
  const stateFile = join(dir, 'state.json');
  writeFileSync(log, '');
  const initial: StandInState = { clusters: [], images: [], kubeconfig: '', dockerEngine: true };
  writeFileSync(stateFile, JSON.stringify(initial));
  const sources = { kind: KIND, docker: DOCKER, kubectl: KUBECTL };
  mkdirSync(bin);
  for (const tool of tools) {
    const file = join(bin, tool);
    // An absolute interpreter: PATH holds nothing but these stand-ins.
    writeFileSync(file, `#!${process.execPath}\n${sources[tool]}`);
    chmodSync(file, 0o755);
  }
  const read = (): StandInState => JSON.parse(readFileSync(stateFile, 'utf8')) as StandInState;
  const calls = (): Call[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
  return {
    bin,
    dir,
    env: { PATH: bin, STANDIN_LOG: log, STANDIN_STATE: stateFile },
    calls,
    lines: (tool) =>
      calls()
        .filter((c) => c.tool === tool)
        .map((c) => c.argv.join(' ')),
    state: read,
    setState: (patch) => writeFileSync(stateFile, JSON.stringify({ ...read(), ...patch })),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * What `kind get kubeconfig` prints (kind's shape: cluster/context/user all `kind-<name>`,
 * client-certificate auth), pointing at a sim API server with the sim's CA.
 */
export async function kindKubeconfigFor(sim: SimCluster): Promise<string> {
  const leaf = await issueLeaf({ commonName: 'kubernetes-admin' });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ca = sim.caPem;
  return stringify({
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          ...(ca ? { 'certificate-authority-data': b64(ca) } : { 'insecure-skip-tls-verify': true }),
          server: sim.url,
        },
        name: 'kind-__NAME__',
      },
    ],
    contexts: [{ context: { cluster: 'kind-__NAME__', user: 'kind-__NAME__' }, name: 'kind-__NAME__' }],
    'current-context': 'kind-__NAME__',
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: 'kind-__NAME__',
        user: { 'client-certificate-data': b64(leaf.cert), 'client-key-data': b64(leaf.key) },
      },
    ],
  });
}
