import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

/** Reserves `count` tokens at `nowMs` and returns the send times. */
function sendTimes(bucket: TokenBucket, nowMs: number, count: number): number[] {
  return Array.from({ length: count }, () => nowMs + bucket.reserve(nowMs));
}

describe('token bucket', () => {
  it('lets a burst through, then paces requests at the rate', () => {
    const bucket = new TokenBucket(10, 3);
    expect(sendTimes(bucket, 0, 6)).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills while idle, up to the burst', () => {
    const bucket = new TokenBucket(10, 2);
    sendTimes(bucket, 0, 2);
    expect(sendTimes(bucket, 10_000, 3)).toEqual([10_000, 10_000, 10_100]);
  });

  it('holds everything back until a 429 pause ends, then resumes without a burst', () => {
    const bucket = new TokenBucket(10, 5);
    bucket.pauseUntil(2_000);
    expect(sendTimes(bucket, 500, 3)).toEqual([2_000, 2_100, 2_200]);
  });

  it('never exceeds rate × window + burst in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.nat({ max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, arrivals) => {
          const bucket = new TokenBucket(rate, burst);
          const times = [...arrivals].sort((a, b) => a - b).map((now) => now + bucket.reserve(now));
          const sorted = [...times].sort((a, b) => a - b);
          for (let i = 0; i < sorted.length; i += 1) {
            const windowEnd = (sorted[i] as number) + 1_000;
            const inWindow = sorted.filter((time) => time >= (sorted[i] as number) && time < windowEnd).length;
            expect(inWindow).toBeLessThanOrEqual(rate + burst);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
