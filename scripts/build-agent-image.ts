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
import { buildAgentImage, dockerUnavailable } from '../src/cluster/kind/agent-image.ts';
import { ToolMissingError } from '../src/cluster/kind/tools.ts';
import { ScarsError } from '../src/errors.ts';
import { loadConfig } from '../src/harness/config.ts';
import { REPO } from './build-agent.ts';

function fail(code: number, message: string): number {
  process.stderr.write(`image:agent: ${message}\n`);
  return code;
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

  try {
    const unavailable = await dockerUnavailable();
    if (unavailable)
      return fail(3, `no Docker engine to build ${image} with (${unavailable}); build it where Docker runs`);
    await buildAgentImage(image, { context: REPO, onLine: (line) => process.stderr.write(`${line}\n`) });
  } catch (err) {
    // A missing docker is exit 3; a build that ran and failed is exit 1 (the script's contract).
    const code = err instanceof ToolMissingError ? 3 : 1;
    return fail(code, err instanceof Error ? err.message : String(err));
  }
  process.stdout.write(`built image ${image}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
