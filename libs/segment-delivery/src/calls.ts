import { hash } from 'node:crypto';
import { deterministicId, type SubjectType, type TouchData, type UserSourcesData } from '@touchstream/contracts';
import { sourceFieldsOf, userSourcesTraits } from './source-fields';

/** The library Segment shows as the sender of every call (context.library). */
export interface SegmentLibrary {
  name: string;
  version: string;
}

export interface SegmentContext {
  /** false on identify: update traits without touching "last seen". */
  active?: false;
  library: SegmentLibrary;
}

export interface SegmentIdentify {
  type: 'identify';
  messageId: string;
  userId?: string;
  anonymousId?: string;
  timestamp: string;
  traits: Record<string, string>;
  context: SegmentContext;
}

export interface SegmentTrack {
  type: 'track';
  messageId: string;
  event: string;
  userId?: string;
  anonymousId?: string;
  timestamp: string;
  properties: Record<string, string>;
  context: SegmentContext;
}

export type SegmentCall = SegmentIdentify | SegmentTrack;

export interface CallSettings {
  /** The track event's name (SOURCE_IDENTIFIED_EVENT). */
  sourceIdentifiedEvent: string;
  library: SegmentLibrary;
}

/**
 * messageIds are deterministic so a re-send is deduplicated by Segment: one per fact version for
 * identify, one per touch for track. `resendId` salts them for an on-demand re-send that must get
 * through Segment's dedupe window (the same resendId gives the same ids again). UUID-shaped,
 * 36 characters: well under Segment's 100.
 */
export function identifyMessageId(subjectType: SubjectType, subjectId: string, version: number, resendId?: string): string {
  const parts = [subjectType, subjectId, String(version)];
  return deterministicId('segment-sink.identify', ...(resendId === undefined ? parts : [...parts, resendId]));
}

export function trackMessageId(touchId: string, resendId?: string): string {
  return deterministicId('segment-sink.track', ...(resendId === undefined ? [touchId] : [touchId, resendId]));
}

/**
 * identify for a subject's first and last touch: userId for a user, anonymousId alone for a
 * visitor never identified. `timestamp` is when touchstream computed the fact (its envelope's
 * recordedAt), so a re-send carries the same payload.
 */
export function identifyCall(fact: UserSourcesData, recordedAt: string, settings: CallSettings, resendId?: string): SegmentIdentify {
  const subject = fact.subjectType === 'user' ? { userId: fact.subjectId } : { anonymousId: fact.subjectId };
  return {
    type: 'identify',
    messageId: identifyMessageId(fact.subjectType, fact.subjectId, fact.version, resendId),
    ...subject,
    timestamp: recordedAt,
    traits: userSourcesTraits(fact),
    context: { active: false, library: settings.library },
  };
}

/**
 * track(Source Identified) for one touch at its historic time, with the user when known and the
 * anonymousId; properties are the touch's source fields without prefix. Null when the touch
 * names nobody (Segment requires userId or anonymousId).
 */
export function trackCall(touch: TouchData, userId: string | null, settings: CallSettings, resendId?: string): SegmentTrack | null {
  const ids: { userId?: string; anonymousId?: string } = {};
  if (userId) ids.userId = userId;
  if (touch.anonymousId) ids.anonymousId = touch.anonymousId;
  if (ids.userId === undefined && ids.anonymousId === undefined) return null;
  return {
    type: 'track',
    messageId: trackMessageId(touch.touchId, resendId),
    event: settings.sourceIdentifiedEvent,
    ...ids,
    timestamp: touch.occurredAt,
    properties: { ...sourceFieldsOf(touch) },
    context: { library: settings.library },
  };
}

/** A short fingerprint of traits: the same traits (built in a fixed key order) give the same hash. */
export function traitsHash(traits: Record<string, string>): string {
  // Length-prefixed, so ('ab','c') and ('a','bc') differ; one string hashed in one call.
  let input = '';
  for (const [key, value] of Object.entries(traits)) input += `${key.length}:${key}${value.length}:${value}`;
  return hash('sha256', input, 'hex').slice(0, 32);
}
