/** Pieces the commands share: config + scenario loading, reporter flags. */
import { resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import { loadConfig, REPORTERS, type ReporterName, type ScarsConfig } from '../../harness/config.ts';
import { LOAD_ENGINES, type LoadEngineChoice } from '../../harness/scenario.ts';
import { type LoadedScenario, loadScenarioFile, loadScenarios } from '../../harness/scenario-loader.ts';
import { closest } from '../../harness/suggest.ts';

export async function loadProject(
  cwd: string,
  configFile: string | undefined,
): Promise<{ config: ScarsConfig; scenarios: LoadedScenario[] }> {
  const config = await loadConfig(configFile, cwd);
  const scenarios = await loadScenarios(config.scenarioDirs, cwd);
  return { config, scenarios };
}

/** Names given on the command line may also be paths to scenario files outside the scenario folders. */
export async function withExplicitFiles(
  names: readonly string[],
  known: LoadedScenario[],
  cwd: string,
): Promise<LoadedScenario[]> {
  const all = [...known];
  for (const n of names) {
    const isFile = /\.(ts|mts|js|mjs)$/.test(n);
    if (isFile && !all.some((l) => resolve(cwd, l.file) === resolve(cwd, n))) {
      all.push(await loadScenarioFile(n, cwd));
    }
  }
  return all;
}

export function parseReporters(
  value: string | string[] | undefined,
  fallback: readonly ReporterName[],
): ReporterName[] {
  if (value === undefined) return [...fallback];
  const names = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(REPORTERS as readonly string[]).includes(n)) {
      const hint = closest(n, REPORTERS);
      throw new UsageError(
        `--reporter: unknown reporter "${n}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected a comma-separated list of ${REPORTERS.join(', ')}`,
      );
    }
  }
  return names as ReporterName[];
}

/** `--load` (or config `load:`), checked: one of the load engines. */
export function loadEngineFlag(value: string): LoadEngineChoice {
  if (!(LOAD_ENGINES as readonly string[]).includes(value))
    throw new UsageError(`--load: expected one of ${LOAD_ENGINES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as LoadEngineChoice;
}

/** `--time-scale` for a simulated cluster, checked: simulated seconds per wall second. */
export function timeScaleFlag(scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale) || scale > 10_000)
    throw new UsageError(
      `--time-scale: expected a number > 0 and ≤ 10000 (simulated seconds per second), got ${String(scale)}`,
    );
  return scale;
}
