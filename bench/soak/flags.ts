/** `npm run soak` flags; a bad one is named in one line (exit 2, as the CLI does). */
import { parseArgs } from 'node:util';
import { timeScaleFlag } from '../../src/cli/commands/shared.ts';
import { DEFAULT_RUN_TIME_SCALE } from '../../src/harness/defaults.ts';

export interface SoakFlags {
  iterations: number;
  suite: string;
  timeScale: number;
  /** Where to write the results as JSON, if anywhere. */
  json: string | undefined;
}

export class SoakFlagError extends Error {}

export function parseSoakFlags(argv: readonly string[]): SoakFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        iterations: { type: 'string' },
        suite: { type: 'string' },
        'time-scale': { type: 'string' },
        json: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SoakFlagError(
      `soak: ${error instanceof Error ? error.message : String(error)} (flags: --iterations N, --suite NAME, --time-scale X, --json FILE)`,
    );
  }
  const iterations = values.iterations === undefined ? 20 : Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new SoakFlagError(
      `soak: --iterations: expected a whole number ≥ 1, got ${JSON.stringify(values.iterations)}`,
    );
  let timeScale = DEFAULT_RUN_TIME_SCALE;
  try {
    // The same bounds as `scars run --time-scale`.
    if (values['time-scale'] !== undefined) timeScale = timeScaleFlag(Number(values['time-scale']));
  } catch (error) {
    throw new SoakFlagError(`soak: ${error instanceof Error ? error.message : String(error)}`);
  }
  const suite = values.suite ?? 'nightly';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(suite))
    throw new SoakFlagError(
      `soak: --suite: expected a suite name (lowercase, digits, dashes), got ${JSON.stringify(suite)}`,
    );
  return { iterations, suite, timeScale, json: values.json };
}
