import type { PageViewFact } from './page-view';
import type { SessionSettings } from './settings';

/**
 * The part of a visitor's history that was loaded: the views with from <= at <= to. Touches
 * depend on a view's *activity chain* only (the run of views with gaps of at most the timeout
 * around it: sessions, their 24-hour cuts and their campaigns never reach across a longer gap),
 * so a batch needs the chains its views fall in, not the whole history.
 */
export interface ViewWindow {
  from: number;
  to: number;
}

/** Where a batch's views of one visitor can reach, before looking: their span plus a session on each side. */
export function windowAround(times: readonly number[], settings: SessionSettings): ViewWindow {
  const margin = settings.maxDurationMs + settings.timeoutMs;
  let from = Infinity;
  let to = -Infinity;
  for (const at of times) {
    if (at < from) from = at;
    if (at > to) to = at;
  }
  return { from: from - margin, to: to + margin };
}

/** A window that holds no view: a visitor loaded only to re-own its touches (a link). */
export const NO_VIEWS: ViewWindow = { from: 0, to: -1 };

/**
 * The [first, last] time ranges of the chains among `views` (time-ordered) that lie wholly inside
 * the window: a view outside it would be more than a timeout away from both ends. Only there may
 * touches be derived from the loaded views.
 */
export function completeChains(views: readonly PageViewFact[], window: ViewWindow, settings: SessionSettings): Array<[number, number]> {
  const chains: Array<[number, number]> = [];
  let first: number | null = null;
  let last = 0;
  const close = () => {
    if (first !== null && first - window.from > settings.timeoutMs && window.to - last > settings.timeoutMs) chains.push([first, last]);
  };
  for (const view of views) {
    if (first !== null && view.at - last > settings.timeoutMs) {
      close();
      first = null;
    }
    if (first === null) first = view.at;
    last = view.at;
  }
  close();
  return chains;
}

/** Whether a time lies in one of the ranges (completeChains). */
export function inChains(chains: ReadonlyArray<[number, number]>, at: number): boolean {
  for (const [first, last] of chains) if (at >= first && at <= last) return true;
  return false;
}

/**
 * Whether the loaded window is enough for a batch: every chain that holds one of the batch's
 * views (counting the batch's views, which may join chains) lies wholly inside it. When not (a
 * visitor active without a break for longer than the margin), load the whole history.
 */
export function windowSuffices(
  loaded: readonly PageViewFact[],
  batchTimes: readonly number[],
  window: ViewWindow,
  settings: SessionSettings,
): boolean {
  const times = [...loaded.map((view) => view.at), ...batchTimes].sort((a, b) => a - b);
  const views = times.map((at) => ({ at }) as PageViewFact);
  const chains = completeChains(views, window, settings);
  return batchTimes.every((at) => inChains(chains, at));
}
