/**
 * Where a load run may send: an http(s) URL on loopback (127.0.0.0/8, ::1, `localhost`) — the
 * sim's listeners, kind's port mappings, a test's server — unless the caller opts out with
 * `allowNonLoopback`. The check is on the URL as given, before anything is sent.
 */
import { isLoopbackAddress } from '../../agent/host/loopback-guard.ts';

export class LoadTargetError extends Error {
  override name = 'LoadTargetError';
}

export function checkTarget(url: string, allowNonLoopback: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LoadTargetError(`load: ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new LoadTargetError(`load: ${url}: only http and https URLs are supported`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!allowNonLoopback && host !== 'localhost' && !isLoopbackAddress(host))
    throw new LoadTargetError(
      `load: refusing to send to ${host}: only loopback targets (127.0.0.0/8, ::1, localhost) unless allowNonLoopback is set`,
    );
  return parsed;
}
