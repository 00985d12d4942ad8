/**
 * Loads `scenarios/*.ts` without a build step (tsx registers the loader in bin/scars.js; vitest
 * transforms on its own), validates each default export, and maps every failure to one line
 * naming the file, the line and the field.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, InputError, UsageError } from '../errors.ts';
import { isScenario, type Scenario } from './scenario.ts';
import { scenarioSchema } from './scenario-schema.ts';
import { locateInTypeScript } from './source-location.ts';
import { closest } from './suggest.ts';
import { toInputError } from './validation.ts';

export interface LoadedScenario {
  /** Path as the user should see it (relative to cwd). */
  file: string;
  scenario: Scenario;
}

const SCENARIO_EXT = /\.(ts|mts|js|mjs)$/;

export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

export async function loadScenarioFile(file: string, cwd = process.cwd()): Promise<LoadedScenario> {
  const abs = resolve(cwd, file);
  const shown = displayPath(abs, cwd);
  if (!existsSync(abs)) throw new InputError({ file: shown, expected: 'file not found' });
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw importError(err, abs, shown);
  }
  const exported = mod.default;
  if (exported === undefined) {
    throw new InputError({
      file: shown,
      field: 'export default',
      expected: 'expected `export default defineScenario({ ... })`, got no default export',
    });
  }
  if (!isScenario(exported)) {
    throw new InputError({
      file: shown,
      field: 'export default',
      expected: 'expected `export default defineScenario({ ... })` (import { defineScenario } from "scars")',
    });
  }
  const parsed = scenarioSchema.safeParse(exported);
  if (!parsed.success) {
    throw toInputError(scenarioSchema, parsed.error, exported, shown, (path) =>
      locateInTypeScript(abs, path, ['defineScenario']),
    );
  }
  return { file: shown, scenario: exported };
}

/** Files under the scenario folders (not recursive: suites and helpers live in subfolders). */
export function scenarioFiles(dirs: readonly string[], cwd = process.cwd()): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    const abs = resolve(cwd, dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) continue;
    for (const f of readdirSync(abs).sort()) {
      if (SCENARIO_EXT.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_')) files.push(join(abs, f));
    }
  }
  return files;
}

export async function loadScenarios(dirs: readonly string[], cwd = process.cwd()): Promise<LoadedScenario[]> {
  const loaded: LoadedScenario[] = [];
  for (const file of scenarioFiles(dirs, cwd)) loaded.push(await loadScenarioFile(file, cwd));
  const seen = new Map<string, string>();
  for (const l of loaded) {
    const other = seen.get(l.scenario.name);
    if (other) {
      throw new InputError({
        file: l.file,
        field: 'name',
        expected: `"${l.scenario.name}" is already used by ${other}`,
      });
    }
    seen.set(l.scenario.name, l.file);
  }
  return loaded;
}

export interface Selection {
  names: readonly string[];
  suite?: string | undefined;
  /** Suites defined in the config: suite name → scenario names. */
  configSuites?: Readonly<Record<string, readonly string[]>>;
}

/** Picks scenarios by name or file, or by suite. Unknown names and suites are usage errors with a suggestion. */
export function selectScenarios(all: readonly LoadedScenario[], sel: Selection): LoadedScenario[] {
  const byName = new Map(all.map((l) => [l.scenario.name, l]));
  const picked: LoadedScenario[] = [];
  for (const n of sel.names) {
    const hit = byName.get(n) ?? all.find((l) => l.file === n || resolve(l.file) === resolve(n));
    if (!hit) {
      const hint = closest(n, [...byName.keys()]);
      throw new UsageError(
        `unknown scenario "${n}"${hint ? ` (did you mean "${hint}"?)` : ''}; \`scars list\` shows the ${byName.size} known`,
      );
    }
    if (!picked.includes(hit)) picked.push(hit);
  }
  if (sel.suite !== undefined) {
    const suites = suiteNames(all, sel.configSuites);
    if (!suites.includes(sel.suite)) {
      const hint = closest(sel.suite, suites);
      throw new UsageError(
        `unknown suite "${sel.suite}"${hint ? ` (did you mean "${hint}"?)` : ''}; known suites: ${suites.join(', ') || 'none'}`,
      );
    }
    const fromConfig = sel.configSuites?.[sel.suite] ?? [];
    for (const n of fromConfig) {
      if (!byName.has(n))
        throw new UsageError(`suite "${sel.suite}" in the config names unknown scenario "${n}"`);
    }
    for (const l of all) {
      const member = l.scenario.suites?.includes(sel.suite) || fromConfig.includes(l.scenario.name);
      if (member && !picked.includes(l)) picked.push(l);
    }
  }
  return picked;
}

export function suiteNames(
  all: readonly LoadedScenario[],
  configSuites?: Readonly<Record<string, readonly string[]>>,
): string[] {
  const names = new Set<string>(Object.keys(configSuites ?? {}));
  for (const l of all) for (const s of l.scenario.suites ?? []) names.add(s);
  return [...names].sort();
}

/** An import failure (syntax error, throw at top level, missing module) as one line at the right place. */
function importError(err: unknown, abs: string, shown: string): InputError {
  const message = errorMessage(err);
  // esbuild (via tsx / vite) reports `<file>:<line>:<col>: ERROR: <text>`.
  const esbuild = message.match(/:(\d+):(\d+): ERROR: (.+)/);
  if (esbuild)
    return new InputError({ file: shown, line: Number(esbuild[1]), expected: esbuild[3] ?? message });
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const frame = stack.split('\n').find((l) => l.includes(abs) || l.includes(pathToFileURL(abs).href));
  const line = frame?.match(/:(\d+):\d+\)?\s*$/)?.[1];
  const firstLine = message.split('\n')[0] ?? message;
  return new InputError(
    { file: shown, ...(line ? { line: Number(line) } : {}), expected: `could not load: ${firstLine}` },
    { cause: err },
  );
}
