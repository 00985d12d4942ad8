/**
 * memhog: grows the agent's working set to a target at a steady rate, holds it, and optionally
 * gives it back. It is the workload side of memory faults: a container that crosses its limit is
 * OOM-killed (exit 137), a node whose pods together cross the eviction threshold evicts them.
 *
 * Memory comes from `host.memory.allocate`, which touches every page, so each chunk shows in the
 * working set at once (on a real host RSS and the cgroup's figure; in the sim its accounting).
 * Growth is gradual on purpose: the kubelet and the kernel see a pod climbing towards its limit,
 * as a leak does, not one jump past it.
 */
import { bytesFlag, byteRateFlag, durationFlag, FlagError } from '../args.ts';
import { AgentExit } from '../exit-codes.ts';
import type { Host, MemoryBlock } from '../host.ts';
import { defineMode, type ModeContext } from '../mode.ts';
import type { AgentLine, CommonEvent, SummaryFields } from '../output.ts';
import { every } from '../pacer.ts';

export interface MemhogOptions {
  targetBytes: number;
  rateBytesPerSecond: number;
  stepBytes: number;
  /** How long to hold once at target; undefined holds until the agent is terminated. */
  holdMs: number | undefined;
  /** After the hold, release everything, report the working set and exit. */
  release: boolean;
  reportIntervalMs: number;
}

export interface MemhogSummary extends SummaryFields {
  /** Bytes allocated over the run (not reduced by `--release`); never more than the target. */
  allocatedBytes: number;
  peakWorkingSetBytes: number;
  targetReached: boolean;
}

/** The lines memhog writes besides the common `start` and `error`. */
export type MemhogEvent =
  | {
      event: 'start-hog';
      targetBytes: number;
      rateBytesPerSecond: number;
      stepBytes: number;
      /** null: hold until terminated. */
      holdMs: number | null;
      release: boolean;
      reportIntervalMs: number;
      /** The working set before the first allocation: the baseline the target is added to. */
      workingSetBytes: number;
    }
  | { event: 'progress'; allocatedBytes: number; workingSetBytes: number }
  | { event: 'target-reached'; allocatedBytes: number; workingSetBytes: number; elapsedMs: number }
  | { event: 'released'; releasedBytes: number; workingSetBytes: number }
  | MemhogSummary;

/** A memhog log line as observers parse it. */
export type MemhogLine = AgentLine<MemhogEvent | CommonEvent>;

function options(argv: Record<string, unknown>): MemhogOptions {
  const targetBytes = bytesFlag('target', argv.target);
  if (targetBytes < 1) throw new FlagError('target', argv.target, 'a byte size above zero such as 256Mi');
  const stepBytes = bytesFlag('step', argv.step);
  if (stepBytes < 1) throw new FlagError('step', argv.step, 'a byte size above zero such as 4Mi');
  const reportIntervalMs = durationFlag('report-interval', argv['report-interval']);
  if (!(reportIntervalMs > 0))
    throw new FlagError('report-interval', argv['report-interval'], 'a duration above zero such as 1s');
  const holdMs = argv.hold === undefined ? undefined : durationFlag('hold', argv.hold);
  const release = argv.release === true;
  if (release && holdMs === undefined)
    throw new Error('--release needs --hold <duration>: without one the memory is held until termination');
  return {
    targetBytes,
    rateBytesPerSecond: byteRateFlag('rate', argv.rate),
    stepBytes,
    holdMs,
    release,
    reportIntervalMs,
  };
}

/** Resolves once the signal aborts (the hold with no duration). */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function run(o: MemhogOptions, { host, out }: ModeContext<MemhogEvent>): Promise<number> {
  const { clock, memory, terminated } = host;
  const blocks: MemoryBlock[] = [];
  let allocatedBytes = 0;
  let peakWorkingSetBytes = 0;
  let targetReached = false;
  const workingSet = () => {
    const bytes = memory.workingSetBytes();
    peakWorkingSetBytes = Math.max(peakWorkingSetBytes, bytes);
    return bytes;
  };
  const summary = (exitCode: number, stoppedBy: SummaryFields['stoppedBy']) => {
    out.emit({
      event: 'summary',
      exitCode,
      stoppedBy,
      allocatedBytes,
      peakWorkingSetBytes: Math.max(peakWorkingSetBytes, workingSet()),
      targetReached,
    });
    return exitCode;
  };

  out.emit({
    event: 'start-hog',
    targetBytes: o.targetBytes,
    rateBytesPerSecond: o.rateBytesPerSecond,
    stepBytes: o.stepBytes,
    holdMs: o.holdMs ?? null,
    release: o.release,
    reportIntervalMs: o.reportIntervalMs,
    workingSetBytes: workingSet(),
  });
  const stopProgress = every(
    clock,
    o.reportIntervalMs,
    () => out.emit({ event: 'progress', allocatedBytes, workingSetBytes: workingSet() }),
    terminated,
  );
  try {
    // Chunk by chunk on a byte schedule: the next chunk is due once `rate` has paid for what is
    // already held, so the working set follows rate × time (one step ahead at most). The loop
    // sleeps even when a chunk is late, so progress lines and SIGTERM are served between chunks.
    const start = clock.now();
    while (allocatedBytes < o.targetBytes) {
      const due = start + (allocatedBytes / o.rateBytesPerSecond) * 1000;
      try {
        await clock.sleep(Math.max(0, due - clock.now()), terminated);
      } catch {
        return summary(AgentExit.ok, 'signal');
      }
      if (terminated.aborted) return summary(AgentExit.ok, 'signal');
      const chunk = Math.min(o.stepBytes, o.targetBytes - allocatedBytes);
      try {
        blocks.push(memory.allocate(chunk));
      } catch (err) {
        // ENOMEM or V8's RangeError: the host will not give more (a real limit means an OOM kill instead).
        const reason = err instanceof Error ? err.message : String(err);
        out.emit({
          event: 'error',
          message: `cannot allocate ${chunk} more bytes after ${allocatedBytes}: ${reason}`,
        });
        return summary(AgentExit.environment, 'error');
      }
      allocatedBytes += chunk;
      workingSet();
    }
    targetReached = true;
    out.emit({
      event: 'target-reached',
      allocatedBytes,
      workingSetBytes: workingSet(),
      elapsedMs: Math.round(clock.now() - start),
    });

    if (o.holdMs === undefined) {
      await untilAborted(terminated);
      return summary(AgentExit.ok, 'signal');
    }
    try {
      await clock.sleep(o.holdMs, terminated);
    } catch {
      return summary(AgentExit.ok, 'signal');
    }
    if (o.release) {
      stopProgress();
      const releasedBytes = releaseAll(blocks);
      const workingSetBytes = await settledWorkingSet(host);
      out.emit({ event: 'released', releasedBytes, workingSetBytes });
    }
    return summary(AgentExit.ok, 'duration');
  } finally {
    stopProgress();
    // The process ends here on a real host anyway; on an in-process host (the sim, tests) the
    // memory must not outlive the run.
    releaseAll(blocks);
  }
}

const SETTLE_SAMPLE_MS = 50;
const SETTLE_MAX_SAMPLES = 20;

/**
 * The working set once a release has shown in it. A real host frees released buffers shortly
 * after the collection that finds them (V8 sweeps array buffers on a background thread), so a
 * figure read at once can still include them: sample until it stops falling (bounded, ~1s).
 */
async function settledWorkingSet(host: Host): Promise<number> {
  let last = host.memory.workingSetBytes();
  for (let i = 0; i < SETTLE_MAX_SAMPLES; i++) {
    try {
      await host.clock.sleep(SETTLE_SAMPLE_MS, host.terminated);
    } catch {
      break;
    }
    const now = host.memory.workingSetBytes();
    if (now >= last) return now;
    last = now;
  }
  return last;
}

function releaseAll(blocks: MemoryBlock[]): number {
  let bytes = 0;
  for (const block of blocks.splice(0)) {
    block.release();
    bytes += block.bytes;
  }
  return bytes;
}

export const memhogMode = defineMode<MemhogOptions, MemhogEvent>({
  name: 'memhog',
  describe: 'Grow the working set to a target at a steady rate, hold it, optionally release it',
  flags: (y) =>
    y
      .options({
        target: {
          type: 'string',
          demandOption: true,
          describe: 'Bytes to allocate in all, as a quantity (256Mi, 1Gi); never exceeded',
        },
        rate: {
          type: 'string',
          default: '64Mi/s',
          describe: 'Allocation rate in bytes per second (the working set grows gradually)',
        },
        step: {
          type: 'string',
          default: '4Mi',
          describe: 'Size of each allocation; the last one is smaller if the target is not a multiple',
        },
        hold: {
          type: 'string',
          describe: 'How long to hold the memory once at target (default: until SIGTERM)',
        },
        release: {
          type: 'boolean',
          default: false,
          describe: 'After the hold, release everything, report the working set and exit (needs --hold)',
        },
        'report-interval': {
          type: 'string',
          default: '1s',
          describe: 'How often to write a progress line with allocated bytes and the working set',
        },
      })
      .example('$0 memhog --target 256Mi', 'Grow by 256Mi at 64Mi/s and hold until terminated')
      .example(
        '$0 memhog --target 1Gi --rate 128Mi/s --hold 2m --release',
        'Climb to 1Gi, hold two minutes, give it back and exit 0',
      ),
  options,
  run,
});
