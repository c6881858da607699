import type { Channel, SubjectType, TouchStatus } from '@touchstream/contracts';
import type { PageViewFact, VisitorRef } from './page-view';
import type { ViewWindow } from './windows';

/** A touch as the ledger keeps it; what the touches topic publishes besides the view's details. */
export interface TouchState {
  touchId: string;
  messageId: string;
  visitor: VisitorRef;
  at: number;
  channel: Channel;
  sessionId: string;
  /** The owner by the link time rule (a userId-only touch: that userId); null before any link. */
  userId: string | null;
  status: TouchStatus;
  /** 1 when first published; +1 at each re-publication. */
  revision: number;
}

export interface LinkState {
  anonymousId: string;
  userId: string;
  /** Earliest sighting seen, ms since the epoch. */
  firstSeenAt: number;
  /** Highest revision seen. */
  revision: number;
}

export interface SubjectState {
  type: SubjectType;
  id: string;
  /** Version of the last published fact; 0 when none was published. */
  version: number;
  /** What the last published fact said (see subjectFingerprint); null when none was published. */
  fingerprint: string | null;
  firstTouchId: string | null;
  lastTouchId: string | null;
  touchCount: number;
}

/** A subject's attribution, as the user-sources topic publishes it. */
export interface SubjectFact {
  type: SubjectType;
  id: string;
  version: number;
  first: TouchState | null;
  last: TouchState | null;
  touchCount: number;
  userIds: string[];
}

export type LedgerInput = { kind: 'page-view'; visitor: VisitorRef; view: PageViewFact } | { kind: 'link'; link: LinkState };

/** What one input changed, in the order it is to be published. */
export type LedgerChange = { kind: 'touch'; touch: TouchState } | { kind: 'subject'; fact: SubjectFact };

export interface VisitorSnapshot {
  visitor: VisitorRef;
  /** The stored page views of the visitor: all of them, or those in `window`. */
  views: readonly PageViewFact[];
  /**
   * Absent or null: `views` is the whole history. Else only the views in the window were loaded,
   * and every batch view of this visitor must lie in a chain wholly inside it (windowSuffices).
   */
  window?: ViewWindow | null;
  /** Every stored touch of the visitor, withdrawn ones included. */
  touches: readonly TouchState[];
}

/**
 * The stored state a batch may change, loaded by the caller before the batch:
 * - every visitor the batch has a page view or a link for: all its touches, and its views (all,
 *   or a window that holds the chains of the batch's views; none for a link-only visitor);
 * - the links of those visitors that are anonymousIds;
 * - `users`: every user the batch's inputs refresh (AttributionLedger.touchPass; any
 *   superset will do, such as every userId those links and the batch's links name and every
 *   userId-only visitor among them); `userTouches`: the recorded touches those users own in
 *   visitors not loaded;
 * - the subject state of the loaded anonymousIds and of `users`;
 * - `seenMessageIds`: the batch's messageIds that are stored already (whatever the visitor).
 */
export interface LedgerSnapshot {
  visitors: readonly VisitorSnapshot[];
  links: readonly LinkState[];
  users: readonly string[];
  userTouches: readonly TouchState[];
  subjects: readonly SubjectState[];
  seenMessageIds: readonly string[];
}
