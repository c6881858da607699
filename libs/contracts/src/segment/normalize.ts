import { deterministicId } from '../ids';
import type { EventSource } from '../envelope';
import { RAW_EVENT_TYPE, type AcceptedSegmentEvent, type RawEvent } from '../topics/raw-events';
import type { SegmentEvent } from './spec';

/** Fields that change between two deliveries of the same event, left out of its derived id. */
const VOLATILE_FIELDS = new Set(['sentAt', 'receivedAt', 'writeKey']);

/** JSON with object keys sorted, so equal content always serialises to equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * The sender's messageId, or one derived from the event's content (without the fields that
 * differ between retries), so a retried delivery of an event without an id gets the same id.
 */
export function messageIdOf(event: SegmentEvent): string {
  if (event.messageId) return event.messageId;
  const stable = Object.fromEntries(Object.entries(event).filter(([key]) => !VOLATILE_FIELDS.has(key)));
  return `ts-${deterministicId('segment.message', canonicalJson(stable))}`;
}

function toIso(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The event's time. Segment corrects client clocks with
 * `timestamp = receivedAt - (sentAt - originalTimestamp)`; touchstream does the same for events
 * sent straight to its HTTP API. Events from Segment's webhook were corrected by Segment already
 * and keep their timestamp; archive imports keep the recorded one.
 */
export function correctedTimestamp(event: SegmentEvent, receivedAt: Date, source: EventSource): string {
  const stated = toIso(event.timestamp) ?? toIso(event.originalTimestamp);
  const sentAt = toIso(event.sentAt);
  if (source === 'api' && sentAt) {
    const original = toIso(event.originalTimestamp) ?? stated;
    if (original) return new Date(receivedAt.getTime() - (Date.parse(sentAt) - Date.parse(original))).toISOString();
  }
  return stated ?? receivedAt.toISOString();
}

/**
 * Turns a validated event into what the raw topic stores: messageId always set, receivedAt set
 * by the receiving server (Segment's own when the event came through Segment's webhook or an
 * archive), timestamp corrected, and the envelope with a deterministic id.
 */
export function toRawEvent(event: SegmentEvent, context: { source: EventSource; receivedAt: Date; recordedAt?: Date }): RawEvent {
  const messageId = messageIdOf(event);
  const serverTime = context.receivedAt.toISOString();
  const keepsOwnReceivedAt = context.source !== 'api' && toIso(event.receivedAt) !== undefined;
  const timestamp = correctedTimestamp(event, context.receivedAt, context.source);
  const accepted = {
    ...event,
    messageId,
    receivedAt: keepsOwnReceivedAt ? (toIso(event.receivedAt) as string) : serverTime,
    timestamp,
  } as AcceptedSegmentEvent;
  return {
    id: deterministicId('segment.event', messageId),
    type: RAW_EVENT_TYPE,
    occurredAt: timestamp,
    recordedAt: (context.recordedAt ?? context.receivedAt).toISOString(),
    correlationId: messageId,
    causationId: null,
    source: context.source,
    data: { event: accepted },
  };
}
