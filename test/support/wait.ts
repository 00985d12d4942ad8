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
