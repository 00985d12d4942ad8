/**
 * memhog: in-process against a counting test host (exact pacing, target, hold, release,
 * termination, flags), then as a real process whose RSS must grow by the target and stop there.
 */
import { describe, expect, it } from 'vitest';
import type { MemhogEvent, MemhogLine } from '../../src/agent/modes/memhog.ts';
import type { AgentLine } from '../../src/agent/output.ts';
import { createTestHost, type TestHost } from '../support/agent-host.ts';
import { spawnAgent } from '../support/real-agent.ts';

const Mi = 1024 * 1024;

type Of<E extends MemhogEvent['event']> = AgentLine & Extract<MemhogEvent, { event: E }>;
const only = <E extends MemhogEvent['event']>(t: TestHost, event: E) => t.events<Of<E>>(event);
const one = <E extends MemhogEvent['event']>(t: TestHost, event: E): Of<E> => {
  const found = only(t, event);
  expect(found, `exactly one ${event} line`).toHaveLength(1);
  return found[0] as Of<E>;
};
const msOf = (line: AgentLine) => Date.parse(line.ts);

describe('memhog on a test host', () => {
  it('allocates step by step on the rate schedule and stops exactly at the target', async () => {
    const t = createTestHost({ memory: { baselineBytes: 50 * Mi } });
    const code = await t.run([
      'memhog',
      '--target',
      '30Mi',
      '--rate',
      '64Mi/s',
      '--step',
      '4Mi',
      '--hold',
      '1s',
      '--report-interval',
      '100ms',
    ]);
    expect(code).toBe(0);

    // 7 × 4Mi + 2Mi: the last chunk is cut to the target. Chunk i is due once the rate has paid
    // for what is held: 4Mi at 64Mi/s is 62.5ms apart.
    expect(t.memory.allocations.map((a) => a.bytes / Mi)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
    expect(t.memory.allocations.map((a) => a.atMs)).toEqual([0, 62.5, 125, 187.5, 250, 312.5, 375, 437.5]);
    expect(t.memory.peakHeldBytes).toBe(30 * Mi);

    const config = one(t, 'start-hog');
    expect(config).toMatchObject({
      targetBytes: 30 * Mi,
      rateBytesPerSecond: 64 * Mi,
      stepBytes: 4 * Mi,
      holdMs: 1000,
      release: false,
      reportIntervalMs: 100,
      workingSetBytes: 50 * Mi,
    });
    const reached = one(t, 'target-reached');
    expect(reached).toMatchObject({ allocatedBytes: 30 * Mi, workingSetBytes: 80 * Mi, elapsedMs: 438 });

    // Progress every 100ms, through the climb and the hold, with what was held at that moment.
    const progress = only(t, 'progress');
    const start = msOf(config);
    expect(progress.map((p) => msOf(p) - start)).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400,
    ]);
    expect(progress.slice(0, 4).map((p) => p.allocatedBytes / Mi)).toEqual([8, 16, 20, 28]);
    for (const p of progress) expect(p.workingSetBytes).toBe(50 * Mi + p.allocatedBytes);

    const summary = one(t, 'summary');
    expect(summary).toMatchObject({
      exitCode: 0,
      stoppedBy: 'duration',
      allocatedBytes: 30 * Mi,
      peakWorkingSetBytes: 80 * Mi,
      targetReached: true,
    });
    expect(t.lines().at(-1)?.event).toBe('summary');
    // Held for the hold, not released by a --release (none given), then freed as the run ended.
    expect(msOf(summary) - msOf(reached)).toBe(1000);
    expect(only(t, 'released')).toHaveLength(0);
    expect(t.memory.heldBytes).toBe(0);
    expect(t.clock.pending).toBe(0);
  });

  it('never goes faster than the rate: held bytes stay within one step of rate × time', async () => {
    const t = createTestHost();
    expect(
      await t.run(['memhog', '--target', '100Mi', '--rate', '10Mi/s', '--step', '3Mi', '--hold', '0s']),
    ).toBe(0);
    let held = 0;
    for (const a of t.memory.allocations) {
      held += a.bytes;
      expect(held).toBeLessThanOrEqual((10 * Mi * a.atMs) / 1000 + 3 * Mi + 1); // +1: float time
    }
    expect(held).toBe(100 * Mi);
    expect(one(t, 'target-reached').elapsedMs).toBe(9900); // the last chunk is due at 99Mi / 10Mi/s
  });

  it('--release gives everything back after the hold, reports the working set and exits 0', async () => {
    const t = createTestHost({ memory: { baselineBytes: 50 * Mi } });
    const code = await t.run(['memhog', '--target', '16Mi', '--rate', '1Gi/s', '--hold', '2s', '--release']);
    expect(code).toBe(0);
    const reached = one(t, 'target-reached');
    const released = one(t, 'released');
    expect(released).toMatchObject({ releasedBytes: 16 * Mi, workingSetBytes: 50 * Mi });
    expect(msOf(released) - msOf(reached)).toBeGreaterThanOrEqual(2000);
    expect(t.memory.releasedBytes).toBe(16 * Mi);
    // Nothing but the summary after the release line.
    const events = t.lines().map((l) => l.event);
    expect(events.slice(events.indexOf('released'))).toEqual(['released', 'summary']);
    expect(one(t, 'summary')).toMatchObject({
      exitCode: 0,
      stoppedBy: 'duration',
      allocatedBytes: 16 * Mi,
      peakWorkingSetBytes: 66 * Mi,
      targetReached: true,
    });
  });

  it('without --hold holds until terminated, then writes the summary and exits 0', async () => {
    const t = createTestHost({ memory: { baselineBytes: 50 * Mi } });
    const running = t.run(['memhog', '--target', '8Mi', '--rate', '1Gi/s']);
    await t.waitForEvent('target-reached');
    // An hour of holding passes in virtual time; the memory stays held throughout.
    while (t.clock.elapsedMs < 3_600_000) await new Promise((resolve) => setImmediate(resolve));
    expect(t.memory.heldBytes).toBe(8 * Mi);
    t.terminate();
    expect(await running).toBe(0);
    expect(one(t, 'start-hog').holdMs).toBeNull();
    expect(one(t, 'summary')).toMatchObject({
      exitCode: 0,
      stoppedBy: 'signal',
      allocatedBytes: 8 * Mi,
      targetReached: true,
    });
    expect(only(t, 'progress').length).toBeGreaterThan(3000);
  });

  it('stops allocating when terminated during the climb', async () => {
    const t = createTestHost({ clock: 'manual' });
    const running = t.run(['memhog', '--target', '64Mi', '--report-interval', '100ms']);
    await t.waitForEvent('start-hog');
    await t.clock.advance(100); // chunks at 0 and 62.5ms (64Mi/s, 4Mi steps), progress at 100ms
    t.terminate();
    expect(await running).toBe(0);
    expect(t.memory.allocations.map((a) => a.atMs)).toEqual([0, 62.5]);
    expect(one(t, 'progress')).toMatchObject({ allocatedBytes: 8 * Mi });
    expect(only(t, 'target-reached')).toHaveLength(0);
    expect(one(t, 'summary')).toMatchObject({
      exitCode: 0,
      stoppedBy: 'signal',
      allocatedBytes: 8 * Mi,
      targetReached: false,
    });
    expect(t.clock.pending).toBe(0);
  });

  it('reports a refused allocation as an error and exits 3', async () => {
    const t = createTestHost({ memory: { limitBytes: 10 * Mi } });
    expect(await t.run(['memhog', '--target', '32Mi', '--rate', '1Gi/s'])).toBe(3);
    const error = t.events<{ message: string }>('error');
    expect(error).toHaveLength(1);
    expect(error[0]?.message).toMatch(
      /cannot allocate 4194304 more bytes after 8388608: Array buffer allocation failed/,
    );
    expect(one(t, 'summary')).toMatchObject({
      exitCode: 3,
      stoppedBy: 'error',
      allocatedBytes: 8 * Mi,
      targetReached: false,
    });
    expect(t.memory.heldBytes).toBe(0);
  });

  it.each([
    [[], /target/],
    [['--target', 'lots'], /--target: expected a byte size/],
    [['--target', '0'], /--target: expected a byte size above zero/],
    [['--target', '8Mi', '--rate', 'fast'], /--rate: expected a rate such as 64Mi\/s/],
    [['--target', '8Mi', '--step', '0'], /--step: expected a byte size above zero/],
    [['--target', '8Mi', '--hold', 'forever'], /--hold: expected a duration/],
    [['--target', '8Mi', '--report-interval', '0s'], /--report-interval: expected a duration above zero/],
    [['--target', '8Mi', '--release'], /--release needs --hold/],
    [['--target', '8Mi', '--hodl', '1s'], /hodl/],
  ])('bad flags %j: exit 2 with a line naming the flag', async (flags, message) => {
    const t = createTestHost();
    expect(await t.run(['memhog', ...flags])).toBe(2);
    expect(t.stderr[0]).toMatch(message);
    expect(t.lines()).toEqual([]);
    expect(t.memory.allocations).toEqual([]);
  });

  it('--help describes every flag and gives examples', async () => {
    const t = createTestHost();
    expect(await t.run(['memhog', '--help'])).toBe(0);
    const help = t.stdout.join('\n');
    for (const flag of ['--target', '--rate', '--step', '--hold', '--release', '--report-interval'])
      expect(help).toContain(flag);
    expect(help).toMatch(/Examples:[\s\S]*memhog --target 256Mi/);
  });
});

interface Child {
  code: number | null;
  lines: MemhogLine[];
  stderr: string;
}

/** The agent as its own process on this machine (RSS is the process's, not the test runner's). */
async function agent(args: string[], onLine?: (line: MemhogLine, kill: () => void) => void): Promise<Child> {
  const agent = spawnAgent(args, { timeoutMs: 12_000 });
  agent.onLine((line) => onLine?.(line as MemhogLine, () => agent.child.kill('SIGTERM')));
  const { code, lines, stderr } = await agent.exited;
  return { code, lines: lines as MemhogLine[], stderr };
}

function find<E extends MemhogLine['event']>(lines: MemhogLine[], event: E) {
  const found = lines.filter((l) => l.event === event) as Extract<MemhogLine, { event: E }>[];
  expect(found, `one ${event} line in ${JSON.stringify(lines)}`).toHaveLength(1);
  return found[0] as Extract<MemhogLine, { event: E }>;
}

describe('memhog on this machine', () => {
  const target = 96 * Mi;

  it('grows RSS by the target over its baseline and stops there', async () => {
    const run = await agent([
      'memhog',
      '--target',
      '96Mi',
      '--rate',
      '400Mi/s',
      '--hold',
      '1500ms',
      '--report-interval',
      '100ms',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const baseline = find(run.lines, 'start-hog').workingSetBytes;
    const reached = find(run.lines, 'target-reached');
    expect(reached.allocatedBytes).toBe(target);
    expect(reached.workingSetBytes - baseline).toBeGreaterThan(target * 0.75);
    expect(reached.workingSetBytes - baseline).toBeLessThan(target * 1.25);

    // Every sample taken while holding stays at the target (nothing keeps growing).
    const after = run.lines.slice(run.lines.indexOf(reached));
    const holding = after.filter((l) => l.event === 'progress');
    expect(holding.length).toBeGreaterThanOrEqual(5);
    for (const p of holding) {
      expect(p.allocatedBytes).toBe(target);
      expect(p.workingSetBytes).toBeLessThanOrEqual(baseline + target * 1.2);
    }
    const summary = find(run.lines, 'summary');
    expect(summary).toMatchObject({
      exitCode: 0,
      stoppedBy: 'duration',
      allocatedBytes: target,
      targetReached: true,
    });
    expect(summary.peakWorkingSetBytes).toBeLessThanOrEqual(baseline + target * 1.2);
  });

  it('--release drops RSS back after the hold', async () => {
    const run = await agent([
      'memhog',
      '--target',
      '96Mi',
      '--rate',
      '400Mi/s',
      '--hold',
      '200ms',
      '--release',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const reached = find(run.lines, 'target-reached');
    const released = find(run.lines, 'released');
    expect(released.releasedBytes).toBe(target);
    // Freed buffers leave RSS once V8 has collected and swept them (the mode waits for the figure
    // to settle). Most of the target must be gone; allocator slack may keep a little.
    expect(reached.workingSetBytes - released.workingSetBytes).toBeGreaterThan(target * 0.5);
    expect(find(run.lines, 'summary')).toMatchObject({ exitCode: 0, stoppedBy: 'duration' });
  });

  it('SIGTERM while holding ends the run with a summary and exit 0', async () => {
    const run = await agent(['memhog', '--target', '8Mi', '--rate', '800Mi/s'], (line, kill) => {
      if (line.event === 'target-reached') kill();
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.at(-1)).toMatchObject({
      event: 'summary',
      exitCode: 0,
      stoppedBy: 'signal',
      allocatedBytes: 8 * Mi,
      targetReached: true,
    });
  });
});
