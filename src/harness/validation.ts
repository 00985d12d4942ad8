/**
 * Turns a zod failure into the one-line shape of every bad-input message:
 * `file:line: field: expected …, got …`, with the line found in the source file.
 */
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import { closest } from './suggest.ts';

export type IssuePath = (string | number)[];

export interface FirstIssue {
  path: IssuePath;
  field: string;
  expected: string;
}

export function firstIssue(error: z.ZodError, input: unknown, schema?: z.ZodType): FirstIssue {
  let issue = error.issues[0];
  if (!issue) return { path: [], field: '', expected: 'invalid value' };
  let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // For "one of these shapes" failures, the branch that got furthest explains the mistake best.
  while (issue.code === 'invalid_union' && typeof valueAt(input, path) === 'object') {
    const branches: z.core.$ZodIssue[][] = issue.errors;
    const best = branches
      .map((b) => b[0])
      .filter((b): b is z.core.$ZodIssue => b !== undefined && b.path.length > 0)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!best) break;
    issue = best;
    path = [...path, ...best.path.filter((p): p is string | number => typeof p !== 'symbol')];
  }
  let expected = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = schema ? keysAt(schema, path) : [];
    const hint = closest(key, known);
    path = [...path, key];
    expected = `unknown field${hint ? ` (did you mean "${hint}"?)` : known.length ? `; expected one of ${known.join(', ')}` : ''}`;
  } else if (!/, got /.test(expected)) {
    expected = `${expected}, got ${describeValue(valueAt(input, path))}`;
  }
  return { path, field: formatPath(path), expected };
}

export function toInputError(
  schema: z.ZodType,
  error: z.ZodError,
  input: unknown,
  file: string | undefined,
  locate: (path: IssuePath) => number | undefined,
  fieldPrefix = '',
): InputError {
  const first = firstIssue(error, input, schema);
  const line = file ? locate(first.path) : undefined;
  const field = [fieldPrefix, first.field].filter(Boolean).join('.');
  return new InputError({
    ...(file ? { file } : {}),
    ...(line ? { line } : {}),
    ...(field ? { field } : {}),
    expected: first.expected,
  });
}

export function formatPath(path: IssuePath): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
    '',
  );
}

export function valueAt(input: unknown, path: IssuePath): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  const json = JSON.stringify(v);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The field names the schema allows at `path`, for "did you mean" on unknown fields. */
export function keysAt(schema: z.ZodType, path: IssuePath): string[] {
  let cur: z.ZodType | undefined = schema;
  for (const p of [...path, null]) {
    // Unwrap optional/default/nullable wrappers and take the first object of a union.
    for (let guard = 0; cur && guard < 10; guard++) {
      const def: SchemaDef = defOf(cur);
      if (def.innerType) cur = def.innerType;
      else if (def.options) cur = def.options.find((o) => defOf(o).type === 'object') ?? def.options[0];
      else break;
    }
    if (!cur) return [];
    if (p === null) break;
    const def: SchemaDef = defOf(cur);
    cur = typeof p === 'number' ? def.element : def.shape?.[p];
  }
  const shape = cur ? defOf(cur).shape : undefined;
  return shape ? Object.keys(shape) : [];
}
