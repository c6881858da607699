import type { Channel } from '@touchstream/contracts';
import { compareByTime } from './page-view';
import type { ModelSettings } from './settings';

export interface TouchLike {
  messageId: string;
  at: number;
  channel: Channel;
}

export interface FirstAndLast<T> {
  first: T;
  last: T;
}

/**
 * A subject's first touch (the earliest) and last touch: the latest touch;
 * under last-non-direct a Direct latest touch gives way to the latest non-Direct touch at most
 * `lookbackMs` older than it. The lookback counts back from the latest touch, not from the
 * clock, so the answer depends on the touches only. Null without touches.
 */
export function firstAndLast<T extends TouchLike>(touches: readonly T[], settings: ModelSettings): FirstAndLast<T> | null {
  let first: T | undefined;
  let latest: T | undefined;
  for (const touch of touches) {
    if (first === undefined || compareByTime(touch, first) < 0) first = touch;
    if (latest === undefined || compareByTime(touch, latest) > 0) latest = touch;
  }
  if (first === undefined || latest === undefined) return null;
  return { first, last: lastTouch(touches, latest, settings) };
}

function lastTouch<T extends TouchLike>(touches: readonly T[], latest: T, settings: ModelSettings): T {
  switch (settings.lastTouchModel) {
    case 'last-touch':
      return latest;
    case 'last-non-direct': {
      if (latest.channel !== 'Direct') return latest;
      const since = latest.at - settings.lookbackMs;
      let known: T | undefined;
      for (const touch of touches) {
        if (touch.channel === 'Direct' || touch.at < since) continue;
        if (known === undefined || compareByTime(touch, known) > 0) known = touch;
      }
      return known ?? latest;
    }
    default: {
      const unknown: never = settings.lastTouchModel;
      throw new Error(`unknown last-touch model ${String(unknown)}`);
    }
  }
}
