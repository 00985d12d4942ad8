/**
 * Real kubectl binaries for compatibility tests, located at run time: `kubectl` on PATH and the
 * versioned `kubectl.1.NN` that the Google Cloud SDK ships. A missing one is reported, not faked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export interface KubectlBinary {
  /** `1.27`, `1.32`, … as the binary reports it. */
  version: string;
  path: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function sdkBinDirs(): string[] {
  const dirs = [
    '/usr/lib/google-cloud-sdk/bin',
    '/usr/share/google-cloud-sdk/bin',
    '/opt/google-cloud-sdk/bin',
  ];
  const gcloud = onPath('gcloud');
  if (gcloud) dirs.unshift(dirname(gcloud));
  return dirs;
}

function clientVersion(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const v = (JSON.parse(out) as { clientVersion?: { major?: string; minor?: string } }).clientVersion;
    return v?.major && v.minor ? `${v.major}.${v.minor.replace(/\D+$/, '')}` : undefined;
  } catch {
    return undefined;
  }
}

/** The binary for a minor version (`1.27`), or `kubectl` on PATH for `default`. */
export function findKubectl(wanted: string): KubectlBinary | undefined {
  const candidates =
    wanted === 'default'
      ? [onPath('kubectl')]
      : [onPath(`kubectl.${wanted}`), ...sdkBinDirs().map((d) => join(d, `kubectl.${wanted}`))];
  for (const path of candidates) {
    if (!path || !existsSync(path)) continue;
    const version = clientVersion(path);
    if (version && (wanted === 'default' || version === wanted)) return { version, path };
  }
  return undefined;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs kubectl against one kubeconfig, with a private discovery cache so runs never see stale discovery. */
export function kubectlRunner(bin: KubectlBinary, kubeconfig: string) {
  const cacheDir = mkdtempSync(join(tmpdir(), `scars-kubectl-${bin.version}-`));
  const env = { KUBECONFIG: kubeconfig, HOME: cacheDir, KUBECACHEDIR: join(cacheDir, 'cache') };
  const run = async (args: string[], input?: string): Promise<KubectlResult> => {
    const r = await execa(bin.path, args, {
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
      ...(input !== undefined ? { input } : {}),
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  };
  /** Like run, but fails the test with kubectl's own output when the command fails. */
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await run(args, input);
    if (r.exitCode !== 0)
      throw new Error(
        `kubectl ${bin.version} ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}${r.stdout}`,
      );
    return r.stdout;
  };
  const spawn = (args: string[]): ResultPromise =>
    execa(bin.path, args, { env, extendEnv: false, reject: false, buffer: false });
  return { run, ok, spawn, cacheDir };
}
