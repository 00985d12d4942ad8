/** `scars run [scenario..] [--suite NAME] [--provider …] [--reporter …] [--out DIR] [--control] [--dry-run]` */
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InterruptedError, UsageError } from '../../errors.ts';
import { cleanup, staleJournals } from '../../harness/cleanup.ts';
import { PROVIDERS, type ReporterName } from '../../harness/config.ts';
import { DEFAULT_RUN_TIME_SCALE } from '../../harness/defaults.ts';
import { formatPlan, planScenarios } from '../../harness/plan.ts';
import { newRunId } from '../../harness/run-id.ts';
import { run, type StepPause } from '../../harness/runner.ts';
import type { ProviderName } from '../../harness/scenario.ts';
import { requireK6 } from '../../observers/load/k6/engine.ts';
import { loadTopologyArg } from '../../sim/topology/load.ts';
import type { SimTopology } from '../../sim/topology/types.ts';
import { selectScenarios } from '../../harness/scenario-loader.ts';
import { consoleReporter } from '../../report/console.ts';
import { htmlReporter } from '../../report/html/index.ts';
import { jsonReporter } from '../../report/json.ts';
import { junitReporter } from '../../report/junit.ts';
import type { Reporter } from '../../report/reporter.ts';
import type { CliIO } from '../main.ts';
import { stepPrompt } from '../step-prompt.ts';
import { askYesNo, confirmContextRun, interactiveInput } from '../confirm.ts';
import { loadEngineFlag, loadProject, parseReporters, timeScaleFlag, withExplicitFiles } from './shared.ts';
import { compareWithBaseline } from './baseline.ts';
import { readReport } from '../../report/compare.ts';

interface RunArgs {
  scenario?: string[];
  suite?: string;
  provider?: string;
  reporter?: string;
  out?: string;
  control?: boolean;
  'dry-run'?: boolean;
  step?: boolean;
  config?: string;
  kubeconfig?: string;
  context?: string;
  topology?: string;
  'time-scale'?: number;
  load?: string;
  baseline?: string;
  yes?: boolean;
}

export function runCommand(io: CliIO, setExit: (code: number) => void): CommandModule<object, RunArgs> {
  return {
    command: 'run [scenario..]',
    describe: 'Run scenarios (by name or file), a suite, or the default suite',
    builder: (y) =>
      y
        .positional('scenario', { type: 'string', array: true, describe: 'scenario names or files' })
        .option('suite', { type: 'string', describe: 'run every scenario of this suite (e.g. nightly)' })
        .option('provider', {
          type: 'string',
          choices: PROVIDERS,
          describe: 'cluster provider (default from config, else sim)',
        })
        .option('reporter', {
          type: 'string',
          describe: 'comma-separated: console,json,junit,html (default from config)',
        })
        .option('out', { type: 'string', describe: 'report folder (default reports/<run-id>/)' })
        .option('control', {
          type: 'boolean',
          default: false,
          describe: "also run each scenario's negative arm without the mitigation; it must FAIL",
        })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan; touch nothing' })
        .option('step', {
          type: 'boolean',
          default: false,
          describe:
            'game day: pause before each inject and each revert; Enter goes on, a aborts (and reverts)',
        })
        .option('kubeconfig', { type: 'string', describe: 'kubeconfig for --provider context' })
        .option('context', { type: 'string', describe: 'kubeconfig context for --provider context' })
        .option('topology', {
          type: 'string',
          describe: 'sim nodes and kubelets: a clusters/sim file or name (default, memory-pressure, large)',
        })
        .option('load', {
          type: 'string',
          describe:
            'load engine: auto (k6 when on PATH, else built-in), k6 or builtin (default from config, else auto)',
        })
        .option('baseline', {
          type: 'string',
          describe:
            'an earlier report.json: print what got worse (verdicts, restarts, error rate, latency), exit 1 on any; writes comparison.json',
        })
        .option('yes', {
          alias: 'y',
          type: 'boolean',
          default: false,
          describe:
            '--provider context: inject faults into the existing cluster without asking (required when there is no terminal)',
        })
        .option('time-scale', {
          type: 'number',
          describe: `sim: simulated seconds per wall second (default from config, else ${DEFAULT_RUN_TIME_SCALE})`,
        })
        .example('$0 run', 'run the default suite on the default provider (sim)')
        .example('$0 run pod-kill-availability --control', 'one scenario, plus its negative control')
        .example(
          '$0 run --suite nightly --reporter junit,json --out reports/nightly',
          'the nightly suite for CI',
        )
        .example('$0 run drain-with-pdb --step', 'a game day: pause before the fault and before its revert')
        .example(
          '$0 run --provider context --context kind-scars --dry-run',
          'show what would happen on a kind cluster',
        ),
    handler: async (args) => {
      const { config, scenarios: known } = await loadProject(io.cwd, args.config);
      const names = args.scenario ?? [];
      const all = await withExplicitFiles(names, known, io.cwd);
      const suite = names.length === 0 && args.suite === undefined ? config.defaultSuite : args.suite;
      const selected = selectScenarios(all, { names, suite, configSuites: config.suites });
      if (selected.length === 0) {
        throw new UsageError(`no scenarios selected${suite ? ` (suite "${suite}" is empty)` : ''}`);
      }
      const reporterNames = parseReporters(args.reporter, config.reporters);
      const provider = (args.provider ?? config.provider) as ProviderName;
      const runId = newRunId();
      const sim = simSettings(provider, args, config.sim, io.cwd);
      const load = loadEngineFlag(args.load ?? config.load);

      // Checked before anything runs: a bad baseline must not cost a whole suite first.
      const baseline =
        args.baseline !== undefined
          ? readReport(resolve(io.cwd, args.baseline), `--baseline ${args.baseline}`)
          : undefined;

      if (args['dry-run']) {
        io.stdout.write(
          `${formatPlan(planScenarios(selected, args.control ?? false, runId, config.agent.image))}`,
        );
        io.stdout.write(`provider: ${provider} (not contacted)\n`);
        io.stdout.write(`load: ${load}\n`);
        setExit(0);
        return;
      }

      // A demanded k6 that is missing stops here, before any cluster is provisioned or changed.
      if (load === 'k6') requireK6();

      const kubeconfig = args.kubeconfig ?? config.kubeconfig;
      const context = args.context ?? config.context;
      if (provider === 'context') {
        await confirmContextRun(
          io,
          { kubeconfig, context, allowContexts: config.allowContexts },
          args.yes ?? false,
        );
      }

      const journalDir = resolve(io.cwd, config.journalDir);
      const stale = staleJournals(journalDir);
      if (stale.length) {
        io.stderr.write(
          `scars: warning: ${stale.length} journal(s) from runs that died before reverting (${stale.map((j) => j.runId).join(', ')}); run \`scars cleanup --all\` to restore what they changed\n`,
        );
        const input = interactiveInput(io);
        if (input && (await askYesNo(input, io.stderr, 'Replay them now, before this run?'))) {
          const replayed = await cleanup({
            journalDir,
            allowContexts: config.allowContexts,
            log: (line) => io.stderr.write(`  ${line}\n`),
          });
          for (const r of replayed.runs) io.stderr.write(`${r.outcome.padEnd(7)} ${r.runId}: ${r.detail}\n`);
        }
      }

      const out = resolve(io.cwd, args.out ?? join(config.out, runId));
      const makeReporter: Record<ReporterName, () => Reporter> = {
        console: () => consoleReporter({ stream: io.stdout }),
        json: () => jsonReporter(out),
        junit: () => junitReporter(out),
        html: () => htmlReporter(out),
      };
      const reporters = reporterNames.map((name) => makeReporter[name]());

      const interrupt = new AbortController();
      const forceStop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (!interrupt.signal.aborted) {
          io.stderr.write(
            `\nscars: ${signal}: stopping and reverting (send it again to stop now and leave the journal for \`scars cleanup\`)\n`,
          );
          interrupt.abort(new InterruptedError(signal));
        } else if (!forceStop.signal.aborted) {
          io.stderr.write(
            `\nscars: ${signal} again: stopping now; run \`scars cleanup --run ${runId}\` to finish\n`,
          );
          forceStop.abort(new InterruptedError(signal));
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const prompt = args.step ? stepPrompt(io.stdin ?? process.stdin, io.stderr, interrupt) : undefined;
      try {
        const report = await run({
          scenarios: selected,
          provider,
          providerOptions: {
            kubeconfig,
            context,
            allowContexts: config.allowContexts,
            sim,
          },
          control: args.control ?? false,
          reporters,
          journalDir,
          timeouts: config.timeouts,
          runId,
          agentImage: config.agent.image,
          load,
          interrupt: interrupt.signal,
          forceStop: forceStop.signal,
          ...(prompt ? { pause: (at: StepPause) => prompt.pause(at) } : {}),
        });
        if (report.error) io.stderr.write(`scars: ${report.error}\n`);
        if (reporterNames.some((r) => r !== 'console')) io.stdout.write(`reports: ${out}\n`);
        setExit(report.exitCode);
        // Regressions fail an otherwise passing run; a worse exit code (3, 130) stays.
        if (baseline) {
          const regressed = compareWithBaseline(baseline, report, out, io);
          setExit(report.exitCode || regressed);
        }
      } finally {
        prompt?.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

/** The sim provider's settings from flags over config; checked before anything starts. */
function simSettings(
  provider: ProviderName,
  args: RunArgs,
  config: { topology?: string | undefined; timeScale?: number | undefined },
  cwd: string,
): { topology?: SimTopology; timeScale?: number } {
  if (provider !== 'sim') {
    const flag =
      args.topology !== undefined
        ? '--topology'
        : args['time-scale'] !== undefined
          ? '--time-scale'
          : undefined;
    if (flag) throw new UsageError(`${flag}: only applies to --provider sim (the provider is ${provider})`);
    return {};
  }
  const scale = timeScaleFlag(args['time-scale'] ?? config.timeScale ?? DEFAULT_RUN_TIME_SCALE);
  const topologyArg = args.topology ?? config.topology;
  return {
    ...(topologyArg !== undefined
      ? {
          topology: loadTopologyArg(
            topologyArg,
            cwd,
            args.topology !== undefined ? '--topology' : 'sim.topology',
          ),
        }
      : {}),
    ...(scale !== undefined ? { timeScale: scale } : {}),
  };
}
