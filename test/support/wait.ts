/** Polls `check` until it holds; the error names what was awaited and, if given, the output so far. */
export async function waitFor(
  what: string,
  check: () => boolean,
  ms = 10_000,
  output?: () => string,
): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}${output ? `; output so far:\n${output()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Polls `probe` (wall time) until `ok` holds for what it returns, and returns that. A probe that
 * throws counts as not yet (a server still starting); the timeout's error names what was awaited
 * and the last value or error seen.
 */
export async function untilOk<T>(
  what: string,
  probe: () => T | Promise<T>,
  ok: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > end) {
      const seen =
        last === undefined || ('value' in last && last.value === undefined)
          ? ''
          : 'error' in last
            ? `: ${String(last.error)}`
            : `: ${JSON.stringify(last.value)?.slice(0, 2000)}`;
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Polls `read` (wall time) until `check` holds for what it returns, and returns that. Unlike
 * `untilOk`, a throw from `read` fails at once (an API error is an answer, not "not yet"); the
 * timeout's error names what was awaited and the last value seen.
 */
export async function untilHolds<T>(
  what: string,
  read: () => Promise<T>,
  check: (v: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const last = await read();
    if (check(last)) return last;
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)?.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls `check` until it returns something (not undefined or false), and returns that. */
export const until = <T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> => untilOk<T | undefined>(what, check, (v) => v !== undefined && v !== false, ms) as Promise<T>;
