import { describe, expect, it } from 'vitest';
import type { Channel } from '@touchstream/contracts';
import { multiTouchCredit, touchWeights } from './credit';
import { DAY_MS } from './settings';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const touch = (messageId: string, day: number, channel: Channel) => ({ messageId, at: T0 + day * DAY_MS, channel });

describe('multi-touch credit', () => {
  const journey = [touch('a', 0, 'Organic Search'), touch('b', 7, 'Email'), touch('c', 10, 'Email'), touch('d', 14, 'Paid Search')];

  it('splits linearly', () => {
    expect(multiTouchCredit(journey).linear).toEqual({ 'Organic Search': 0.25, Email: 0.5, 'Paid Search': 0.25 });
  });

  it('halves a touch per 7 days before the last touch (time decay)', () => {
    const [first, second, , last] = touchWeights('timeDecay', journey);
    expect((second as number) / (last as number)).toBeCloseTo(0.5, 12);
    expect((first as number) / (last as number)).toBeCloseTo(0.25, 12);
    expect(touchWeights('timeDecay', journey).reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 12);
  });

  it('gives 40 % to the first and last touch and shares 20 % among the middle (position based)', () => {
    const credit = multiTouchCredit(journey).positionBased;
    expect(credit['Organic Search']).toBeCloseTo(0.4, 12);
    expect(credit['Paid Search']).toBeCloseTo(0.4, 12);
    expect(credit.Email).toBeCloseTo(0.2, 12);
    expect(touchWeights('positionBased', journey.slice(0, 1))).toEqual([1]);
    expect(touchWeights('positionBased', journey.slice(0, 2))).toEqual([0.5, 0.5]);
  });

  it('gives the same credit whatever order the touches come in, and none without touches', () => {
    expect(multiTouchCredit([...journey].reverse())).toEqual(multiTouchCredit(journey));
    expect(multiTouchCredit([])).toEqual({ linear: {}, timeDecay: {}, positionBased: {} });
  });
});
