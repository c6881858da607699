import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

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

  it('stays finite after any number of attempts, even from a zero start', () => {
    expect(backoffDelay(5_000, { initialMs: 0, maxMs: 1_000, factor: 2 }, () => 1)).toBe(0);
    expect(backoffDelay(5_000, policy, () => 1)).toBe(1_000);
  });
});
