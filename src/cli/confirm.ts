/**
 * Questions a run asks before it changes anything: whether faults may go into an existing
 * cluster (`--provider context`), and whether journals of killed runs should be replayed first.
 * They are asked only on a terminal; without one, `--yes` is the answer to the first and the
 * printed `scars cleanup` command the answer to the second — a script never hangs on a prompt.
 */
import { createInterface } from 'node:readline';
import { loadKubeConfig } from '../cluster/context.ts';
import { checkContext } from '../cluster/guard.ts';
import { BlastRadiusError } from '../errors.ts';
import type { CliIO } from './main.ts';

/** stdin when it is a terminal someone can answer on. */
export function interactiveInput(io: CliIO): NodeJS.ReadableStream | undefined {
  const input = io.stdin ?? process.stdin;
  return (input as NodeJS.ReadStream).isTTY === true ? input : undefined;
}

/** One y/N question; anything but y or yes (or end of input) is no. */
export async function askYesNo(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  question: string,
) {
  const rl = createInterface({ input, output, terminal: false });
  try {
    output.write(`${question} [y/N] `);
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

export interface ContextTarget {
  kubeconfig: string | undefined;
  context: string | undefined;
  allowContexts: readonly string[];
}

/**
 * `--provider context` injects faults into a cluster scars did not create. Refuse a non-local one
 * first (nothing is contacted), then ask on a terminal, or demand `--yes` without one.
 */
export async function confirmContextRun(io: CliIO, target: ContextTarget, yes: boolean): Promise<void> {
  const { kc } = loadKubeConfig(target.kubeconfig);
  const name = target.context ?? kc.getCurrentContext();
  const ctx = kc.getContexts().find((c) => c.name === name);
  // An unknown context is reported by the provider with the contexts there are.
  if (!ctx) return;
  const server = kc.getCluster(ctx.cluster)?.server ?? '';
  checkContext({ context: name, server, allowContexts: target.allowContexts });
  if (yes) return;
  const input = interactiveInput(io);
  if (!input) {
    throw new BlastRadiusError(
      `--provider context: faults would go into the existing cluster of context "${name}" (${server}); pass --yes to confirm (there is no terminal to ask on)`,
    );
  }
  const ok = await askYesNo(
    input,
    io.stderr,
    `scars will inject faults into context "${name}" (${server}) and revert them afterwards. Go on?`,
  );
  if (!ok) throw new BlastRadiusError(`--provider context: not confirmed; nothing was changed in "${name}"`);
}
