/**
 * Runs one lifecycle step under its own timeout, aborting with the parent signal (SIGINT/SIGTERM).
 * The step's work gets a signal; if the work ignores it, the step still ends on time.
 */
import { StepTimeoutError } from '../errors.ts';

export async function withTimeout<T>(
  step: string,
  timeoutMs: number,
  parent: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) throw parent.reason;
  parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new StepTimeoutError(step, timeoutMs)), timeoutMs);
  try {
    return await new Promise<T>((resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      work(controller.signal).then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}
