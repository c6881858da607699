import { describe, expect, it } from 'vitest';
import { retryDelay, judgeAnswer, judgeFailure, parseRateLimitReset, parseRetryAfter, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 };
const NOW = Date.parse('2024-01-01T00:00:00.000Z');
const half = () => 0.5;

describe('judging Segment answers', () => {
  it('takes every 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204]) expect(judgeAnswer({ status, body: '' }, 1, policy, NOW)).toEqual({ kind: 'delivered' });
  });

  it('honours Retry-After on 429, in seconds or as a date, and pauses every request', () => {
    expect(judgeAnswer({ status: 429, retryAfter: '7', body: '' }, 1, policy, NOW)).toMatchObject({
      kind: 'retry',
      delayMs: 7_000,
      reason: 'rate-limited',
      pauseAll: true,
    });
    expect(judgeAnswer({ status: 429, retryAfter: 'Mon, 01 Jan 2024 00:00:30 GMT', body: '' }, 1, policy, NOW)).toMatchObject({
      delayMs: 30_000,
    });
    expect(judgeAnswer({ status: 429, rateLimitReset: String(NOW / 1000 + 12), body: '' }, 1, policy, NOW)).toMatchObject({
      delayMs: 12_000,
    });
  });

  it('caps a Retry-After, and backs off when there is none', () => {
    expect(judgeAnswer({ status: 429, retryAfter: '86400', body: '' }, 1, policy, NOW)).toMatchObject({ delayMs: 300_000 });
    expect(judgeAnswer({ status: 429, body: '' }, 3, policy, NOW, half)).toMatchObject({ kind: 'retry', delayMs: 1_500 });
  });

  it('retries 5xx and 408/410/460 with backoff', () => {
    for (const status of [500, 502, 503, 504, 408, 410, 460]) {
      expect(judgeAnswer({ status, body: 'oops' }, 2, policy, NOW, half)).toMatchObject({
        kind: 'retry',
        reason: 'server-error',
        delayMs: 750,
        pauseAll: false,
      });
    }
  });

  it('does not retry a 400: the content is refused, the reason kept', () => {
    expect(judgeAnswer({ status: 400, body: '{"error":"Message Exceeds Maximum Size"}' }, 1, policy, NOW)).toEqual({
      kind: 'rejected',
      detail: 'HTTP 400: {"error":"Message Exceeds Maximum Size"}',
    });
    expect(judgeAnswer({ status: 413, body: '' }, 1, policy, NOW)).toMatchObject({ kind: 'rejected' });
  });

  it('retries a refused write key or a wrong host instead of dead-lettering every event', () => {
    for (const status of [401, 403, 404])
      expect(judgeAnswer({ status, body: '' }, 1, policy, NOW)).toMatchObject({ kind: 'retry', reason: 'refused-credentials' });
  });

  it('retries timeouts and connection failures', () => {
    expect(judgeFailure('timeout', 'headers timeout', 1, policy, half)).toMatchObject({ kind: 'retry', reason: 'timeout', delayMs: 375 });
    expect(judgeFailure('connection', 'ECONNRESET', 1, policy, half)).toMatchObject({ kind: 'retry', reason: 'connection' });
  });
});

describe('backoff', () => {
  it('doubles per attempt with equal jitter and stops at the cap', () => {
    expect(retryDelay(1, policy, () => 0)).toBe(250);
    expect(retryDelay(1, policy, () => 1)).toBe(500);
    expect(retryDelay(4, policy, () => 0)).toBe(2_000);
    expect(retryDelay(4, policy, () => 1)).toBe(4_000);
    expect(retryDelay(50, policy, () => 1)).toBe(60_000);
    expect(retryDelay(50, policy, () => 0)).toBe(30_000);
  });
});

describe('header parsing', () => {
  it('reads Retry-After', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 2 ', NOW)).toBe(2_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
  });

  it('reads X-RateLimit-Reset in seconds or milliseconds', () => {
    expect(parseRateLimitReset(String(NOW / 1000 + 3), NOW)).toBe(3_000);
    expect(parseRateLimitReset(String(NOW + 3_000), NOW)).toBe(3_000);
    expect(parseRateLimitReset('x', NOW)).toBeNull();
  });
});
