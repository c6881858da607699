/**
 * What to do with Segment's answer to one request (the official Node SDK as
 * the anchor: never retry 400, retry 408/410/429/460 and 5xx, honour Retry-After).
 */
export interface RetryPolicy {
  /** First backoff delay; doubles per attempt. */
  initialDelayMs: number;
  /** Cap on the exponential backoff (SINK_MAX_RETRY_DELAY_MS). */
  maxDelayMs: number;
  /** Cap on a Retry-After Segment asks for (the SDK caps it at 300 s). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 };

export type RetryReason = 'rate-limited' | 'server-error' | 'timeout' | 'connection' | 'refused-credentials' | 'unexpected-status';

export type Verdict =
  | { kind: 'delivered' }
  /** Try the same request again after delayMs; `pauseAll` when Segment asked every request to wait. */
  | { kind: 'retry'; delayMs: number; reason: RetryReason; pauseAll: boolean; detail: string }
  /** Segment refused the content: retrying the same bytes cannot help; isolate the culprit. */
  | { kind: 'rejected'; detail: string };

export interface SegmentAnswer {
  status: number;
  /** Header values, lower-case names. */
  retryAfter?: string | null;
  rateLimitReset?: string | null;
  body: string;
}

/** Statuses that say "the request was fine, try again" (the SDK's list, plus every 5xx). */
const RETRIABLE_4XX = new Set([408, 410, 429, 460]);
/**
 * Statuses that say the sink is misconfigured (write key, host), not that an event is bad: they
 * are retried with backoff, loudly, rather than dead-lettering every event while the key is wrong.
 */
const CONFIGURATION_4XX = new Set([401, 403, 404]);

export function judgeAnswer(
  answer: SegmentAnswer,
  attempt: number,
  policy: RetryPolicy,
  nowMs: number,
  random: () => number = Math.random,
): Verdict {
  const { status } = answer;
  const detail = `HTTP ${status}${answer.body ? `: ${answer.body.slice(0, 300)}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 429) {
    const asked = parseRetryAfter(answer.retryAfter, nowMs) ?? parseRateLimitReset(answer.rateLimitReset, nowMs);
    if (asked !== null) {
      return { kind: 'retry', delayMs: Math.min(asked, policy.maxRetryAfterMs), reason: 'rate-limited', pauseAll: true, detail };
    }
    return { kind: 'retry', delayMs: backoffDelay(attempt, policy, random), reason: 'rate-limited', pauseAll: true, detail };
  }
  if (status >= 500 || RETRIABLE_4XX.has(status)) {
    return { kind: 'retry', delayMs: backoffDelay(attempt, policy, random), reason: 'server-error', pauseAll: false, detail };
  }
  if (CONFIGURATION_4XX.has(status)) {
    return { kind: 'retry', delayMs: backoffDelay(attempt, policy, random), reason: 'refused-credentials', pauseAll: false, detail };
  }
  if (status >= 400) return { kind: 'rejected', detail };
  // 1xx/3xx: not what the API answers; most likely a proxy or a wrong host.
  return { kind: 'retry', delayMs: backoffDelay(attempt, policy, random), reason: 'unexpected-status', pauseAll: false, detail };
}

/** No answer at all: timeouts and connection failures are always worth another try. */
export function judgeFailure(
  kind: 'timeout' | 'connection',
  message: string,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Verdict {
  return { kind: 'retry', delayMs: backoffDelay(attempt, policy, random), reason: kind, pauseAll: false, detail: message };
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) capped at maxDelayMs:
 * retries from several requests spread out, and never collapse to zero.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After is either delay-seconds or an HTTP date; returns milliseconds from now, or null. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** X-RateLimit-Reset: when the window resets, as epoch seconds (or milliseconds when that large). */
export function parseRateLimitReset(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return null;
  const number = Number(value.trim());
  const atMs = number < 1e12 ? number * 1000 : number;
  return Math.max(0, atMs - nowMs);
}
