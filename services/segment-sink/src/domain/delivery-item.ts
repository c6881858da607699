import type { SubjectType } from '@touchstream/contracts';

/** Where an event came from: what its dead letter carries so it can be replayed once fixed. */
export interface EventOrigin {
  /** The consumed topic, or 'http-resend' for an on-demand re-send. */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** The message's value (the envelope), serialised only if it is dead-lettered. */
  value: () => string;
}

/** A stored envelope's origin (backfill flush, re-send): its topic, where a dead letter is replayed; no offset. */
export function storedOrigin(topic: string, envelope: { id: string }, key: string | null): EventOrigin {
  return { topic, partition: -1, offset: '-1', key, headers: {}, value: () => JSON.stringify(envelope) };
}

/**
 * What the sink records in Postgres once Segment took an event, or it was dead-lettered. A
 * forwarded SDK event (proxy mode) records nothing: Segment deduplicates it by its messageId.
 */
export type DeliveryMark =
  | { call: 'identify'; subjectType: SubjectType; subjectId: string; version: number; traitsHash: string }
  | { call: 'track'; touchId: string }
  | { call: 'forward' };

/** The calls the sink makes itself, and any Segment call type it forwards for an SDK. */
export type DeliveryCall = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

/** One Segment call ready to go: serialised once, its size known, its dedupe id fixed. */
export interface DeliveryItem {
  messageId: string;
  call: DeliveryCall;
  /** identify only: one subject's calls coalesce (newest version wins) and never overtake each other. */
  subjectKey: string | null;
  version: number;
  json: string;
  bytes: number;
  mark: DeliveryMark;
  origin: EventOrigin;
}

export type DeliveryOutcome = 'delivered' | 'dead-lettered';

/** What a caller of submit() learns once all of its events are settled. */
export interface DeliveryReport {
  delivered: number;
  deadLettered: number;
  /** Events not sent because a newer identify for the same subject went instead. */
  coalesced: number;
}
