/**
 * Ages as kubectl prints them: k8s.io/apimachinery/pkg/util/duration HumanDuration, fed by the
 * printers' translateTimestampSince (pkg/printers/internalversion/printers.go).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// Go's zero time.Time; metav1.Time.IsZero() treats it like an absent timestamp.
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** Upstream HumanDuration: about 2-3 significant figures, coarser the older the timestamp. */
export function humanDuration(ms: number): string {
  // Go's int(d.Seconds()) truncates toward zero; up to 2s of clock skew still reads as "now".
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/**
 * Epoch ms of a wire timestamp (metav1.Time or MicroTime), or undefined for the zero time: absent,
 * null, unparseable, or Go's zero value 0001-01-01T00:00:00Z.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  // MicroTime carries 6 fractional digits; keep the 3 that Date understands.
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms) || ms <= ZERO_TIME) return undefined;
  return ms;
}

/** Upstream translateTimestampSince / translateMicroTimestampSince. */
export function since(timestamp: unknown, now: number): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** metav1.Time formatted with Go's time.RFC3339 in UTC, zero time included (default table convertor). */
export function rfc3339(timestamp: unknown): string {
  const t = parseTime(timestamp);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / SECOND) * SECOND).toISOString().replace('.000Z', 'Z');
}
