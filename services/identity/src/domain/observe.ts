import { isTouchstreamCall, type AcceptedSegmentEvent, type EventSource, type LinkVia, type RawEvent } from '@touchstream/contracts';
import { cleanId, cleanJson, cleanText, instantOf, MAX_TRAIT_KEY_LENGTH, type Instant } from './text';

/** The raw event a fact came from: derived events keep its id, source and correlation id. */
export interface Cause {
  eventId: string;
  source: EventSource;
  correlationId: string;
}

/** One event showing an anonymousId together with a userId. */
export interface LinkSighting {
  anonymousId: string;
  userId: string;
  at: Instant;
  via: LinkVia;
  messageId: string;
  cause: Cause;
}

export type IdKind = 'anonymous' | 'user';

/** An id appearing on an event at a time (first/last seen). */
export interface IdSighting {
  kind: IdKind;
  id: string;
  at: Instant;
}

/** One trait of an identify call; the latest (timestamp, messageId) per user and key wins. */
export interface TraitObservation {
  userId: string;
  key: string;
  /** The value as JSON text. */
  valueJson: string;
  at: Instant;
  messageId: string;
}

/** What the debugging timeline keeps of an event. */
export interface TimelineEntry {
  messageId: string;
  anonymousId: string | null;
  userId: string | null;
  type: AcceptedSegmentEvent['type'];
  /** track: the event name; page and screen: their name. */
  name: string | null;
  at: Instant;
  url: string | null;
  referrer: string | null;
}

export interface Observation {
  links: LinkSighting[];
  ids: IdSighting[];
  traits: TraitObservation[];
  timeline: TimelineEntry;
}

/**
 * Everything the identity graph learns from one accepted event:
 * - links: an identify carrying both ids (via identify); any other event carrying both (via
 *   event); an alias call joins previousId to userId, whatever kind of id previousId is, and the
 *   alias's own anonymousId to userId when it carries one (via alias);
 * - the ids it shows, with its time (first/last seen);
 * - an identify's traits, per key;
 * - its timeline entry.
 * touchstream's own calls (written back to Segment and fed back in) teach nothing: they keep
 * only their timeline entry, so the debug timeline still shows that they arrived.
 */
export function observeEvent(raw: RawEvent): Observation {
  const event = raw.data.event;
  const messageId = cleanId(event.messageId) ?? raw.id;
  const at = eventInstant(event);
  const cause: Cause = { eventId: raw.id, source: raw.source, correlationId: raw.correlationId };
  const anonymousId = cleanId(event.anonymousId);
  const userId = cleanId(event.userId);
  if (isTouchstreamCall(event)) {
    return { links: [], ids: [], traits: [], timeline: timelineEntry(event, { messageId, anonymousId, userId, at }) };
  }

  const links: LinkSighting[] = [];
  const link = (from: string | null, via: LinkVia) => {
    if (!from || !userId || from === userId) return;
    if (links.some((existing) => existing.anonymousId === from)) return;
    links.push({ anonymousId: from, userId, at, via, messageId, cause });
  };
  const ids: IdSighting[] = [];
  const seen = (kind: IdKind, id: string | null) => {
    if (id) ids.push({ kind, id, at });
  };

  if (event.type === 'alias') {
    const previousId = cleanId(event.previousId);
    link(previousId, 'alias');
    link(anonymousId, 'alias');
    if (previousId !== userId) seen('anonymous', previousId);
  } else {
    link(anonymousId, event.type === 'identify' ? 'identify' : 'event');
  }
  seen('anonymous', anonymousId);
  seen('user', userId);

  return {
    links,
    ids: dedupeIds(ids),
    traits: event.type === 'identify' && userId ? traitsOf(event.traits, userId, at, messageId) : [],
    timeline: timelineEntry(event, { messageId, anonymousId, userId, at }),
  };
}

/** The raw topic's timestamp is already corrected; receivedAt is the fallback for a broken one. */
function eventInstant(event: AcceptedSegmentEvent): Instant {
  return instantOf(event.timestamp) ?? instantOf(event.receivedAt) ?? { iso: new Date(0).toISOString(), ms: 0 };
}

function dedupeIds(ids: IdSighting[]): IdSighting[] {
  const unique = new Map<string, IdSighting>();
  for (const sighting of ids) unique.set(`${sighting.kind}\u0000${sighting.id}`, sighting);
  return [...unique.values()];
}

function traitsOf(traits: Record<string, unknown> | null | undefined, userId: string, at: Instant, messageId: string): TraitObservation[] {
  if (!traits) return [];
  const observations: TraitObservation[] = [];
  for (const [rawKey, value] of Object.entries(traits)) {
    const key = cleanId(rawKey);
    if (!key || key.length > MAX_TRAIT_KEY_LENGTH || value === undefined) continue;
    observations.push({ userId, key, valueJson: cleanJson(value), at, messageId });
  }
  return observations;
}

function timelineEntry(
  event: AcceptedSegmentEvent,
  ids: { messageId: string; anonymousId: string | null; userId: string | null; at: Instant },
): TimelineEntry {
  const properties = recordOf((event as { properties?: unknown }).properties);
  const page = event.context?.page;
  // Built field by field (no spread): this runs once per consumed event.
  return {
    messageId: ids.messageId,
    anonymousId: ids.anonymousId,
    userId: ids.userId,
    type: event.type,
    name: cleanText(nameOf(event)),
    at: ids.at,
    url: cleanText(page?.url) ?? cleanText(properties.url),
    referrer: cleanText(page?.referrer) ?? cleanText(properties.referrer),
  };
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function nameOf(event: AcceptedSegmentEvent): string | null | undefined {
  switch (event.type) {
    case 'track':
      return event.event;
    case 'page':
    case 'screen':
      return event.name;
    case 'identify':
    case 'group':
    case 'alias':
      return null;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
