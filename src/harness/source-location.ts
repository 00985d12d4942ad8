/**
 * Finds the line of a field in a scenario or config file, so errors can say `file:line`.
 * TypeScript files are parsed with the TypeScript compiler API (loaded only when an error needs a line);
 * YAML files with `yaml`'s LineCounter.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { IssuePath } from './validation.ts';

type TS = typeof import('typescript');
let ts: TS | undefined;
function typescript(): TS {
  ts ??= createRequire(import.meta.url)('typescript') as TS;
  return ts;
}

/**
 * Line (1-based) of `path` inside the object literal passed to `callee(...)` or exported by default.
 * Stops at the deepest literal it can follow, so a field built by a helper call reports the call's line.
 */
export function locateInTypeScript(file: string, path: IssuePath, callees: string[]): number | undefined {
  const t = typescript();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const source = t.createSourceFile(file, text, t.ScriptTarget.Latest, true);
  const root = findRootLiteral(t, source, callees);
  if (!root) return undefined;
  let node: import('typescript').Node = root;
  for (const part of path) {
    const next = step(t, node, part);
    if (!next) break;
    node = next;
  }
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

function findRootLiteral(t: TS, source: import('typescript').SourceFile, callees: string[]) {
  let found: import('typescript').ObjectLiteralExpression | undefined;
  const visit = (node: import('typescript').Node): void => {
    if (found) return;
    if (
      t.isCallExpression(node) &&
      t.isIdentifier(node.expression) &&
      callees.includes(node.expression.text) &&
      node.arguments[0] &&
      t.isObjectLiteralExpression(node.arguments[0])
    ) {
      found = node.arguments[0];
      return;
    }
    if (t.isExportAssignment(node) && t.isObjectLiteralExpression(unwrap(t, node.expression))) {
      found = unwrap(t, node.expression) as import('typescript').ObjectLiteralExpression;
      return;
    }
    t.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function unwrap(t: TS, node: import('typescript').Expression): import('typescript').Expression {
  let cur = node;
  while (t.isParenthesizedExpression(cur) || t.isAsExpression(cur) || t.isSatisfiesExpression(cur))
    cur = cur.expression;
  return cur;
}

function step(
  t: TS,
  node: import('typescript').Node,
  part: string | number,
): import('typescript').Node | undefined {
  const expr = t.isPropertyAssignment(node) ? unwrap(t, node.initializer) : node;
  if (typeof part === 'number') {
    if (!t.isArrayLiteralExpression(expr)) return undefined;
    return expr.elements[part];
  }
  if (!t.isObjectLiteralExpression(expr)) return undefined;
  return expr.properties.find((p) => {
    const n = p.name;
    return n !== undefined && (t.isIdentifier(n) || t.isStringLiteral(n)) && n.text === part;
  });
}

/** Line (1-based) of `path` in a YAML document; the deepest existing node if the field is missing. */
export function locateInYaml(text: string, path: IssuePath): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(part));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}
