import { backoffDelay, type BackoffPolicy } from '@touchstream/contracts';

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000, factor: 2 };

/** Resolves after `ms`, or at once when the signal aborts (so shutdown never waits on a backoff). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `operation`, retrying retriable failures with backoff until `attempts` is used up or the
 * next try would start after `deadlineMs` (from the first try); a fatal failure is thrown at
 * once. For boot-time calls (provisioning, connecting, joining) that meet a broker still
 * starting, electing leaders or loading its coordinator.
 */
export async function retryRetriable<T>(
  operation: () => Promise<T>,
  options: {
    attempts?: number;
    deadlineMs?: number;
    policy?: BackoffPolicy;
    isRetriable: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
    now?: () => number;
  },
): Promise<T> {
  const now = options.now ?? Date.now;
  const deadline = options.deadlineMs === undefined ? Infinity : now() + options.deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      const wait = backoffDelay(attempt, options.policy ?? { initialMs: 250, maxMs: 5_000, factor: 2 });
      if (attempt >= (options.attempts ?? Infinity) || now() + wait > deadline || !options.isRetriable(error)) throw error;
      options.onRetry?.(error, attempt, wait);
      await delay(wait);
    }
  }
}
