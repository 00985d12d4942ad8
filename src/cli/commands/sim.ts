/** `scars sim serve`: a simulated cluster in the foreground, for kubectl and for debugging. */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ClusterError, errorMessage, ExitCode, UsageError } from '../../errors.ts';
import { describeApiFault, parseApiFaultFlag, type ScheduledApiFault } from '../../sim/api/fault-flag.ts';
import { SIM_CONTEXT } from '../../sim/names.ts';
import { loadTopologyArg } from '../../sim/topology/load.ts';
import type { CliIO } from '../main.ts';
import { timeScaleFlag } from './shared.ts';

interface ServeArgs {
  kubeconfig: string;
  nodes?: number;
  topology?: string;
  port: number;
  'time-scale': number;
  http: boolean;
  name: string;
  'api-only': boolean;
  'api-fault'?: string[];
}

function apiFaultsOf(args: ServeArgs): ScheduledApiFault[] {
  return (args['api-fault'] ?? []).map((text) => {
    try {
      return parseApiFaultFlag(String(text));
    } catch (error) {
      throw new UsageError(`--api-fault: ${errorMessage(error)}`);
    }
  });
}

function check(args: ServeArgs): void {
  if (args.nodes !== undefined && args.topology !== undefined) {
    throw new UsageError('--nodes and --topology: give one (a topology file states its nodes)');
  }
  if (args.nodes !== undefined && (!Number.isInteger(args.nodes) || args.nodes < 1 || args.nodes > 5000)) {
    throw new UsageError(`--nodes: expected a whole number from 1 to 5000, got ${String(args.nodes)}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new UsageError(`--port: expected a port from 0 (any free port) to 65535, got ${String(args.port)}`);
  }
  timeScaleFlag(args['time-scale']);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.name) || args.name.length > 40) {
    throw new UsageError(`--name: expected a DNS label (lowercase letters, digits, '-'), got "${args.name}"`);
  }
  apiFaultsOf(args);
}

function serveCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Start a simulated cluster on 127.0.0.1 and write a kubeconfig for it (Ctrl-C stops it)',
    builder: (y) =>
      y
        .option('kubeconfig', {
          type: 'string',
          default: '.scars/sim/kubeconfig',
          describe: `where to write the kubeconfig (context "${SIM_CONTEXT}"); removed again on exit`,
        })
        .option('nodes', {
          type: 'number',
          describe: 'nodes: one control plane, the rest workers (default topology: 1 + 3)',
        })
        .option('topology', {
          type: 'string',
          describe: 'nodes and kubelets from a clusters/sim file or name (default, memory-pressure, large)',
        })
        .option('port', { type: 'number', default: 0, describe: 'port on 127.0.0.1 (0 = any free port)' })
        .option('time-scale', {
          type: 'number',
          default: 1,
          describe: 'simulated seconds per wall-clock second',
        })
        .option('http', {
          type: 'boolean',
          default: false,
          describe: 'plain HTTP instead of HTTPS with a throwaway CA',
        })
        .option('api-only', {
          type: 'boolean',
          default: false,
          describe: 'serve the API only: no scheduler, controllers or kubelets (pods stay Pending)',
        })
        .option('name', {
          type: 'string',
          default: 'scars',
          describe: 'cluster name (node names derive from it)',
        })
        .option('api-fault', {
          type: 'string',
          array: true,
          describe:
            'make the API server fail on a schedule (repeatable): <500|503|429|timeout|restart>[:resources][@after][+for], cluster time',
        })
        .example(
          '$0 sim serve --kubeconfig /tmp/sim.yaml',
          'then: KUBECONFIG=/tmp/sim.yaml kubectl get nodes',
        )
        .example('$0 sim serve --nodes 5 --time-scale 60', 'five nodes, one simulated minute per second')
        .example(
          '$0 sim serve --api-fault 503@30s+10s --api-fault restart@2m+20s',
          'an apiserver that fails twice',
        )
        .example(
          '$0 sim serve --topology memory-pressure',
          'small workers where one memory hog causes evictions',
        ) as Argv<ServeArgs>,
    handler: async (args) => {
      check(args);
      const path = resolve(io.cwd, args.kubeconfig);
      const topology = args.topology !== undefined ? loadTopologyArg(args.topology, io.cwd) : undefined;
      let sim;
      try {
        const { startSimCluster } = await import('../../sim/cluster.ts');
        sim = await startSimCluster({
          name: args.name,
          ...(args.nodes !== undefined ? { nodes: args.nodes } : {}),
          ...(topology ? { topology } : {}),
          port: args.port,
          timeScale: args['time-scale'],
          tls: !args.http,
          apiOnly: args['api-only'],
        });
      } catch (error) {
        throw new ClusterError(`could not start the simulated cluster: ${errorMessage(error)}`);
      }
      const existed = existsSync(path);
      try {
        await mkdir(dirname(path), { recursive: true });
        await sim.writeKubeconfig(path);
      } catch (error) {
        await sim.stop();
        throw new UsageError(`--kubeconfig: cannot write ${path}: ${errorMessage(error)}`);
      }
      io.stdout.write(
        `scars sim: ready at ${sim.url} · ${sim.nodes.length} node${sim.nodes.length === 1 ? '' : 's'}${topology ? ` (${topology.source})` : ''} · time ×${args['time-scale']}${args['api-only'] ? ' · API only' : ''} · KUBECONFIG=${path} (context ${SIM_CONTEXT})\n`,
      );
      for (const fault of apiFaultsOf(args)) {
        // On the sim clock: stopping the sim cancels what has not started yet.
        sim.clock.setTimeout(() => sim.apiFaults.inject(fault.spec), fault.afterMs);
        io.stdout.write(`scars sim: API fault: ${describeApiFault(fault)}\n`);
      }
      const plane = sim.dataPlane;
      if (plane) {
        // Where a client on this machine reaches what the data plane serves (all loopback).
        const at = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
        const ingress = plane.ingress.address();
        io.stdout.write(
          `scars sim: cluster DNS at ${at(plane.dns.address())} · Ingress http://${at(ingress.http)} https://${at(ingress.https)} · a Service's ClusterIP 10.96.a.b is served on this machine at 127.32.a.b (127.0.0.1:<other port> where that address cannot be bound)\n`,
        );
      }
      const signal = await new Promise<NodeJS.Signals>((done) => {
        process.once('SIGINT', () => done('SIGINT'));
        process.once('SIGTERM', () => done('SIGTERM'));
      });
      await sim.stop();
      // The kubeconfig points at a server that no longer exists; leave nothing behind unless it was the user's file.
      if (!existed) await rm(path, { force: true });
      io.stderr.write(`scars sim: stopped (${signal})\n`);
      setExit(ExitCode.passed);
    },
  };
}

export function simCommand(io: CliIO, setExit: (code: number) => void): CommandModule {
  return {
    command: 'sim <command>',
    describe: 'The built-in simulated cluster',
    builder: (y) => y.command(serveCommand(io, setExit)).demandCommand(1, 'Name a sim command: serve'),
    handler: () => {},
  };
}
