/**
 * resource.Quantity's String() for the printers: quantities print in canonical form, so "1024Mi"
 * shows as "1Gi" and "1.5" (CPU) as "1500m". The parsing and canonical form are the ones the
 * apiserver stores with (src/kube/quantity.ts).
 */
import { canonicalQuantity, quantityText } from '../../../kube/quantity.ts';

/**
 * Canonical String() of a wire quantity. A missing map entry is Go's zero Quantity ("0"); pass
 * `nilAs` for *Quantity fields, whose nil String() upstream is "<nil>".
 */
export function quantity(value: unknown, nilAs = '0'): string {
  if (value === undefined || value === null) return nilAs;
  const text = quantityText(value);
  if (text === undefined) return nilAs;
  // The wire never holds an unparseable quantity on a real server; show it as stored.
  return canonicalQuantity(text.trim()) ?? text;
}
