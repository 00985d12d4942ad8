/**
 * YAML a user handed us (config, topology, kind config): parsed within bounds (size, alias
 * expansions, nesting), and a syntax error turned into one InputError naming the file and line,
 * as every bad-input message reads. These files are a few kilobytes; the bounds are far above any
 * real one and far below what would stall or crash the process.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { errorMessage, InputError } from '../errors.ts';

export const YAML_INPUT_LIMITS = { maxBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 64 } as const;

export function parseYamlInput(text: string, shown: string): unknown {
  if (Buffer.byteLength(text) > YAML_INPUT_LIMITS.maxBytes) {
    throw new InputError({
      file: shown,
      expected: `larger than ${YAML_INPUT_LIMITS.maxBytes / 1024 / 1024} MiB; refusing it (a config of this kind is a few KiB)`,
    });
  }
  let value: unknown;
  try {
    // logLevel error: the yaml library would print warnings (an unknown `!tag`) to stderr itself.
    value = parseYaml(text, { maxAliasCount: YAML_INPUT_LIMITS.maxAliasCount, logLevel: 'error' });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new InputError({
        file: shown,
        expected: `more than ${YAML_INPUT_LIMITS.maxAliasCount} alias expansions (a YAML alias bomb?); refusing it`,
      });
    }
    if (err instanceof RangeError || /Maximum call stack/.test(errorMessage(err))) {
      throw new InputError({ file: shown, expected: 'nested too deeply to parse; refusing it' });
    }
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    const first = (errorMessage(err).split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError({ file: shown, ...(line ? { line } : {}), expected: `not valid YAML: ${first}` });
  }
  if (depthOf(value) > YAML_INPUT_LIMITS.maxDepth) {
    throw new InputError({
      file: shown,
      expected: `nested more than ${YAML_INPUT_LIMITS.maxDepth} levels deep; refusing it`,
    });
  }
  return value;
}

/** Deepest nesting of maps and sequences, walked without recursion (the input may be hostile). */
function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > YAML_INPUT_LIMITS.maxDepth) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}
