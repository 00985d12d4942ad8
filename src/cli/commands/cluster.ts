/**
 * `scars cluster up|down|status`: a kind cluster for `scars run --provider kind`. Here `--config`
 * names the kind cluster config (clusters/kind/*.yaml); the scars config (for `agent.image`) is
 * read from scars.config.* in the working directory.
 */
import { relative } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ClusterError, ExitCode, UsageError } from '../../errors.ts';
import { normalise } from '../../faults/preflight.ts';
import { loadConfig } from '../../harness/config.ts';
import { isDuration, parseDuration } from '../../harness/duration.ts';
import { exportKubeconfig, kindDown, kindUp, loadContext } from '../../cluster/kind.ts';
import { KNOWN_DAEMONSETS, parseAddons } from '../../cluster/kind/addons.ts';
import { kindClusters, kindContext, kindVersion } from '../../cluster/kind/kind-cli.ts';
import { kubeSystemDaemonSets, listNodes, serverVersion } from '../../cluster/kind/nodes.ts';
import { DEFAULT_KIND_NAME, resolveKindSettings } from '../../cluster/kind/settings.ts';
import type { CliIO } from '../main.ts';

interface CommonArgs {
  name: string;
}

interface UpArgs extends CommonArgs {
  config?: string;
  'k8s-version'?: string;
  reuse: boolean;
  retain: boolean;
  addons?: string[];
  wait: string;
  'agent-image': boolean;
}

const progress = (io: CliIO) => (line: string) => io.stderr.write(`scars: kind: ${line}\n`);

const nameOption = <T>(y: Argv<T>) =>
  y.option('name', {
    type: 'string',
    default: DEFAULT_KIND_NAME,
    describe: 'kind cluster name (kubeconfig context kind-<name>)',
  });

function upCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, UpArgs> {
  return {
    command: 'up',
    describe:
      'Create (or with --reuse adopt) a kind cluster, wait for its nodes, apply addons, load the agent image',
    builder: (y) =>
      nameOption(y)
        .option('config', {
          type: 'string',
          describe: 'kind cluster config (default: clusters/kind/workers.yaml of scars; see clusters/kind/)',
        })
        .option('k8s-version', {
          type: 'string',
          describe: 'Kubernetes minor version, e.g. 1.32: the node image from clusters/kind/node-images.yaml',
        })
        .option('reuse', {
          type: 'boolean',
          default: false,
          describe: 'adopt an existing cluster of that name instead of failing',
        })
        .option('retain', {
          type: 'boolean',
          default: false,
          describe: 'keep the nodes of a cluster whose creation failed (for kind export logs)',
        })
        .option('addons', {
          type: 'string',
          array: true,
          describe: 'addons from clusters/addons to apply: nodelocaldns, calico (comma-separated)',
        })
        .option('wait', { type: 'string', default: '5m', describe: 'how long to wait for nodes Ready' })
        .option('agent-image', {
          type: 'boolean',
          default: true,
          describe: 'build the agent image if Docker lacks it and kind load it (--no-agent-image skips)',
        })
        .example('$0 cluster up', '1 control plane + 3 workers (clusters/kind/workers.yaml)')
        .example('$0 cluster up --k8s-version 1.31 --name scars-131', 'another Kubernetes version')
        .example(
          '$0 cluster up --config clusters/kind/single.yaml --reuse',
          'one node, adopted if it exists',
        ),
    handler: async (args) => {
      if (!isDuration(args.wait) || parseDuration(args.wait) <= 0) {
        throw new UsageError(`--wait: expected a duration like "5m" or "90s", got "${args.wait}"`);
      }
      const addons = parseAddons(args.addons);
      // The scars config, not --config (which is the kind config here).
      const scars = await loadConfig(undefined, io.cwd);
      const cluster = await kindUp({
        settings: {
          name: args.name,
          config: args.config,
          reuse: args.reuse,
          retain: args.retain,
          addons,
          readyTimeoutMs: parseDuration(args.wait),
          cwd: io.cwd,
          log: progress(io),
        },
        kubernetesVersion: args['k8s-version'],
        agentImage: args['agent-image'] ? scars.agent.image : undefined,
      });
      const versions = [...new Set(cluster.nodes.map((n) => n.kubeletVersion))].join(', ');
      io.stdout.write(
        `kind cluster "${cluster.name}" is ${cluster.created ? 'up' : 'adopted'}: ${cluster.nodes.length}/${cluster.nodes.length} node(s) Ready (${versions})\n` +
          `kubeconfig: ${shown(io.cwd, cluster.kubeconfigPath)} (context ${cluster.context})\n` +
          `next: scars run --provider kind --suite smoke\n`,
      );
      setExit(ExitCode.passed);
    },
  };
}

function downCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, CommonArgs> {
  return {
    command: 'down',
    describe: 'Delete the kind cluster (kind delete cluster) and its exported kubeconfig',
    builder: (y) => nameOption(y),
    handler: async (args) => {
      const deleted = await kindDown({ name: args.name, cwd: io.cwd, log: progress(io) });
      io.stdout.write(
        deleted
          ? `kind cluster "${args.name}" deleted\n`
          : `no kind cluster named "${args.name}": nothing to delete\n`,
      );
      setExit(ExitCode.passed);
    },
  };
}

function statusCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, CommonArgs> {
  return {
    command: 'status',
    describe: 'Show the kind cluster: nodes, Kubernetes version, addons, the agent image',
    builder: (y) => nameOption(y),
    handler: async (args) => {
      const scars = await loadConfig(undefined, io.cwd);
      const kind = await kindVersion();
      const clusters = await kindClusters();
      if (!clusters.includes(args.name)) {
        throw new ClusterError(
          `no kind cluster named "${args.name}" (kind clusters: ${clusters.join(', ') || 'none'}); create it with \`scars cluster up --name ${args.name}\``,
        );
      }
      const path = await exportKubeconfig(args.name, resolveKindSettings({ cwd: io.cwd }).stateDir);
      const context = kindContext(args.name);
      const kc = loadContext(path, context);
      const [version, nodes, daemonSets] = await Promise.all([
        serverVersion(kc),
        listNodes(kc),
        kubeSystemDaemonSets(kc),
      ]).catch((err: unknown) => {
        throw new ClusterError(
          `kind cluster "${args.name}" exists but its API server does not answer (${kc.getCurrentCluster()?.server ?? '?'}): ${(err as Error).message}`,
        );
      });
      const image = normalise(scars.agent.image);
      const withImage = nodes.filter((n) => n.images.some((i) => normalise(i) === image)).length;
      const ready = nodes.filter((n) => n.ready).length;
      const lines = [
        `cluster     ${args.name} (context ${context}, ${kc.getCurrentCluster()?.server ?? '?'})`,
        `kind        ${kind.version}`,
        `kubernetes  ${version}`,
        `nodes       ${ready}/${nodes.length} Ready`,
        ...nodes.map(
          (n) =>
            `  ${n.name.padEnd(28)} ${n.roles.join(',').padEnd(14)} ${(n.ready ? 'Ready' : 'NotReady').padEnd(9)} ${n.kubeletVersion}`,
        ),
        `addons      ${
          daemonSets
            .filter((d) => KNOWN_DAEMONSETS[d.name])
            .map((d) => `${d.name} (${KNOWN_DAEMONSETS[d.name]}) ${d.ready}/${d.desired}`)
            .join('\n            ') || 'none recognised'
        }`,
        `agent       ${scars.agent.image} on ${withImage}/${nodes.length} node(s)${withImage < nodes.length ? ' (scars cluster up --reuse loads it)' : ''}`,
        `kubeconfig  ${shown(io.cwd, path)}`,
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
      setExit(ready === nodes.length && nodes.length > 0 ? ExitCode.passed : ExitCode.clusterFailure);
    },
  };
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

export function clusterCommand(io: CliIO, setExit: (code: number) => void): CommandModule {
  return {
    command: 'cluster <command>',
    describe: 'Create, delete and inspect the kind cluster for --provider kind',
    builder: (y) =>
      y
        .command(upCommand(io, setExit))
        .command(downCommand(io, setExit))
        .command(statusCommand(io, setExit))
        .demandCommand(1, 'Name a cluster command: up, down or status'),
    handler: () => {},
  };
}
