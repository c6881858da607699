import { describe, expect, it } from 'vitest';
import type { PageViewFact } from './page-view';
import { DEFAULT_SETTINGS, HOUR_MS, MINUTE_MS } from './settings';
import { NO_VIEWS, completeChains, windowAround, windowSuffices } from './windows';

const view = (minutes: number): PageViewFact => ({
  messageId: `m${minutes}`,
  at: minutes * MINUTE_MS,
  internal: false,
  signature: null,
  channel: 'Direct',
});

describe('history windows', () => {
  it("reaches one session length (cap plus timeout) either side of the batch's views", () => {
    expect(windowAround([10 * HOUR_MS, 2 * HOUR_MS], DEFAULT_SETTINGS)).toEqual({
      from: 2 * HOUR_MS - 24.5 * HOUR_MS,
      to: 10 * HOUR_MS + 24.5 * HOUR_MS,
    });
  });

  it('derives only in chains more than a timeout away from both edges of the window', () => {
    const window = { from: 0, to: 600 * MINUTE_MS };
    const views = [view(10), view(20), view(100), view(110), view(590)];
    expect(completeChains(views, window, DEFAULT_SETTINGS)).toEqual([[100 * MINUTE_MS, 110 * MINUTE_MS]]);
    expect(completeChains([], NO_VIEWS, DEFAULT_SETTINGS)).toEqual([]);
  });

  it("suffices while the batch's chains stay inside, not when activity runs past the window", () => {
    const times = [2_000 * MINUTE_MS];
    const window = windowAround(times, DEFAULT_SETTINGS);
    expect(windowSuffices([view(1_990), view(2_010)], times, window, DEFAULT_SETTINGS)).toBe(true);
    const allDay = Array.from({ length: 200 }, (_, k) => view(1_000 + k * 20));
    expect(windowSuffices(allDay, times, window, DEFAULT_SETTINGS)).toBe(false);
  });
});
