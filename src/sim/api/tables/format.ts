/**
 * Cell formatting shared by the printers: label maps and selectors as apimachinery renders them,
 * container lists, and "a,b,c + N more..." truncation.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import { isQualifiedName, isValidLabelValue } from '../../store/selectors.ts';

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const text = Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels?.[k] ?? ''}`)
    .join(',');
  return text === '' ? '<none>' : text;
}

/** validation.IsQualifiedName, as labels.NewRequirement checks keys. */
const validKey = (key: string): boolean => isQualifiedName(key).length === 0;

/** validation.IsValidLabelValue. */
const validValue = (value: string): boolean => isValidLabelValue(value).length === 0;

interface Requirement {
  key: string;
  text: string;
}

/**
 * metav1.LabelSelectorAsSelector followed by Selector.String(): '' for a nil or empty selector,
 * undefined when the selector is invalid.
 */
export function selectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!validKey(key) || !validValue(value)) return undefined;
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = expr.values ?? [];
    if (!validKey(expr.key) || !values.every(validValue)) return undefined;
    // Requirement.String() sorts multi-valued sets without touching the selector itself.
    const set = `(${[...values].sort().join(',')})`;
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        requirements.push({ key: expr.key, text: `${expr.key} ${expr.operator.toLowerCase()} ${set}` });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return undefined;
        requirements.push({ key: expr.key, text: `${expr.operator === 'Exists' ? '' : '!'}${expr.key}` });
        break;
      default:
        return undefined;
    }
  }
  // internalSelector.Add sorts requirements by key.
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: `<none>` for an empty result, `<error>` for an invalid selector. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const text = selectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** layoutContainerCells: names and images, comma-joined. */
export function containerCells(containers: Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** listWithMoreString, used for endpoint slices: first three, then a count of the rest. */
export function listWithMore(items: string[], max = 3): string {
  const text = items.slice(0, max).join(',');
  if (items.length > max) return `${text} + ${items.length - max} more...`;
  return text === '' ? '<unset>' : text;
}

/** IntOrString.String(). */
export function intOrString(value: number | string): string {
  return typeof value === 'number' ? String(value) : value;
}
