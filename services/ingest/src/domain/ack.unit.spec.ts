import { afterEach, describe, expect, it, vi } from 'vitest';
import { awaitAck } from './ack';

describe('awaitAck', () => {
  afterEach(() => void vi.useRealTimers());

  it('reports an ack or a failure as it comes', async () => {
    await expect(awaitAck(Promise.resolve(), 1_000)).resolves.toEqual({ kind: 'acked' });
    const error = new Error('broker gone');
    await expect(awaitAck(Promise.reject(error), 1_000)).resolves.toEqual({ kind: 'failed', error });
  });

  it('gives up after the bound, and a late failure is not left unhandled', async () => {
    vi.useFakeTimers();
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<void>((_, reject) => (fail = reject));
    const outcome = awaitAck(late, 3_000);
    await vi.advanceTimersByTimeAsync(2_999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(outcome).resolves.toEqual({ kind: 'timeout' });
    fail(new Error('too late'));
    await Promise.resolve();
  });
});
