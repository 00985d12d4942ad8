/**
 * Deadlines on replies that travel over real sockets, measured on the sim clock.
 *
 * The sim clock is wall time scaled (at time scale 20 a 1 s probe timeout is a 50 ms timer), and
 * the servers the sim talks to (agent containers) run in this same Node process. When the event
 * loop stalls (a long synchronous task, a GC pause, a busy CI machine), simulated time runs on
 * while no socket is read. On resuming, Node runs the timers phase before the poll (I/O) phase,
 * so a plain timer declares a timeout even when the server's reply already sits in the socket:
 * the stall is charged to the server, which a real client (whose clock does not stall relative
 * to the network) would never do.
 *
 * An `ioDeadline` therefore decides at once only when its timer fires on time. When it fires
 * late, the loop was stalled across the deadline: it lets the loop take a few more turns, each
 * with a poll phase (setImmediate runs after poll), and the caller's reply wins if it is read by
 * then. Those turns take no simulated time worth speaking of when nothing is stalled, so a
 * server whose reply is really due after the deadline (a sim-clock delay, a wall-clock delay
 * longer than the timeout) still misses it.
 *
 * Limit: a reply modelled on the sim clock (a timer due after the deadline) whose due time the
 * same stall also swallowed fires in the same timers phase as the deadline and can land within
 * those turns; the sim cannot tell which of the two came first in cluster time.
 */
import { performance } from 'node:perf_hooks';
import type { SimClock } from './clock.ts';

/** A deadline timer this much wall time late (or more) means the event loop was stalled across it. */
export const STALL_WALL_MS = 5;

/**
 * Loop turns a stalled deadline waits for a reply. A plain HTTP GET between a client and a server
 * in this process that the stall caught before it reached the server needs three (connect and
 * accept, request read and reply written, reply read); a TLS handshake adds a few round trips.
 * Turns cost microseconds when nothing is stalled, so the margin is cheap.
 */
export const GRACE_TURNS = 16;

/**
 * The wall time the backup timer of a real operation under `withIoDeadline` adds to the caller's
 * timeout (it answers when the sim clock's `stop()` took the deadline): a stall longer than this
 * still times the operation out.
 */
export const STALL_HEADROOM_WALL_MS = 1000;

/** Where deadline timers go: a kubelet's `Timers`, or the sim clock itself (`clockTimers`). */
export interface DeadlineTimers<T> {
  readonly clock: Pick<SimClock, 'toWall'>;
  /** Runs `fn` after `simMs` of simulated time. */
  after(simMs: number, fn: () => void): T;
  cancel(timer: T | undefined): void;
}

/** The sim clock's own timers as `DeadlineTimers` (cancelled by `clock.stop()` as any other). */
export function clockTimers(clock: SimClock): DeadlineTimers<NodeJS.Timeout> {
  return {
    clock,
    after: (simMs, fn) => clock.setTimeout(fn, simMs),
    cancel: (timer) => {
      if (timer) clock.clearTimeout(timer);
    },
  };
}

export interface IoDeadline {
  /** The reply came: the deadline will not expire. */
  cancel(): void;
}

/**
 * Calls `expire` once `simMs` of simulated time have passed, unless cancelled first; if the event
 * loop was stalled across that moment, only after the loop has had `GRACE_TURNS` turns to read
 * what the sockets already hold.
 */
export function ioDeadline<T>(timers: DeadlineTimers<T>, simMs: number, expire: () => void): IoDeadline {
  let done = false;
  let immediate: NodeJS.Immediate | undefined;
  const dueAt = performance.now() + Math.max(0, timers.clock.toWall(simMs));
  const finish = (): void => {
    if (done) return;
    done = true;
    expire();
  };
  const timer = timers.after(simMs, () => {
    if (done) return;
    if (performance.now() - dueAt < STALL_WALL_MS) return finish();
    let turns = GRACE_TURNS;
    const turn = (): void => {
      immediate = undefined;
      if (done) return;
      if (--turns > 0) immediate = setImmediate(turn);
      else finish();
    };
    immediate = setImmediate(turn);
  });
  return {
    cancel: () => {
      if (done) return;
      done = true;
      timers.cancel(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}

/**
 * Runs a real socket operation under the caller's simulated timeout, as an `ioDeadline`: when it
 * expires, `signal` aborts the operation (its connection is closed then, as a client that gives
 * up closes it) and the result is `timedOut()`. `run`'s own wall timeout is only a backup
 * (`STALL_HEADROOM_WALL_MS` past the caller's).
 */
export function withIoDeadline<R>(
  clock: SimClock,
  simMs: number,
  run: (wallTimeoutMs: number, signal: AbortSignal) => Promise<R>,
  timedOut: () => Error,
): Promise<R> {
  const abort = new AbortController();
  const wallTimeoutMs = Math.max(1, Math.ceil(clock.toWall(simMs))) + STALL_HEADROOM_WALL_MS;
  return new Promise<R>((resolve, reject) => {
    const deadline = ioDeadline(clockTimers(clock), simMs, () => {
      const error = timedOut();
      reject(error);
      abort.abort(error);
    });
    run(wallTimeoutMs, abort.signal).then(
      (value) => {
        deadline.cancel();
        resolve(value);
      },
      (err: unknown) => {
        deadline.cancel();
        reject(err);
      },
    );
  });
}
