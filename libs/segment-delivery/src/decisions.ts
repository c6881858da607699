import type { TouchData, UserSourcesData } from '@touchstream/contracts';

export type SinkMode = 'live' | 'backfill';

export interface DecisionSettings {
  mode: SinkMode;
  /** Send identify with anonymousId alone for visitors never identified. */
  identifyAnonymous: boolean;
  /** Touches before this instant get no track (null: every touch does). */
  trackSince: Date | null;
}

/** What the sink remembers about a subject (its Postgres row), as the decision needs it. */
export interface SubjectState {
  /** Newest version stored for the subject (0 when none). */
  storedVersion: number;
  /** Newest version delivered, dead-lettered or found unchanged (0 when none). */
  handledVersion: number;
  /** Hash of the traits last delivered, when any were. */
  handledTraitsHash: string | null;
}

export type IdentifySkipReason =
  'stale' | 'already-handled' | 'unchanged' | 'cleared' | 'anonymous-identified' | 'anonymous-disabled' | 'deferred-to-backfill-flush';

export type IdentifyDecision = { send: true } | { send: false; reason: IdentifySkipReason };

export type IdentifyFact = Pick<UserSourcesData, 'subjectType' | 'version' | 'userIds' | 'firstTouch'>;

/**
 * Whether a subject's fact becomes an identify now. Skipped:
 * - visitors once they are linked to a user (their traits belong to the user's profile now), and
 *   every visitor when anonymous identifies are off;
 * - a version older than one stored (overtaken) or one already handled (a redelivery);
 * - traits identical to those last delivered;
 * - a fact without touches ("no attribution" any more): unknown values are omitted, never sent as
 *   null, so there is nothing to send; the traits Segment holds stay until the next fact;
 * - in backfill mode, everything: the subject's final state goes once the sink has caught up
 *   (decideFlush).
 */
export function decideIdentify(fact: IdentifyFact, traitsHash: string, state: SubjectState, settings: DecisionSettings): IdentifyDecision {
  const skip = identifySkip(fact, state, settings);
  if (skip !== null) return { send: false, reason: skip };
  if (state.handledTraitsHash === traitsHash) return { send: false, reason: 'unchanged' };
  if (settings.mode === 'backfill') return { send: false, reason: 'deferred-to-backfill-flush' };
  return { send: true };
}

/** The backfill flush's decision for a stored subject: the same rules, without deferral. */
export function decideFlush(fact: IdentifyFact, traitsHash: string, state: SubjectState, settings: DecisionSettings): IdentifyDecision {
  return decideIdentify(fact, traitsHash, state, { ...settings, mode: 'live' });
}

function identifySkip(fact: IdentifyFact, state: SubjectState, settings: DecisionSettings): IdentifySkipReason | null {
  if (fact.subjectType === 'anonymous') {
    if (!settings.identifyAnonymous) return 'anonymous-disabled';
    if (fact.userIds.length > 0) return 'anonymous-identified';
  }
  if (fact.version < state.storedVersion) return 'stale';
  if (fact.version <= state.handledVersion) return 'already-handled';
  if (fact.firstTouch === null) return 'cleared';
  return null;
}

export type TrackSkipReason = 'withdrawn' | 'already-handled' | 'before-track-since';
export type TrackDecision = { send: true } | { send: false; reason: TrackSkipReason };

/**
 * Whether a touch becomes a track: once per touch (a later revision with another session or
 * userId is the same visit, which Segment already has under this messageId, and may come back
 * after Segment's 24-hour dedupe window), never for a withdrawn one, and only from TRACK_SINCE on
 * when that is set. `handled`: a track for this touch was delivered or dead-lettered before.
 */
export function decideTrack(touch: Pick<TouchData, 'occurredAt' | 'status'>, handled: boolean, settings: DecisionSettings): TrackDecision {
  if (touch.status === 'withdrawn') return { send: false, reason: 'withdrawn' };
  if (handled) return { send: false, reason: 'already-handled' };
  if (settings.trackSince !== null && Date.parse(touch.occurredAt) < settings.trackSince.getTime())
    return { send: false, reason: 'before-track-since' };
  return { send: true };
}

/**
 * Coalescing within a window: of several facts about one subject only the newest version matters
 * (it carries the final state). Keeps the newest of each subject, in the order the subjects first
 * appeared, and says how many were dropped.
 */
export function newestPerSubject<T extends Pick<UserSourcesData, 'subjectType' | 'subjectId' | 'version'>>(
  facts: readonly T[],
): { newest: T[]; superseded: number } {
  return newestBy(
    facts,
    (fact) => subjectKey(fact.subjectType, fact.subjectId),
    (fact) => fact.version,
  );
}

/** The same for touches: the highest revision of each touchId. */
export function newestRevisions<T extends Pick<TouchData, 'touchId' | 'revision'>>(
  touches: readonly T[],
): { newest: T[]; superseded: number } {
  return newestBy(
    touches,
    (touch) => touch.touchId,
    (touch) => touch.revision,
  );
}

function newestBy<T>(items: readonly T[], keyOf: (item: T) => string, rankOf: (item: T) => number): { newest: T[]; superseded: number } {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const seen = byKey.get(key);
    if (seen === undefined || rankOf(item) > rankOf(seen)) byKey.set(key, item);
  }
  return { newest: [...byKey.values()], superseded: items.length - byKey.size };
}

export function subjectKey(subjectType: string, subjectId: string): string {
  return `${subjectType}\u0000${subjectId}`;
}

/** Per partition: the last offset committed, the high watermark seen with it, and when. */
export interface PartitionProgress {
  lastOffset: bigint;
  highWatermark: bigint;
  committedAtMs: number;
}

/**
 * Backfill mode sends each subject's identify once, with its final state: facts are stored as they
 * stream by, and the pending ones go once the consumer has caught up: every partition it has seen
 * is at its high watermark and nothing was committed for a quiet period.
 */
export function caughtUp(progress: Iterable<PartitionProgress>, nowMs: number, quietMs: number): boolean {
  for (const partition of progress) {
    if (partition.lastOffset + 1n < partition.highWatermark) return false;
    if (nowMs - partition.committedAtMs < quietMs) return false;
  }
  return true;
}
