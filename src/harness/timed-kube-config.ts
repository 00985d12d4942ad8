/**
 * A pooled KubeConfig (keep-alive.ts) that gives every request a deadline. client-node sets no
 * timeout, so an API server that accepts a connection and never answers would hang a run's step
 * until the step's own limit; with a deadline the call fails as `timeout` and is retried.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { copyKubeConfig, KeepAliveKubeConfig } from '../cluster/keep-alive.ts';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** Wall milliseconds a request (headers and body) may take. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class TimedKubeConfig extends KeepAliveKubeConfig {
  private constructor(private readonly timeoutMs: number) {
    super();
  }

  static withTimeout(kc: KubeConfig, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): TimedKubeConfig {
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs))
      throw new RangeError(`request timeout must be a positive number of ms, got ${timeoutMs}`);
    return copyKubeConfig(kc, new TimedKubeConfig(timeoutMs));
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    // AbortSignal.timeout's timer is unref'd: a pending deadline never keeps the process alive.
    context.setSignal(AbortSignal.timeout(this.timeoutMs));
  }
}
