/** `scars upgrade-check --from 1.31 --to 1.32 [--manifests DIR|FILE|-] [--provider sim|kind] [--suite upgrade]` */
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InterruptedError, UsageError } from '../../errors.ts';
import { nodeImageFor } from '../../cluster/kind/node-images.ts';
import { DEFAULT_RUN_TIME_SCALE } from '../../harness/defaults.ts';
import { newRunId } from '../../harness/run-id.ts';
import { selectScenarios } from '../../harness/scenario-loader.ts';
import { loadTopologyArg } from '../../sim/topology/load.ts';
import { SIM_MAX_VERSION, SIM_MIN_VERSION, simSupportsVersion } from '../../sim/api/served-version.ts';
import { UPGRADE_PROVIDERS, type UpgradeProvider, upgradeCheck } from '../../upgrade/check.ts';
import { formatUpgradeCheck } from '../../upgrade/format.ts';
import { compareMinor, formatMinor, minorFlag } from '../../upgrade/versions.ts';
import type { CliIO } from '../main.ts';
import { loadEngineFlag, loadProject, timeScaleFlag, withExplicitFiles } from './shared.ts';

interface UpgradeCheckArgs {
  scenario?: string[];
  from?: string;
  to?: string;
  manifests?: string | string[];
  provider?: string;
  suite?: string;
  out?: string;
  config?: string;
  'time-scale'?: number;
  load?: string;
  'scan-only'?: boolean;
}

const DEFAULT_SUITE = 'upgrade';

export function upgradeCheckCommand(
  io: CliIO,
  setExit: (code: number) => void,
  argv: readonly string[],
  stdin: NodeJS.ReadableStream = process.stdin,
): CommandModule<object, UpgradeCheckArgs> {
  return {
    command: 'upgrade-check [scenario..]',
    describe:
      'Before upgrading Kubernetes: scan manifests for removed APIs and compare the upgrade suite on both versions',
    builder: (y) =>
      y
        .positional('scenario', {
          type: 'string',
          array: true,
          describe: `scenarios to compare (default: the ${DEFAULT_SUITE} suite)`,
        })
        .option('from', { type: 'string', describe: 'the version running now, e.g. 1.31' })
        .option('scan-only', {
          type: 'boolean',
          default: false,
          describe: 'only scan --manifests for removed and deprecated APIs; start no cluster',
        })
        .option('to', { type: 'string', describe: 'the version to upgrade to, e.g. 1.32' })
        .option('manifests', {
          // One value per flag (repeat it for more), so scenario names after it stay scenarios.
          type: 'string',
          describe:
            'manifest files or directories to scan for APIs removed or deprecated by --to; - reads stdin',
        })
        .option('provider', {
          type: 'string',
          choices: UPGRADE_PROVIDERS,
          default: 'sim',
          describe: `clusters of each version: sim (presents ${SIM_MIN_VERSION}–${SIM_MAX_VERSION}) or kind (a node image per version)`,
        })
        .option('suite', {
          type: 'string',
          describe: `suite to run on both versions (default ${DEFAULT_SUITE})`,
        })
        .option('out', {
          type: 'string',
          describe: 'folder for <version>/report.json and comparison.json (default reports/upgrade-<id>/)',
        })
        .option('time-scale', {
          type: 'number',
          describe: `sim: simulated seconds per wall second (default from config, else ${DEFAULT_RUN_TIME_SCALE})`,
        })
        .option('load', {
          type: 'string',
          describe: 'load engine: auto, k6 or builtin (default from config)',
        })
        .example('$0 upgrade-check --from 1.31 --to 1.32 --manifests k8s/', 'scan k8s/ and compare on sim')
        .example(
          'helm template chart | $0 upgrade-check --from 1.24 --to 1.25 --manifests -',
          'rendered manifests from stdin',
        )
        .example(
          '$0 upgrade-check --from 1.31 --to 1.32 --provider kind',
          'on two kind clusters, one per version',
        )
        .epilog(
          'Exit codes: 0 no regression and no removed API · 1 a verdict or metric got worse, or a manifest uses an API --to removed · 2 bad input · 3 a cluster failed or a scenario errored',
        ),
    handler: async (args) => {
      if (args.from === undefined || args.to === undefined) {
        throw new UsageError('upgrade-check: name both versions, e.g. --from 1.31 --to 1.32');
      }
      const from = minorFlag('--from', args.from);
      const to = minorFlag('--to', args.to);
      if (compareMinor(to, from) <= 0) {
        throw new UsageError(
          `--to: expected a version after --from ${formatMinor(from)}, got ${formatMinor(to)}`,
        );
      }
      const provider = (args.provider ?? 'sim') as UpgradeProvider;
      for (const [flag, v] of [
        ['--from', from],
        ['--to', to],
      ] as const) {
        const release = formatMinor(v);
        if (provider === 'sim' && !simSupportsVersion(release)) {
          throw new UsageError(
            `${flag}: the simulated cluster presents Kubernetes ${SIM_MIN_VERSION} to ${SIM_MAX_VERSION}, got ${release} (use --provider kind for others)`,
          );
        }
        // Unknown to the kind node-image table: bad input now, not after the first cluster ran.
        if (provider === 'kind') nodeImageFor(release);
      }
      const scale = args['time-scale'];
      if (scale !== undefined && provider !== 'sim')
        throw new UsageError('--time-scale: only applies to --provider sim');
      if (scale !== undefined) timeScaleFlag(scale);

      const { config, scenarios: known } = await loadProject(io.cwd, args.config);
      const load = loadEngineFlag(args.load ?? config.load);
      const names = args.scenario ?? [];
      const all = await withExplicitFiles(names, known, io.cwd);
      const suite = names.length === 0 ? (args.suite ?? DEFAULT_SUITE) : args.suite;
      const selected = selectScenarios(all, { names, suite, configSuites: config.suites });
      if (selected.length === 0)
        throw new UsageError(`upgrade-check: no scenarios selected (suite "${suite}")`);

      // yargs reads `--manifests -` as an empty value and drops the `-`: the raw arguments say it was stdin.
      const dash = argv.some((a, i) => a === '-' && argv[i - 1] === '--manifests');
      const manifests = (args.manifests === undefined ? [] : [args.manifests].flat()).map((m) =>
        m === '' && dash ? '-' : m,
      );
      if (manifests.some((m) => m === ''))
        throw new UsageError('--manifests: expected a file, a folder or -');
      if (args['scan-only'] && manifests.length === 0)
        throw new UsageError('--scan-only: name the manifests to scan with --manifests DIR|FILE|-');
      const out = resolve(io.cwd, args.out ?? join(config.out, `upgrade-${newRunId()}`));
      const interrupt = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (interrupt.signal.aborted) return;
        io.stderr.write(`\nscars: ${signal}: stopping and reverting\n`);
        interrupt.abort(new InterruptedError(signal));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const timeScale = scale ?? config.sim.timeScale ?? DEFAULT_RUN_TIME_SCALE;
        const result = await upgradeCheck({
          from,
          to,
          ...(manifests.length ? { manifests } : {}),
          cwd: io.cwd,
          stdin,
          provider,
          scenarios: selected,
          out,
          providerOptions: {
            allowContexts: config.allowContexts,
            ...(provider === 'sim'
              ? {
                  sim: {
                    timeScale,
                    ...(config.sim.topology !== undefined
                      ? { topology: loadTopologyArg(config.sim.topology, io.cwd, 'sim.topology') }
                      : {}),
                  },
                }
              : {}),
          },
          journalDir: resolve(io.cwd, config.journalDir),
          timeouts: config.timeouts,
          agentImage: config.agent.image,
          load,
          interrupt: interrupt.signal,
          scanOnly: args['scan-only'] ?? false,
          log: (line) => io.stderr.write(`scars: upgrade-check: ${line}\n`),
        });
        io.stdout.write(formatUpgradeCheck(result, provider));
        if (result.reports) io.stdout.write(`reports: ${out}\n`);
        setExit(result.exitCode);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}
