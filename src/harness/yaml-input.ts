/**
 * YAML a user handed us (config, topology, kind config): parsed with an alias bound, and a syntax
 * error turned into one InputError naming the file and line, as every bad-input message reads.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { errorMessage, InputError } from '../errors.ts';

export function parseYamlInput(text: string, shown: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    const first = (errorMessage(err).split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError({ file: shown, ...(line ? { line } : {}), expected: `not valid YAML: ${first}` });
  }
}
