import { z } from 'zod';
import { RAW_EVENT_TYPE, eventSourceSchema, isTouchstreamCall } from '@touchstream/contracts';
import type { DeliveryItem, EventOrigin } from './delivery-item';

/**
 * What the proxy reads of a raw-topic message: where the event came in, and the event itself with
 * every field it was sent with (a loose object: nothing the SDK sent is dropped).
 */
export const forwardableSchema = z.object({
  id: z.string().min(1),
  type: z.literal(RAW_EVENT_TYPE),
  source: eventSourceSchema,
  data: z.object({
    event: z.looseObject({ type: z.enum(['identify', 'track', 'page', 'screen', 'group', 'alias']), messageId: z.string().min(1) }),
  }),
});
export type Forwardable = z.output<typeof forwardableSchema>;

/**
 * Only events an SDK sent to touchstream's Tracking API routes are forwarded. Webhook events came
 * from Segment (forwarding them would send Segment its own events back) and imported archives
 * are Segment's history: neither is ever forwarded. Nor are touchstream's own calls, whichever
 * way they came back in (they reached Segment when the sink sent them).
 */
export function shouldForward(envelope: Forwardable): boolean {
  return envelope.source === 'api' && !isTouchstreamCall(envelope.data.event);
}

/**
 * The event as Segment gets it: as the SDK sent it, original messageId included (Segment
 * deduplicates on it), except the arrival times. The stored `timestamp` already holds ingest's
 * clock-skew correction, so the per-event `sentAt` (the device's clock at sending) and ingest's
 * `receivedAt` are left out; the batch's `sentAt` is the forwarder's own send time, so Segment's
 * correction `receivedAt - (sentAt - timestamp)` leaves the timestamp as it is, however long
 * the event waited in the raw topic.
 */
export function forwardedEvent(event: Forwardable['data']['event']): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event };
  delete copy.sentAt;
  delete copy.receivedAt;
  return copy;
}

export type ForwardCall = { sendable: true; item: DeliveryItem } | { sendable: false; item: DeliveryItem; reason: string };

/** One forwarded event for the dispatcher, or a dead letter when it is over Segment's per-event limit. */
export function forwardCall(envelope: Forwardable, origin: EventOrigin, maxEventBytes: number): ForwardCall {
  const event = forwardedEvent(envelope.data.event);
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  const item: DeliveryItem = {
    messageId: envelope.data.event.messageId,
    call: envelope.data.event.type,
    // No coalescing: every SDK event is its own fact; the same messageId twice is sent once.
    subjectKey: null,
    version: 0,
    json,
    bytes,
    mark: { call: 'forward' },
    origin,
  };
  if (bytes > maxEventBytes) {
    return {
      sendable: false,
      item: { ...item, json: '', bytes: 0 },
      reason: `event is ${bytes} bytes, over the limit of ${maxEventBytes} bytes per event to Segment (SINK_MAX_EVENT_BYTES)`,
    };
  }
  return { sendable: true, item };
}
