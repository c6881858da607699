import { describe, expect, it } from 'vitest';
import { backoffDelay, delay } from './backoff';
import { DecodeError, FatalError, RetriableError, isRetriable } from './errors';
import { parseBrokers } from './config';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };

  it('grows exponentially, between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
  });

  it('never exceeds the cap', () => {
    for (let attempt = 1; attempt < 40; attempt += 1) expect(backoffDelay(attempt, policy)).toBeLessThanOrEqual(1_000);
  });

  it('resolves at once when aborted', async () => {
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('isRetriable', () => {
  it.each([
    [new RetriableError('x'), true],
    [new FatalError('x'), false],
    [new DecodeError('x'), false],
    [Object.assign(new Error('socket'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('pg'), { code: '40001' }), true],
    [Object.assign(new Error('kafka'), { retriable: false }), false],
    [new Error('wrapped', { cause: new FatalError('inner') }), false],
    [new Error('unknown'), true],
  ])('classifies %s as retriable=%s', (error, expected) => {
    expect(isRetriable(error)).toBe(expected);
  });
});

describe('parseBrokers', () => {
  it('parses a list and refuses what is not host:port', () => {
    expect(parseBrokers('a:1, b:2')).toEqual(['a:1', 'b:2']);
    expect(() => parseBrokers('')).toThrow(/at least one/);
    expect(() => parseBrokers('localhost')).toThrow(/not host:port/);
  });
});
