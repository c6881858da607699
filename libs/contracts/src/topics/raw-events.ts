import { z } from 'zod';
import { envelopeSchema, isoTimestampSchema, type Envelope } from '../envelope';
import { segmentEventSchema, type SegmentEvent } from '../segment/spec';

/**
 * segment.events.raw.v1: one accepted Segment event. `event.messageId` is always present (the
 * sender's, or derived from the content), `event.receivedAt` is touchstream's clock and
 * `event.timestamp` the corrected event time. Key: anonymousId, else userId.
 */
export const RAW_EVENT_TYPE = 'segment.event.accepted';

export const rawEventDataSchema = z.object({
  event: segmentEventSchema.and(z.object({ messageId: z.string().min(1), receivedAt: isoTimestampSchema, timestamp: z.string() })),
});
export const rawEventSchema = envelopeSchema(RAW_EVENT_TYPE, rawEventDataSchema);

export type AcceptedSegmentEvent = SegmentEvent & { messageId: string; receivedAt: string; timestamp: string };
export type RawEvent = Envelope<typeof RAW_EVENT_TYPE, { event: AcceptedSegmentEvent }>;

/** One device's events stay in order on one partition. */
export function rawEventKey(event: { anonymousId?: string | null; userId?: string | null }): string {
  return event.anonymousId || event.userId || '';
}
