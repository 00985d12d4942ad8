/**
 * resource.Quantity's String() (k8s.io/apimachinery/pkg/api/resource/quantity.go): the printers show
 * quantities in canonical form, so "1024Mi" prints as "1Gi" and "1.5" (CPU) as "1500m".
 */

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const MAX_INT64 = (1n << 63n) - 1n;
// Quantities keep at most nano precision; finer values round up (away from zero) in ParseQuantity.
const NANO = 9;

/** value = sign × unscaled × 10^-scale, like the inf.Dec upstream keeps. */
interface Parsed {
  negative: boolean;
  unscaled: bigint;
  scale: number;
  format: Format;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function parse(text: string): Parsed | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[+-]?\d*)$/.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', num = '', denom = '', suffix = ''] = m;
  let format: Format;
  let unscaled = BigInt(`${num}${denom}` || '0');
  let scale = denom.length;
  if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    scale -= DECIMAL_SUFFIXES[suffix] ?? 0;
  } else if (suffix in BINARY_SUFFIXES) {
    format = 'BinarySI';
    unscaled <<= BigInt(BINARY_SUFFIXES[suffix] ?? 0);
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    format = 'DecimalExponent';
    scale -= Number(suffix.slice(1));
  } else {
    return undefined;
  }
  if (scale < 0) {
    unscaled *= pow10(-scale);
    scale = 0;
  }
  if (scale > NANO) {
    const divisor = pow10(scale - NANO);
    unscaled = (unscaled + divisor - 1n) / divisor;
    scale = NANO;
  }
  if (format === 'BinarySI') {
    if (unscaled > MAX_INT64 * pow10(scale)) {
      unscaled = MAX_INT64;
      scale = 0;
    }
    // ParseQuantity: a binary amount below 1 would round badly, so it becomes decimal.
    if (unscaled !== 0n && unscaled < pow10(scale)) format = 'DecimalSI';
  }
  return { negative: sign === '-' && unscaled !== 0n, unscaled, scale, format };
}

function removeFactors(value: bigint, factor: bigint): [bigint, number] {
  let times = 0;
  while (value !== 0n && value % factor === 0n) {
    value /= factor;
    times++;
  }
  return [value, times];
}

/** Quantity.CanonicalizeBytes, without the sign. */
function canonical({ unscaled, scale, format }: Parsed): string {
  if (unscaled === 0n) return '0';
  if (format === 'BinarySI') {
    const exact = unscaled % pow10(scale) === 0n;
    if (unscaled >= 1024n * pow10(scale) && exact) {
      const [amount, times] = removeFactors(unscaled / pow10(scale), 1024n);
      return `${amount}${BINARY_BY_EXPONENT.get(times * 10) ?? ''}`;
    }
    // Below 1024 or fractional: upstream shows it as DecimalSI rather than lose precision.
    format = 'DecimalSI';
  }
  let [amount, exponent] = removeFactors(unscaled, 10n);
  exponent -= scale;
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  // Upstream's suffix lookup yields nothing past E or n; mirror that rather than invent a suffix.
  return `${amount}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

/**
 * Canonical String() of a wire quantity. A missing map entry is Go's zero Quantity ("0"); pass
 * `nilAs` for *Quantity fields, whose nil String() upstream is "<nil>".
 */
export function quantity(value: unknown, nilAs = '0'): string {
  if (value === undefined || value === null) return nilAs;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  if (text === undefined) return nilAs;
  const parsed = parse(text);
  // The wire never holds an unparseable quantity on a real server; show it as stored.
  if (!parsed) return text;
  return `${parsed.negative ? '-' : ''}${canonical(parsed)}`;
}
