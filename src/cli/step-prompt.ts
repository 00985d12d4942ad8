/**
 * `scars run --step`: before each inject and each revert, say what is about to happen and wait
 * for Enter; `a` aborts (the run stops and reverts, as after Ctrl-C). Lines are read from stdin,
 * so a facilitator types them, or a script pipes them in. End of input aborts: a game day never
 * goes on by itself.
 */
import { createInterface, type Interface } from 'node:readline';
import { InterruptedError } from '../errors.ts';
import type { StepPause } from '../harness/runner.ts';

export const STEP_ABORT = 'abort at the step prompt';

export interface StepPrompt {
  pause(at: StepPause): Promise<void>;
  close(): void;
}

export function stepPrompt(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  interrupt: AbortController,
): StepPrompt {
  let rl: Interface | undefined;
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  const open = () => {
    if (rl) return;
    rl = createInterface({ input, terminal: false });
    rl.on('line', (line) => (waiting.shift() ?? ((l: string | null) => lines.push(l ?? '')))(line));
    rl.on('close', () => {
      ended = true;
      for (const w of waiting.splice(0)) w(null);
    });
  };
  const nextLine = (signal: AbortSignal) =>
    new Promise<string | null>((resolve) => {
      if (lines.length) return resolve(lines.shift()!);
      if (ended) return resolve(null);
      const onAbort = () => resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
      waiting.push((line) => {
        signal.removeEventListener('abort', onAbort);
        resolve(line);
      });
    });

  return {
    async pause(at) {
      open();
      const what = at.before === 'inject' ? 'inject' : 'revert';
      output.write(
        `\n⏸  ${at.scenario} (${at.arm} arm) in namespace ${at.namespace}  ·  export NS=${at.namespace}\n` +
          `   about to ${what}:\n${at.faults.map((f) => `     - ${f}\n`).join('')}` +
          `   Enter to ${what}, a to abort (reverts everything): `,
      );
      for (;;) {
        const line = await nextLine(interrupt.signal);
        if (interrupt.signal.aborted) throw interrupt.signal.reason;
        if (line === null) {
          output.write('\n');
          return abort('stdin closed at the step prompt');
        }
        const answer = line.trim().toLowerCase();
        if (answer === '') {
          output.write(`   ${what}ing\n`);
          return;
        }
        if (answer === 'a' || answer === 'abort') return abort(STEP_ABORT);
        output.write(`   "${line.trim()}"? Enter to ${what}, a to abort: `);
      }
    },
    close() {
      rl?.close();
      // readline resumed stdin; let the process exit once the run is over.
      if ('unref' in input && typeof input.unref === 'function') input.unref();
      else input.pause();
    },
  };

  function abort(why: string): never {
    output.write(`   aborting (${why}): reverting\n`);
    const reason = new InterruptedError(why);
    interrupt.abort(reason);
    throw reason;
  }
}
