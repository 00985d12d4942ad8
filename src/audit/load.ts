/**
 * Reads manifests for the audit: files, directories (recursively: *.yaml, *.yml, *.json) and stdin;
 * multi-document YAML and `List` objects. Input may be hostile (a manifest from a pull request), so
 * every read is bounded: bytes per file and in all, number of files, nesting depth, alias expansions.
 * Bad input is one InputError naming file and line.
 */
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseAllDocuments,
  YAMLError,
} from 'yaml';
import { errorMessage, InputError } from '../errors.ts';
import type { FieldPath, KubeManifest, Location, Manifest, SourceFile } from './types.ts';

export interface LoadLimits {
  /** Largest single input (file or stdin). */
  maxFileBytes: number;
  /** All inputs together. */
  maxTotalBytes: number;
  /** Files found under directories. */
  maxFiles: number;
  /** Deepest nesting of maps and sequences in a document (real manifests stay well under 30). */
  maxDepth: number;
  /** Alias expansions per document: a "billion laughs" document needs thousands. */
  maxAliasCount: number;
}

export const DEFAULT_LIMITS: LoadLimits = {
  maxFileBytes: 8 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxFiles: 10_000,
  maxDepth: 100,
  maxAliasCount: 100,
};

export const STDIN = '-';
const STDIN_DISPLAY = '<stdin>';
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export interface ReadOptions {
  cwd: string;
  stdin?: NodeJS.ReadableStream;
  limits?: Partial<LoadLimits>;
}

/** Reads every input named (paths, directories, `-` for stdin) into source files, within the limits. */
export async function readSources(inputs: readonly string[], options: ReadOptions): Promise<SourceFile[]> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sources: SourceFile[] = [];
  let total = 0;
  const add = (display: string, uri: string, text: string, bytes: number) => {
    total += bytes;
    if (total > limits.maxTotalBytes) {
      throw new InputError({
        file: display,
        expected: `the inputs together exceed ${formatBytes(limits.maxTotalBytes)}; audit fewer files at once`,
      });
    }
    sources.push({ display, uri, text: text.replace(/^\uFEFF/, ''), lineCounter: new LineCounter() });
  };
  for (const input of inputs) {
    if (input === STDIN) {
      const buf = await readStream(options.stdin ?? process.stdin, limits.maxFileBytes);
      add(STDIN_DISPLAY, 'stdin', buf.toString('utf8'), buf.length);
      continue;
    }
    for (const file of expand(input, options.cwd, limits.maxFiles)) {
      const display = displayPath(file, options.cwd);
      const buf = readBounded(file, display, limits.maxFileBytes);
      // Outside the working directory a relative reference would mislead: give the absolute file URL.
      add(
        display,
        isAbsolute(display) ? pathToFileURL(file).href : uriOf(display),
        buf.toString('utf8'),
        buf.length,
      );
    }
  }
  return sources;
}

/** A path to the files it stands for: itself, or the manifest files under it (sorted, hidden ones skipped). */
function expand(input: string, cwd: string, maxFiles: number): string[] {
  const root = resolve(cwd, input);
  const shown = displayPath(root, cwd);
  let stat;
  try {
    stat = statSync(root);
  } catch (err) {
    throw new InputError({ file: shown, expected: `cannot read: ${systemReason(err)}` });
  }
  if (!stat.isDirectory()) return [root];
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    // Symlinked directories could loop; each real directory is walked once.
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new InputError({ file: displayPath(dir, cwd), expected: `cannot read: ${systemReason(err)}` });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const path = resolve(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const target = statSync(path);
          isDir = target.isDirectory();
          isFile = target.isFile();
        } catch {
          continue; // a dangling link is not a manifest
        }
      }
      if (isDir) walk(path);
      else if (isFile && MANIFEST_FILE.test(e.name)) {
        files.push(path);
        if (files.length > maxFiles) {
          throw new InputError({
            file: shown,
            expected: `more than ${maxFiles} manifest files under this directory; audit a smaller tree`,
          });
        }
      }
    }
  };
  walk(root);
  if (files.length === 0)
    throw new InputError({ file: shown, expected: 'no .yaml, .yml or .json files in this directory' });
  return files;
}

function readBounded(file: string, display: string, max: number): Buffer {
  let buf: Buffer;
  try {
    // The size is checked before reading so a huge file costs nothing; and again after, in case it grew.
    const size = statSync(file).size;
    if (size > max) throw tooLarge(display, max, size);
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError({ file: display, expected: `cannot read: ${systemReason(err)}` });
  }
  if (buf.length > max) throw tooLarge(display, max, buf.length);
  return buf;
}

async function readStream(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > max) {
      // Stop reading: the rest of a hostile stream is never buffered.
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw tooLarge(STDIN_DISPLAY, max);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (file: string, max: number, size?: number) =>
  new InputError({
    file,
    expected: `larger than ${formatBytes(max)}${size === undefined ? '' : ` (${formatBytes(size)})`}; refusing to parse it`,
  });

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}

function systemReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return errorMessage(err);
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** A relative URI reference (forward slashes, percent-encoded) as SARIF viewers resolve against the repo root. */
function uriOf(display: string): string {
  return display.split(sep).map(encodeURIComponent).join('/');
}

/**
 * Parses one source into manifests. YAML 1.1 with merge keys, as kubectl's decoder (go-yaml v2) reads
 * it, so `on: yes` and `<<: *defaults` mean what they mean to the cluster.
 */
export function parseSource(
  source: SourceFile,
  defaultNamespace: string,
  limits: Partial<LoadLimits> = {},
): Manifest[] {
  const { maxDepth, maxAliasCount } = { ...DEFAULT_LIMITS, ...limits };
  const fail = (offset: number | undefined, expected: string): never => {
    const line = offset === undefined ? undefined : source.lineCounter.linePos(offset).line;
    throw new InputError({ file: source.display, ...(line ? { line } : {}), expected });
  };
  const parsed = parseAllDocuments(source.text, {
    lineCounter: source.lineCounter,
    version: '1.1',
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    // Warnings (an unknown `!tag`) would go to stderr past our one-line reporting.
    logLevel: 'error',
  });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const out: Manifest[] = [];
  for (const doc of docs) {
    const [err] = doc.errors;
    if (err) fail(err.pos[0], `not valid YAML: ${yamlReason(err)}`);
    checkDepth(doc.contents, maxDepth, fail);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (e) {
      if (e instanceof ReferenceError && /alias/i.test(e.message)) {
        fail(
          firstAlias(doc.contents),
          `more than ${maxAliasCount} alias expansions (a YAML alias bomb?); refusing it`,
        );
      }
      fail(rangeStart(doc.contents), `not valid YAML: ${errorMessage(e).split('\n')[0] ?? ''}`);
    }
    if (value === null || value === undefined) continue; // an empty document: `---` at the end, comments only
    collect(value, [], doc, source, defaultNamespace, out, fail);
  }
  return out;
}

function collect(
  value: unknown,
  base: FieldPath,
  doc: Document.Parsed,
  source: SourceFile,
  defaultNamespace: string,
  out: Manifest[],
  fail: (offset: number | undefined, expected: string) => never,
): void {
  const at = (path: FieldPath) => nodeAt(doc, path).offset;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(
      at(base),
      `not a Kubernetes manifest: expected a mapping with apiVersion and kind, found ${describe(value)}`,
    );
  }
  const obj = value as Record<string, unknown>;
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof obj[field] !== 'string' || obj[field] === '') {
      fail(at([...base, field]), `not a Kubernetes manifest: ${field} is missing or not a string`);
    }
  }
  if (
    obj.metadata !== undefined &&
    (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))
  ) {
    fail(at([...base, 'metadata']), 'metadata: expected a mapping');
  }
  const kind = obj.kind as string;
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(obj.items))) {
    if (!Array.isArray(obj.items)) fail(at([...base, 'items']), `${kind}: items is missing or not a list`);
    (obj.items as unknown[]).forEach((item, i) =>
      collect(item, [...base, 'items', i], doc, source, defaultNamespace, out, fail),
    );
    return;
  }
  const object = obj as KubeManifest;
  const ns = object.metadata?.namespace;
  out.push({ source, doc, base, object, namespace: typeof ns === 'string' && ns ? ns : defaultNamespace });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Walks the node tree without recursion (a deep document must not blow the stack here either). */
function checkDepth(
  root: unknown,
  maxDepth: number,
  fail: (offset: number | undefined, expected: string) => never,
): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (isMap(node) || isSeq(node)) {
      if (depth >= maxDepth) fail(rangeStart(node), `nested deeper than ${maxDepth} levels; refusing it`);
      for (const item of node.items) stack.push([item, depth + 1]);
    } else if (isPair(node)) {
      stack.push([node.key, depth], [node.value, depth]);
    }
  }
}

function firstAlias(root: unknown): number | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (isAlias(node)) return rangeStart(node);
    if (isMap(node) || isSeq(node)) stack.push(...[...node.items].reverse());
    else if (isPair(node)) stack.push(node.value, node.key);
  }
  return undefined;
}

function yamlReason(err: YAMLError): string {
  const first = err.message.split('\n')[0] ?? '';
  if (/call stack/i.test(first)) return 'nested too deeply';
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}

/**
 * The node at `path` in a document, or the deepest one on the way when the field is missing (a finding
 * about a missing memory limit points at `resources:`, or at the container when that is missing too).
 */
function nodeAt(doc: Document.Parsed, path: FieldPath): { offset: number | undefined; found: boolean } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const part of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(part));
      if (!pair) return { offset, found: false };
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item: unknown = node.items[part];
      if (item === undefined) return { offset, found: false };
      node = item;
      offset = rangeStart(node as YamlNode) ?? offset;
    } else return { offset, found: false };
  }
  return { offset, found: true };
}

/** Line and column (1-based) of a field of a manifest; the object's first line when nothing better exists. */
export function locate(manifest: Manifest, field: FieldPath): Location {
  const { offset } = nodeAt(manifest.doc, [...manifest.base, ...field]);
  if (offset === undefined) return { line: 1, column: 1 };
  const pos = manifest.source.lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** `spec.containers[0].resources` from a path. */
export function formatField(path: FieldPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}
