import type { Channel } from '@touchstream/contracts';

/**
 * What sessionization needs to know about one page view (or a screen/track event carrying a
 * page URL): small enough to store for every view and reload per visitor.
 */
export interface PageViewFact {
  /** Segment messageId: unique per event, the tie-breaker for equal times. */
  messageId: string;
  /** Event time, ms since the epoch. */
  at: number;
  /** Internal navigation (referrer on the site, or an unwanted referral): never a touch. */
  internal: boolean;
  /** The campaign parameters and click id the URL carries (campaignSignature), null when untagged. */
  signature: string | null;
  /** The view's channel as source detection classified it; null only for internal views. */
  channel: Channel | null;
}

/** Who a page view belongs to: its anonymousId, or the userId for an event without one. */
export type VisitorKind = 'anonymous' | 'user';

export interface VisitorRef {
  kind: VisitorKind;
  id: string;
}

/** One string per visitor, unique across kinds. */
export function visitorKey(visitor: VisitorRef): string {
  return `${visitor.kind === 'anonymous' ? 'a' : 'u'}:${visitor.id}`;
}

/** The VisitorRef of a visitorKey ("a:<anonymousId>" or "u:<userId>"). */
export function visitorOfKey(key: string): VisitorRef {
  if (key.startsWith('a:')) return { kind: 'anonymous', id: key.slice(2) };
  if (key.startsWith('u:')) return { kind: 'user', id: key.slice(2) };
  throw new Error('malformed visitor key in the attribution store');
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Time order, messageId breaking ties: every order of arrival sorts to the same sequence. */
export function compareByTime(a: { at: number; messageId: string }, b: { at: number; messageId: string }): number {
  return a.at - b.at || compareStrings(a.messageId, b.messageId);
}

/** Inserts into an array kept in compareByTime order (binary search; views mostly arrive late-last). */
export function insertInTimeOrder<T extends { at: number; messageId: string }>(sorted: T[], item: T): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareByTime(sorted[middle] as T, item) <= 0) low = middle + 1;
    else high = middle;
  }
  sorted.splice(low, 0, item);
}
