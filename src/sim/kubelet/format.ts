/**
 * How the kubelet prints values into messages: Go's time.Duration and []string formatting,
 * resource.Quantity for byte amounts, and format.Pod for a pod. Messages operators grep for
 * ("back-off 2m40s restarting failed container=…", "available: 76700Ki") depend on these.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatQuantity } from '../../kube/quantity.ts';

/** time.Duration.String() for a whole number of milliseconds: "500ms", "10s", "2m40s", "5m0s", "1h0m0s". */
export function goDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  const sign = total < 0 ? '-' : '';
  const abs = Math.abs(total);
  if (abs < 1000) return `${sign}${abs}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  const secondsText = `${seconds.toFixed(3).replace(/\.?0+$/, '')}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${sign}${minutes}m${secondsText}`;
  return `${sign}${secondsText}`;
}

/** resource.NewQuantity(bytes, BinarySI).String(): "600Mi", "76700Ki", "0". */
export function bytesQuantity(bytes: number): string {
  const value = BigInt(Math.round(bytes));
  return formatQuantity({
    negative: value < 0n,
    mantissa: value < 0n ? -value : value,
    exponent: 0,
    format: 'BinarySI',
  });
}

/** resource.NewMilliQuantity(milli, DecimalSI).String(): "100m", "2". */
export function milliQuantity(milli: number): string {
  const value = BigInt(Math.round(milli));
  return formatQuantity({
    negative: value < 0n,
    mantissa: value < 0n ? -value : value,
    exponent: -3,
    format: 'DecimalSI',
  });
}

/** Go's %s of a []string: `[app sidecar]`. */
export const goList = (items: readonly string[]): string => `[${items.join(' ')}]`;

/** kubelet's format.Pod: `name_namespace(uid)`. */
export const podDescription = (pod: Pod): string =>
  `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
