/**
 * Builds the agent image from images/agent/Dockerfile (whose build stage bundles the agent
 * itself, so nothing needs building first):
 *
 *   npm run image:agent                               # → scars-agent:<package version>
 *   npm run image:agent -- --image registry.local/scars-agent:dev
 *   SCARS_AGENT_IMAGE=scars-agent:dev npm run image:agent
 *   agent: { image: … } in scars.config.ts / .yaml      # what scenarios deploy, so the default here
 *
 * Exit codes as elsewhere in scars: 0 built, 1 the build failed, 2 bad flags, 3 no Docker engine.
 */
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { ScarsError } from '../src/errors.ts';
import { loadConfig } from '../src/harness/config.ts';
import { REPO } from './build-agent.ts';

export const DOCKERFILE = 'images/agent/Dockerfile';

function fail(code: number, message: string): number {
  process.stderr.write(`image:agent: ${message}\n`);
  return code;
}

/** Why Docker cannot build here, or undefined when an engine answers. */
async function dockerUnavailable(): Promise<string | undefined> {
  const info = await execa('docker', ['info'], { reject: false, timeout: 20_000, stdin: 'ignore' });
  if (info.exitCode === 0) return undefined;
  if ((info.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return 'docker is not on PATH';
  if (info.timedOut) return '`docker info` did not answer within 20s';
  const said = info.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
  return `\`docker info\` failed${said ? `: ${said}` : ` (exit ${info.exitCode})`}`;
}

async function main(argv: string[]): Promise<number> {
  let image: string | undefined;
  try {
    ({
      values: { image },
    } = parseArgs({ args: argv, options: { image: { type: 'string' } }, strict: true }));
  } catch (err) {
    return fail(2, `${(err as Error).message} (usage: image:agent [--image <name:tag>])`);
  }
  image ||= process.env.SCARS_AGENT_IMAGE;
  if (!image) {
    try {
      image = (await loadConfig(undefined)).agent.image;
    } catch (err) {
      return fail(2, err instanceof ScarsError ? err.message : String(err));
    }
  }

  const unavailable = await dockerUnavailable();
  if (unavailable)
    return fail(3, `no Docker engine to build ${image} with (${unavailable}); build it where Docker runs`);

  const built = await execa('docker', ['build', '-f', DOCKERFILE, '-t', image, '.'], {
    cwd: REPO,
    stdio: 'inherit',
    reject: false,
  });
  if (built.exitCode !== 0) return fail(1, `docker build of ${image} failed (exit ${built.exitCode})`);
  process.stdout.write(`built image ${image}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
