import { describe, expect, it } from 'vitest';
import { delay, retryRetriable } from './backoff';
import { DecodeError, FatalError, RetriableError, isRetriable, transientAtBoot } from './errors';
import { parseBrokers } from './config';

describe('delay', () => {
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

describe('retryRetriable', () => {
  const tiny = { initialMs: 1, maxMs: 2, factor: 2 };

  it('retries transient failures until the deadline, then throws the last one', async () => {
    let clock = 0;
    let calls = 0;
    const attempt = retryRetriable(
      () => {
        calls += 1;
        clock += 1_000; // each try takes a (virtual) second
        return Promise.reject(new RetriableError(`not yet ${calls}`));
      },
      { deadlineMs: 3_500, policy: tiny, isRetriable, now: () => clock },
    );
    await expect(attempt).rejects.toThrow('not yet 4');
    expect(calls).toBe(4);
  });

  it('returns once the operation succeeds, and throws a fatal failure at once', async () => {
    let calls = 0;
    const value = await retryRetriable(() => (++calls < 3 ? Promise.reject(new RetriableError('later')) : Promise.resolve('ok')), {
      deadlineMs: 60_000,
      policy: tiny,
      isRetriable,
    });
    expect([value, calls]).toEqual(['ok', 3]);
    calls = 0;
    await expect(
      retryRetriable(() => (++calls, Promise.reject(new FatalError('no'))), { deadlineMs: 60_000, policy: tiny, isRetriable }),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });
});

describe('transientAtBoot', () => {
  const named = (name: string, retriable: boolean) => Object.assign(new Error(name), { name, retriable });

  it("takes kafkajs's exhausted retries and a missing coordinator as a broker not ready yet", () => {
    expect(transientAtBoot(named('KafkaJSNumberOfRetriesExceeded', false))).toBe(true);
    expect(transientAtBoot(named('KafkaJSGroupCoordinatorNotFound', false))).toBe(true);
    expect(transientAtBoot(Object.assign(new Error('This server does not host this topic-partition'), { retriable: true }))).toBe(true);
  });

  it('fails the boot at once on a refusal that will not change', () => {
    expect(transientAtBoot(named('KafkaJSNonRetriableError', false))).toBe(false);
    expect(transientAtBoot(new FatalError('bad config'))).toBe(false);
  });
});
