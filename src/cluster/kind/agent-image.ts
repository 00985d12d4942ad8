/**
 * The agent image on the Docker side: is it there, can Docker build it, build it from
 * images/agent/Dockerfile. `npm run image:agent` (scripts/build-agent-image.ts) and the kind
 * provider both go through here, so a cluster gets exactly the image the script would build.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterError } from '../../errors.ts';
import { hasRegistry } from '../../faults/preflight.ts';
import { lastWords, runTool } from './tools.ts';

export const DOCKERFILE = 'images/agent/Dockerfile';
/** The build context: the repository root (its .dockerignore keeps the context small). */
export const BUILD_CONTEXT = fileURLToPath(new URL('../../..', import.meta.url));

/** Why Docker cannot build or run anything here, or undefined when an engine answers. */
export async function dockerUnavailable(signal?: AbortSignal): Promise<string | undefined> {
  let info;
  try {
    info = await runTool('docker', ['info'], { timeoutMs: 20_000, signal });
  } catch (err) {
    if (err instanceof ClusterError && /did not finish/.test(err.message))
      return '`docker info` did not answer within 20s';
    throw err;
  }
  if (info.exitCode === 0) return undefined;
  return `\`docker info\` failed${lastWords(info) || ` (exit ${info.exitCode})`}`;
}

/** True when the local Docker engine has the image (`docker image inspect`). */
export async function imagePresent(image: string, signal?: AbortSignal): Promise<boolean> {
  const inspect = await runTool('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    timeoutMs: 30_000,
    signal,
  });
  return inspect.exitCode === 0;
}

export interface BuildOptions {
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Repository root holding images/agent/Dockerfile (default: this checkout). */
  context?: string;
}

/** `docker build -f images/agent/Dockerfile -t <image> .` from the repository root. */
export async function buildAgentImage(image: string, options: BuildOptions = {}): Promise<void> {
  const context = options.context ?? BUILD_CONTEXT;
  if (!existsSync(join(context, DOCKERFILE))) {
    throw new ClusterError(
      `cannot build ${image}: ${DOCKERFILE} is not in ${context} (build it from a scars checkout, or set agent.image to an image in a registry)`,
    );
  }
  const built = await runTool('docker', ['build', '-f', DOCKERFILE, '-t', image, '.'], {
    cwd: context,
    signal: options.signal,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  if (built.exitCode !== 0) {
    throw new ClusterError(`docker build of ${image} failed (exit ${built.exitCode})${lastWords(built)}`);
  }
}

export type AgentImageSource = 'present' | 'built' | 'registry';

/**
 * Makes sure Docker has the agent image to `kind load`: present → nothing to do; a registry image
 * that is not present → nodes pull it themselves; otherwise build it (needs a Docker engine).
 */
export async function ensureAgentImage(
  image: string,
  options: BuildOptions & { log: (line: string) => void },
): Promise<AgentImageSource> {
  if (await imagePresent(image, options.signal)) {
    options.log(`agent image ${image} is present in Docker`);
    return 'present';
  }
  if (hasRegistry(image) && !image.startsWith('localhost')) {
    options.log(`agent image ${image} is not in Docker; the nodes will pull it from its registry`);
    return 'registry';
  }
  const unavailable = await dockerUnavailable(options.signal);
  if (unavailable) throw new ClusterError(`no Docker engine to build ${image} with (${unavailable})`);
  options.log(`building agent image ${image} (docker build -f ${DOCKERFILE})`);
  await buildAgentImage(image, options);
  return 'built';
}
