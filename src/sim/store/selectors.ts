/**
 * Label and field selectors the way the apiserver reads them from list and watch requests:
 * k8s.io/apimachinery/pkg/labels/selector.go (Parse), pkg/fields/selector.go (ParseSelector),
 * metav1.LabelSelectorAsSelector for selectors embedded in objects, and each kind's field label
 * conversion (pkg/apis/<group>/<version>/conversion.go) plus ToSelectableFields
 * (pkg/registry/<group>/<kind>/strategy.go) for which fields exist and how they read.
 */
import type { LabelSelector as LabelSelectorSpec } from 'kubernetes-types/meta/v1.js';
import { fieldString, isObject, type KubeObject } from '../object.ts';

/** A selector the apiserver refuses; the server answers 400 BadRequest with this message. */
export class SelectorError extends Error {
  override name = 'SelectorError';
  readonly status = 400;
  readonly reason = 'BadRequest';
}

// ---------------------------------------------------------------------------------------------
// Messages shared with validation: k8s.io/apimachinery/pkg/api/validate/content and util/validation.

/** Go's %q for the strings these messages quote (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Each example is followed by ", " and joined with " or ", hence the double spaces upstream prints.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

export const maxLenError = (n: number): string => `must be no more than ${n} characters`;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const LABEL_KEY_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const anchored = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const DNS1123_LABEL_RE = anchored(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = anchored(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL_RE = anchored(DNS1035_LABEL_FMT);
const LABEL_KEY_RE = anchored(LABEL_KEY_FMT);
const LABEL_VALUE_RE = anchored(LABEL_VALUE_FMT);

/** Go's len(): the checks count UTF-8 bytes, not characters. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    // A valid subdomain that is not a label can only be wrong by its dots (the length was checked above).
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          DNS1123_LABEL_FMT,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!DNS1035_LABEL_RE.test(value)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

/** content.IsLabelKey (validation.IsQualifiedName): an optional DNS subdomain prefix and a name. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] as string;
  } else if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a valid label key ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!LABEL_KEY_RE.test(name))
    errs.push(`name part ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** content.IsLabelValue: empty, or ≤ 63 characters of the label key alphabet. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Label selectors

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and de-duplicated, as the parser's sets.String leaves them. */
  values: string[];
}

export interface LabelSelector {
  /** True when the selector places no restriction (labels.Everything()). */
  readonly empty: boolean;
  readonly requirements: readonly Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** key=value pairs every match must carry (=, ==, and in with one value): what an index can look up. */
  equalities(): [string, string][];
  toString(): string;
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** A requirement's field.Error, rendered as field.Error.Error() does ("<nil>" for the parser's nil path). */
function fieldInvalid(path: string, value: string | string[], detail: string): string {
  const shown = Array.isArray(value) ? JSON.stringify(value) : goQuote(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several in brackets, duplicates dropped. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(', ')}]`;
}

const INT64 = /^[+-]?\d+$/;
function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const v = BigInt(s);
  return BigInt.asIntN(64, v) === v ? v : undefined;
}

/**
 * labels.NewRequirement: validates key, operator arity and values. `path` is the field path the
 * caller gave (nil → "<nil>" for the key, but children of nil render without it).
 */
function newRequirement(key: string, operator: Operator, values: string[], path?: string): Requirement {
  const errs: string[] = [];
  const child = (name: string): string => (path ? `${path}.${name}` : name);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(fieldInvalid(child('key'), key, keyErrs.join('; ')));
  const valuesPath = child('values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        errs.push(fieldInvalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        errs.push(fieldInvalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        errs.push(fieldInvalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1)
        errs.push(
          fieldInvalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"),
        );
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(
            fieldInvalid(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"),
          );
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(fieldInvalid(`${valuesPath}[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length > 0) throw new SelectorError(aggregate(errs));
  return { key, operator, values };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (value === undefined || r.values.length !== 1) return false;
      const actual = parseInt64(value);
      const bound = parseInt64(r.values[0] as string);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  const values = r.values.length === 1 ? (r.values[0] as string) : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${values})`;
    case 'notin':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

class RequirementSelector implements LabelSelector {
  readonly requirements: readonly Requirement[];
  constructor(requirements: Requirement[]) {
    // Sorted by key for a deterministic String(), as labels.ByKey does.
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined): boolean {
    const set = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, set));
  }
  equalities(): [string, string][] {
    const out: [string, string][] = [];
    for (const r of this.requirements) {
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) {
        out.push([r.key, r.values[0] as string]);
      }
    }
    return out;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** labels.Nothing(): not empty, yet matches nothing. */
class NothingSelector implements LabelSelector {
  readonly requirements: readonly Requirement[] = [];
  readonly empty = false;
  matches(): boolean {
    return false;
  }
  equalities(): [string, string][] {
    return [];
  }
  toString(): string {
    return '';
  }
}

export const everything = (): LabelSelector => new RequirementSelector([]);
export const nothing = (): LabelSelector => new NothingSelector();

// Lexer tokens, as selector.go names them.
type Token = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

const STRING_TO_TOKEN: ReadonlyMap<string, Token> = new Map<string, Token>([
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['==', '=='],
  ['=', '='],
  ['>', '>'],
  ['in', 'in'],
  ['<', '<'],
  ['!=', '!='],
  ['notin', 'notin'],
  ['(', '('],
]);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => '=!(),><'.includes(ch) && ch !== '';

interface Scanned {
  tok: Token;
  literal: string;
}

/** The Lexer: reads byte by byte with NUL as end of input (so an embedded NUL ends it too). */
function lex(s: string): Scanned[] {
  let pos = 0;
  const read = (): string => (pos < s.length ? (s[pos++] as string) : '\0');
  const unread = (): void => {
    pos--;
  };
  const items: Scanned[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    let item: Scanned;
    if (ch === '\0') {
      item = { tok: 'eos', literal: '' };
    } else if (isSpecialSymbol(ch)) {
      unread();
      let buffer = '';
      let last: Scanned | undefined;
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (isSpecialSymbol(c)) {
          buffer += c;
          const tok = STRING_TO_TOKEN.get(buffer);
          if (tok) {
            last = { tok, literal: buffer };
          } else if (last) {
            unread();
            break;
          }
        } else {
          unread();
          break;
        }
      }
      item = last ?? { tok: 'error', literal: `error expected: keyword found '${buffer}'` };
    } else {
      unread();
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      item = { tok: STRING_TO_TOKEN.get(buffer) ?? 'id', literal: buffer };
    }
    items.push(item);
    if (item.tok === 'eos') return items;
  }
}

/** The recursive-descent Parser, including its context rule that "in"/"notin" are plain values inside a value list. */
class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private peek(values: boolean): Scanned {
    const item = this.items[this.position] as Scanned;
    return values && (item.tok === 'in' || item.tok === 'notin')
      ? { tok: 'id', literal: item.literal }
      : item;
  }
  private consume(values: boolean): Scanned {
    const item = this.peek(values);
    this.position++;
    return item;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const { tok, literal } = this.peek(true);
      if (tok === 'id' || tok === '!') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof SelectorError)
            throw new SelectorError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        requirements.push(r);
        const next = this.consume(true);
        if (next.tok === 'eos') return requirements;
        if (next.tok === ',') {
          const after = this.peek(true);
          if (after.tok !== 'id' && after.tok !== '!') {
            throw new SelectorError(`found '${after.literal}', expected: identifier after ','`);
          }
        } else {
          throw new SelectorError(`found '${next.literal}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return requirements;
      } else {
        throw new SelectorError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const { key, operator } = this.parseKeyAndInferOperator();
    if (operator === 'exists' || operator === '!') return newRequirement(key, operator, []);
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, values);
  }

  private parseKeyAndInferOperator(): { key: string; operator: Operator | undefined } {
    let operator: Operator | undefined;
    let { tok, literal } = this.consume(true);
    if (tok === '!') {
      operator = '!';
      ({ tok, literal } = this.consume(true));
    }
    if (tok !== 'id') throw new SelectorError(`found '${literal}', expected: identifier`);
    const keyErrs = isQualifiedName(literal);
    if (keyErrs.length > 0) throw new SelectorError(fieldInvalid('<nil>', literal, keyErrs.join('; ')));
    const next = this.peek(true).tok;
    if ((next === 'eos' || next === ',') && operator !== '!') operator = 'exists';
    return { key: literal, operator };
  }

  private parseOperator(): Operator {
    const { tok, literal } = this.consume(false);
    switch (tok) {
      case 'in':
        return 'in';
      case '=':
        return '=';
      case '==':
        return '==';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      case 'notin':
        return 'notin';
      case '!=':
        return '!=';
      default:
        throw new SelectorError(`found '${literal}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new SelectorError(`found '${open.literal}' expected: '('`);
    const { tok, literal } = this.peek(true);
    if (tok === 'id' || tok === ',') {
      const values = this.parseIdentifiersList();
      if (this.consume(true).tok !== ')') throw new SelectorError(`found '${literal}', expected: ')'`);
      return values;
    }
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    throw new SelectorError(`found '${literal}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const set = new Set<string>();
    for (;;) {
      const { tok, literal } = this.consume(true);
      if (tok === 'id') {
        set.add(literal);
        const next = this.peek(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return sortedValues(set);
        throw new SelectorError(`found '${next.literal}', expected: ',' or ')'`);
      } else if (tok === ',') {
        // "(,", ",," and ",)" each stand for an empty value.
        if (set.size === 0) set.add('');
        const next = this.peek(true).tok;
        if (next === ')') {
          set.add('');
          return sortedValues(set);
        }
        if (next === ',') set.add('');
      } else {
        // parseIdentifiersList returns the partial set with its error; Parse discards both.
        throw new SelectorError(`found '${literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const next = this.peek(true).tok;
    if (next === 'eos' || next === ',') return [''];
    const { tok, literal } = this.consume(true);
    if (tok === 'id') return [literal];
    throw new SelectorError(`found '${literal}', expected: identifier`);
  }
}

const sortedValues = (set: Set<string>): string[] => [...set].sort();

/**
 * labels.Parse, the `labelSelector` query parameter. Throws SelectorError with the apiserver's
 * message (e.g. "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt").
 */
export function parseLabelSelector(text: string): LabelSelector {
  return new RequirementSelector(new Parser(lex(text)).parse());
}

/** labels.SelectorFromSet: a Service's spec.selector map (nil and empty both match everything). */
export function labelSelectorFromSet(set: Record<string, string> | undefined): LabelSelector {
  return new RequirementSelector(
    Object.entries(set ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] })),
  );
}

export interface LabelSelectorSpecOptions {
  /**
   * Treat `{}` like nil: match nothing. policy/v1beta1 PodDisruptionBudgets had this meaning;
   * policy/v1 does not — the disruption controller (getPodsForPdb) and the eviction REST handler
   * (pkg/registry/core/pod/storage/eviction.go) call LabelSelectorAsSelector and "let an empty
   * selector match everything". Only for emulating v1beta1-era objects.
   */
  emptyMatchesNothing?: boolean;
}

/**
 * metav1.LabelSelectorAsSelector: nil (undefined) matches nothing, `{}` matches everything,
 * otherwise matchLabels AND matchExpressions. Callers that skip objects with an invalid selector
 * (the disruption controller, the eviction handler) should catch SelectorError and treat it as
 * "does not match", as upstream does.
 */
export function labelSelectorFromSpec(
  spec: LabelSelectorSpec | undefined | null,
  options: LabelSelectorSpecOptions = {},
): LabelSelector {
  if (spec === undefined || spec === null) return nothing();
  const matchLabels = spec.matchLabels ?? {};
  const expressions = spec.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + expressions.length === 0) {
    return options.emptyMatchesNothing ? nothing() : everything();
  }
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(matchLabels))
    requirements.push(newRequirement(key, '=', [value]));
  for (const expr of expressions) {
    const op = EXPRESSION_OPERATORS[expr.operator];
    if (!op) throw new SelectorError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    requirements.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return new RequirementSelector(requirements);
}

const EXPRESSION_OPERATORS: Record<string, Operator | undefined> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

// ---------------------------------------------------------------------------------------------
// Field selectors

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly empty: boolean;
  readonly requirements: readonly FieldRequirement[];
  matches(obj: KubeObject): boolean;
  /** field=value pairs every match must have (RequiresExactMatch). */
  equalities(): [string, string][];
  toString(): string;
}

/** Which kind the selector is for: picks the apiserver's wording for an unsupported field label. */
export interface FieldSelectorContext {
  apiVersion: string;
  kind: string;
}

/** Kinds with their own field label conversion func, whose error reads "field label not supported: <label>". */
const CONVERSION_FUNC_KINDS = new Set([
  'v1/Pod',
  'v1/Node',
  'v1/Namespace',
  'v1/Secret',
  'v1/Service',
  'v1/Event',
  'v1/ReplicationController',
  'events.k8s.io/v1/Event',
]);
/** Node's and Namespace's conversion funcs accept metadata.name but not metadata.namespace. */
const NAME_ONLY_KINDS = new Set(['v1/Node', 'v1/Namespace']);

function unsupportedFieldLabel(label: string, context: FieldSelectorContext | undefined): string {
  if (!context) return `field label not supported: ${label}`;
  const id = `${context.apiVersion}/${context.kind}`;
  if (CONVERSION_FUNC_KINDS.has(id)) return `field label not supported: ${label}`;
  if (id === 'batch/v1/Job') return `field label ${goQuote(label)} not supported for batchv1.Job`;
  // runtime.DefaultMetaV1FieldSelectorConversion, for kinds that register no conversion func.
  return `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** fields.splitTerms: commas split terms unless backslash-escaped (the backslash stays for unescaping). */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** fields.splitTerm: the first operator wins, checking "!=" then "==" then "=" at each position. */
function splitTerm(term: string): [string, '!=' | '==' | '=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** fields.UnescapeValue. The unescaped-rune error prints the rune as a number (Go's %v of a rune). */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * The value a selectable field has on an object, as the kind's ToSelectableFields computes it:
 * booleans and counters are formatted Go values ("false", "0") even when the field is absent.
 */
export function fieldValue(obj: KubeObject, label: string): string {
  const id = `${obj.apiVersion}/${obj.kind}`;
  const read = (path: string): unknown => {
    let cur: unknown = obj;
    for (const part of path.split('.')) {
      if (!isObject(cur)) return undefined;
      cur = cur[part];
    }
    return cur;
  };
  switch (`${id}:${label}`) {
    case 'v1/Pod:spec.hostNetwork':
    case 'v1/Node:spec.unschedulable':
      return read(label) === true ? 'true' : 'false';
    case 'v1/Pod:status.podIP': {
      // The internal PodStatus only has PodIPs; v1's podIP converts into podIPs[0].
      const ips = read('status.podIPs');
      const first = Array.isArray(ips) && isObject(ips[0]) ? ips[0].ip : undefined;
      return typeof first === 'string' ? first : fieldString(obj, 'status.podIP');
    }
    case 'batch/v1/Job:status.successful': {
      const n = read('status.succeeded');
      return String(typeof n === 'number' ? n : 0);
    }
    case 'apps/v1/ReplicaSet:status.replicas':
    case 'v1/ReplicationController:status.replicas': {
      const n = read('status.replicas');
      return String(typeof n === 'number' ? n : 0);
    }
    case 'v1/Event:source': {
      // pkg/registry/core/event/strategy.go: the legacy source, or the reporting controller.
      const source = fieldString(obj, 'source.component');
      return source !== '' ? source : fieldString(obj, 'reportingComponent');
    }
    case 'events.k8s.io/v1/Event:reportingController':
    case 'events.k8s.io/v1/Event:reportingComponent':
      return fieldString(obj, 'reportingController');
    default:
      return fieldString(obj, label);
  }
}

class TermsSelector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(obj: KubeObject): boolean {
    return this.requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
  }
  equalities(): [string, string][] {
    return this.requirements.filter((r) => r.operator === '=').map((r) => [r.field, r.value]);
  }
  toString(): string {
    // hasTerm/notHasTerm.String() print the value unescaped.
    return this.requirements.map((r) => `${r.field}${r.operator}${r.value}`).join(',');
  }
}

/**
 * fields.ParseSelector followed by the kind's field label conversion (ListResource's
 * Transform). Labels outside metadata.name, metadata.namespace and `allowed` are refused with
 * the kind's conversion error; pass `context` for the exact wording of kinds without their own
 * conversion func, and so Node and Namespace refuse metadata.namespace as upstream does.
 */
export function parseFieldSelector(
  text: string,
  allowed: readonly string[],
  context?: FieldSelectorContext,
): FieldSelector {
  const parts = splitTerms(text).sort();
  const parsed: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    const [field, op, raw] = split;
    parsed.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeValue(raw) });
  }
  const id = context ? `${context.apiVersion}/${context.kind}` : '';
  const base = NAME_ONLY_KINDS.has(id) ? ['metadata.name'] : ['metadata.name', 'metadata.namespace'];
  const known = new Set([...base, ...allowed]);
  // Transform runs after the whole selector parsed, in the sorted term order.
  const converted = parsed.map((r) => {
    // Old v1 clients send spec.host; the Pod conversion renames it.
    const field = id === 'v1/Pod' && r.field === 'spec.host' ? 'spec.nodeName' : r.field;
    if (!known.has(field)) throw new SelectorError(unsupportedFieldLabel(r.field, context));
    return { ...r, field };
  });
  return new TermsSelector(converted);
}
