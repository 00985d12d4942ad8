/**
 * resource.Quantity as k8s.io/apimachinery/pkg/api/resource/quantity.go parses, compares and
 * prints it. Values are kept exact (a bigint scaled by a power of ten) because the apiserver's
 * answers depend on exactness: "1.5Gi" prints as "1536Mi", "100u" CPU rounds up to "1m" when
 * defaulted, and a request equal to its limit must compare equal.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** value = (negative ? -1 : 1) × mantissa × 10^exponent; mantissa ≥ 0. */
export interface Quantity {
  negative: boolean;
  mantissa: bigint;
  exponent: number;
  format: QuantityFormat;
  /**
   * The text ParseQuantity keeps when it was already canonical ("100m", "1Gi", but also "+1"
   * and "01", which the int64 fast path caches verbatim); MarshalJSON writes it back as is.
   */
  cached?: string;
}

/** The errors ParseQuantity returns, with their upstream texts. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);
const DECIMAL_BY_EXPONENT = new Map([...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map([...BINARY_SUFFIXES].map(([s, e]) => [e, s]));

const NANO = -9;
const MAX_INT64 = (1n << 63n) - 1n;
const INT64_DIGITS = 18; // maxInt64Factors: decimal digits an int64 always holds

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const pow10 = (n: number): bigint => 10n ** BigInt(n);

interface Scanned {
  positive: boolean;
  /** The sign, digits and fraction, without the suffix (what inf.Dec parses). */
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString: a hand-written scanner, reproduced step by step for its quirks ("+" is 0, "1.G" is fine). */
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  // Leading zeros are skipped; a string of nothing but zeros (or a bare sign) is 0.
  for (;;) {
    if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
    if (str[pos] !== '0') break;
    pos++;
  }
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' };
  let num = str.slice(pos, i);
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    if (i >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' };
    denom = str.slice(pos, i);
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i] as string)) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  throw new QuantityError(QUANTITY_FORMAT_ERROR);
}

/** suffixHandler.interpret: the lookup tables win over the exponent form, so "1E" is 10^18, not an error. */
function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number(suffix.slice(1)), format: 'DecimalExponent' };
  }
  return undefined;
}

/** Moves trailing decimal zeros of the mantissa into the exponent. */
function normalize(mantissa: bigint, exponent: number): [bigint, number] {
  if (mantissa === 0n) return [0n, 0];
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  return [mantissa, exponent];
}

/**
 * Rounds away from zero to 10^scale (inf.RoundUp, which both Quantity.RoundUp and the nano
 * rounding in ParseQuantity use). Returns whether the value was already exact.
 */
function roundAwayFromZero(q: Quantity, scale: number): boolean {
  if (q.exponent >= scale) return true;
  const divisor = pow10(scale - q.exponent);
  const quotient = q.mantissa / divisor;
  const exact = quotient * divisor === q.mantissa;
  q.mantissa = exact ? quotient : quotient + 1n;
  q.exponent = scale;
  return exact;
}

/** ParseQuantity: throws QuantityError with the apiserver's message when the text is not a quantity. */
export function parseQuantityExact(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str === '0') return { negative: false, mantissa: 0n, exponent: 0, format: 'DecimalSI', cached: '0' };
  const { positive, value, num, denom, suffix } = scan(str);
  const how = interpret(suffix);
  if (!how) throw new QuantityError(QUANTITY_SUFFIX_ERROR);

  const digits = `${num}${denom}`;
  let mantissa = BigInt(digits);
  let exponent = -denom.length;
  if (how.base === 10) exponent += how.exponent;
  else mantissa <<= BigInt(how.exponent);
  const q: Quantity = { negative: !positive && mantissa !== 0n, mantissa, exponent, format: how.format };

  // The int64 fast path remembers the original text when it is already canonical.
  const fast =
    how.base === 10
      ? INT64_DIGITS - digits.length >= 0 && exponent >= NANO
      : denom.length === 0 && 15 - num.length - Math.trunc((how.exponent * 3) / 10) - 1 >= 0;
  if (fast && BigInt.asIntN(64, mantissa) === mantissa) {
    if (how.base === 2) {
      if (how.exponent % 10 === 0 && (BigInt(digits) & 7n) !== 0n) q.cached = str;
    } else if (exponent % 3 === 0 && !digits.endsWith('000') && digits[0] !== '0') {
      q.cached = str;
    }
    return q;
  }
  // Only the slow path reads the number through inf.Dec, which refuses a bare "." that the fast path took as 0.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) throw new QuantityError(QUANTITY_NUMERIC_ERROR);
  // Below a nano, anything non-zero rounds up to the smallest representable value.
  if (q.mantissa !== 0n) roundAwayFromZero(q, NANO);
  if (q.format === 'BinarySI') {
    const [m, e] = normalize(q.mantissa, q.exponent);
    if (e >= 0 && m * pow10(e) > MAX_INT64) {
      q.mantissa = MAX_INT64;
      q.exponent = 0;
    }
    if (q.mantissa !== 0n && compareAbs(q, 1n, 0) < 0) q.format = 'DecimalSI';
  }
  return q;
}

/** The value in base units (cores, bytes), or undefined when the text is not a quantity. */
export function parseQuantity(s: string): number | undefined {
  try {
    return quantityToNumber(parseQuantityExact(s));
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** Why the text is not a quantity (ParseQuantity's error), or undefined when it is one. */
export function quantityError(s: string): string | undefined {
  try {
    parseQuantityExact(s);
    return undefined;
  } catch (e) {
    if (e instanceof QuantityError) return e.message;
    throw e;
  }
}

export function quantityToNumber(q: Quantity): number {
  return Number(`${q.negative ? '-' : ''}${q.mantissa}e${q.exponent}`);
}

function compareAbs(q: Quantity, mantissa: bigint, exponent: number): number {
  const e = Math.min(q.exponent, exponent);
  const a = q.mantissa * pow10(q.exponent - e);
  const b = mantissa * pow10(exponent - e);
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Quantity.Cmp. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const sa = a.mantissa === 0n ? 0 : a.negative ? -1 : 1;
  const sb = b.mantissa === 0n ? 0 : b.negative ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const c = compareAbs(a, b.mantissa, b.exponent);
  if (c === 0) return 0;
  return (sa > 0 ? c : -c) < 0 ? -1 : 1;
}

/**
 * Quantity.RoundUp(scale): what SetDefaults_ResourceList does with milliScale (-3) to every
 * resource list, so "100u" CPU is stored as "1m". Clears the cached text only when it rounded.
 */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  const out = { ...q };
  if (out.exponent >= scale) return out;
  delete out.cached;
  roundAwayFromZero(out, scale);
  return out;
}

/** Quantity.String(): the cached text, else CanonicalizeBytes' number and suffix. */
export function formatQuantity(q: Quantity): string {
  if (q.cached !== undefined) return q.cached;
  if (q.mantissa === 0n) return '0';
  const sign = q.negative ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI') {
    // Between -1024 and 1024 a binary suffix could only round; fractions would lose precision.
    if (compareAbs(q, 1024n, 0) < 0) {
      format = 'DecimalSI';
    } else {
      const [m, e] = normalize(q.mantissa, q.exponent);
      if (e < 0) {
        format = 'DecimalSI';
      } else {
        let value = m * pow10(e);
        let power = 0;
        while (value % 1024n === 0n && BINARY_BY_EXPONENT.has((power + 1) * 10)) {
          value /= 1024n;
          power++;
        }
        return `${sign}${value}${BINARY_BY_EXPONENT.get(power * 10) ?? ''}`;
      }
    }
  }
  let [mantissa, exponent] = normalize(q.mantissa, q.exponent);
  // The exponent goes down to a multiple of three; the mantissa grows to match.
  while (exponent % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  // Beyond E (10^18) or below n there is no SI suffix; fall back to the exponent form.
  return suffix === undefined ? `${sign}${mantissa}e${exponent}` : `${sign}${mantissa}${suffix}`;
}

/** The text the apiserver stores and returns for a quantity, or undefined when it does not parse. */
export function canonicalQuantity(s: string): string | undefined {
  try {
    return formatQuantity(parseQuantityExact(s));
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** JSON numbers are quantities too (Quantity.UnmarshalJSON parses their text). */
export function quantityText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
