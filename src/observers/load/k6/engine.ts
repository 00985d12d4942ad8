/**
 * Which load engine runs: `builtin` (in-process, src/observers/load/run-load.ts), `k6` (the k6
 * CLI), or `auto` — k6 when an executable `k6` is on PATH, else builtin. The choice comes from
 * `scars run --load` over config `load:` (default auto); nothing is substituted silently: a
 * demanded k6 that is missing is a tool failure (exit 3), and reports name the engine per sample.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ClusterError } from '../../../errors.ts';
import type { LoadEngineChoice } from '../../../harness/scenario.ts';

export type LoadEngine = 'builtin' | 'k6';

export const K6_INSTALL_URL = 'https://grafana.com/docs/k6/latest/set-up/install-k6/';

export type ResolvedEngine =
  { engine: 'k6'; k6Path: string; why: string } | { engine: 'builtin'; why: string };

/** The first executable file named `k6` on the PATH given (default: this process's PATH). */
export function findK6(pathEnv: string | undefined = process.env.PATH): string | undefined {
  const names = process.platform === 'win32' ? ['k6.exe', 'k6'] : ['k6'];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not there or not executable: keep looking, as a shell would.
      }
    }
  }
  return undefined;
}

export function k6MissingMessage(): string {
  return `k6 is not installed (no executable k6 on PATH); install it from ${K6_INSTALL_URL} or use --load builtin`;
}

/** Picks the engine for `choice`; `undefined` when k6 is demanded but missing (see requireK6). */
export function resolveLoadEngine(
  choice: LoadEngineChoice,
  pathEnv: string | undefined = process.env.PATH,
): ResolvedEngine | undefined {
  if (choice === 'builtin') return { engine: 'builtin', why: 'built-in load generator (--load builtin)' };
  const k6Path = findK6(pathEnv);
  if (choice === 'k6')
    return k6Path ? { engine: 'k6', k6Path, why: `k6 at ${k6Path} (--load k6)` } : undefined;
  return k6Path
    ? { engine: 'k6', k6Path, why: `k6 at ${k6Path} (--load auto: k6 is on PATH)` }
    : { engine: 'builtin', why: 'built-in load generator (--load auto: no k6 on PATH)' };
}

/** For the CLI: `--load k6` without k6 stops before any cluster is provisioned or changed. */
export function requireK6(pathEnv: string | undefined = process.env.PATH): string {
  const k6Path = findK6(pathEnv);
  if (!k6Path) throw new ClusterError(k6MissingMessage());
  return k6Path;
}
