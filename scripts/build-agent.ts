/**
 * Bundles the agent (src/agent/main.ts and everything it imports, yargs included) into one ES
 * module, dist/agent/scars-agent.mjs, which the agent image runs with plain `node`: no
 * node_modules, no TypeScript loader, no package.json beside it.
 *
 *   npm run build:agent                      # → dist/agent/scars-agent.mjs
 *   npx tsx scripts/build-agent.ts --outdir /tmp/agent
 */
import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
/** The bundle's file name; images/agent/Dockerfile runs /agent/<this>. */
export const AGENT_BUNDLE = 'scars-agent.mjs';
export const DEFAULT_OUTDIR = resolve(REPO, 'dist/agent');

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * src/version.ts reads ../package.json next to itself when it loads; in the bundle there is no
 * such file, so that module is replaced by one carrying the version as a constant.
 */
function versionConstant(version: string): Plugin {
  const versionModule = resolve(REPO, 'src/version.ts');
  return {
    name: 'scars-version-constant',
    setup(b) {
      b.onResolve({ filter: /version\.ts$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        return path === versionModule ? { path, namespace: 'scars-version' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'scars-version' }, () => ({
        contents: `export const VERSION = ${JSON.stringify(version)};`,
        loader: 'ts',
      }));
    },
  };
}

export interface BuiltAgent {
  outfile: string;
  bytes: number;
  version: string;
}

export async function buildAgent(options: { outdir?: string } = {}): Promise<BuiltAgent> {
  const version = packageVersion();
  const outfile = resolve(options.outdir ?? DEFAULT_OUTDIR, AGENT_BUNDLE);
  await build({
    absWorkingDir: REPO,
    entryPoints: ['src/agent/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    define: { 'process.env.SCARS_AGENT_VERSION': JSON.stringify(version) },
    // CommonJS dependencies call require() for Node built-ins (dns-packet: require('buffer')), and
    // esbuild's ES module output has no require to call; give the bundle one.
    banner: {
      js: "import { createRequire as __scarsCreateRequire } from 'node:module';\nconst require = __scarsCreateRequire(import.meta.url);",
    },
    plugins: [versionConstant(version)],
    // Unminified: stack traces in pod logs stay readable, and the size hardly matters in an image.
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { outfile, bytes: statSync(outfile).size, version };
}

async function main(argv: string[]): Promise<number> {
  let outdir: string | undefined;
  try {
    ({
      values: { outdir },
    } = parseArgs({ args: argv, options: { outdir: { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`build-agent: ${(err as Error).message}\nusage: build-agent [--outdir <dir>]\n`);
    return 2;
  }
  try {
    const built = await buildAgent({ outdir });
    const shown = relative(process.cwd(), built.outfile) || built.outfile;
    process.stdout.write(
      `built ${shown} (${Math.round(built.bytes / 1024)} KiB, scars-agent ${built.version})\n`,
    );
    return 0;
  } catch (err) {
    // esbuild has printed the details already (logLevel warning).
    process.stderr.write(`build-agent: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
