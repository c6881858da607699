import { describe, expect, it } from 'vitest';
import type { Channel } from '@touchstream/contracts';
import { firstAndLast, type TouchLike } from './first-last';
import { DAY_MS, DEFAULT_SETTINGS } from './settings';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const touch = (messageId: string, day: number, channel: Channel): TouchLike => ({ messageId, at: T0 + day * DAY_MS, channel });
const ids = (result: ReturnType<typeof firstAndLast>) => result && [result.first.messageId, result.last.messageId];

describe('first and last touch', () => {
  it('has none without touches', () => {
    expect(firstAndLast([], DEFAULT_SETTINGS)).toBeNull();
  });

  it('takes the earliest touch as first, whatever the order given', () => {
    const touches = [touch('later', 5, 'Email'), touch('earliest', 1, 'Organic Search'), touch('middle', 3, 'Referral')];
    expect(ids(firstAndLast(touches, DEFAULT_SETTINGS))).toEqual(['earliest', 'later']);
    expect(ids(firstAndLast([...touches].reverse(), DEFAULT_SETTINGS))).toEqual(['earliest', 'later']);
  });

  it('does not let a Direct touch replace the last known source within the lookback (last non-direct)', () => {
    const touches = [touch('ad', 0, 'Paid Search'), touch('bookmark', 30, 'Direct')];
    expect(ids(firstAndLast(touches, DEFAULT_SETTINGS))).toEqual(['ad', 'ad']);
  });

  it('lets a Direct touch stand once the known source is older than the lookback', () => {
    const touches = [touch('ad', 0, 'Paid Search'), touch('bookmark', 91, 'Direct')];
    expect(ids(firstAndLast(touches, DEFAULT_SETTINGS))).toEqual(['ad', 'bookmark']);
    expect(ids(firstAndLast(touches, { ...DEFAULT_SETTINGS, lookbackMs: 100 * DAY_MS }))).toEqual(['ad', 'ad']);
  });

  it('takes the plain latest touch under the last-touch model', () => {
    const touches = [touch('ad', 0, 'Paid Search'), touch('bookmark', 30, 'Direct')];
    expect(ids(firstAndLast(touches, { ...DEFAULT_SETTINGS, lastTouchModel: 'last-touch' }))).toEqual(['ad', 'bookmark']);
  });

  it('falls back to the latest touch when every touch is Direct, and breaks time ties by messageId', () => {
    expect(ids(firstAndLast([touch('b', 1, 'Direct'), touch('a', 1, 'Direct')], DEFAULT_SETTINGS))).toEqual(['a', 'b']);
  });
});
